"""netif_napi_add (instances start disabled) and netif_napi_del (synchronize_net before the free)."""

from __future__ import annotations

import pytest
from engine_agreement import all_engines

from checker.lang import And, Array, Bool, Flags, Not, System
from checker.lang.kernel import RCU
from checker.result import HOLDS, VIOLATED
from spec.lib.napi_lifecycle import NapiLifecycle, created_word


def _driver_remove(sync: bool, enabled_delete: bool = False) -> System:
    """One instance, created disabled. A softirq owns it through SCHED, polls, completes, and then
    still reads the instance before leaving its RCU section (as net_rx_action does after
    napi_poll). The driver enables, disables, deletes and frees the napi_struct."""
    s = System("remove")
    bits = Flags("SCHED", "NPSVC")
    state = s.var("napi_state", Array(1, bits), init=created_word(bits), doc="n->state, just added: disabled")
    rcu = RCU(s, readers=1, waiters=1)
    life = NapiLifecycle(s, state, rcu=rcu)
    freed = s.var("freed", Bool, doc="the driver kfree()d the napi_struct")
    uaf = s.var("use_after_free", Bool, ghost=True)
    polled_before_enable = s.var("polled_before_enable", Bool, ghost=True)
    enabled = s.var("ever_enabled", Bool, ghost=True)

    sirq = s.actor("softirq", ["entry", "poll", "complete", "after", "exit"], display="CPU0 softirq")

    def touch(t) -> None:  # type: ignore[no-untyped-def]
        with t.if_(freed):
            t.set(uaf, True)

    @sirq.step("entry", func="net/core/dev.c:net_rx_action (local_bh_disable: RCU reader)", next="exit")
    def _(t, i):
        rcu.read_lock(t, 0)
        with t.if_(Not(state[0].has("SCHED"))):              # napi_schedule_prep's test_and_set
            t.set(state[0], state[0].with_bits("SCHED"))
            t.goto("poll")

    @sirq.step("poll", func="net/core/dev.c:__napi_poll", next="complete")
    def _(t, i):
        touch(t)
        with t.if_(Not(enabled)):
            t.set(polled_before_enable, True)

    @sirq.step("complete", func="net/core/dev.c:napi_complete_done", next="after")
    def _(t, i):
        t.set(state[0], state[0].without_bits("SCHED"))

    @sirq.step("after", func="net/core/dev.c:napi_poll (reads n after completion)", next="exit")
    def _(t, i):
        touch(t)

    @sirq.step("exit", func="net/core/dev.c:net_rx_action (local_bh_enable)", next="entry")
    def _(t, i):
        rcu.read_unlock(t, 0)

    labels = ["enable", "disable"] + life.del_labels("napi", sync) + ["free", "done"]
    if enabled_delete:
        labels.remove("disable")
    drv = s.actor("driver", labels, display="driver remove")

    @drv.step("enable", func="net/core/dev.c:napi_enable_locked", next=labels[1])
    def _(t, i):
        t.require(state[0].has("SCHED"))
        life.enable(t, 0)
        t.set(enabled, True)

    if not enabled_delete:
        @drv.step("disable", func="net/core/dev.c:napi_disable_locked (CAS once SCHED|NPSVC clear)", next="napi_del")
        def _(t, i):
            t.require(Not(state[0].has_any("SCHED", "NPSVC")))
            t.set(state[0], state[0].with_bits("SCHED", "NPSVC"))

    life.del_steps(drv, "napi", next="free", sync=sync)

    @drv.step("free", func="driver: kfree(napi_struct)", next="done")
    def _(t, i):
        t.set(freed, True)

    drv.step("done", func="-")(lambda t, i: t.require(False))
    s.invariant("NoUseAfterFree", Not(uaf), doc="nothing reads the napi_struct after the driver freed it")
    s.invariant("NoPollBeforeEnable", Not(polled_before_enable), doc="an added instance is not polled before napi_enable")
    s.invariant("DeleteOnlyDisabled", life.no_enabled_delete(), doc="__netif_napi_del never meets an enabled instance")
    s.deadlock(end=And(drv.at(0, "done")))
    return s


def test_netif_napi_del_waits_for_the_softirq_that_still_reads_the_instance() -> None:
    got = all_engines(_driver_remove(sync=True))
    assert got.verdicts == {"NoUseAfterFree": HOLDS, "NoPollBeforeEnable": HOLDS, "DeleteOnlyDisabled": HOLDS,
                            "Deadlock": HOLDS}


def test_bare_netif_napi_del_then_free_is_a_use_after_free() -> None:
    got = all_engines(_driver_remove(sync=False))
    assert got.verdicts["NoUseAfterFree"] == VIOLATED
    trace = got.result.properties[0].trace
    labels = [t.label for t in trace.steps]
    # the softirq completed (so napi_disable could return) and was still reading n when it was freed
    assert labels.index("complete") < labels.index("disable") < labels.index("free") < labels.index("after")


