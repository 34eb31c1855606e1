"""RCU read-side sections and grace periods (``synchronize_rcu`` / ``synchronize_net``).

The kernel's promise (Documentation/RCU/whatisRCU.rst): ``synchronize_rcu()`` returns only after
every RCU read-side critical section that was *already running when it was called* has ended. It
does not wait for sections that begin after it was called; those may still be running when it
returns (they cannot see what was unpublished before the call, which is the whole point).

Model: each reader context ``r`` has a state bit ``reading[r]`` (``rcu_read_lock`` sets it,
``rcu_read_unlock`` clears it; also ``local_bh_disable``/``enable`` for RCU-bh and a softirq's
whole run, which are RCU read-side sections too). A waiter's grace period is two steps:

* ``gp_start``: snapshot the readers present now into ``waits_for[w][r]``;
* ``gp_wait``: await until every snapshotted reader has left (``rcu_read_unlock`` clears the
  reader's mark in every snapshot, so a reader that leaves and re-enters is not waited for again).

So a reader that starts after ``gp_start`` is never waited for, and one that was inside is always
waited for, whichever order the other contexts run in. Nesting is not counted: a reader context
marks its outermost section. The real grace-period machinery (quiescent states, callbacks,
expedited IPIs) is abstracted away: only the guarantee above is kept, which is what NAPI code
relies on (``netif_napi_del`` → ``synchronize_net`` before freeing).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from checker.lang.expr import And, Expr, Not
from checker.lang.system import Actor, StepBuilder, System
from checker.lang.types import Array, Bool

SYNCHRONIZE_RCU = "kernel/rcu/tree.c:synchronize_rcu"
SYNCHRONIZE_NET = "net/core/dev.c:synchronize_net"


class RCU:
    """RCU state for ``readers`` reader contexts and ``waiters`` contexts that call ``synchronize_rcu``."""

    def __init__(self, system: System, readers: int, waiters: int, name: str = "rcu",
                 inside: Sequence[int] = ()) -> None:
        """``inside``: the reader contexts that start inside a section (a softirq already running)."""
        if readers < 1 or waiters < 1:
            raise ValueError("RCU needs at least one reader and one waiter")
        self.readers = readers
        self.waiters = waiters
        self.reading = system.var(f"{name}.reading", Array(readers, Bool), init=[r in inside for r in range(readers)],
                                  doc="reader context r is inside an RCU read-side critical section")
        self.waits_for = system.var(f"{name}.waits_for", Array(waiters * readers, Bool),
                                    doc="[w*readers + r]: waiter w's grace period still waits for reader r")

    def _wf(self, w: int, r: int) -> Expr:
        return self.waits_for[w * self.readers + r]

    # ---------------------------------------------------------------- reader side
    def read_lock(self, t: StepBuilder, r: int) -> None:
        """``rcu_read_lock()`` by reader context ``r`` (inside the current step)."""
        t.set(self.reading[r], True)

    def read_unlock(self, t: StepBuilder, r: int) -> None:
        """``rcu_read_unlock()`` by reader context ``r``: it leaves every grace period's wait set."""
        t.set(self.reading[r], False)
        for w in range(self.waiters):
            t.set(self._wf(w, r), False)

    def in_section(self, r: int) -> Expr:
        return self.reading[r]

    # ---------------------------------------------------------------- updater side
    def gp_start(self, t: StepBuilder, w: int) -> None:
        """The call of ``synchronize_rcu()`` by waiter ``w``: it will wait for the readers inside now."""
        for r in range(self.readers):
            t.set(self._wf(w, r), self.reading[r])

    def gp_done(self, w: int) -> Expr:
        """Waiter ``w``'s grace period has elapsed: every reader it waits for has left."""
        return And(*[Not(self._wf(w, r)) for r in range(self.readers)])

    def waiting_for(self, w: int, r: int) -> Expr:
        """Waiter ``w``'s grace period still waits for reader ``r``."""
        return self._wf(w, r)

    def synchronize_steps(self, actor: Actor, label: str, wait_label: str, next: str,
                          waiter: Callable[[int], int] = lambda i: i, func: str = SYNCHRONIZE_RCU,
                          at_call: Callable[[StepBuilder, int], None] | None = None) -> None:
        """``synchronize_rcu()`` by instance ``i`` of ``actor`` (waiter ``waiter(i)``): the call at
        ``label``, the return at ``wait_label`` (enabled once the grace period has elapsed), then
        ``next``. ``at_call(t, i)`` adds statements to the call's step (ghost bookkeeping)."""

        @actor.step(label, func=f"{func} (grace period starts)", next=wait_label)
        def _start(t: StepBuilder, i: int) -> None:
            self.gp_start(t, waiter(i))
            if at_call is not None:
                at_call(t, i)

        @actor.step(wait_label, func=f"{func} (grace period elapsed)", next=next)
        def _wait(t: StepBuilder, i: int) -> None:
            t.require(self.gp_done(waiter(i)))

    def synchronize_net_steps(self, actor: Actor, label: str, wait_label: str, next: str,
                              waiter: Callable[[int], int] = lambda i: i,
                              at_call: Callable[[StepBuilder, int], None] | None = None) -> None:
        """``synchronize_net()``: ``synchronize_rcu()`` (or its expedited form under RTNL, which
        gives the same guarantee sooner)."""
        self.synchronize_steps(actor, label, wait_label, next, waiter, SYNCHRONIZE_NET, at_call)


def readers_free(rcu: RCU) -> Any:
    """No reader context is inside a section: the condition a *too strong* wait would await
    (see docs/language.md, "Modelling choices that hide or invent bugs")."""
    return And(*[Not(rcu.reading[r]) for r in range(rcu.readers)])
