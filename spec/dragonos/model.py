"""The shared state of the DragonOS model and the build context every part reads.

One :class:`Ctx` per configuration: the version, the constants, the global variables
(NapiManager, interfaces, netns poller's shared atomics, the clock, ghosts) and helpers
that every actor uses (which interfaces are virtio, the kind of a dynamic target).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable

from checker.lang import Array, Bool, Enum, Exists, Expr, Flags, ForAll, Int, Min, Or, Seq, System
from checker.lang.family import Family
from spec.dragonos.versions import Version

#: Waker.state (wait_queue.rs); at 0ee965c8e only IDLE / NOTIFIED are used (has_woken false / true)
WAKER = Enum("IDLE", "SLEEPING", "NOTIFIED")
NAPI_BITS = Flags("SCHED", "MISSED", "DISABLE")


@dataclass
class Waitq:
    """One sleeper's side of a WaitQueue: its Waker in the queue, the Waker's state, the pcb's Blocked state."""

    reg: Expr  # the sleeper's Waker is in the queue (num_waiters > 0)
    wk: Expr  # Waker.state (or has_woken at 0ee965c8e)
    blk: Expr  # ProcessState::Blocked (mark_sleep) and not yet woken
    ep: Expr  # which Waker: toggles whenever the sleeper creates a new one (ghost identity)
    #: ghosts (dragonos_family with ``owed``, the napi_handler's queue only; spec.dragonos.waitq):
    #: ``owe_wake``: set by a pop that takes the Waker, cleared by every Waker::wake of the current
    #: Waker and by a new Waker; ``owe_pcb``: set by a Waker::wake that finds the sleeper SLEEPING
    #: (it goes on to ProcessManager::wakeup), cleared by every ProcessManager::wakeup. Nothing else
    #: writes them and no kernel step reads them. By induction over a run, ``owe_wake`` is set only
    #: while the context that set it last is at ``wake`` (that context's wake is of the current Waker,
    #: since a new Waker clears the flag, so it clears the flag as it leaves) and ``owe_pcb`` only
    #: while the one that set it last is at ``pcb``: each names a context that still owes the
    #: sleeper part of a wakeup, so both are false when no context owes one
    owe_wake: Expr | None = None
    owe_pcb: Expr | None = None


@dataclass
class Facts:
    """What the parts tell the properties, by meaning: predicates each part exports about its own
    steps, so that no property names a step label and a part that adds, splits or renames steps
    keeps every property working by exporting the same facts.

    * ``asleep[actor]``: the kthread is Blocked in ``schedule()`` inside its wait (the wait queue's
      ``add_sleeper``; V0's poller exports its own);
    * ``sleepers``: (queue, its sleeper asleep) for every wait that goes through ``add_sleeper``;
    * ``waking``: (queue, a context is inside ``wake_one``/``wake_all`` for it: popped, woke, or has
      ``ProcessManager::wakeup`` still to do); ``wakeups_due``: (queue, that last part only);
    * ``resting[actor]``: a context other than the two kthreads (a driver, the app, rtnetlink, the
      syscall) is not part-way through anything: it will act only on a new external event
      (``resting_of[actor](i)``: instance i of the family's driver actor);
    * ``handler_holds``: the napi_handler holds the NapiStruct in its ``cur``: popped it and has not
      yet completed it, re-queued it or handed it on (any one of these predicates);
    * ``notifying``: a context is part-way through publishing a deadline or notifying the poller
      (besides its ``wake_all``, which ``waking`` covers).
    """

    asleep: dict[str, Expr] = field(default_factory=dict)
    sleepers: list[tuple[Waitq, Expr]] = field(default_factory=list)
    waking: list[tuple[Waitq, Expr]] = field(default_factory=list)
    wakeups_due: list[tuple[Waitq, Expr]] = field(default_factory=list)
    resting: dict[str, Expr] = field(default_factory=dict)
    #: per instance of an actor over the NICs' family: ``resting_of[actor](i)`` is instance i resting
    resting_of: dict[str, Callable[[Any], Expr]] = field(default_factory=dict)
    handler_holds: list[Expr] = field(default_factory=list)
    notifying: list[Expr] = field(default_factory=list)

    @staticmethod
    def of(pairs: list[tuple[Waitq, Expr]], wq: Waitq) -> list[Expr]:
        """The predicates of ``pairs`` that speak of queue ``wq``."""
        return [e for q, e in pairs if q is wq]


@dataclass
class Ctx:
    s: System
    v: Version
    k: SimpleNamespace
    n: int
    virtio: list[int]
    qcap: int
    tmax: int
    loop_bound: int
    wait_bound: int
    vars: SimpleNamespace = field(default_factory=SimpleNamespace)
    actors: dict[str, Any] = field(default_factory=dict)
    parts: Any = None  # spec.dragonos.parts.Parts: the parts this System is assembled from
    facts: Facts = field(default_factory=Facts)  # what the parts export for the properties
    #: the NICs as one instance family (constant ``family``: generic NICs only, one driver actor over
    #: them, order-free device_list scans), unbounded when ``N = ANY``; None: NICs written out one by one
    ids: Family | None = None

    @property
    def nics(self) -> Any:
        """The interfaces: ``range(n)``, or the family (loop with ``ForAll``/``Exists``/``each``)."""
        return self.ids if self.ids is not None else range(self.n)

    @property
    def size(self) -> Any:
        """The size of a per-interface array (the family itself when unbounded)."""
        return self.ids.size if self.ids is not None else self.n

    @property
    def nic_type(self) -> Any:
        """The type of a value naming an interface."""
        return self.ids.id_type if self.ids is not None else Int(0, self.n - 1)

    @property
    def unbounded(self) -> bool:
        """Built for every number of NICs at once (``N = ANY``)."""
        return self.ids is not None and self.ids.symbolic

    def is_virtio(self, tgt: Expr | int) -> Expr:
        """Interface ``tgt`` (a constant or an actor local) is a virtio-net one."""
        if isinstance(tgt, int):
            return Or(*([True] if tgt in self.virtio else []))
        return Or(*[tgt == j for j in self.virtio])


