"""A patch to the core, checked from a file of one's own (docs/own-patch.md).

The 6.18 napi_complete_done releases SCHED with its try_cmpxchg and only then calls
hrtimer_start(&n->timer) (models/linux/linux618_timer_window.toml: napi_disable can take SCHED and
cancel the not-yet-armed timer in between, so the timer is armed after napi_disable returned).
A candidate fix: start the hrtimer *before* the cmpxchg, while the caller still owns SCHED:

     if (timeout)
             hrtimer_start(&n->timer, ns_to_ktime(timeout), HRTIMER_MODE_REL_PINNED);
     val = READ_ONCE(n->state);
     do { ... } while (!try_cmpxchg(&n->state, &val, new));
     if (unlikely(val & NAPIF_STATE_MISSED)) { __napi_schedule(n); return false; }
     return ret;

Only napi_complete_done is replaced; every context that calls it (net_rx_action, the kthread, the
busy poller, netpoll, __napi_poll's napi_complete) gets the patched version.
"""

from __future__ import annotations

from typing import Any

from spec.linux import linux_spec
from spec.linux.core.napi_complete_done import FUNC, checks, finish, release
from spec.linux.kernel import LinuxKernel
from spec.linux.prog import Call


def napi_complete_done(fn: Call, work0: bool = False) -> str:
    kn, v = fn.kernel, fn.L
    checks(fn, work0, "cd_timer" if kn.tmr else "cd_read")
    if kn.tmr:
        @fn.step("cd_timer", func=FUNC + " (patched: hrtimer_start before the try_cmpxchg)", next="cd_read")
        def arm_first(t: Any, i: int) -> None:
            with t.if_(v.timeout[i]):
                t.set(kn.timer_cpu[fn.napi(i)], fn.cpu(i))
            t.set(v.timeout[i], False)
    release(fn, lambda t, i: finish(fn, t, i))
    return fn.label("cd")


def patch(kernel: LinuxKernel) -> None:
    kernel.replace("napi_complete_done", napi_complete_done)


SPEC = linux_spec("timer_before_release", "Linux 6.18 NAPI with napi_complete_done arming its hrtimer first",
                  variants=[patch])