def test_deleting_an_enabled_instance_trips_the_warn_on() -> None:
    got = all_engines(_driver_remove(sync=True, enabled_delete=True), engines=("bmc",))
    assert got.verdicts["DeleteOnlyDisabled"] == VIOLATED


def test_lifecycle_rejects_a_state_word_without_sched() -> None:
    s = System("x")
    with pytest.raises(ValueError, match="SCHED"):
        NapiLifecycle(s, s.var("st", Array(1, Flags("A"))))


def _timer_after_del(cancel_after_sync: bool) -> System:
    """research/linux-upstream.md finding 2 (7.1.3): napi_complete_done releases SCHED and only then
    arms the gro_flush_timeout hrtimer; napi_disable's hrtimer_cancel can run in between, and
    __netif_napi_del_locked does not cancel. netif_napi_del's synchronize_net waits for the softirq's
    BH section (which armed the timer) but not for the timer: freeing the napi_struct afterwards
    leaves an hrtimer queued on freed memory. The suggested remedy cancels after synchronize_net."""
    s = System("timer_after_del")
    bits = Flags("SCHED", "NPSVC")
    state = s.var("napi_state", Array(1, bits), init="SCHED", doc="n->state: the softirq owns the instance")
    rcu = RCU(s, readers=1, waiters=1, inside=[0])  # the softirq is inside net_rx_action (BH disabled)
    life = NapiLifecycle(s, state, rcu=rcu)
    armed = s.var("timer_armed", Bool, doc="n->timer queued")
    freed = s.var("freed", Bool)
    uaf = s.var("use_after_free", Bool, ghost=True)

    sirq = s.actor("softirq", ["complete", "arm", "exit", "done"], display="CPU0 softirq")

    @sirq.step("complete", func="net/core/dev.c:napi_complete_done (CAS clears SCHED)", next="arm")
    def _(t, i):
        t.set(state[0], state[0].without_bits("SCHED"))

    @sirq.step("arm", func="net/core/dev.c:napi_complete_done (hrtimer_start, after the release)", next="exit")
    def _(t, i):
        t.set(armed, True)

    @sirq.step("exit", func="net/core/dev.c:net_rx_action (local_bh_enable)", next="done")
    def _(t, i):
        rcu.read_unlock(t, 0)

    sirq.step("done", func="-")(lambda t, i: t.require(False))

    @s.action("fires", func="net/core/dev.c:napi_watchdog (reads n->state)", actor="hrtimer")
    def _(t):
        t.require(armed)
        t.set(armed, False)
        with t.if_(freed):
            t.set(uaf, True)

    labels = ["disable", "cancel"] + life.del_labels("napi") + (["cancel2"] if cancel_after_sync else []) + [
        "free", "done"]
    drv = s.actor("driver", labels, display="driver remove")

    @drv.step("disable", func="net/core/dev.c:napi_disable_locked (CAS once SCHED|NPSVC clear)", next="cancel")
    def _(t, i):
        t.require(Not(state[0].has_any("SCHED", "NPSVC")))
        t.set(state[0], state[0].with_bits("SCHED", "NPSVC"))

    @drv.step("cancel", func="net/core/dev.c:napi_disable_locked (hrtimer_cancel)", next="napi_del")
    def _(t, i):
        t.set(armed, False)

    life.del_steps(drv, "napi", next="cancel2" if cancel_after_sync else "free")
    if cancel_after_sync:
        @drv.step("cancel2", func="netif_napi_del (suggested: hrtimer_cancel after synchronize_net)", next="free")
        def _(t, i):
            t.set(armed, False)

    @drv.step("free", func="driver: kfree(napi_struct)", next="done")
    def _(t, i):
        t.set(freed, True)

    drv.step("done", func="-")(lambda t, i: t.require(False))
    s.invariant("NoUseAfterFree", Not(uaf), doc="the napi_watchdog timer never runs on a freed napi_struct")
    s.deadlock(end=And(drv.at(0, "done"), sirq.at(0, "done")))
    return s


def test_synchronize_net_does_not_wait_for_a_timer_armed_after_napi_disable() -> None:
    got = all_engines(_timer_after_del(cancel_after_sync=False))
    assert got.verdicts["NoUseAfterFree"] == VIOLATED
    labels = [t.label for t in got.result.properties[0].trace.steps]
    # released, disabled and cancelled, then armed; the grace period ends with the BH section; freed; fires
    assert labels.index("complete") < labels.index("cancel") < labels.index("arm") < labels.index("free")
    assert labels[-1] == "fires"


def test_cancelling_after_synchronize_net_closes_it() -> None:
    got = all_engines(_timer_after_del(cancel_after_sync=True))
    assert got.verdicts == {"NoUseAfterFree": HOLDS, "Deadlock": HOLDS}
