"""netpoll's poll_napi / poll_one_napi (net/core/netpoll.c, 6.18) on instance 0 ("NETPOLL", CPU 0),
called with IRQs off from netpoll_send_skb:

    if (cmpxchg(&napi->poll_owner, -1, cpu) == -1) {       /* poll_napi */
            /* poll_one_napi: */
            if (test_and_set_bit(NAPI_STATE_NPSVC, &napi->state)) goto out;
            work = napi->poll(napi, 0);
            clear_bit(NAPI_STATE_NPSVC, &napi->state);
            smp_store_release(&napi->poll_owner, -1);
    }

Ghost fact kept: ``polling`` (inside ->poll(napi, 0), which does not take SCHED).
"""

from __future__ import annotations

from typing import Any

from checker.lang import Int

from spec.linux.kernel import LinuxKernel
from spec.linux.lines import cite
from spec.linux.prog import Call, Prog

NAPI = 0  # the instance netpoll polls, grounded (kernel.netpoll_target: a named instance)


def netpoll(kn: LinuxKernel) -> Prog | None:
    if not kn.netpoll:
        return None
    m, state = kn.netpoll_target, kn.napi_state
    np_ = kn.context("netpoll", 1, "NETPOLL", "netpoll", lambda i: 0, lambda i: m)
    np_.local("rounds", Int(0, 1))
    np_.fact("polling")
    fn = Call(kn, np_, "", np_.napi, np_.cpu)

    @np_.step("idle", func="net/core/netpoll.c:netpoll_poll_dev (IRQs off: netpoll_send_skb local_irq_save)"
              + cite(kn, "npd.irqsave"),
              next="lock")
    def enter(t: Any, i: int) -> None:
        t.require(np_.L.rounds[i] < 1)
        t.set(np_.L.rounds[i], 1)

    @np_.step("lock", func="net/core/netpoll.c:poll_napi (cmpxchg(&napi->poll_owner, -1, cpu))" + cite(kn, "npn.owner"))
    def lock(t: Any, i: int) -> None:
        with t.if_(kn.poll_owner_held[m]):
            t.goto("idle")
        with t.else_():
            t.set(kn.poll_owner_held[m], True)
            t.goto("npsvc")

    @np_.step("npsvc", func="net/core/netpoll.c:poll_one_napi (test_and_set_bit(NAPI_STATE_NPSVC))" + cite(kn, "npo.tas"))
    def npsvc(t: Any, i: int) -> None:
        t.let("old", state[m])
        t.set(state[m], state[m].with_bits("NPSVC"))
        with t.if_(t.temp("old").has("NPSVC")):
            t.goto("unlock")
        with t.else_():
            fn.enter_poll(t, i)
            t.goto(rx)

    def polled(t: Any, i: int) -> None:
        fn.poll_returned(t, i, False)
        t.set(np_.L.work[i], 0)
        t.goto("clr")
    rx = fn.call_poll(0, polled)  # napi->poll(napi, 0)

    @np_.step("clr", func="net/core/netpoll.c:poll_one_napi (clear_bit(NAPI_STATE_NPSVC))" + cite(kn, "npo.clr"), next="unlock")
    def clr(t: Any, i: int) -> None:
        t.set(state[m], state[m].without_bits("NPSVC"))

    @np_.step("unlock", func="net/core/netpoll.c:poll_napi (smp_store_release(&napi->poll_owner, -1))"
              + cite(kn, "npn.release"),
              next="idle")
    def unlock(t: Any, i: int) -> None:
        t.set(kn.poll_owner_held[m], False)
    np_.mark("hard", *[lb for lb in np_.labels if lb != "idle"])
    np_.quiescent = lambda n: kn.only_for(n, m, [np_.resting(0)])
    np_.at_end = lambda: [np_.resting(0)]
    return np_
