"""____napi_schedule (net/core/dev.c, 6.18): queue an instance whose SCHED the caller owns.

Called with IRQs off by __napi_schedule / napi_schedule / napi_complete_done (MISSED) /
__busy_poll_stop. Threaded NAPI: set SCHED_THREADED and wake_up_process(napi->thread); else
list_add_tail(&napi->poll_list, &sd->poll_list) and raise NET_RX unless net_rx_action is running.
Interface: ``fn.ret`` (void).
"""

from __future__ import annotations

from typing import Any

from checker.lang import Not

from spec.linux.lines import cite
from spec.linux.prog import Call


def ____napi_schedule(fn: Call, func: str = "net/core/dev.c:____napi_schedule") -> str:
    """Steps ``sched`` (and ``wake`` with threaded NAPI); ``func`` is the citation (an era renames it)."""
    kn = fn.kernel

    threaded = kn.kthreaded and func.endswith("____napi_schedule")
    where = cite(kn, "sched.threaded", "sched.set_threaded", "sched.list") if threaded else \
        (cite(kn, "sched.list") if func.endswith("____napi_schedule") else "")

    @fn.step("sched", func=func + where)
    def sched(t: Any, i: int) -> None:
        n, c = fn.napi(i), fn.cpu(i)

        def local() -> None:
            t.set(kn.poll_list[c], kn.poll_list[c].push_back(n))
            with t.if_(Not(kn.in_net_rx_action[c])):
                t.set(kn.net_rx_pending[c], True)
            fn.ret(t, i)  # type: ignore[misc]

        if kn.kthreaded:
            # test_bit(THREADED) and set_bit(SCHED_THREADED) in one step: THREADED only changes under
            # napi_enable/napi_disable's CAS, which needs SCHED clear, and the caller owns SCHED.
            with t.if_(kn.napi_state[n].has("THREADED")):
                t.set(kn.napi_state[n], kn.napi_state[n].with_bits("SCHED_THREADED"))
                t.goto(fn.label("wake"))
            with t.else_():
                local()
        else:
            local()

    if kn.kthreaded:
        @fn.step("wake", func="net/core/dev.c:____napi_schedule (wake_up_process(thread))" + cite(kn, "sched.wake"))
        def wake(t: Any, i: int) -> None:
            t.set(kn.kthread_interruptible[fn.napi(i)], False)
            fn.ret(t, i)  # type: ignore[misc]
    return fn.label("sched")
