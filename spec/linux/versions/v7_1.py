"""Linux 7.1: 58e2330bd455 "net: napi: Avoid gro timer misfiring at end of busypoll" (Dragos Tatulea,
co-developed by Martin Karsten; Fixes: 7fd3253a7de6; backported to 7.0.y and to 6.18.34).

busy_poll_stop no longer arms the gro-flush hrtimer before its final ->poll; it passes ``timeout``
to __busy_poll_stop, which arms it after releasing SCHED (lines of 6.18.34, read from the 6.18
stable backport mail, <20260528194644.427140119@linuxfoundation.org>; 7.1.3 has the same code at
dev.c:6865-6879 and 6886-6930, read; each step cites the configured release's lines, spec/linux/lines.py):

    if (flags & NAPI_F_PREFER_BUSY_POLL) {
            napi->defer_hard_irqs_count = napi_get_defer_hard_irqs(napi);
            if (napi->defer_hard_irqs_count)
                    timeout = napi_get_gro_flush_timeout(napi);          /* 6.18.34 dev.c:6830 */
    }
    rc = napi->poll(napi, budget); ... if (rc == budget) __busy_poll_stop(napi, timeout);   /* 6845 */

    __busy_poll_stop(napi, timeout):
            if (!timeout) { gro_normal_list(&napi->gro); __napi_schedule(napi); return; }
            gro_flush_normal(&napi->gro, HZ >= 1000);
            clear_bit(NAPI_STATE_SCHED, &napi->state);                  /* 6791 */
            hrtimer_start(&napi->timer, ns_to_ktime(timeout), HRTIMER_MODE_REL_PINNED);   /* 6792 */

Two consequences the model keeps: the timer can no longer expire while the final poll owns SCHED
(the 6.18 window, models/linux/linux618_prefer.toml), and when the final poll completes below
budget no timer is armed at all. The release-then-arm order opens the window the research notes
point out (a napi_disable between clear_bit and hrtimer_start), reachable once the busy poller and
the disabler run on different CPUs.
"""

from __future__ import annotations

from typing import Any

from spec.linux.core.busy_poll_stop import FUNC, STOP, clear_bits, final_poll, prefer_bh
from spec.linux.lines import cite
from spec.linux.kernel import LinuxKernel
from spec.linux.prog import Call

COMMIT = "58e2330bd455"


def busy_poll_stop(fn: Call) -> str:
    """7.1's busy_poll_stop: steps ``missed``, ``inbp``, ``bh`` (no hrtimer_start), ->poll, ``unlock``,
    ``clr`` then ``tmr`` (hrtimer_start after clear_bit(SCHED)) / ``sched``."""
    kn = fn.kernel
    state = kn.napi_state
    clear_bits(fn)

    prefer_bh(fn, FUNC + " (local_bh_disable; PREFER: defer count, timeout = gro_flush_timeout) [58e2330bd455]"
              + cite(kn, "bp.bh", "bp.timeout"), arm_timer=False)

    final_poll(fn)

    armed = kn.prefer and bool(kn.defer)  # timeout != 0 is possible: clr is reachable only then

    @fn.step("clr", func=STOP + " (clear_bit(NAPI_STATE_SCHED)) [58e2330bd455]" + cite(kn, "bps.clr"))
    def clr(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(state[n], state[n].without_bits("SCHED"))
        fn.set_fact(t, i, "owns", False)
        if armed:
            t.goto(fn.label("tmr"))
        else:
            fn.ret(t, i)  # type: ignore[misc]

    if not armed:
        return fn.label("missed")

    @fn.step("tmr", func=STOP + " (hrtimer_start(&napi->timer, timeout, HRTIMER_MODE_REL_PINNED)) [58e2330bd455]"
             + cite(kn, "bps.tmr"))
    def tmr(t: Any, i: int) -> None:
        t.set(kn.timer_cpu[fn.napi(i)], fn.cpu(i))
        fn.ret(t, i)  # type: ignore[misc]

    return fn.label("missed")


def apply(kernel: LinuxKernel) -> None:
    """7.1 = 6.19's parts with 58e2330bd455's busy_poll_stop."""
    kernel.replace("busy_poll_stop", busy_poll_stop)
