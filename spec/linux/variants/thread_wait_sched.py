"""Before cb038357937e ("net: fix race between napi kthread mode and busy poll", 5.16):
napi_thread_wait tests NAPI_STATE_SCHED, so a kthread woken for nothing polls an instance the busy
poller owns (models/linux/v2_*.toml)."""

from __future__ import annotations

from functools import partial

from spec.linux.core.napi_thread_wait import napi_thread_wait
from spec.linux.kernel import LinuxKernel


def apply(kernel: LinuxKernel) -> None:
    kernel.replace("napi_thread_wait", partial(napi_thread_wait, bit="SCHED"))
