"""__napi_busy_loop (net/core/dev.c, 6.18): a task busy-polls instance 0 ("BUSYPOLL", on the last CPU).

Each of ``BP_ROUNDS`` sessions, with preemption and bottom halves disabled: take SCHED|IN_BUSY_POLL
with a cmpxchg when the instance is idle (else, with prefer_busy_poll, set PREFER_BUSY_POLL), poll
it with ``BP_BUDGET`` while loop_end() says go on, then busy_poll_stop (a core part) gives it back.
Ghost facts kept: ``owns`` (won the cmpxchg, until busy_poll_stop hands it on), ``polling``.
"""

from __future__ import annotations

from typing import Any

from checker.lang import Bool, Int, Not

from spec.linux.kernel import LinuxKernel
from spec.linux.lines import cite
from spec.linux.prog import Call, Prog

NAPI = 0  # the instance the busy poller polls, grounded (kernel.bp_target: a named instance)


def busy_poll(kn: LinuxKernel) -> Prog | None:
    if not kn.busy:
        return None
    k, state, n0 = kn.k, kn.napi_state, kn.bp_target
    bp = kn.context("busypoll", 1, "BUSYPOLL", "process", lambda i: kn.bp_cpu, lambda i: n0)
    bp.local("rounds", Int(0, k.BP_ROUNDS))
    bp.local("owner", Bool)  # napi_poll != NULL: this session owns the instance
    bp.fact("polling")
    bp.fact("owns")
    B = bp.L
    fn = Call(kn, bp, "", bp.napi, bp.cpu)

    @bp.step("idle", func="net/core/dev.c:__napi_busy_loop (napi = napi_by_id(napi_id); if (!napi) goto out; "
                          "preempt_disable; local_bh_disable)" + cite(kn, "bl.byid", "bl.lookup"))
    def enter(t: Any, i: int) -> None:
        t.require(B.rounds[i] < k.BP_ROUNDS)
        t.set(B.rounds[i], B.rounds[i] + 1)
        if kn.napi_hashed is None:
            t.goto("read")
        else:  # the lookup runs once per session (rcu_read_lock): a disable after it is not seen
            with t.if_(kn.napi_hashed[n0]):
                t.goto("read")

    @bp.step("read", func="net/core/dev.c:__napi_busy_loop (val = READ_ONCE(napi->state))" + cite(kn, "bl.read"))
    def read(t: Any, i: int) -> None:
        t.set(B.val[i], state[n0])
        with t.if_(state[n0].has_any("DISABLE", "SCHED", "IN_BUSY_POLL")):
            t.set(B.val[i], 0)
            t.goto("setpref" if kn.prefer else "count")
        with t.else_():
            t.goto("cas")

    @bp.step("cas", func="net/core/dev.c:__napi_busy_loop (cmpxchg(state, val, val|IN_BUSY_POLL|SCHED))"
             + cite(kn, "bl.cas"))
    def cas(t: Any, i: int) -> None:
        with t.if_(state[n0] == B.val[i]):
            t.set(state[n0], B.val[i].with_bits("IN_BUSY_POLL", "SCHED"))
            t.set(B.owner[i], True)
            if kn.netpoll:
                bp.set_fact(t, i, "owns", True)
                t.goto("lock")
            else:
                fn.enter_poll(t, i)
                t.goto(rx)
        with t.else_():
            t.goto("setpref" if kn.prefer else "count")
        t.set(B.val[i], 0)

    if kn.prefer:
        @bp.step("setpref", func="net/core/dev.c:__napi_busy_loop (set_bit(NAPI_STATE_PREFER_BUSY_POLL))"
                 + cite(kn, "bl.setpref"),
                 next="count")
        def setpref(t: Any, i: int) -> None:
            t.set(state[n0], state[n0].with_bits("PREFER_BUSY_POLL"))

    if kn.netpoll:
        @bp.step("lock", func="net/core/dev.c:__napi_busy_loop (netpoll_poll_lock)" + cite(kn, "bl.lock"))
        def lock(t: Any, i: int) -> None:
            t.require(Not(kn.poll_owner_held[n0]))
            t.set(kn.poll_owner_held[n0], True)
            fn.enter_poll(t, i)
            t.goto(rx)

    def polled(t: Any, i: int) -> None:
        fn.poll_returned(t, i, B.owner[i])
        t.goto("count")
    rx = fn.call_poll(k.BP_BUDGET, polled)

    @bp.step("count", func="net/core/dev.c:__napi_busy_loop (local_bh_enable; loop_end(); local_bh_disable)"
             + cite(kn, "bl.loop_end"),
             params={"end": [False, True]})
    def count(t: Any, i: int, end: bool) -> None:
        t.set(B.work[i], 0)
        if not end:
            with t.if_(B.owner[i]):
                fn.enter_poll(t, i)
                t.goto(rx)
            with t.else_():
                t.goto("read")
        else:
            with t.if_(B.owner[i]):
                t.goto(stop)
            with t.else_():
                t.goto("idle")

    # if (napi_poll) busy_poll_stop(napi_poll, have_poll_lock, flags, budget);
    stop = fn.call("busy_poll_stop", pre="stop_", ret=lambda t, i: t.goto("idle"))
    bp.mark("nopre", *[lb for lb in bp.labels if lb != "idle"])
    bp.mark("bh", *[lb for lb in bp.labels if lb not in ("idle", "count") and lb not in bp.in_set("bh_on")])
    bp.quiescent = lambda n: kn.only_for(n, n0, [bp.resting(0)])
    bp.at_end = lambda: [bp.resting(0)]
    return bp
