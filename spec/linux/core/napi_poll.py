"""__napi_poll (net/core/dev.c, 6.18) with napi_poll's netpoll_poll_lock: one poll of an owned instance.

    work = 0;
    if (napi_is_scheduled(n)) { work = n->poll(n, weight); trace_napi_poll(n, work, weight); }
    if (likely(work < weight)) return work;            /* the driver has completed (or should have) */
    if (unlikely(napi_disable_pending(n))) { napi_complete(n); return work; }
    if (napi_prefer_busy_poll(n)) { if (napi_complete_done(n, work)) napi_schedule(n); return work; }
    if (unlikely(!list_empty(&n->poll_list))) { pr_warn_once("... Budget exhausted after napi rescheduled"); return work; }
    *repoll = true;

Interface: ``fn.ret_true`` (repoll: the caller list_add_tail()s it and still owns it), ``fn.ret_false``
(done). The result stays in the local ``work``. The caller owns SCHED on entry (ghost fact ``owns``).
"""

from __future__ import annotations

from typing import Any

from checker.lang import Not

from spec.linux.lines import cite
from spec.linux.prog import Call


def __napi_poll(fn: Call) -> str:
    """Steps ``np_lock`` (netpoll), ``test``, the driver's ->poll, ``dis`` (+``dc_`` napi_complete),
    ``pref`` (+``pc_`` napi_complete_done, ``ps_`` napi_schedule), ``empty``."""
    kn, v, weight = fn.kernel, fn.L, fn.kernel.k.WEIGHT
    state = kn.napi_state
    first = fn.label("np_lock" if kn.netpoll else "test")
    after = "dis" if kn.disablers else ("pref" if kn.prefer else "empty")
    if kn.netpoll:
        @fn.step("np_lock", func="include/linux/netpoll.h:netpoll_poll_lock (cmpxchg poll_owner; spins)"
                 + cite(kn, "tpl.lock" if fn.pre.startswith("k_") else "poll.lock"), next="test")
        def np_lock(t: Any, i: int) -> None:
            t.require(Not(kn.poll_owner_held[fn.napi(i)]))
            t.set(kn.poll_owner_held[fn.napi(i)], True)

    def after_poll(t: Any, i: int) -> None:
        with t.if_(v.work[i] < weight):
            fn.poll_returned(t, i, False)
            fn.ret_false(t, i)  # type: ignore[misc]  # "driver has called (or should have) napi_complete_done"
        with t.else_():
            fn.poll_returned(t, i, True)
            t.goto(fn.label(after))

    @fn.step("test", func="net/core/dev.c:__napi_poll (napi_is_scheduled: test_bit(NAPI_STATE_SCHED))" + cite(kn, "poll.test"))
    def test(t: Any, i: int) -> None:
        with t.if_(state[fn.napi(i)].has("SCHED")):
            fn.enter_poll(t, i)
            t.goto(rx)
        with t.else_():
            t.set(v.work[i], 0)
            fn.ret_false(t, i)  # type: ignore[misc]

    rx = fn.call_poll(weight, after_poll)
    if kn.disablers:
        @fn.step("dis", func="net/core/dev.c:__napi_poll (napi_disable_pending: test_bit(NAPI_STATE_DISABLE))"
                 + cite(kn, "poll.dis"))
        def dis(t: Any, i: int) -> None:
            with t.if_(state[fn.napi(i)].has("DISABLE")):
                fn.enter_poll(t, i)
                t.goto(complete)
            with t.else_():
                t.goto(fn.label("pref" if kn.prefer else "empty"))
        # napi_complete(n); return work;
        complete = fn.call("napi_complete_done", pre="dc_", ret_true=fn.ret_false, ret_false=fn.ret_false, work0=True)
    if kn.prefer:
        @fn.step("pref", func="net/core/dev.c:__napi_poll (napi_prefer_busy_poll)" + cite(kn, "poll.pref"))
        def pref(t: Any, i: int) -> None:
            with t.if_(state[fn.napi(i)].has("PREFER_BUSY_POLL")):
                fn.enter_poll(t, i)
                t.goto(complete_done)
            with t.else_():
                t.goto(fn.label("empty"))
        # if (napi_complete_done(n, work)) napi_schedule(n);
        complete_done = fn.call("napi_complete_done", pre="pc_", ret_true=lambda t, i: t.goto(prep),
                                ret_false=fn.ret_false)
        prep = fn.call("napi_schedule_prep", pre="ps_", ret_true=lambda t, i: t.goto(sched), ret_false=fn.ret_false)
        sched = fn.call("____napi_schedule", pre="ps_", ret=fn.ret_false)

    @fn.step("empty", func="net/core/dev.c:__napi_poll (list_empty(&n->poll_list), else pr_warn "
                           "'Budget exhausted after napi rescheduled')" + cite(kn, "poll.empty"))
    def empty(t: Any, i: int) -> None:
        with t.if_(kn.on_lists(fn.napi(i)) > 0):
            fn.ret_false(t, i)  # type: ignore[misc]
        with t.else_():
            fn.ret_true(t, i)  # type: ignore[misc]
    return first
