"""The properties of the DragonOS spec (see the package docstring for their exact reading)."""

from __future__ import annotations

from typing import Any

from checker.lang import And, ForAll, Implies, Ite, Not, Or, Sum
from spec.dragonos import netns, waitq
from spec.dragonos.model import Ctx
from spec.dragonos.napi import handler_polling


def _queued(c: Ctx, j: int) -> Any:
    g, h = c.vars, c.actors["handler"]
    parts = [g.plist.contains(j), h.vars.active[0].contains(j)]
    if hasattr(h.vars, "repoll"):
        parts.append(h.vars.repoll[0].contains(j))
    return Or(*parts)


def _copies(c: Ctx, j: int) -> Any:
    g, h = c.vars, c.actors["handler"]
    lists = [g.plist, h.vars.active[0]] + ([h.vars.repoll[0]] if hasattr(h.vars, "repoll") else [])
    return Sum(lists, lambda xs: xs.count(j)) + Ite(handler_polling(c, j), 1, 0)


def _nobody_coming(c: Ctx) -> Any:
    """No context is part-way through anything that could still poll or wake: every driver, the
    app, rtnetlink and the syscall are resting, and the poller is asleep with no timer armed."""
    g = c.vars
    parts = list(c.facts.resting.values())
    parts.append(netns.poller_asleep(c))
    if c.v.poller != "v0":
        parts.append(g.ptimer == 0)
    return And(*parts)


def _per_nic_lost(c: Ctx, j: Any, handler_asleep: Any) -> Any:
    """The lost wakeup of NoLostWakeup for NIC ``j`` alone (dragonos_family with ``owed``): j UP with
    work, the handler asleep, j's interrupt not raised and j's driver resting, every context that is
    not a NIC's driver resting, the poller asleep with no timer armed, and neither ghost flag of the
    wakeup owed set (``napi_wq.owe_wake``, ``napi_wq.owe_pcb``: spec.dragonos.model.Waitq). It names
    only j, so "never, for every j" is a ``∀`` (the form every N needs). It implies the one over every
    NIC: there every driver rests, so no context is at ``wk_wake`` or ``wk_pcb``, and each flag is set
    only while the context that set it last is at one of them (spec.dragonos.waitq), so both are
    clear. The flags, not the drivers themselves, are what make it a ∀: the wakeup NIC j needs may be
    owed by another NIC's driver (docs/induct.md, "Every number of NICs")."""
    g = c.vars
    drv = c.actors["drivers"]
    others = [e for name, e in c.facts.resting.items() if name != drv.name]
    return And(g.up[j], Or(g.rx[j] > 0, g.imm[j] > 0), handler_asleep, Not(g.irqp[j]), c.facts.resting_of[drv.name](j), *others,
               netns.poller_asleep(c), g.ptimer == 0, Not(g.hwq.owe_wake), Not(g.hwq.owe_pcb))


def add_properties(c: Ctx, others: list[Any]) -> None:
    """The properties, over the facts the parts export (:class:`spec.dragonos.model.Facts`): none
    names a step label. ``others`` (the contexts besides the two kthreads) is kept for the part's
    interface; their facts are in ``c.facts.resting``."""
    s, g = c.s, c.vars
    handler_asleep = c.facts.asleep[c.actors["handler"].name]
    coming = _nobody_coming(c)
    handshake: list[Any] = []
    nics = c.nics

    def never(bad: Any) -> Any:
        """No interface ``j`` with ``bad(j)`` (``Not(Or(...))`` over the NICs written out, as pinned;
        one ``∀ j`` over the family)."""
        if c.ids is None:
            return Not(Or(*[bad(j) for j in nics]))
        return ForAll(nics, lambda j: Not(bad(j)))

    no_irq = And(*[Not(g.irqp[j]) for j in nics]) if c.ids is None else ForAll(nics, lambda j: Not(g.irqp[j]))

    s.invariant(
        "NoDoubleQueue",
        ForAll(nics, lambda j: _copies(c, j) <= 1),
        doc="a NapiStruct is at most once in napi_list + the handler's lists + being polled",
    )
    owed = g.hwq.owe_wake
    if owed is not None:  # dragonos_family with the ghosts of the wakeup owed: the per-NIC form (_per_nic_lost)
        s.invariant("NoLostWakeup", ForAll(nics, lambda j: Not(_per_nic_lost(c, j, handler_asleep))),
                    doc="never: napi_handler Blocked in schedule(), an UP interface j with frames or sendable "
                        "segments, j's interrupt not raised, j's driver and every other context idle, the "
                        "poller asleep with no timer armed and no context owing the handler a wakeup (the "
                        "per-NIC form: it implies the one over every NIC)")
    else:
        s.invariant(
            "NoLostWakeup",
            never(lambda j: And(g.up[j], Or(g.rx[j] > 0, g.imm[j] > 0), handler_asleep, no_irq, coming)),
            doc="never: napi_handler Blocked in schedule(), an UP interface with frames or sendable segments, "
                "no interrupt raised, every other context idle and the poller asleep with no timer armed",
        )
    if c.unbounded and owed is None:
        s.not_parameterised["NoLostWakeup"] = (
            "its premise says every driver rests (a ∀ under the negation: ∀ j ∃ k), outside the ∃*∀* class")
    s.invariant(
        "DeadlineHonoured",
        never(lambda j: And(g.up[j], g.tmr[j] != 0, g.now > g.tmr[j] + 1, Not(g.handed[j]), Not(_queued(c, j)),
                            Not(handler_polling(c, j)))),
        doc="a timer left armed by a poll of an UP interface falls due at tick d: by tick d+1 that interface's "
            "NAPI has been scheduled again (napi_schedule since that poll) or is still queued / being polled",
    )
    s.invariant(
        "BoundedWait",
        And(*[g.wait[j] <= c.wait_bound for j in nics]) if g.wait is not None else And(),
        doc="a queued NapiStruct is polled before the handler polls others more than K times (ghost)",
    )
    if g.wait is None:
        s.not_parameterised["BoundedWait"] = "a ghost counter per NIC, bounded by the number of NICs"
    s.invariant(
        "CallbacksArmedWhenIdle",
        And(*[Implies(Not(g.st[j].has_any("SCHED", "DISABLE")), g.cb[j]) for j in c.virtio]),
        doc="virtio: SCHED clear and not DISABLE implies the used-ring callbacks are enabled",
    )
    s.invariant(
        "NoBusyLoop",
        g.spin <= c.loop_bound if c.loop_bound > 0 else Not(g.spin == 0),
        doc="napi_handler runs at most LOOP rounds (V0: poll_at spins) without an external event or a request "
            "from another context" + ("" if c.loop_bound > 0 else " (LOOP = 0: not tracked; checking it fails)"),
    )
    for wq, asleep in c.facts.sleepers:
        due = Or(*c.facts.of(c.facts.wakeups_due, wq))
        handshake.append(Not(And(asleep, wq.wk == waitq.NOTIFIED, Not(due))))
    s.invariant(
        "WakerHandshake",
        And(*handshake),
        doc="no kthread stays Blocked in schedule() while its Waker is already woken and no "
            "ProcessManager::wakeup for it is still to come (the wait-queue handshake loses no wakeup)",
    )
    s.deadlock("Deadlock", end=True, doc="informational only: every state may end a run (all bounded)")
