"""A mutation (no release has it): napi_stop_kthread without its second loop, ``while
(test_bit(NAPI_STATE_SCHED_THREADED, &napi->state)) msleep(20);``. It shows what that loop is for:
without it kthread_stop can catch the kthread after ____napi_schedule handed it the instance
(SCHED_THREADED set, wake_up_process pending); napi_thread_wait then sees kthread_should_stop()
before test_bit(SCHED_THREADED) and the thread exits owning SCHED: the instance is never polled
again (models/linux/mutant_stop_kthread_no_wait.toml)."""

from __future__ import annotations

from functools import partial

from spec.linux.core.napi_stop_kthread import napi_stop_kthread
from spec.linux.kernel import LinuxKernel


def apply(kernel: LinuxKernel) -> None:
    kernel.replace("napi_stop_kthread", partial(napi_stop_kthread, wait_sched_threaded=False))
