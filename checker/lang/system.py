"""Transition systems: state variables, atomic steps, actors and properties.

A spec is a :class:`SpecDef`: a name, the constants it takes, and a ``build``
function that, given the constants' values, returns a :class:`System`. ``build``
is ordinary Python run once per configuration: loops over instances, parameter
values and helper functions are expanded there, so the resulting System is a flat
list of guarded, deterministic :class:`Transition` s over finite-typed variables.
Every engine reads that one System.

Steps are written as Python functions that *record* statements on a
:class:`StepBuilder` ``t``::

    @irq.step("napi_schedule_prep", func="net/core/dev.c:napi_schedule_prep", next="mask")
    def _(t, i):
        t.let("was", state[i].has("SCHED"))         # value in the state before the step
        t.set(state[i], state[i].with_bits("SCHED"))  # test_and_set_bit: one atomic step
        with t.if_(t.temp("was")):
            t.goto("idle")

Statements run in order (``set`` sees earlier ``set`` s of the same step); the whole
step is one atomic transition. ``t.require(c)`` blocks the step unless ``c`` holds
(PlusCal's ``await``). Parameters (``params={"i": range(N)}``) and actor instances are
expanded into separate transitions, so inside a body they are plain Python ints.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from checker.lang.expr import Expr, ModelError, lift, temp_expr, var_expr
from checker.lang.family import Family, ivar, unbounded
from checker.lang.site import at, caller_site, code_site, first_at
from checker.lang.temporal import (
    FairRule, Temporal, Starvation, compile_round_robin, compile_starvation, default_served, fair_kind, per_instance,
)
from checker.lang.types import Array, BoolType, Enum, Int, Seq, Type

# ---------------------------------------------------------------- statements


@dataclass
class Require:
    """Block the step unless ``cond`` holds (evaluated at this point of the step)."""

    cond: Expr


@dataclass
class Assign:
    """``var[idx0][idx1]... := value``."""

    var: Var
    path: tuple[Expr, ...]
    value: Expr


@dataclass
class Let:
    """Bind a step-local name (``t.temp(name)``) to a value computed at this point."""

    name: str
    value: Expr


@dataclass
class If:
    cond: Expr
    then: list[Stmt]
    orelse: list[Stmt]


@dataclass
class ForEach:
    """``body`` for every pair (every instance, for one key) of an unbounded family at once, the
    ``keys`` bound to the pair (instance variables, checker.lang.family). Only parameterised builds
    hold one (a ghost relation's update, :func:`checker.lang.temporal.compile_round_robin`): grounded,
    the same update is one statement per pair. ``body`` assigns only at the paths its keys name."""

    keys: tuple[Any, ...]
    body: list[Stmt]


Stmt = Require | Assign | Let | If | ForEach


def assigned_slots(body: list[Stmt], acc: set[int] | None = None) -> set[int]:
    """The state slots that some path of ``body`` assigns."""
    acc = set() if acc is None else acc
    for s in body:
        if isinstance(s, Assign):
            acc.add(s.var.slot)
        elif isinstance(s, If):
            assigned_slots(s.then, acc)
            assigned_slots(s.orelse, acc)
        elif isinstance(s, ForEach):
            assigned_slots(s.body, acc)
    return acc

# ---------------------------------------------------------------- declarations


@dataclass(eq=False)
class Var:
    """A state variable. ``slot`` is its position in the state tuple."""

    name: str
    typ: Type
    init: Any
    slot: int
    doc: str = ""
    ghost: bool = False
    where: str = ""  # file:line of the spec code declaring it (checker.lang.site)

    @property
    def expr(self) -> Expr:
        return var_expr(self)


@dataclass
class Transition:
    """One deterministic atomic step, with every parameter bound."""

    index: int
    actor: str
    label: str
    function: str
    params: dict[str, Any]
    body: list[Stmt]
    progress: bool = False
    where: str = field(default="", compare=False)  # file:line of the step's body in the spec (checker.lang.site)

    @property
    def key(self) -> str:
        """Unique, stable name used in trace files: ``actor:label(p=v,...)``."""
        ps = ",".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.actor}:{self.label}" + (f"({ps})" if ps else "")

    @property
    def described(self) -> str:
        """``actor:label(params) [function] (file:line of its body)``, for error messages."""
        return f"{self.key} [{self.function}]" + at(self.where)


@dataclass
class Property:
    """A named property. ``kind`` decides which engines and semantics apply:

    * ``invariant`` – ``expr`` holds in every reachable state;
    * ``transition`` – ``expr`` (which may use ``Next``) holds on every step;
    * ``deadlock`` – every reachable state has an enabled step or satisfies ``expr`` (the end states).
    """

    name: str
    kind: str
    expr: Expr
    doc: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    where: str = field(default="", compare=False)  # file:line of the spec code declaring it (checker.lang.site)


@dataclass(frozen=True)
class Constant:
    """A constant a configuration may set. ``kind`` is int, bool or str (with ``choices``)."""

    name: str
    kind: type
    default: Any
    doc: str = ""
    min: int | None = None
    max: int | None = None
    choices: tuple[str, ...] | None = None


@dataclass
class SpecDef:
    """A spec as registered: what ``napi-check list`` shows and what a configuration names."""

    name: str
    doc: str
    constants: Sequence[Constant]
    build: Callable[[SimpleNamespace], System]
    properties: Sequence[str] = ()  # names, for listing without building

    def constant(self, name: str) -> Constant | None:
        return next((c for c in self.constants if c.name == name), None)

    def instantiate(self, values: Mapping[str, Any] | None = None) -> System:
        """Build the System for these constant values (defaults for the rest)."""
        vals = {c.name: c.default for c in self.constants}
        vals.update(values or {})
        system = self.build(SimpleNamespace(**vals))
        system.constants = vals
        system.spec_name = self.name
        system.spec_def = self  # lets an engine rebuild the system at other constants (induct)
        system.finish()
        return system


# ---------------------------------------------------------------- builders


class StepBuilder:
    """Records the statements of one atomic step (see the module docstring)."""

    def __init__(self, system: System, actor: Actor | None, instance: int | None,
                 choices: _Choices | None = None) -> None:
        self._system = system
        self._actor = actor
        self._instance = instance
        self._choices = choices
        self.chosen: dict[str, Any] = {}
        self._blocks: list[list[Stmt]] = [[]]
        self._last_if: If | None = None
        self._temps: dict[str, Expr] = {}
        self.progress = False

    @property
    def body(self) -> list[Stmt]:
        return self._blocks[0]

    def _emit(self, s: Stmt) -> None:
        self._blocks[-1].append(s)
        self._last_if = None

    def require(self, cond: Any) -> None:
        """Block unless ``cond`` holds (``await``)."""
        self._emit(Require(_as_bool(cond)))

    def set(self, target: Expr, value: Any) -> None:
        """Assign ``value`` to a variable or an element of one (``x``, ``x[i]``, ``x[i][j]``)."""
        var, path = _lvalue(target)
        elem = target.typ
        self._emit(Assign(var, path, lift(value, elem)))

    def let(self, name: str, value: Any) -> Expr:
        """Bind ``name`` to ``value`` as computed now; returns the name as an expression."""
        v = lift(value)
        self._emit(Let(name, v))
        e = temp_expr(name, v.typ)
        self._temps[name] = e
        return e

    def choose(self, name: str, domain: Iterable[Any] | Type) -> Any:
        """A value the step picks nondeterministically from a finite ``domain`` (ints, bools or Enum
        names, or a type: every value of an ``Int``, ``Enum`` or ``Bool``), e.g. what an
        uninitialised local may hold. Returns the chosen value as a plain
        Python value; the step is expanded into one transition per value (exactly as a parameter
        would be, so every engine takes it unchanged) and traces show ``name=value`` with the step.
        The domain may depend on parameters and on earlier choices of the same step; the body is
        re-run once per combination, so it must behave the same on every run given the same choices."""
        if self._choices is None:
            raise ModelError("choose() is only for steps (actor steps and actions)")
        values = _values_of(domain) if isinstance(domain, Type) else list(domain)
        if not values:
            raise ModelError(f"choose({name!r}): empty domain (the step could never run)")
        if name in self.chosen:
            raise ModelError(f"choose({name!r}) twice in one step")
        value = self._choices.pick(name, values)
        self.chosen[name] = value
        return value

    def temp(self, name: str) -> Expr:
        """The value bound earlier in this step by ``let``."""
        if name not in self._temps:
            raise ModelError(f"no value named {name!r} was bound with let() in this step")
        return self._temps[name]

    @contextlib.contextmanager
    def if_(self, cond: Any) -> Iterator[None]:
        node = If(_as_bool(cond), [], [])
        self._emit(node)
        self._blocks.append(node.then)
        try:
            yield
        finally:
            self._blocks.pop()
            self._last_if = node

    @contextlib.contextmanager
    def else_(self) -> Iterator[None]:
        node = self._last_if
        if node is None:
            raise ModelError("else_() must follow an if_() block directly")
        self._blocks.append(node.orelse)
        try:
            yield
        finally:
            self._blocks.pop()
            self._last_if = None

    def goto(self, label: str) -> None:
        """Set this actor's program counter: the next step it takes is ``label``."""
        if self._actor is None or self._instance is None:
            raise ModelError("goto() is only for actor steps")
        self.set(self._actor.pc[self._instance], self._actor.label_value(label))

    def default_goto(self, label: str) -> None:
        """Go to ``label`` unless the body says otherwise: placed after the leading awaits,
        before the body's own statements, so that a later ``goto`` overrides it."""
        assert self._actor is not None and self._instance is not None
        stmt = Assign(self._actor.pc.value, (lift(self._instance),), lift(self._actor.label_value(label), self._actor.labels))
        body = self.body
        at = 0
        while at < len(body) and isinstance(body[at], Require):
            at += 1
        body.insert(at, stmt)

    def mark_progress(self) -> None:
        """Mark this step as progress (for non-progress-cycle checks)."""
        self.progress = True


class Actor:
    """A family of threads/contexts running the same program of labelled atomic steps.

    Each instance has its own program counter (``<name>.pc``) and locals
    (``<name>.<local>``), both arrays indexed by instance. The first label is the initial one.
    """

    def __init__(
        self,
        system: System,
        name: str,
        instances: int | Family,
        labels: Sequence[str],
        display: str,
        guard: Callable[[int], Any] | None = None,
    ) -> None:
        if not labels:
            raise ModelError(f"actor {name!r} needs at least one label")
        self.system = system
        self.name = name
        #: the family of an actor over unbounded instances (a parameterised build), else None
        self.family = instances if unbounded(instances) else None
        self.instances: Any = instances.size if isinstance(instances, Family) else instances
        self.labels = Enum(*labels)
        self.display = display
        self.guard = guard
        self.pc = system.var(f"{name}.pc", Array(self.instances, self.labels), init=labels[0], doc=f"{name} program counter")

    def label_value(self, label: str) -> int:
        try:
            return self.labels.index(label)
        except ValueError:
            raise ModelError(f"actor {self.name!r} has no label {label!r}") from None

    def local(self, name: str, typ: Type, init: Any = None, doc: str = "") -> Expr:
        """A per-instance local variable; index it with the instance: ``cur[i]``."""
        return self.system.var(f"{self.name}.{name}", Array(self.instances, typ), init=init, doc=doc)

    def at(self, i: int, *labels: str) -> Expr:
        """Instance ``i`` is about to run one of ``labels``."""
        from checker.lang.expr import Or

        return Or(*[self.pc[i] == self.label_value(lb) for lb in labels])

    def actor_name(self, i: int) -> str:
        if self.family is not None:
            return self.display
        return self.display.format(i=i) if self.instances > 1 or "{i}" in self.display else self.display

    def instance_values(self) -> list[Any]:
        """Every instance (one bound instance variable ``i`` for an unbounded family)."""
        return [ivar(self.family, "i")] if self.family is not None else list(range(self.instances))

    def step(
        self,
        label: str,
        func: str,
        next: str | None = None,
        params: Mapping[str, Sequence[Any]] | None = None,
        fair: str | bool | None = None,
    ) -> Callable[[Callable[..., None]], Callable[..., None]]:
        """Decorator: the atomic step at ``label``. The body is called as ``body(t, i, **params)``.

        ``fair`` (``"weak"``/``"strong"``/True) makes this step of each instance fair on its own,
        e.g. strong fairness for a step that other contexts keep disabling (checker.lang.temporal).
        """
        self.label_value(label)
        if next is not None:
            self.label_value(next)
        kind = fair_kind(fair)
        if kind is not None and self.family is None:
            where = caller_site()
            self.system.fairness.extend(FairRule(kind, self.actor_name(i), label, where) for i in range(self.instances))

        def deco(body: Callable[..., None]) -> Callable[..., None]:
            for i in self.instance_values():
                for binding in _bindings(params):
                    for ch in _Choices.runs():
                        t = StepBuilder(self.system, self, i, ch)
                        t.require(self.pc[i] == self.label_value(label))
                        if self.guard is not None:
                            t.require(self.guard(i))
                        body(t, i, **binding)
                        if next is not None:
                            t.default_goto(next)
                        self.system._add(self.actor_name(i), label, func, _with_chosen(binding, t), t, code_site(body))
            return body

        return deco


class System:
    """A finite transition system under construction, then frozen by :meth:`finish`."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.doc = doc
        self.vars: list[Var] = []
        self.transitions: list[Transition] = []
        self.properties: list[Property] = []
        self.actors: list[Actor] = []
        self.constants: dict[str, Any] = {}
        self.spec_name = name
        self.spec_def: SpecDef | None = None  # set by SpecDef.instantiate
        self.symmetry: Symmetry | None = None
        self.families: list[Family] = []
        #: properties a parameterised build could not state (they quantify in Python): name -> why
        self.not_parameterised: dict[str, str] = {}
        self.liveness: list[Property] = []  # temporal properties (checker.liveness), checked when named
        self.fairness: list[FairRule] = []  # see checker.lang.temporal
        self.where = caller_site()  # the spec line that created it (errors found by finish point there)
        self._finished = False

    # declarations
    def instances(self, name: str, n: Any) -> Family:
        """The family of ``n`` interchangeable instances (``range(n)``; unbounded when ``n`` is
        ``checker.lang.family.ANY``): see checker.lang.family."""
        fam = Family(name, n if isinstance(n, int) else None)
        self.families.append(fam)
        return fam

    def var(self, name: str, typ: Type, init: Any = None, doc: str = "", ghost: bool = False) -> Expr:
        """Declare a state variable; ``init`` defaults to the type's zero (false, lo or 0, empty)."""
        first = next((v for v in self.vars if v.name == name), None)
        if first is not None:
            raise ModelError(f"variable {name!r} declared twice" + first_at(first.where))
        if _parameterised(typ):  # per-instance over an unbounded family: the init of every element
            v = Var(name, typ, _elem_init(typ, init), len(self.vars), doc, ghost, caller_site())
            self.vars.append(v)
            return v.expr
        value = typ.default() if init is None else typ.normalise(init)
        if not typ.contains(value):
            raise ModelError(f"initial value {init!r} of {name!r} is not a {typ!r}")
        v = Var(name, typ, value, len(self.vars), doc, ghost, caller_site())
        self.vars.append(v)
        return v.expr

    def actor(
        self,
        name: str,
        labels: Sequence[str],
        instances: int | Family = 1,
        display: str | None = None,
        guard: Callable[[int], Any] | None = None,
        fair: str | bool | None = None,
    ) -> Actor:
        """Declare an actor family; ``display`` names an instance in traces (``"CPU{i} softirq"``).

        ``guard(i)``, if given, is a condition every step of instance ``i`` also awaits: how a
        context that cannot run now is expressed (e.g. nothing else on a CPU runs while a
        hard-IRQ handler is in progress there).
        ``fair`` (``"weak"``, ``"strong"`` or True for weak) makes every instance a fair process for
        liveness checking (see checker.lang.temporal).
        """
        many = unbounded(instances) or (len(instances) if isinstance(instances, Family) else instances) > 1
        a = Actor(self, name, instances, labels, display or (name + "{i}" if many else name), guard)
        self.actors.append(a)
        kind = fair_kind(fair)
        if kind is not None and a.family is None:
            where = caller_site()
            self.fairness.extend(FairRule(kind, a.actor_name(i), None, where) for i in range(a.instances))
        return a

    def action(
        self,
        label: str,
        func: str,
        actor: str = "env",
        params: Mapping[str, Sequence[Any]] | None = None,
        fair: str | bool | None = None,
    ) -> Callable[[Callable[..., None]], Callable[..., None]]:
        """Decorator: a free-standing atomic action, ``body(t, **params)``, one transition per binding.

        ``actor`` names who takes it in traces and may use the parameters: ``"DEV{i}"``.
        ``fair`` makes the action (per actor name) weakly or strongly fair; environment events
        (devices, timers firing) are normally left unfair.
        """
        kind = fair_kind(fair)

        def deco(body: Callable[..., None]) -> Callable[..., None]:
            for binding in _bindings(params):
                for ch in _Choices.runs():
                    t = StepBuilder(self, None, None, ch)
                    body(t, **binding)
                    self._add(actor if _has_ivar(binding) else actor.format(**binding), label, func,
                              _with_chosen(binding, t), t, code_site(body))
                if kind is not None and not _has_ivar(binding):
                    rule = FairRule(kind, actor.format(**binding), label, code_site(body))
                    if rule not in self.fairness:
                        self.fairness.append(rule)
            return body

        return deco

    def _add(self, actor: str, label: str, func: str, params: dict[str, Any], t: StepBuilder,
             where: str = "") -> None:
        if self._finished:
            raise ModelError("the system is already finished")
        self.transitions.append(
            Transition(len(self.transitions), actor, label, func, dict(params), t.body, t.progress, where)
        )

    def symmetric(self, instances: int, arrays: Sequence[Expr] = (), ids: Sequence[Expr] = ()) -> None:
        """Declare instances ``0..instances-1`` interchangeable (for symmetry reduction).

        ``arrays``: variables ``Array(instances, T)`` indexed by instance; ``ids``: variables whose
        values are instance ids (an ``Int``, or a ``Seq``/``Array`` of them). Renaming the instances
        by any permutation must map reachable steps to steps and leave every property unchanged;
        the explicit engine checks this on the states it explores and uses it for safety only.
        """
        av, iv = [_decl_var(e) for e in arrays], [_decl_var(e) for e in ids]
        for v in av:
            if not (isinstance(v.typ, Array) and v.typ.size == instances):
                raise ModelError(f"symmetric: {v.name} is not an Array({instances}, ...) indexed by instance")
        for v in iv:
            elem = v.typ.elem if isinstance(v.typ, (Array, Seq)) else v.typ
            if not (isinstance(elem, Int) and elem.lo == 0 and elem.hi == instances - 1):
                raise ModelError(f"symmetric: {v.name} does not hold instance ids Int(0, {instances - 1})")
        self.symmetry = Symmetry(instances, tuple(av), tuple(iv))

    # properties
    def invariant(self, name: str, expr: Any, doc: str = "", explain: Any = None) -> None:
        """``expr`` holds in every reachable state.

        ``explain`` (optional): a sentence shown after the failing clauses of a counterexample, with
        ``{i}`` for the failing instance (or a function of the instance); see checker.lang.explain."""
        self._prop(Property(name, "invariant", _as_bool(expr), doc, _explain(explain)))

    def transition_invariant(self, name: str, expr: Any, doc: str = "", explain: Any = None) -> None:
        """``expr`` holds across every step; ``Next(e)`` is ``e`` after the step."""
        self._prop(Property(name, "transition", _as_bool(expr), doc, _explain(explain)))

    def deadlock(self, name: str = "Deadlock", end: Any = False, doc: str = "", explain: Any = None) -> None:
        """Every reachable state either has an enabled step or satisfies ``end``."""
        self._prop(Property(name, "deadlock", _as_bool(end), doc or "no reachable state without an enabled step",
                            _explain(explain)))

    def _prop(self, p: Property) -> None:
        first = next((q for q in self.properties + self.liveness if q.name == p.name), None)
        if first is not None:
            raise ModelError(f"property {p.name!r} declared twice" + first_at(first.where))
        p.where = p.where or caller_site()
        self.properties.append(p)

    def prop(self, name: str) -> Property:
        for p in self.properties + self.liveness:
            if p.name == name:
                return p
        raise KeyError(name)

    # temporal properties and fairness (semantics: checker.lang.temporal; checked by checker.liveness)
    def fair(self, kind: str, actor: str, label: str | None = None) -> None:
        """Declare ``kind`` (``"weak"``/``"strong"``/``"none"``) fairness for the actor instance named
        ``actor`` in traces (``"IRQ0"``; glob patterns allowed), or for its step ``label`` only."""
        if kind not in ("weak", "strong", "none"):
            raise ModelError(f"fairness must be 'weak', 'strong' or 'none', not {kind!r}")
        self.fairness.append(FairRule(kind, actor, label, caller_site()))

    def _temporal(self, name: str, kind: str, p: Any, q: Any, over: Any, fair: bool, doc: str) -> None:
        from checker.lang.expr import And, Implies

        if unbounded(over):
            self.not_parameterised[name] = "a temporal property (liveness)"
            return
        ps, insts = per_instance(p, over, f"{name}: condition")
        qs, _ = per_instance(q, over, f"{name}: condition")
        expr = And(*[Implies(a, b) for a, b in zip(ps, qs)])
        prop = Property(name, kind, expr, doc, {"temporal": Temporal(ps, qs, insts, fair)}, caller_site())
        first = next((x for x in self.properties + self.liveness if x.name == name), None)
        if first is not None:
            raise ModelError(f"property {name!r} declared twice" + first_at(first.where))
        self.liveness.append(prop)

    def eventually(self, name: str, p: Any, over: Any = None, fair: bool = True, doc: str = "") -> None:
        """``<>P``: every fair run reaches a state where ``p`` holds (``p(i)`` for each ``i`` of ``over``)."""
        self._temporal(name, "eventually", True, p, over, fair, doc)

    def always_eventually(self, name: str, p: Any, over: Any = None, fair: bool = True, doc: str = "") -> None:
        """``[]<>P``: on every fair run ``p`` holds infinitely often."""
        self._temporal(name, "always_eventually", True, p, over, fair, doc)

    def leads_to(self, name: str, p: Any, q: Any, over: Any = None, fair: bool = True, doc: str = "") -> None:
        """``P ~> Q``: on every fair run, whenever ``p`` holds, ``q`` holds then or later.

        With ``over=range(n)``, ``p`` and ``q`` are functions of the instance: ``p(i) ~> q(i)`` for each.
        """
        self._temporal(name, "leads_to", p, q, over, fair, doc)

    def non_progress(self, name: str, fair: bool = True, doc: str = "") -> None:
        """No fair infinite run whose suffix takes no step marked ``t.mark_progress()`` (a livelock,
        e.g. a poll loop spinning with no external event). Stopping is not a cycle."""
        self._temporal(name, "non_progress", True, False, None, fair, doc or "no cycle without a progress step")

    def starvation(
        self,
        name: str,
        over: Any,
        waiting: Callable[[Any], Any],
        bound: int,
        served: Callable[[Any], Any] | None = None,
        cap: int | None = None,
        doc: str = "",
    ) -> None:
        """Bounded starvation: an instance ``i`` of ``over`` that waits (``waiting(i)``) is served
        within ``bound`` services of other instances. Compiled into a ghost counter per instance and
        the invariant ``count <= bound`` (kind ``invariant``, ``extra["starvation"]``); the counter
        saturates at ``cap`` (default ``bound + 1``). ``served(i)`` is a step condition (may use
        ``Next``); by default ``i`` is served by the step after which it no longer waits."""
        from checker.lang.expr import ForAll

        if unbounded(over):
            self.not_parameterised[name] = "a ghost counter per instance, bounded by a number of instances"
            return
        if bound < 0:
            raise ModelError(f"{name}: bound must be >= 0")
        top = bound + 1 if cap is None else cap
        if top <= bound:
            raise ModelError(f"{name}: cap must exceed the bound")
        ws, insts = per_instance(waiting, over, f"{name}: waiting")
        ss = per_instance(served, over, f"{name}: served")[0] if served is not None else default_served(ws)
        cvar = self.var(f"{name}.count", Array(len(insts), Int(0, top)), ghost=True,
                        doc=f"{name}: services of others while waiting (ghost)")
        st = Starvation(cvar.value, insts, ws, ss, bound, top, served is None)
        self._prop(Property(name, "invariant", ForAll(range(len(insts)), lambda k: cvar[k] <= bound),
                            doc or f"a waiting instance is served within {bound} services of others",
                            {"starvation": st}))

    def round_robin(self, name: str, over: Any, waiting: Callable[[Any], Any], doc: str = "",
                    explain: Any = None) -> None:
        """Round-robin service, by meaning: while an instance ``i`` of ``over`` waits
        (``waiting(i)``), no other instance is served twice (served: it stops waiting). With ``n``
        instances a waiting one is thus served within ``n - 1`` services of others, and the statement
        itself names no number: it holds, or not, for every ``n`` at once. Compiled into a ghost
        relation ``{name}.served[i][j]`` (services of ``j`` while ``i`` waits, saturating at 2; reset
        when ``i`` stops waiting) and the invariant ``∀ i ≠ j. served[i][j] <= 1``
        (see :func:`checker.lang.temporal.compile_round_robin`)."""
        from checker.lang.expr import And, ForAll
        from checker.lang.temporal import RoundRobin

        rel = self.var(f"{name}.served", Array(over.size, Array(over.size, Int(0, 2))), ghost=True,
                       doc=f"{name}: services of instance j while instance i waits (ghost relation)")
        rr = RoundRobin(rel.value, over, waiting)
        self._prop(Property(name, "invariant",
                            ForAll(over, lambda i: And(*over.each(lambda j: rel[i][j] <= 1, but=i))),
                            doc or "while an instance waits, no other instance is served twice",
                            {**_explain(explain), "round_robin": rr}))

    def finish(self) -> None:
        if not any(p.kind == "deadlock" for p in self.properties):
            self.deadlock()
        for tag, p in enumerate(self.properties):
            if "starvation" in p.extra:
                st = p.extra["starvation"]
                compile_starvation(self, st, tag)
                sym = self.symmetry
                if sym is not None and st.instances == list(range(sym.instances)) and st.counter not in sym.arrays:
                    # a per-instance ghost counter is renamed with the instances it counts for
                    self.symmetry = Symmetry(sym.instances, sym.arrays + (st.counter,), sym.ids)
            if "round_robin" in p.extra:
                if self.symmetry is not None:
                    raise ModelError(f"{p.name}: a ghost relation over pairs of instances is not renamed by symmetry")
                compile_round_robin(self, p.extra["round_robin"], tag)
        if not self.transitions:
            raise ModelError(f"system {self.name!r} has no steps", where=self.where)
        self._check_fairness()
        self._finished = True

    def _check_fairness(self) -> None:
        """A fairness rule of the spec (not a glob pattern) must name an actor instance or a step of one."""
        pairs = {(t.actor, t.label) for t in self.transitions}
        actors = {a for a, _ in pairs}
        for r in self.fairness:
            if any(ch in r.actor + (r.label or "") for ch in "*?["):
                continue
            if (r.actor not in actors) if r.label is None else ((r.actor, r.label) not in pairs):
                known = sorted(actors) if r.label is None else sorted(f"{a}:{lb}" for a, lb in pairs if a == r.actor)
                raise ModelError(f"fairness rule names no step: {r.actor}" + (f":{r.label}" if r.label else "")
                                 + (f" (there are: {', '.join(known[:8])})" if known else ""), where=r.where)

    # values
    def init_state(self) -> tuple:
        return tuple(v.init for v in self.vars)

    def var_named(self, name: str) -> Var:
        for v in self.vars:
            if v.name == name:
                return v
        raise KeyError(name)


# ---------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Symmetry:
    """Interchangeable instances: see :meth:`System.symmetric`."""

    instances: int
    arrays: tuple[Var, ...]
    ids: tuple[Var, ...]


def _decl_var(e: Expr) -> Var:
    if e.op != "var":
        raise ModelError(f"{e!r} is not a state variable")
    return e.value  # type: ignore[no-any-return]


def _bindings(params: Mapping[str, Sequence[Any]] | None) -> list[dict[str, Any]]:
    if not params:
        return [{}]
    names = list(params)
    domains = [[ivar(params[n], n)] if unbounded(params[n]) else list(params[n]) for n in names]  # type: ignore[arg-type]
    return [dict(zip(names, combo)) for combo in itertools.product(*domains)]


def _has_ivar(binding: Mapping[str, Any]) -> bool:
    return any(isinstance(v, Expr) and v.op == "ivar" for v in binding.values())


class _Choices:
    """Enumerates the combinations of a step body's ``choose`` calls by re-running the body:
    each run follows a prefix of earlier decisions and takes the first value of every new one;
    the next run advances the last decision that has values left (depth-first, so a domain may
    depend on earlier choices)."""

    def __init__(self, prefix: list[int]) -> None:
        self.prefix = prefix
        self.taken: list[tuple[int, int]] = []  # (index chosen, domain size) per decision of this run

    def pick(self, name: str, values: list[Any]) -> Any:
        k = len(self.taken)
        idx = self.prefix[k] if k < len(self.prefix) else 0
        if idx >= len(values):
            raise ModelError(f"choose({name!r}): the domain changed between runs of the same step body")
        self.taken.append((idx, len(values)))
        return values[idx]

    @staticmethod
    def runs() -> Iterator[_Choices]:
        prefix: list[int] = []
        while True:
            ch = _Choices(prefix)
            yield ch
            taken = list(ch.taken)
            while taken and taken[-1][0] + 1 >= taken[-1][1]:
                taken.pop()
            if not taken:
                return
            prefix = [i for i, _ in taken[:-1]] + [taken[-1][0] + 1]


def _values_of(typ: Type) -> list[Any]:
    if isinstance(typ, Int):
        if typ.hi - typ.lo >= 1 << 12:
            raise ModelError(f"choose over {typ!r}: {typ.hi - typ.lo + 1} values, one transition each; "
                             "choose among the values that behave differently")
        return list(range(typ.lo, typ.hi + 1))
    if isinstance(typ, Enum):
        return list(typ.names)
    if isinstance(typ, BoolType):
        return [False, True]
    raise ModelError(f"choose over {typ!r}: give the values (a list or range)")


def _with_chosen(binding: dict[str, Any], t: StepBuilder) -> dict[str, Any]:
    clash = set(binding) & set(t.chosen)
    if clash:
        raise ModelError(f"choose({sorted(clash)[0]!r}) reuses the name of a step parameter")
    return {**binding, **t.chosen}


def _explain(explain: Any) -> dict[str, Any]:
    return {} if explain is None else {"explain": explain}


def _as_bool(x: Any) -> Expr:
    e = lift(x)
    if not isinstance(e.typ, BoolType):
        raise ModelError(f"{e!r} is not a condition")
    return e


def _lvalue(target: Expr) -> tuple[Var, tuple[Expr, ...]]:
    path: list[Expr] = []
    e = target
    while e.op == "index":
        if not isinstance(e.args[0].typ, Array):
            raise ModelError("only array elements can be assigned; use push_back/remove etc. for sequences")
        path.append(e.args[1])
        e = e.args[0]
    if e.op != "var":
        raise ModelError(f"{target!r} cannot be assigned")
    return e.value, tuple(reversed(path))


__all__ = [
    "Actor", "Assign", "Constant", "If", "Int", "Let", "Property", "Require", "Seq", "SpecDef",
    "Stmt", "StepBuilder", "Symmetry", "System", "Transition", "Var",
]


def _parameterised(typ: Type) -> bool:
    """A type over an unbounded instance family (its values are not Python values)."""
    from checker.lang.family import InstId

    if isinstance(typ, InstId):
        return True
    if isinstance(typ, Array):
        return not isinstance(typ.size, int) or _parameterised(typ.elem)
    if isinstance(typ, Seq):
        return typ.capacity is None or _parameterised(typ.elem)
    return False


def _elem_init(typ: Type, init: Any) -> Any:
    """A parameterised variable's initial value: every element alike (a scalar), or empty."""
    while isinstance(typ, Array):
        typ = typ.elem
    if isinstance(typ, Seq):
        return ()
    return typ.default() if init is None else typ.normalise(init)