def declare(c: Ctx) -> None:
    """Declare the global variables (in a fixed order: traces list them this way)."""
    s, n, k, v = c.s, c.size, c.k, c.v
    g = c.vars
    idx = c.nic_type
    g.now = s.var("now", Int(0, k.T), doc="discrete clock (ticks = timer jiffies)")
    g.up = s.var("up", Array(n, Bool), init=True, doc="InterfaceFlags::UP")
    g.rx = s.var("rx", Array(n, Int(0, k.RING)), doc="frames visible to device.receive()")
    g.imm = s.var("imm", Array(n, Int(0, k.IMM)), doc="segments smoltcp can dispatch now (poll_at = Now)")
    g.tmr = s.var("tmr", Array(n, Int(0, c.tmax)), doc="smoltcp's next future timer (0: none) — ground truth")
    g.slot = s.var("poll_deadline" if v.poll_deadline else "poll_at_us", Array(n, Int(0, c.tmax)),
                   doc="the deadline published to the netns poller (0: none)")
    g.st = s.var("napi.state", Array(n, NAPI_BITS), doc="NapiStruct.state")
    g.cb = s.var("virtq.callbacks", Array(n, Bool), init=True, doc="virtio used-ring callbacks enabled")
    g.irqp = s.var("irq_pending", Array(n, Bool), doc="virtio interrupt raised, handler not yet run")
    g.plist = s.var("napi_list", Seq(idx, c.qcap),
                    doc="NapiManager.napi_list" + (" (a Vec, shown top first)" if v.vec_list else ""))
    g.flag = s.var("has_pending_signal", Bool, doc="NapiManager.has_pending_signal")
    g.hwq = Waitq(s.var("napi_wq.registered", Bool), s.var("napi_wq.waker", WAKER),
                  s.var("napi_handler.blocked", Bool), s.var("napi_wq.epoch", Bool, ghost=True))
    if c.ids is not None and getattr(k, "owed", False):
        g.hwq.owe_wake = s.var("napi_wq.owe_wake", Bool, ghost=True,
                               doc="a context that popped the napi_handler's Waker has Waker::wake still to do")
        g.hwq.owe_pcb = s.var("napi_wq.owe_pcb", Bool, ghost=True,
                              doc="a context whose Waker::wake found the napi_handler SLEEPING has "
                                  "ProcessManager::wakeup still to do")
    g.pending = s.var("poll_pending", Bool, doc="NetnsPoller.poll_pending")
    g.gen = s.var("deadline_generation_changed", Bool,
                  doc="deadline_generation != the poller's observed snapshot")
    g.pwq = Waitq(s.var("netns_wq.registered", Bool), s.var("netns_wq.waker", WAKER),
                  s.var("netns_poller.blocked", Bool), s.var("netns_wq.epoch", Bool, ghost=True))
    g.ptimer = s.var("netns_poller.timer", Int(0, c.tmax + 1), doc="armed timeout (absolute tick; 0: none)")
    g.locked = s.var("smol_locked", Array(n, Bool), doc="sockets + smol_iface held forever by a spinning poll() (V0)")
    g.handed = s.var("handed", Array(n, Bool), ghost=True,
                     doc="the poller handed the interface to NAPI since its last poll left a timer armed")
    g.spin = s.var("spin", Int(0, c.loop_bound + 1), ghost=True,
                   doc="napi_handler rounds (and V0 poll_at spins) since the last external event or request")
    # BoundedWait's ghost is bounded by a number of NICs: grounded builds only
    g.wait = None if c.unbounded else s.var("wait", Array(n, Int(0, c.wait_bound + 1)), ghost=True,
                                            doc="polls of other instances while this one is queued")


def external_event(t: Any, c: Ctx) -> None:
    """An event from outside the kernel threads: resets the NoBusyLoop counter, and is a progress
    step for the NoBusyLoopCycle non-progress check."""
    t.mark_progress()
    if c.loop_bound > 0:
        t.set(c.vars.spin, 0)


def bump_spin(t: Any, c: Ctx) -> None:
    """One more napi_handler round (LOOP = 0: the counter is not kept and NoBusyLoop is not checkable)."""
    if c.loop_bound > 0:
        t.set(c.vars.spin, Min(c.vars.spin + 1, c.loop_bound + 1))


def anyone_at(a: Any, *labels: str) -> Expr:
    """Some instance of actor ``a`` is about to run one of ``labels`` (``a.at(0, ...)`` for a
    one-instance actor, exactly as written before actor families)."""
    if a.family is not None:
        return Exists(a.family, lambda i: a.at(i, *labels))
    if a.instances == 1:
        return a.at(0, *labels)
    return Or(*[a.at(i, *labels) for i in range(a.instances)])


def everyone_at(a: Any, *labels: str) -> Expr:
    """Every instance of actor ``a`` is about to run one of ``labels``."""
    if a.family is not None:
        return ForAll(a.family, lambda i: a.at(i, *labels))
    if a.instances == 1:
        return a.at(0, *labels)
    return ForAll(range(a.instances), lambda i: a.at(i, *labels))
