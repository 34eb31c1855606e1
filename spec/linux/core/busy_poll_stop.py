"""busy_poll_stop and __busy_poll_stop (net/core/dev.c, 6.18): the busy poller gives its instance back.

    /* Busy polling means there is a high chance device driver hard irq could not grab
     * NAPI_STATE_SCHED, and that NAPI_STATE_MISSED was set by napi_schedule_prep().
     * Since we are about to call napi->poll() once more, we can safely clear NAPI_STATE_MISSED. */
    clear_bit(NAPI_STATE_MISSED, &napi->state);
    clear_bit(NAPI_STATE_IN_BUSY_POLL, &napi->state);
    local_bh_disable();
    if (flags & NAPI_F_PREFER_BUSY_POLL) {
            napi->defer_hard_irqs_count = ...;
            if (timeout) { hrtimer_start(...); skip_schedule = true; }
    }
    rc = napi->poll(napi, budget);
    trace_napi_poll(napi, rc, budget);
    netpoll_poll_unlock(have_poll_lock);
    if (rc == budget) __busy_poll_stop(napi, skip_schedule);    /* skip: clear_bit(SCHED); else __napi_schedule */
    local_bh_enable();

Interface: ``fn.ret`` (void). The caller owns SCHED on entry (ghost fact ``owns``); its first two
steps run with bottom halves enabled (marked ``bh_on`` for the CPU model).
"""

from __future__ import annotations

from typing import Any

from checker.lang import Bool

from spec.linux.prog import Call

FUNC = "net/core/dev.c:busy_poll_stop"


def busy_poll_stop(fn: Call) -> str:
    """Steps ``missed``, ``inbp``, ``bh``, the driver's ->poll (``rx``), ``unlock``, ``clr`` / ``sched``
    (all under the caller's prefix, ``stop_`` in __napi_busy_loop)."""
    kn, v, budget = fn.kernel, fn.L, fn.kernel.k.BP_BUDGET
    state = kn.napi_state
    fn.prog.local("skip", Bool)  # skip_schedule

    @fn.step("missed", func=FUNC + " (clear_bit(NAPI_STATE_MISSED))", next="inbp")
    def missed(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(state[n], state[n].without_bits("MISSED"))

    @fn.step("inbp", func=FUNC + " (clear_bit(NAPI_STATE_IN_BUSY_POLL))", next="bh")
    def inbp(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(state[n], state[n].without_bits("IN_BUSY_POLL"))
    fn.mark("bh_on", "missed", "inbp")

    @fn.step("bh", func=FUNC + " (local_bh_disable; PREFER: defer count, hrtimer_start)", next="rx")
    def bh(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(v.owner[i], False)  # the caller's napi_poll: dead from here (reset so equal states merge)
        if kn.prefer and kn.defer:
            t.set(kn.defer_count[n], kn.defer)
            t.set(kn.timer_cpu[n], fn.cpu(i))
            t.set(v.skip[i], True)
        fn.enter_poll(t, i)

    def returned(t: Any, i: int) -> None:
        fn.poll_returned(t, i, v.work[i] == budget)
        t.goto(fn.label("unlock"))
    fn.call_poll(budget, returned)

    @fn.step("unlock", func=FUNC + " (netpoll_poll_unlock; if rc == budget __busy_poll_stop)")
    def unlock(t: Any, i: int) -> None:
        n = fn.napi(i)
        if kn.netpoll:
            t.set(kn.poll_owner_held[n], False)
        with t.if_(v.work[i] == budget):
            with t.if_(v.skip[i]):
                t.goto(fn.label("clr"))
            with t.else_():
                fn.set_fact(t, i, "owns", False)  # handed to the poll list
                t.goto(fn.label("sched"))
        with t.else_():
            fn.ret(t, i)  # type: ignore[misc]
        t.set(v.work[i], 0)
        t.set(v.skip[i], False)

    @fn.step("clr", func="net/core/dev.c:__busy_poll_stop (clear_bit(NAPI_STATE_SCHED))")
    def clr(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(state[n], state[n].without_bits("SCHED"))
        fn.set_fact(t, i, "owns", False)
        fn.ret(t, i)  # type: ignore[misc]

    fn.call("____napi_schedule", ret=fn.ret)
    return fn.label("missed")
