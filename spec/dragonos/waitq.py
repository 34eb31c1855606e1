"""WaitQueue (kernel/src/libs/wait_queue.rs): the sleeper's side and the waker's side, per version.

Three protocols appear in the modelled commits:

* ``prepare_to_wait`` (50a70e942): ``prepare_to_wait_event`` marks the pcb Blocked and queues
  it under the queue lock, the caller tests its condition, then ``schedule()``;
  ``wakeup(Some(Blocked(true)))`` pops the head only if it is Blocked, and wakes the pcb.
* ``flag`` (0ee965c8e): a fresh ``Waiter``/``Waker`` pair per turn; ``Waker.has_woken`` is a
  flag; ``block_current`` tests it (twice, merged here: nothing the sleeper does lies between
  the two tests), then ``mark_sleep`` and ``schedule()``. ``Waker::wake`` sets the flag and then
  calls ``ProcessManager::wakeup(pcb)``, which does nothing to a pcb that is not Blocked.
* ``cas`` (3fc8866dd, in 38905a75d and later): Waker state IDLE/SLEEPING/NOTIFIED;
  ``block_current_impl``: consume NOTIFIED, CAS IDLE->SLEEPING (merged: one atomic read of
  the word decides both), ``mark_sleep``, consume NOTIFIED again, ``schedule()``.

The waker's ``pop`` step also stands for ``wake_one``/``wake_all``'s lock-free fast path
``if self.is_empty() { return }``: ``num_waiters`` changes only inside the queue lock together
with the queue, so reading 0 there is the same as finding the queue empty under the lock, and
reading non-zero just leads to the locked pop. ``is_empty`` reads the counter with
``fetch_add(0, Acquire)`` from 0ee965c8e to 4a99bd415 and with ``load(Acquire)`` since 977b3966d (in
f64a0d563): one atomic read either way, so the change is neutral under sequential consistency
(it matters only to a weak-memory model, where an RMW always reads the latest value in
modification order and a load need not).

A sleeper has one Waker identity at a time (``ep`` toggles when a new one is made: per turn at
0ee965c8e, per wait call with ``wait_until_impl``). A waker that popped an older identity
finds it closed and does nothing, as ``Waker::wake`` does on a CLOSED/woken Waker.
"""

from __future__ import annotations

from typing import Any, Callable

from checker.lang import And, Expr, Not
from spec.dragonos.model import Ctx, Waitq, anyone_at
from spec.dragonos.versions import WAITQ, cite

IDLE, SLEEPING, NOTIFIED = 0, 1, 2


# ---------------------------------------------------------------- waker side


def waker_labels(prefix: str) -> list[str]:
    return [f"{prefix}pop", f"{prefix}wake", f"{prefix}pcb"]


