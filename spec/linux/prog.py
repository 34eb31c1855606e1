"""Contexts as recorded programs, and calls of kernel functions into them.

The modelling language's :class:`~checker.lang.system.Actor` needs its labels up front and its
guards may refer to other actors' program counters. Kernel contexts share code (``__napi_poll``,
``napi_complete_done``, ``____napi_schedule`` run in the softirq, the kthread, the busy poller ...),
so a :class:`Prog` (one context: the device IRQ, net_rx_action per CPU, ...) first *records* labels
and step bodies, then every actor is created (:meth:`Prog.create`), and only then are the steps
registered (:meth:`Prog.register`), each body preceded by the context guard of its label
(CPU-local exclusion).

A kernel function is emitted into a context by a :class:`Call` (kernel-tla's ``call``/``return``:
the function is written once, every context that calls it gets its steps, under a label prefix
that names the call site). A function (a *part*) is a Python function ``part(fn: Call, **options)
-> str`` that adds its steps with ``fn.step`` and returns the label of its first step; it returns
to its caller through ``fn.ret`` (void), or ``fn.ret_true`` / ``fn.ret_false`` (a bool result).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable, Sequence

from checker.lang import Array, Bool, System
from checker.lang.family import Family
from checker.lang.system import Actor
from checker.lang.types import Type

if TYPE_CHECKING:
    from spec.linux.kernel import LinuxKernel

NapiFn = Callable[[int], Any]  # context instance -> NAPI instance (int or Expr)
CpuFn = Callable[[int], Any]  # context instance -> CPU (int or Expr)
Emit = Callable[[Any, int], None]  # (t, i) -> statements (usually a goto)


def goto(label: str) -> Emit:
    """A continuation that jumps to ``label``."""
    return lambda t, i: t.goto(label)


@dataclass
class _Step:
    label: str
    func: str
    next: str | None
    params: dict[str, Sequence[Any]] | None
    body: Callable[..., None]


@dataclass
class Prog:
    """The program of one context (actor family), recorded before the actor exists.

    ``kind`` is the execution context (``hardirq``, ``softirq``, ``process``, ``netpoll``): it decides
    the CPU-exclusion guards and which facts a property reads. ``cpu(i)`` / ``napi(i)``: the CPU
    instance ``i`` runs on and the NAPI instance it acts for.
    """

    name: str
    #: a count, or the unbounded NAPI family (an all-N build: one step template per step)
    instances: int | Family
    display: str
    kind: str = "process"
    cpu: CpuFn = lambda i: 0
    napi: NapiFn = lambda i: 0
    labels: list[str] = field(default_factory=list)
    steps: list[_Step] = field(default_factory=list)
    local_decls: list[tuple[str, Type, Any, bool]] = field(default_factory=list)
    #: label sets of the execution context (``hard``, ``bh``, ``nopre``) read by the CPU-exclusion guards
    sets: dict[str, set[str]] = field(default_factory=dict)
    L: SimpleNamespace = field(default_factory=SimpleNamespace)
    actor: Actor | None = None
    #: guard(i, label) -> condition awaited by every step of instance i at label (None: no guard)
    guard: Callable[[int, str], Any] | None = None
    #: labels besides the first where the context has finished its work (e.g. the disabler's "done")
    terminal: tuple[str, ...] = ()
    #: quiescent(n) -> conditions under which this context will not act for NAPI instance n by itself
    #: (NoLostWakeup); None: it never acts for an instance on its own
    quiescent: Callable[[int], list[Any]] | None = None
    #: conditions under which this context has stopped for good or waits for an event (NoHang's end states)
    at_end: Callable[[], list[Any]] | None = None

    @property
    def family(self) -> Family | None:
        """The unbounded family this context ranges over (None: a fixed number of instances)."""
        return self.instances if isinstance(self.instances, Family) else None

    def each(self, body: Callable[[Any], Any], but: Any = None) -> list[Any]:
        """``[body(i) for every instance i (but one)]``; over an unbounded family, one ``forall``
        binder (spread it into an ``And``)."""
        fam = self.family
        if fam is not None:
            return fam.each(body, but)
        return [body(i) for i in range(self.instances) if but is None or i != but]  # type: ignore[arg-type]

    def some(self, body: Callable[[Any], Any], but: Any = None) -> list[Any]:
        """The disjuncts ``body(i)`` of every instance i (but one); over an unbounded family, one
        ``exists`` binder (spread it into an ``Or``)."""
        fam = self.family
        if fam is not None:
            return [fam.forall(body, but, op="exists")]
        return self.each(body, but)

    def resting(self, i: int) -> Any:
        """Instance ``i`` is outside its work: at its first label (waiting for its trigger) or terminal."""
        return self.at(i, self.labels[0], *self.terminal)

    def label(self, name: str) -> str:
        if name not in self.labels:
            self.labels.append(name)
        return name

    def local(self, name: str, typ: Type, init: Any = None, ghost: bool = False) -> None:
        if all(d[0] != name for d in self.local_decls):
            self.local_decls.append((name, typ, init, ghost))

    def fact(self, name: str) -> None:
        """Declare a ghost fact of this context (a Bool per instance, read by properties only)."""
        self.local(name, Bool, ghost=True)

    def has_fact(self, name: str) -> bool:
        return any(d[0] == name and d[3] for d in self.local_decls)

    def mark(self, kind: str, *labels: str) -> None:
        self.sets.setdefault(kind, set()).update(labels)

    def in_set(self, kind: str) -> list[str]:
        return [lb for lb in self.labels if lb in self.sets.get(kind, set())]

    def step(self, label: str, func: str, next: str | None = None,
             params: dict[str, Sequence[Any]] | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
        self.label(label)
        if next is not None:
            self.label(next)

        def deco(body: Callable[..., None]) -> Callable[..., None]:
            self.steps.append(_Step(label, func, next, params, body))
            return body

        return deco

    # phase 2
    def create(self, s: System) -> Actor:
        self.actor = s.actor(self.name, self.labels, instances=self.instances, display=self.display)
        for name, typ, init, ghost in self.local_decls:
            if ghost:
                var = s.var(f"{self.name}.{name}", Array(self.instances, typ), init=init, ghost=True,
                            doc=f"{self.name}: ghost fact {name}")
            else:
                var = self.actor.local(name, typ, init)
            setattr(self.L, name, var)
        return self.actor

    # phase 3
    def register(self) -> None:
        assert self.actor is not None
        for st in self.steps:
            def body(t: Any, i: int, _st: _Step = st, **kw: Any) -> None:
                if self.guard is not None:
                    g = self.guard(i, _st.label)
                    if g is not None:
                        t.require(g)
                _st.body(t, i, **kw)
            self.actor.step(st.label, st.func, next=st.next, params=st.params)(body)

    def at(self, i: int, *labels: str) -> Any:
        """Instance ``i`` is about to run one of ``labels`` (for the context's own predicates only)."""
        assert self.actor is not None
        return self.actor.at(i, *labels)

    def set_fact(self, t: Any, i: int, name: str, value: Any) -> None:
        """Set ghost fact ``name`` of instance ``i`` if this context keeps it."""
        if self.has_fact(name):
            t.set(getattr(self.L, name)[i], value)


@dataclass
class Call:
    """One call site of a kernel function in a context: where its steps go and how it returns.

    ``pre`` prefixes every label of the call (``"dc_"`` + ``"cd"``: __napi_poll's napi_complete);
    ``napi(i)`` / ``cpu(i)`` give the NAPI instance and the CPU of context instance ``i``.
    """

    kernel: LinuxKernel
    prog: Prog
    pre: str = ""
    napi: NapiFn = lambda i: 0
    cpu: CpuFn = lambda i: 0
    ret: Emit | None = None
    ret_true: Emit | None = None
    ret_false: Emit | None = None

    @property
    def L(self) -> SimpleNamespace:  # noqa: N802 - the context's locals, as in Prog
        return self.prog.L

    def label(self, name: str) -> str:
        """The label of step ``name`` of this call."""
        return self.pre + name

    def step(self, name: str, func: str, next: str | None = None,
             params: dict[str, Sequence[Any]] | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
        """Decorator: the atomic step ``name`` of this call (labels are prefixed; ``next`` too)."""
        return self.prog.step(self.pre + name, func, next=None if next is None else self.pre + next, params=params)

    def to(self, name: str) -> Emit:
        """A continuation jumping to this call's step ``name``."""
        return goto(self.pre + name)

    def mark(self, kind: str, *names: str) -> None:
        self.prog.mark(kind, *[self.pre + n for n in names])

    def set_fact(self, t: Any, i: int, name: str, value: Any) -> None:
        self.prog.set_fact(t, i, name, value)

    def call(self, function: str, pre: str | None = None, *, ret: Emit | None = None,
             ret_true: Emit | None = None, ret_false: Emit | None = None,
             napi: NapiFn | None = None, cpu: CpuFn | None = None, **options: Any) -> str:
        """Emit kernel function ``function`` (as the kernel's parts table has it) at this call site,
        its labels prefixed with this call's prefix + ``pre``; returns its entry label."""
        sub = replace(self, pre=self.pre + (pre or ""), ret=ret, ret_true=ret_true, ret_false=ret_false,
                      napi=napi or self.napi, cpu=cpu or self.cpu)
        return self.kernel.part(function)(sub, **options)

    def call_poll(self, budget: int, ret: Emit, pre: str | None = None) -> str:
        """Call the driver's ``->poll(n, budget)`` here; ``ret`` runs when it returns (its result in
        the local ``work``). Returns the entry label (the driver's ``rx``)."""
        sub = replace(self, pre=self.pre + (pre or ""), ret=ret, ret_true=None, ret_false=None)
        return self.kernel.driver.poll(sub, budget)  # type: ignore[no-any-return]

    # ghost facts of the caller about the instance it polls (read by the properties)
    def enter_poll(self, t: Any, i: int) -> None:
        """The context starts running n's poll as its SCHED owner (->poll, or a napi_complete for it)."""
        self.set_fact(t, i, "polling", True)
        self.set_fact(t, i, "owns", False)

    def poll_returned(self, t: Any, i: int, owns: Any) -> None:
        """->poll returned; ``owns``: the context still holds SCHED (e.g. the whole budget was used)."""
        self.set_fact(t, i, "polling", False)
        self.set_fact(t, i, "owns", owns)
