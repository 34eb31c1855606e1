"""busy_poll_stop and __busy_poll_stop (net/core/dev.c): the busy poller gives its instance back.

This part is the code from 7fd3253a7de6 (5.11, preferred busy polling) up to 58e2330bd455: vanilla
6.18 to 6.18.33, 6.19 and 7.0 before 7.0.y's backport (the function is identical in these; the lines
below are 6.18.33's, read from the 6.18 stable backport of 58e2330bd455, the pre-image of its hunks;
each step cites the configured release's own lines, spec/linux/lines.py: v6.18 dev.c:6778-6804,
v6.19 dev.c:6852-6878):

    clear_bit(NAPI_STATE_MISSED, &napi->state);
    clear_bit(NAPI_STATE_IN_BUSY_POLL, &napi->state);
    local_bh_disable();
    if (flags & NAPI_F_PREFER_BUSY_POLL) {                                        /* 6822 */
            napi->defer_hard_irqs_count = napi_get_defer_hard_irqs(napi);
            timeout = napi_get_gro_flush_timeout(napi);
            if (napi->defer_hard_irqs_count && timeout) {
                    hrtimer_start(&napi->timer, ns_to_ktime(timeout), PINNED);   /* 6826 */
                    skip_schedule = true;
            }
    }
    rc = napi->poll(napi, budget);
    trace_napi_poll(napi, rc, budget);                                              /* 6839 */
    netpoll_poll_unlock(have_poll_lock);
    if (rc == budget) __busy_poll_stop(napi, skip_schedule);                        /* 6842 */
    local_bh_enable();

    __busy_poll_stop: if (!skip_schedule) { gro_normal_list; __napi_schedule(napi); return; }
                      gro_flush_normal(...); clear_bit(NAPI_STATE_SCHED, &napi->state);  /* 6791 */

7.1 (and 6.18.34, 7.0.y) replace this part: spec/linux/versions/v7_1.py. The steps both share
(:func:`clear_bits`, :func:`final_poll`) are defined here.

Interface: ``fn.ret`` (void). The caller owns SCHED on entry (ghost fact ``owns``); its first two
steps run with bottom halves enabled (marked ``bh_on`` for the CPU model).
"""

from __future__ import annotations

from typing import Any

from checker.lang import Bool

from spec.linux.lines import cite
from spec.linux.prog import Call

FUNC = "net/core/dev.c:busy_poll_stop"
STOP = "net/core/dev.c:__busy_poll_stop"


def clear_bits(fn: Call) -> None:
    """Steps ``missed`` and ``inbp`` (then ``bh``), run with bottom halves still enabled."""
    state = fn.kernel.napi_state
    fn.prog.local("skip", Bool)  # skip_schedule (7.1: timeout != 0)

    @fn.step("missed", func=FUNC + " (clear_bit(NAPI_STATE_MISSED))" + cite(fn.kernel, "bp.missed"), next="inbp")
    def missed(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(state[n], state[n].without_bits("MISSED"))

    @fn.step("inbp", func=FUNC + " (clear_bit(NAPI_STATE_IN_BUSY_POLL))" + cite(fn.kernel, "bp.inbp"), next="bh")
    def inbp(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(state[n], state[n].without_bits("IN_BUSY_POLL"))
    fn.mark("bh_on", "missed", "inbp")


def prefer_bh(fn: Call, func: str, arm_timer: bool) -> None:
    """Step ``bh`` (local_bh_disable; PREFER with defer_hard_irqs: the defer count, ``skip``, and with
    ``arm_timer`` the hrtimer_start before the final poll — the code before 58e2330bd455)."""
    kn, v = fn.kernel, fn.L

    @fn.step("bh", func=func, next="rx")
    def bh(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(v.owner[i], False)  # the caller's napi_poll: dead from here (reset so equal states merge)
        if kn.prefer and kn.defer:
            t.set(kn.defer_count[n], kn.defer)
            if arm_timer:
                t.set(kn.timer_cpu[n], fn.cpu(i))
            t.set(v.skip[i], True)  # skip_schedule (7.1: timeout != 0)
        fn.enter_poll(t, i)


def final_poll(fn: Call) -> None:
    """The driver's ->poll (``rx``, entered by ``bh``), ``unlock`` and the ``sched`` path of
    __busy_poll_stop (__napi_schedule); ``unlock`` goes to ``clr`` when the budget was used and
    ``skip`` is set."""
    kn, v, budget = fn.kernel, fn.L, fn.kernel.k.BP_BUDGET

    def returned(t: Any, i: int) -> None:
        fn.poll_returned(t, i, v.work[i] == budget)
        t.goto(fn.label("unlock"))
    fn.call_poll(budget, returned)

    @fn.step("unlock", func=FUNC + " (netpoll_poll_unlock; if rc == budget __busy_poll_stop)"
             + cite(kn, "bp.unlock", "bp.stop"))
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

    fn.call("____napi_schedule", ret=fn.ret)


def busy_poll_stop(fn: Call) -> str:
    """Steps ``missed``, ``inbp``, ``bh``, the driver's ->poll (``rx``), ``unlock``, ``clr`` / ``sched``
    (all under the caller's prefix, ``stop_`` in __napi_busy_loop)."""
    state = fn.kernel.napi_state
    clear_bits(fn)
    prefer_bh(fn, FUNC + " (local_bh_disable; PREFER: defer count, hrtimer_start) [before 58e2330bd455]"
              + cite(fn.kernel, "bp.bh", "bp.arm"), arm_timer=True)

    final_poll(fn)

    @fn.step("clr", func=STOP + " (clear_bit(NAPI_STATE_SCHED)) [before 58e2330bd455]" + cite(fn.kernel, "bps.clr"))
    def clr(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(state[n], state[n].without_bits("SCHED"))
        fn.set_fact(t, i, "owns", False)
        fn.ret(t, i)  # type: ignore[misc]

    return fn.label("missed")
