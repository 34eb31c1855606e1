"""Vanilla Linux 6.18 (6.18.0 to 6.18.33): 6.19's parts minus c18d4b190a46 ("net: Extend NAPI
threaded polling to allow kthread based busy polling", 6.19 merge window).

Vanilla 6.18 has 11 state bits (no NAPI_STATE_THREADED_BUSY_POLL) and its napi_threaded_poll is

    while (!napi_thread_wait(napi))
            napi_threaded_poll_loop(napi);

(the lines c18d4b190a46 removes, read in its diff of net/core/dev.c): the kthread never reads the
state word, so 6.19's ``tp_read`` / ``tp_clr`` steps do not exist here. napi_disable_locked's
cmpxchg clears THREADED|PREFER_BUSY_POLL only (6.19 also clears THREADED_BUSY_POLL, a bit the model
never sets: no difference in the model). busy_poll_stop is the pre-58e2330bd455 code, the shipped
core part (spec/linux/core/busy_poll_stop.py, lines of 6.18.33).
"""

from __future__ import annotations

from spec.linux.contexts.napi_threaded_poll import napi_threaded_poll_618
from spec.linux.kernel import LinuxKernel


def apply(kernel: LinuxKernel) -> None:
    kernel.replace_context("napi_threaded_poll", napi_threaded_poll_618)
