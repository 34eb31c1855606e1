"""synchronize_rcu waits for the readers that started before it, not later ones; kthread_stop."""

from __future__ import annotations

import pytest
from engine_agreement import all_engines

from checker.lang import And, Bool, Not, System
from checker.lang.kernel import RCU, KThreads
from checker.lang.kernel.rcu import readers_free
from checker.result import HOLDS, VIOLATED


def _grace_period(naive: bool = False, invariants: bool = True) -> System:
    """One reader context entering and leaving sections forever; one waiter calling synchronize_rcu.
    Ghosts: ``old`` = the reader was inside when synchronize_rcu was called and has not left since;
    ``late`` = the reader's current section began while synchronize_rcu was waiting."""
    s = System("gp")
    rcu = RCU(s, readers=1, waiters=1)
    old = s.var("old", Bool, ghost=True)
    late = s.var("late", Bool, ghost=True)
    rd = s.actor("reader", ["lock", "unlock"], display="CPU0 softirq")
    wt = s.actor("waiter", ["sync", "sync_wait", "done"], display="netif_napi_del")

    @rd.step("lock", func="include/linux/rcupdate.h:rcu_read_lock", next="unlock")
    def _(t, i):
        rcu.read_lock(t, 0)
        t.set(late, wt.at(0, "sync_wait"))

    @rd.step("unlock", func="include/linux/rcupdate.h:rcu_read_unlock", next="lock")
    def _(t, i):
        rcu.read_unlock(t, 0)
        t.set(old, False)
        t.set(late, False)

    if naive:  # the too-strong model: wait until no reader is inside at all
        @wt.step("sync", func="synchronize_rcu (naive)", next="sync_wait")
        def _(t, i):
            t.set(old, rcu.in_section(0))

        @wt.step("sync_wait", func="synchronize_rcu (naive)", next="done")
        def _(t, i):
            t.require(readers_free(rcu))
    else:
        rcu.synchronize_steps(wt, "sync", "sync_wait", next="done",
                              at_call=lambda t, i: t.set(old, rcu.in_section(0)))
    if invariants:
        s.invariant("WaitsForEarlierReaders", Not(And(wt.at(0, "done"), old)),
                    doc="a section running when synchronize_rcu was called has ended when it returns")
        s.invariant("LaterReaderMayRun", Not(And(wt.at(0, "done"), late)),
                    doc="fails: a section begun after the call may still run when it returns")
    return s


def test_grace_period_state_count_by_hand() -> None:
    # by hand, over (waiter pc, reading, waits_for, old, late); the reader's pc is `reading`:
    #   sync:      out, or in (entered before the call: late false)                          2
    #   sync_wait: (in, waited for, old), (out, -, -), (in again after leaving: late)        3
    #   done:      out; in since the wait (late); in, entered after the return (not late)    3
    got = all_engines(_grace_period(invariants=False))
    assert got.result.stats.states == 8


def test_synchronize_rcu_waits_for_earlier_readers_only() -> None:
    got = all_engines(_grace_period())
    assert got.verdicts["WaitsForEarlierReaders"] == HOLDS
    assert got.verdicts["LaterReaderMayRun"] == VIOLATED
    trace = got.result.properties[1].trace
    assert trace is not None
    assert [t.label for t in trace.steps] == ["sync", "lock", "sync_wait"]


def test_a_wait_for_no_readers_at_all_hides_the_later_reader() -> None:
    # the naive model makes the state "returned while a later reader runs" unreachable: a bug that
    # needs it (freeing what a later reader may still use) could never be found with it
    got = all_engines(_grace_period(naive=True))
    assert got.verdicts == {"WaitsForEarlierReaders": HOLDS, "LaterReaderMayRun": HOLDS, "Deadlock": HOLDS}


def _stopper(check_before_sleep: bool) -> System:
    """A kthread loop and kthread_stop. The correct loop (napi_thread_wait) sets TASK_INTERRUPTIBLE
    and then checks kthread_should_stop(); the buggy one checks first, so the wake-up of kthread_stop
    can come between the check and the sleep and be lost."""
    s = System("kstop")
    kt = KThreads(s, 1)
    sleeping = s.var("task_interruptible", Bool, doc="the thread set TASK_INTERRUPTIBLE")
    labels = ["check", "set_state", "schedule", "exit", "gone"] if check_before_sleep else [
        "set_state", "check", "schedule", "exit", "gone"]
    th = s.actor("thread", labels, display="napi/eth0-1")
    st = s.actor("stopper", ["stop", "stop_wait", "done"], display="netif_napi_del")

    first, second = ("check", "set_state") if check_before_sleep else ("set_state", "check")
    after = {"check": "set_state" if check_before_sleep else "schedule",
             "set_state": second if first == "set_state" else "schedule"}

    @th.step("set_state", func="set_current_state(TASK_INTERRUPTIBLE)", next=after["set_state"])
    def _(t, i):
        t.set(sleeping, True)

    @th.step("check", func="kthread_should_stop()", next=after["check"])
    def _(t, i):
        with t.if_(kt.should_stop(0)):
            t.set(sleeping, False)
            t.goto("exit")

    @th.step("schedule", func="schedule()", next=first)
    def _(t, i):
        t.require(Not(sleeping))  # sleeps until woken

    @th.step("exit", func="napi_threaded_poll returns", next="gone")
    def _(t, i):
        kt.exit(t, 0)

    th.step("gone", func="do_exit")(lambda t, i: t.require(False))
    kt.stop_steps(st, "stop", "stop_wait", next="done", thread=lambda i: 0,
                  wake=lambda t, k: t.set(sleeping, False))
    s.deadlock(end=st.at(0, "done"))
    return s


@pytest.mark.parametrize("buggy", [False, True])
def test_kthread_stop_hangs_only_when_the_thread_checks_before_sleeping(buggy: bool) -> None:
    got = all_engines(_stopper(check_before_sleep=buggy))
    assert got.verdicts["Deadlock"] == (VIOLATED if buggy else HOLDS)
    if buggy:
        trace = got.result.properties[0].trace
        labels = [t.label for t in trace.steps]
        assert labels[-1] == "set_state" and "stop" in labels  # the wake-up came before the sleep