def add_waker(c: Ctx, actor: Any, prefix: str, wq: Waitq, ret: Expr, wep: Expr, what: str,
              dead: list[Expr] | None = None) -> None:
    """``wake_one``/``wake_all`` on a queue whose only waiter is one kthread; continues at ``ret``.

    ``dead`` lists the caller's locals that are dead once it returns: they are reset to their
    zero so that stale values do not multiply states."""
    v = c.v

    def back(t: Any, i: int) -> None:
        t.set(actor.pc[i], ret[i])
        for x in [ret, wep, *(dead or [])]:
            t.set(x[i], x[i].typ.default())

    def owe(t: Any, flag: Expr | None, value: bool) -> None:
        # the ghosts of the wakeup owed (dragonos_family with `owed`, the napi_handler's queue; see
        # spec.dragonos.model.Waitq): written here and by the sleeper's new Waker, never read by a step
        if flag is not None:
            t.set(flag, value)

    if v.waitq == "prepare_to_wait":
        @actor.step(f"{prefix}pop", func=cite(v, f"{WAITQ}:WaitQueue::wakeup ({what}; head must be Blocked)"))
        def _pop(t: Any, i: int) -> None:
            with t.if_(And(wq.reg, wq.blk)):
                t.set(wq.reg, False)
                t.goto(f"{prefix}pcb")
            with t.else_():
                back(t, i)
        # (no `wake` step in this protocol: the label exists but is never reached)
    else:
        @actor.step(f"{prefix}pop", func=cite(v, f"{WAITQ}:WaitQueue::{what} (lock, pop Waker, num_waiters--)"))
        def _pop(t: Any, i: int) -> None:
            with t.if_(wq.reg):
                t.set(wq.reg, False)
                t.set(wep[i], wq.ep)
                owe(t, wq.owe_wake, True)
                t.goto(f"{prefix}wake")
            with t.else_():
                back(t, i)

        if v.waitq == "flag":
            @actor.step(f"{prefix}wake", func=cite(v, f"{WAITQ}:Waker::wake (has_woken.swap(true))"))
            def _wake(t: Any, i: int) -> None:
                same = wep[i] == wq.ep
                with t.if_(And(same, wq.wk == IDLE)):
                    t.set(wq.wk, NOTIFIED)
                    owe(t, wq.owe_wake, False)
                    owe(t, wq.owe_pcb, True)
                    t.goto(f"{prefix}pcb")
                with t.else_():
                    if wq.owe_wake is not None:
                        with t.if_(same):
                            owe(t, wq.owe_wake, False)
                    back(t, i)
        else:
            @actor.step(f"{prefix}wake", func=cite(v, f"{WAITQ}:Waker::wake (CAS IDLE|SLEEPING -> NOTIFIED)"))
            def _wake(t: Any, i: int) -> None:
                same = wep[i] == wq.ep
                with t.if_(And(same, wq.wk == SLEEPING)):
                    t.set(wq.wk, NOTIFIED)
                    owe(t, wq.owe_wake, False)
                    owe(t, wq.owe_pcb, True)
                    t.goto(f"{prefix}pcb")
                with t.else_():
                    with t.if_(And(same, wq.wk == IDLE)):
                        t.set(wq.wk, NOTIFIED)
                    if wq.owe_wake is not None:
                        with t.if_(same):
                            owe(t, wq.owe_wake, False)
                    back(t, i)

    @actor.step(f"{prefix}pcb", func=cite(v, f"{v.pm_file}:ProcessManager::wakeup (only a Blocked pcb)"))
    def _pcb(t: Any, i: int) -> None:
        t.set(wq.blk, False)
        owe(t, wq.owe_pcb, False)
        back(t, i)

    # the facts this waker exports (read by the properties and the clock, which name no label)
    c.facts.waking.append((wq, anyone_at(actor, *waker_labels(prefix))))
    c.facts.wakeups_due.append((wq, anyone_at(actor, f"{prefix}pcb")))


# ---------------------------------------------------------------- sleeper side


def sleeper_labels(c: Ctx, prefix: str) -> list[str]:
    names = {
        "prepare_to_wait": ["check", "prep", "cond", "sleep", "finish"],
        "flag": ["check", "reg", "recheck", "block", "mark", "sleep"],
        "cas": ["check", "reg", "recheck", "block", "mark", "consume", "sleep"],
    }[c.v.waitq]
    return [prefix + x for x in names]


