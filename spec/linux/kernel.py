"""The Linux NAPI kernel as a table of replaceable parts.

:class:`LinuxKernel` is what every part is given: the configuration's constants (``kernel.k``),
the shared state (``kernel.napi_state[n]``, ``kernel.poll_list[c]`` ..., declared in
:meth:`LinuxKernel.declare_state`), the table of kernel functions (:attr:`LinuxKernel.parts`,
keyed by the kernel function's name), the contexts that call them (:attr:`LinuxKernel.contexts`,
in the order they are built) and the driver plug-in (:attr:`LinuxKernel.driver`).

A variant is a function ``variant(kernel) -> None`` run before the system is built; it replaces
parts (``kernel.replace("napi_complete_done", my_napi_complete_done)``, TLA+'s ``INSTANCE ...
WITH``) or changes what runs (``kernel.disablers = 2``). Nothing shipped needs editing for it:
see spec/linux/variants/ for the historical ones and docs/own-patch.md.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable, Sequence

from checker.lang import Array, Bool, Flags, Int, Seq, Sum, System
from checker.lang.expr import Expr, ModelError
from checker.lang.family import Family, Placement
from checker.lang.kernel import KThreads

from spec.linux.prog import Prog

if TYPE_CHECKING:
    from spec.linux.drivers.base import Driver

DEV = "drivers/net/<driver>.c"
BITS = ("SCHED", "MISSED", "DISABLE", "NPSVC", "IN_BUSY_POLL", "PREFER_BUSY_POLL", "THREADED", "SCHED_THREADED")

Part = Callable[..., str]  # part(fn: Call, **options) -> entry label
ContextBuilder = Callable[["LinuxKernel"], "Prog | None"]
Variant = Callable[["LinuxKernel"], None]


class LinuxKernel:
    """Constants, shared state, parts and contexts of one configuration (see the module docstring)."""

    def __init__(self, k: SimpleNamespace, driver: Driver, variants: Sequence[Variant] = ()) -> None:
        from spec.linux.contexts import CONTEXTS
        from spec.linux.core import PARTS

        self.k = k
        self.parts: dict[str, Part] = dict(PARTS)
        self.contexts: dict[str, ContextBuilder] = dict(CONTEXTS)
        self.driver = driver
        # what runs (a variant may change these before the system is built)
        self.busy: bool = k.busy_poll
        self.threaded: bool = k.threaded
        self.netpoll: bool = k.netpoll
        self.defer: int = k.DEFER
        self.gro: bool = k.gro_held
        self.disablers: int = 1 if k.disable else 0
        #: the (first) disabler deletes the instance after napi_disable (netif_napi_del) instead of re-enabling it
        self.deleting: bool = bool(getattr(k, "delete", False)) and self.disablers > 0
        #: instance 0 starts as netif_napi_add leaves it (SCHED|NPSVC: disabled) and the driver's
        #: ndo_open enables it (napi_enable + virtnet_napi_do_enable's reschedule) before anything else
        self.opening: bool = bool(getattr(k, "lifecycle", False))
        #: a task writes 0 to /sys/class/net/<dev>/threaded: netif_set_threaded -> napi_set_threaded ->
        #: napi_stop_kthread on instance 0 (needs threaded NAPI)
        self.stopping: bool = bool(getattr(k, "stop_kthread", False))
        #: a task writes 1 to /sys/class/net/<dev>/threaded first: netif_set_threaded -> napi_kthread_create
        #: (kthread_run) -> napi_set_threaded -> assign_bit(THREADED) on instance 0 (needs threaded = false)
        self.starting: bool = bool(getattr(k, "start_kthread", False))
        #: the citation of the driver's ->poll in traces (an era may name dev->poll)
        self.poll_func = f"{DEV}: <driver>_poll"
        self.s = System("linux", "")
        #: the NAPI instances: range(N), or every N at once (checker.lang.family: the induct engine's
        #: all-N translation); instance-indexed state is sized ``ids.size``, loops over instances are
        #: ``ids.each`` / ``ForAll(ids, ...)``
        self.ids: Family = self.s.instances("napi", k.N)
        #: where instance i's device interrupt is delivered: CPU i mod CPUS (an uninterpreted
        #: placement over an unbounded family: every affinity at once)
        self.irq_place: Placement = self.ids.placement("irq_cpu", self.ncpu, lambda i: i % self.ncpu)
        for variant in variants:
            variant(self)
        self.progs: dict[str, Prog] = {}

    # ------------------------------------------------------------------ the parts table
    def replace(self, name: str, part: Part) -> None:
        """Use ``part`` for kernel function ``name`` from now on (every call site)."""
        if name not in self.parts:
            raise KeyError(f"no kernel function {name!r} in the linux spec; known: {', '.join(sorted(self.parts))}")
        self.parts[name] = part

    def replace_context(self, name: str, builder: ContextBuilder) -> None:
        """Use ``builder`` for context ``name`` (``net_rx_action``, ``napi_watchdog`` ...)."""
        if name not in self.contexts:
            raise KeyError(f"no context {name!r} in the linux spec; known: {', '.join(self.contexts)}")
        self.contexts[name] = builder

    def part(self, name: str) -> Part:
        return self.parts[name]

    # ------------------------------------------------------------------ derived configuration
    @property
    def n_inst(self) -> int:
        """The number of instances (a ModelError for an unbounded family: use ``ids``)."""
        return len(self.ids)

    @property
    def ncpu(self) -> int:
        return int(self.k.CPUS)

    @property
    def prefer(self) -> bool:
        return self.busy and bool(self.k.bp_prefer)

    @property
    def tmr(self) -> bool:
        """gro_flush_timeout > 0: the napi_watchdog hrtimer exists."""
        return self.defer > 0 or self.gro

    @property
    def bound(self) -> int:
        return int(self.k.K) if self.k.K >= 0 else self.ids.plus(-1)  # type: ignore[return-value]

    @property
    def proc_cpu(self) -> int:
        """The default CPU of the task contexts (busy poller, disabler): the last one."""
        return self.ncpu - 1

    def _placed(self, name: str) -> int:
        c = int(getattr(self.k, name, -1))
        if c >= self.ncpu:
            raise ValueError(f"{name} = {c}: there are only CPUS = {self.ncpu} CPUs (0..{self.ncpu - 1})")
        return self.proc_cpu if c < 0 else c

    @property
    def bp_cpu(self) -> int:
        """The busy poller's CPU (constant ``BP_CPU``)."""
        return self._placed("BP_CPU")

    @property
    def dis_cpu(self) -> int:
        """The CPU of the napi_disable/napi_enable task(s) (constant ``DISABLE_CPU``)."""
        return self._placed("DISABLE_CPU")

    def irq_cpu(self, i: Any) -> Any:
        """The CPU instance ``i``'s device interrupt is delivered to (the placement ``irq_cpu``)."""
        return self.irq_place(i)

    # distinguished instances: instance 0 when grounded, named constants of the instance sort when
    # unbounded (checker.lang.family.Family.named)
    @property
    def bp_target(self) -> Any:
        """The instance the busy poller polls (its socket's napi_id)."""
        return self.ids.named("busy_poll_target")

    @property
    def dis_target(self) -> Any:
        """The instance the driver task opens (``lifecycle``), disables/enables or deletes."""
        return self.ids.named("disable_target")

    @property
    def netpoll_target(self) -> Any:
        """The instance netpoll's poll_napi polls."""
        return self.ids.named("netpoll_target")

    @property
    def sysfs_target(self) -> Any:
        """The instance whose kthread ``echo 0|1 > threaded`` stops or creates."""
        return self.ids.named("sysfs_target")

    def only_for(self, n: Any, target: Any, conds: list[Any]) -> list[Any]:
        """``conds`` when instance ``n`` is ``target`` (a context acting for one distinguished
        instance): a Python test when grounded, ``n == target => conds`` when unbounded."""
        if self.ids.symbolic:
            from checker.lang import And, Implies
            return [Implies(n == target, And(*conds))]
        return conds if n == target else []

    def per_instance(self, value: Any, special: Any = None, at: Any = None) -> Any:
        """An initial value per instance: ``value`` everywhere, ``special`` at instance ``at`` when
        ``at`` is given (grounded: the list, exactly as written before the family rewrite)."""
        if not self.ids.symbolic:
            return [special if at is not None and n == at else value for n in self.ids]
        if at is not None:
            raise ModelError("an instance with its own initial value (lifecycle) is grounded only")
        return value

    @property
    def kthreaded(self) -> bool:
        """A NAPI kthread exists or may be created (threaded NAPI from the start, or turned on)."""
        return self.threaded or self.starting

    @property
    def drivers(self) -> int:
        """Instances of the driver task (napi_enable at open, napi_disable/napi_enable or del)."""
        return max(self.disablers, 1 if self.opening else 0)

    @property
    def stopper_lock_id(self) -> int:
        """The netdev_lock holder id of the threaded_store task (after the driver tasks')."""
        return self.drivers

    @property
    def lock_holders(self) -> int:
        return self.drivers + (1 if self.stopping or self.starting else 0)

    # ------------------------------------------------------------------ shared state
    def declare_state(self) -> None:
        s, k, ncpu, ids = self.s, self.k, self.ncpu, self.ids
        n_inst = ids.size  # an int, or the unbounded family itself
        opened = self.dis_target if self.opening else None
        ring, weight = k.RING, k.WEIGHT
        enabled = Flags(*BITS).mask("THREADED") if self.threaded else 0
        # netif_napi_add_weight_locked: set_bit(SCHED); set_bit(NPSVC) -- created disabled
        added = Flags(*BITS).mask("SCHED", "NPSVC")
        self.napi_state = s.var("napi_state", Array(n_inst, Flags(*BITS)),
                                init=self.per_instance(enabled, added, opened),
                                doc="n->state (include/linux/netdevice.h NAPI_STATE_*)")
        self.pending = s.var("pending", Array(n_inst, Int(0, ring)), doc="packets in the device ring")
        self.irq_masked = s.var("irq_masked", Array(n_inst, Bool), doc="device interrupt masked by the driver")
        self.unsignalled = s.var("unsignalled", Array(n_inst, Bool),
                                 doc="a packet arrived while masked and was not signalled")
        self.irq_raised = s.var("irq_raised", Array(n_inst, Bool),
                                doc="interrupt signalled to its CPU, handler not yet entered")
        self.list_cap = ids.plus(2)
        self.napi_id = ids.id_type
        self.poll_list = s.var("poll_list", Array(ncpu, Seq(self.napi_id, self.list_cap)),
                               doc="softnet_data.poll_list per CPU")
        self.net_rx_pending = s.var("net_rx_pending", Array(ncpu, Bool), doc="NET_RX_SOFTIRQ pending bit per CPU")
        self.in_net_rx_action = s.var("in_net_rx_action", Array(ncpu, Bool),
                                      doc="softnet_data.in_net_rx_action per CPU")
        self.timer_cpu = s.var("timer_cpu", Array(n_inst, Int(-1, ncpu - 1)), init=self.per_instance(-1),
                               doc="n->timer (napi_watchdog hrtimer): -1 idle, else the CPU it is pinned to") \
            if self.tmr else None
        self.defer_count = s.var("defer_count", Array(n_inst, Int(0, self.defer)),
                                 doc="n->defer_hard_irqs_count") if self.defer or self.prefer else None
        self.poll_owner_held = s.var("poll_owner_held", Array(n_inst, Bool),
                                     doc="n->poll_owner != -1 (netpoll_poll_lock)") if self.netpoll else None
        self.kthread_interruptible = s.var(
            "kthread_interruptible", Array(n_inst, Bool),
            doc="napi kthread's __state == TASK_INTERRUPTIBLE (set_current_state; wake_up_process clears)") \
            if self.kthreaded else None
        self.kthread_created = s.var("kthread_created", Array(n_inst, Bool), init=self.per_instance(False),
                                     doc="napi->thread != NULL (napi_kthread_create: kthread_run)") \
            if self.starting else None
        self.netdev_lock = s.var("netdev_lock", Int(-1, max(self.lock_holders, 1) - 1), init=-1,
                                 doc="netdev_lock(dev) holder") if self.lock_holders else None
        # napi_hash membership: napi_by_id (the busy poller's lookup) finds n; napi_disable removes it
        # (napi_save_config -> napi_hash_del), napi_enable adds it back (napi_restore_config)
        self.napi_hashed = s.var("napi_hashed", Array(n_inst, Bool),
                                 init=self.per_instance(True, False, opened),
                                 doc="n is in napi_hash (napi_by_id finds it)") \
            if self.busy and self.drivers else None
        # BoundedWait's ghost counter: per instance, updated for every other instance at each poll
        # (a Python loop of statements); grounded only (an unbounded build leaves BoundedWait out)
        self.wait = s.var("wait", Array(n_inst, Int(0, self.bound + 1)), ghost=True,
                          doc="polls of others on its CPU while queued (ghost)") if not ids.symbolic else None
        # ghost fact kept by napi_disable (sets it when it returns) and napi_enable (clears it with
        # the cmpxchg that re-enables the instance)
        # (lifecycle: instance 0 starts disabled, as netif_napi_add leaves it)
        self.napi_disabled = s.var("napi_disabled", Array(n_inst, Bool), ghost=True,
                                   init=self.per_instance(False, True, opened),
                                   doc="napi_disable has returned (or netif_napi_add created it) and napi_enable "
                                       "has not enabled it (ghost)") \
            if self.drivers else None
        self.napi_deleted = s.var("napi_deleted", Array(n_inst, Bool), ghost=True,
                                  doc="netif_napi_del has returned and the driver freed the instance (ghost)") \
            if self.deleting else None
        # kthread_stop / kthread_should_stop of the NAPI kthreads (napi_stop_kthread)
        self.kthreads = KThreads(s, self.n_inst, "napi_kthread") if self.stopping else None
        self.maxw = max(weight, k.BP_BUDGET)

    def context(self, name: str, instances: int | Family, display: str, kind: str,
                cpu: Callable[[Any], Any], napi: Callable[[Any], Any]) -> Prog:
        """A new context (actor family) with the locals every kernel function may use; ``instances``
        is a count (CPUs, tasks) or the NAPI family (one context per NAPI instance)."""
        if isinstance(instances, Family) and not instances.symbolic:
            instances = len(instances)  # grounded: a count, as before
        p = Prog(name, instances, display, kind, cpu, napi)
        self.progs[name] = p
        p.local("val", Flags(*BITS))
        p.local("work", Int(0, self.maxw))
        p.local("ret", Bool)
        p.local("timeout", Bool)
        return p

    def on_lists(self, n: Any) -> Expr:
        """How many times NAPI instance ``n`` is on a list: a CPU's poll_list or a context's private list."""
        total = Sum(range(self.ncpu), lambda c: self.poll_list[c].count(n))
        for extra in self.list_holders:
            total = total + extra(n)
        return total

    # ------------------------------------------------------------------ build
    def build(self) -> System:
        from spec.linux.cpu import install_guards
        from spec.linux.properties import add_properties

        self.declare_state()
        self.list_holders: list[Callable[[Any], Expr]] = []
        for builder in self.contexts.values():
            builder(self)
        for p in self.progs.values():
            p.create(self.s)
        install_guards(self)
        for p in self.progs.values():
            p.register()
        add_properties(self)
        return self.s

    # CPU-local exclusion (spec/linux/cpu.py), for the contexts' guards
    def hard_on(self, c: int) -> Expr:
        from spec.linux.cpu import hard_on
        return hard_on(self, c)

    def due(self, c: int) -> Expr:
        from spec.linux.cpu import due
        return due(self, c)

    def bh_off(self, c: int) -> Expr:
        from spec.linux.cpu import bh_off
        return bh_off(self, c)

    def ctx(self, name: str) -> Prog | None:
        """The context ``name`` if this configuration runs it."""
        return self.progs.get(name)
