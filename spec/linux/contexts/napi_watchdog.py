"""napi_watchdog (net/core/dev.c, 6.18): the per-instance hrtimer callback ("TIMER{i}"), hard-IRQ context.

    if (!napi_disable_pending(napi) && !test_and_set_bit(NAPI_STATE_SCHED, &napi->state)) {
            clear_bit(NAPI_STATE_PREFER_BUSY_POLL, &napi->state);
            __napi_schedule_irqoff(napi);
    }

Ghost fact kept: ``owns`` (won SCHED with its test_and_set_bit, until __napi_schedule handed it on).
Exists when gro_flush_timeout > 0 (``DEFER`` > 0 or ``gro_held``).
"""

from __future__ import annotations

from typing import Any

from checker.lang import Int, Not

from spec.linux.kernel import LinuxKernel
from spec.linux.lines import cite
from spec.linux.prog import Call, Prog


def napi_watchdog(kn: LinuxKernel) -> Prog | None:
    if not kn.tmr:
        return None
    ncpu, state = kn.ncpu, kn.napi_state
    wd_cpu = (lambda i: wd.L.cpu[i]) if ncpu > 1 else (lambda i: 0)
    wd = kn.context("watchdog", kn.ids, "TIMER{i}", "hardirq", wd_cpu, lambda i: i)
    wd.local("cpu", Int(0, ncpu - 1))
    wd.fact("owns")

    @wd.step("idle", func="kernel/time/hrtimer.c:__hrtimer_run_queues -> net/core/dev.c:napi_watchdog" + cite(kn, "wd.entry"),
             params={"c": range(ncpu)})
    def fire(t: Any, i: int, c: int) -> None:
        t.require(kn.timer_cpu[i] == c)
        t.require(Not(kn.hard_on(c)))
        t.set(kn.timer_cpu[i], -1)
        t.set(wd.L.cpu[i], c)
        t.goto("dis")

    @wd.step("dis", func="net/core/dev.c:napi_watchdog (!napi_disable_pending)" + cite(kn, "wd.dis"))
    def dis(t: Any, i: int) -> None:
        with t.if_(state[i].has("DISABLE")):
            t.set(wd.L.cpu[i], 0)
            t.goto("idle")
        with t.else_():
            t.goto("tas")

    @wd.step("tas", func="net/core/dev.c:napi_watchdog (test_and_set_bit(NAPI_STATE_SCHED))" + cite(kn, "wd.tas"))
    def tas(t: Any, i: int) -> None:
        t.let("old", state[i])
        t.set(state[i], state[i].with_bits("SCHED"))
        with t.if_(t.temp("old").has("SCHED")):
            t.set(wd.L.cpu[i], 0)
            t.goto("idle")
        with t.else_():
            wd.set_fact(t, i, "owns", True)
            t.goto("clrpref" if kn.prefer else sched)

    if kn.prefer:
        @wd.step("clrpref", func="net/core/dev.c:napi_watchdog (clear_bit(NAPI_STATE_PREFER_BUSY_POLL))"
                 + cite(kn, "wd.clrpref"))
        def clrpref(t: Any, i: int) -> None:
            t.set(state[i], state[i].without_bits("PREFER_BUSY_POLL"))
            t.goto(sched)

    def done(t: Any, i: int) -> None:
        t.set(wd.L.cpu[i], 0)
        wd.set_fact(t, i, "owns", False)
        t.goto("idle")
    sched = Call(kn, wd, "", wd.napi, wd_cpu).call("____napi_schedule", ret=done)
    wd.mark("hard", *[lb for lb in wd.labels if lb != "idle"])
    wd.guard = lambda i, lb: None  # entry awaits its CPU in the step itself
    wd.quiescent = lambda n: [wd.resting(n), kn.timer_cpu[n] == -1]
    wd.at_end = lambda: wd.each(wd.resting)
    return wd