def add_sleeper(
    c: Ctx,
    actor: Any,
    prefix: str,
    wq: Waitq,
    cond: Callable[[Any], Expr],
    done: Callable[[Any, int, bool], None],
    where: str,
    timer: Expr | None = None,
) -> None:
    """``wait_event(cond)`` (with ``timer``: a timeout, absolute tick, 0 for none) for instance 0.

    ``cond(t)`` emits the condition's evaluation (it may have effects: ``poll_pending.swap``) and
    returns it; ``done(t, i, by_event)`` continues after the wait returns (Ok or timeout).
    """
    v = c.v
    g = c.vars
    p = prefix
    # the facts this sleeper exports: Blocked in schedule() inside this wait
    asleep = And(actor.at(0, f"{p}sleep"), wq.blk)
    c.facts.asleep[actor.name] = asleep
    c.facts.sleepers.append((wq, asleep))

    def timed_out() -> Expr:
        if timer is None:
            return Not(True)
        return And(timer != 0, g.now >= timer)

    def new_ep(t: Any) -> None:
        t.set(wq.ep, Not(wq.ep))
        if wq.owe_wake is not None:
            t.set(wq.owe_wake, False)  # a new Waker: whoever popped the old one owes this one nothing

    def new_waker(t: Any) -> None:
        new_ep(t)
        t.set(wq.wk, IDLE)

    if v.waitq == "prepare_to_wait":
        @actor.step(f"{p}check", func=cite(v, f"{where} (wq_wait_event_interruptible!: if !cond)"))
        def _check(t: Any, i: int) -> None:
            with t.if_(cond(t)):
                done(t, i, True)
            with t.else_():
                t.goto(f"{p}prep")

        @actor.step(f"{p}prep", func=cite(v, f"{WAITQ}:WaitQueue::prepare_to_wait_event (mark_sleep, push pcb)"),
                    next=f"{p}cond")
        def _prep(t: Any, i: int) -> None:
            t.set(wq.blk, True)
            t.set(wq.reg, True)

        @actor.step(f"{p}cond", func=cite(v, f"{where} (__wq_wait_event!: if cond break)"))
        def _cond(t: Any, i: int) -> None:
            with t.if_(cond(t)):
                t.goto(f"{p}finish")
            with t.else_():
                t.goto(f"{p}sleep")

        @actor.step(f"{p}sleep", func=cite(v, "kernel/src/sched/mod.rs:schedule (sleeps while Blocked)"),
                    next=f"{p}prep")
        def _sleep(t: Any, i: int) -> None:
            t.require(Not(wq.blk))

        @actor.step(f"{p}finish", func=cite(v, f"{WAITQ}:WaitQueue::finish_wait (Runnable, remove pcb)"))
        def _finish(t: Any, i: int) -> None:
            t.set(wq.blk, False)
            t.set(wq.reg, False)
            done(t, i, True)
        return

    per_call = v.waker_per_call

    def _after_wake(t: Any, i: int) -> None:
        # block_current returned Ok: the wait loop turns again
        if timer is not None and not per_call:
            t.set(wq.reg, False)  # `if deadline.is_some() { remove_waker }`
        t.goto(f"{p}reg" if per_call else f"{p}check")

    @actor.step(f"{p}check", func=cite(v, f"{where} (wait_event: fast-path cond)"))
    def _check(t: Any, i: int) -> None:
        with t.if_(cond(t)):
            done(t, i, True)
        with t.else_():
            with t.if_(timed_out()):
                done(t, i, False)
            with t.else_():
                if per_call:
                    new_waker(t)  # wait_until_impl: ONE Waiter/Waker pair for the whole call
                t.goto(f"{p}reg")

    @actor.step(f"{p}reg", func=cite(v, f"{WAITQ}:WaitQueue::register_waker"))
    def _reg(t: Any, i: int) -> None:
        if per_call:
            with t.if_(timed_out()):  # wait_until_impl: deadline check at the top of each turn
                t.set(wq.reg, False)  # remove_waker (a TimeoutWaker wake leaves it queued)
                t.set(wq.wk, IDLE)
                new_ep(t)  # cancel_or_timeout closes the Waker
                with t.if_(cond(t)):
                    done(t, i, True)
                with t.else_():
                    done(t, i, False)
            with t.else_():
                t.set(wq.reg, True)
                t.goto(f"{p}recheck")
        else:
            new_waker(t)  # wait_event_with_timeout_impl: a new pair on every turn
            t.set(wq.reg, True)
            t.goto(f"{p}recheck")

    @actor.step(f"{p}recheck", func=cite(v, f"{where} (re-check cond after register_waker)"))
    def _recheck(t: Any, i: int) -> None:
        with t.if_(cond(t)):
            t.set(wq.reg, False)  # remove_waker
            if per_call:
                new_ep(t)  # the pair is dropped when the call returns
            done(t, i, True)
        with t.else_():
            t.goto(f"{p}block")

    if v.waitq == "flag":
        @actor.step(f"{p}block", func=cite(v, f"{WAITQ}:block_current (consume_wake, twice with IRQs off)"))
        def _block(t: Any, i: int) -> None:
            with t.if_(wq.wk == NOTIFIED):
                t.set(wq.wk, IDLE)
                _after_wake(t, i)
            with t.else_():
                t.goto(f"{p}mark")

        @actor.step(f"{p}mark", func=cite(v, f"{v.pm_file}:ProcessManager::mark_sleep"),
                    next=f"{p}sleep")
        def _mark(t: Any, i: int) -> None:
            t.set(wq.blk, True)
    else:
        @actor.step(f"{p}block", func=cite(v, f"{WAITQ}:block_current_impl (consume_notification; prepare_sleep)"))
        def _block(t: Any, i: int) -> None:
            with t.if_(wq.wk == NOTIFIED):
                t.set(wq.wk, IDLE)
                _after_wake(t, i)
            with t.else_():
                t.set(wq.wk, SLEEPING)
                t.goto(f"{p}mark")

        @actor.step(f"{p}mark", func=cite(v, f"{v.pm_file}:ProcessManager::mark_sleep"),
                    next=f"{p}consume")
        def _mark(t: Any, i: int) -> None:
            t.set(wq.blk, True)

        @actor.step(f"{p}consume", func=cite(v, f"{WAITQ}:block_current_impl (consume_notification after mark_sleep)"))
        def _consume(t: Any, i: int) -> None:
            with t.if_(wq.wk == NOTIFIED):
                t.set(wq.wk, IDLE)
                t.set(wq.blk, False)
                _after_wake(t, i)
            with t.else_():
                t.goto(f"{p}sleep")

    @actor.step(f"{p}sleep", func=cite(v, "kernel/src/sched/mod.rs:schedule (sleeps while Blocked)"),
                next=f"{p}block")
    def _sleep(t: Any, i: int) -> None:
        t.require(Not(wq.blk))

