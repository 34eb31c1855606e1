"""Temporal properties, fairness and bounded starvation: the declarations (checked by ``checker.liveness``).

Fairness
--------
A run is *fair* for a group of steps ``A`` when:

* ``weak``   (TLA+ ``WF``): if ``A`` is enabled in every state from some point on, an ``A`` step is taken
  infinitely often — on a lasso: if ``A`` is enabled in every state of the loop, the loop takes an ``A`` step;
* ``strong`` (TLA+ ``SF``): if ``A`` is enabled infinitely often, an ``A`` step is taken infinitely often —
  on a lasso: if ``A`` is enabled in some state of the loop, the loop takes an ``A`` step. Use it for a step
  that is only intermittently enabled (e.g. a context that other contexts keep pre-empting).

A group is either a whole actor instance (any of its steps: PlusCal's ``fair process``) or one step of one
actor instance (all its parameter bindings). Declare fairness with ``fair=`` on ``System.actor``,
``Actor.step`` and ``System.action``, with :meth:`System.fair`, or from a configuration
(``[options] fairness = {"CPU0 softirq" = "weak", "IRQ*" = "strong", "TIMER*:idle" = "none"}``, keys are
``actor`` or ``actor:label`` glob patterns over the names shown in traces). Steps without fairness may
be taken or not: devices and other environment events are normally left unfair.

A run may also *stop* (stutter forever) in a state where no fair group is enabled: "no more packets arrive"
is a legitimate future. Without any fairness every state can stutter, so most liveness properties fail.

Temporal properties (``Property.kind``)
---------------------------------------
* ``eventually``        ``<>P``: every fair run from the initial state reaches a state where ``P`` holds;
* ``always_eventually`` ``[]<>P``: on every fair run ``P`` holds infinitely often;
* ``leads_to``          ``[](P => <>Q)`` (``P ~> Q``): whenever ``P`` holds, ``Q`` holds then or later;
* ``non_progress``      no fair infinite run that, from some point on, takes no step marked with
  ``t.mark_progress()`` (SPIN's non-progress cycles, ``-l``; a run that stops is not a cycle).

``P`` and ``Q`` are state conditions. With ``over=range(n)`` they are functions of an instance and the
property is the conjunction over the instances (each checked, the first violation reported).
A violation is a *lasso*: a finite prefix and a loop that repeats forever (``Trace.loop``).

Bounded starvation (an invariant with ``Property.extra["starvation"]``)
---------------------------------------------------------------------
``System.starvation(name, over, waiting, bound, served=None)``: "an instance that waits is served within
``bound`` services of others". It is compiled into the System as a ghost counter per instance, updated
by every step (``count[i]`` becomes ``count[i] + 1`` when ``i`` waits before and after the step, is not
served, and some other instance is served; ``0`` when ``i`` does not wait after the step or is served),
saturating at ``cap`` (default ``bound + 1``), and the invariant ``count[i] <= bound``: a safety property
that every engine checks. ``served(i)`` is a step condition (it may use ``Next``); by default an instance
is served by the step after which it no longer waits. The explicit engine also computes the *tight*
bound, the exact maximum of the count over reachable states (not limited by ``cap``), with a run that
reaches it, or reports the starvation as unbounded with a lasso in which the instance waits forever.

Declaring and checking
----------------------
In a spec::

    s.actor("softirq", [...], fair="weak")                  # a weakly fair process
    s.actor("irq", [...], instances=n, fair="strong")       # strongly fair processes
    @tmr.step("prep", func=..., fair="strong")              # one fair step of a process
    s.fair("weak", "napi/kthread*")                         # by trace name (glob), after the fact
    s.leads_to("PacketsPolled", over=range(n), p=lambda i: pending[i] > 0,
               q=lambda i: And(rx.at(0, "poll"), cur[0] == i))
    s.eventually("Drained", poll_list.len() == 0)
    s.always_eventually("Idle", rx.at(0, "idle"))
    s.non_progress("NoBusyLoop")                            # progress: t.mark_progress() in steps
    s.starvation("BoundedWait", over=range(n), waiting=lambda i: poll_list.contains(i), bound=n - 1)

``fair=False`` on a temporal property checks it without the declared fairness. Temporal properties live
in ``System.liveness`` (not ``System.properties``): a configuration checks them when it names them in
``properties``. A configuration may also declare its own (``[options.liveness]``, see
checker.liveness.config) and change fairness (``[options] fairness``). The explicit engine decides them
on the state graph (checker.liveness); symmetry reduction and state constraints are refused with them.
Replaying a lasso (``napi-check replay``) re-checks the run, the loop, its fairness and the violation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from checker.lang.expr import Expr, ModelError, Next, lift, temp_expr, var_expr
from checker.lang.types import BoolType, Int

if TYPE_CHECKING:
    from checker.lang.system import Stmt, System, Var

FAIR_KINDS = ("weak", "strong")
TEMPORAL_KINDS = ("eventually", "always_eventually", "leads_to", "non_progress")


@dataclass(frozen=True)
class FairRule:
    """Fairness of a group of steps: an actor instance (``label`` None) or one of its steps.

    ``actor`` and ``label`` are the names shown in traces, or glob patterns (configuration rules).
    ``kind`` is ``weak``, ``strong`` or ``none`` (removes the group).
    """

    kind: str
    actor: str
    label: str | None = None
    where: str = field(default="", compare=False)  # file:line of the spec code declaring it (checker.lang.site)


def fair_kind(kind: str | bool | None) -> str | None:
    """Normalise a ``fair=`` argument: None/False -> None, True -> "weak", "weak"/"strong" as is."""
    if kind is None or kind is False:
        return None
    if kind is True:
        return "weak"
    if kind not in FAIR_KINDS:
        raise ModelError(f"fair= must be 'weak', 'strong', True or None, not {kind!r}")
    return kind


@dataclass
class Temporal:
    """The conditions of a temporal property, one pair per instance (``Property.extra["temporal"]``)."""

    p: list[Expr]
    q: list[Expr]
    instances: list[Any]
    fair: bool = True  # False: check without the declared fairness


@dataclass
class Starvation:
    """A bounded-starvation declaration (``Property.extra["starvation"]``)."""

    counter: Var
    instances: list[Any]
    waiting: list[Expr]  # state conditions
    served: list[Expr]  # step conditions (may use Next)
    bound: int
    cap: int
    default_served: bool
    compiled: list[int] = field(default_factory=list)  # transitions that update the counter


def as_cond(x: Any, what: str) -> Expr:
    e = lift(x)
    if not isinstance(e.typ, BoolType):
        raise ModelError(f"{what}: {e!r} is not a condition")
    return e


def per_instance(f: Any, over: Iterable[Any] | None, what: str) -> tuple[list[Expr], list[Any]]:
    """``f`` evaluated for each instance (or once, when ``over`` is None)."""
    if over is None:
        if callable(f) and not isinstance(f, Expr):
            raise ModelError(f"{what} is a function: give over=range(n)")
        return [as_cond(f, what)], [None]
    insts = list(over)
    if not insts:
        raise ModelError(f"{what}: over= is empty")
    if callable(f) and not isinstance(f, Expr):
        return [as_cond(f(i), what) for i in insts], insts
    return [as_cond(f, what) for _ in insts], insts


# ---------------------------------------------------------------- starvation: the ghost counter


def slots_of(e: Expr, acc: set[int]) -> set[int]:
    if e.op == "var":
        acc.add(e.value.slot)
    for a in e.args:
        slots_of(a, acc)
    return acc


def _pre(e: Expr, pre: dict[int, Expr]) -> Expr:
    """``e`` as a step condition read at the end of a step body: plain variables from the pre-state
    (the temps bound at the start), ``Next(x)`` from the current (post) values."""
    if e.op == "next":
        return e.args[0]
    if e.op == "var":
        return pre[e.value.slot]
    if not e.args:
        return e
    return Expr(e.op, tuple(_pre(a, pre) for a in e.args), e.typ, e.value)


def bind_pre_state(system: System, t: Any, read: set[int], prefix: str) -> dict[int, Expr]:
    """Bind the pre-state values of the slots ``read`` to temps at the start of step ``t`` (after its
    guards), for an update appended at its end; returns slot -> temp expression."""
    from checker.lang.system import Let, Require

    at = 0
    while at < len(t.body) and isinstance(t.body[at], Require):
        at += 1
    t.body[at:at] = [Let(f"{prefix}_{k}", var_expr(system.vars[k])) for k in sorted(read)]
    return {k: temp_expr(f"{prefix}_{k}", system.vars[k].typ) for k in sorted(read)}


def compile_starvation(system: System, st: Starvation, tag: int) -> None:
    """Append the counter update of ``st`` to every transition that can change it."""
    from checker.lang.expr import And, Ite, Min, Not, Or
    from checker.lang.system import Assign, If, assigned_slots

    read: set[int] = set()
    for e in st.waiting + st.served:
        slots_of(e, read)
    cvar = st.counter
    c = var_expr(cvar)
    for t in system.transitions:
        if st.default_served and not (assigned_slots(t.body) & read):
            continue  # nothing the waiting condition reads changes: the count stays as it is
        pre = bind_pre_state(system, t, read, f"_starv{tag}")
        served = [_pre(s, pre) for s in st.served]
        for k in range(len(st.instances)):
            waits = And(_pre(st.waiting[k], pre), st.waiting[k], Not(served[k]))
            others = Or(*[served[j] for j in range(len(st.instances)) if j != k])
            bump = Min(c[k] + Ite(others, 1, 0), st.cap)
            t.body.append(If(waits, [Assign(cvar, (lift(k),), bump)], [Assign(cvar, (lift(k),), lift(0, cvar.typ.elem))]))
        st.compiled.append(t.index)


@dataclass
class RoundRobin:
    """A round-robin declaration (``Property.extra["round_robin"]``): see ``System.round_robin``."""

    relation: Var  # Array(n, Array(n, Int(0, 2))): services of j while i waits
    over: Any  # the instance family
    waiting: Any  # instance -> state condition


def compile_round_robin(system: System, rr: RoundRobin, tag: int) -> None:
    """Append the ghost relation's update to every step that can change what ``waiting`` reads.

    For every pair ``i ≠ j``: when ``i`` waits before and after the step and is not served, and ``j``
    is served by it (waited before, not after), ``served[i][j]`` counts one more (saturating at 2);
    when ``i`` does not wait after the step (or is served), its row is reset to 0. Grounded, one
    ``If`` per pair; over an unbounded family, one :class:`ForEach` over the pair (a binder that the
    parameterised translation reads as a function of the pair)."""
    from checker.lang.expr import And, Min, Not
    from checker.lang.family import ivar, unbounded
    from checker.lang.system import Assign, ForEach, If, assigned_slots

    fam = rr.over
    rel = var_expr(rr.relation)
    probe = ivar(fam, f"_rr{tag}") if unbounded(fam) else 0
    read: set[int] = set()
    slots_of(as_cond(rr.waiting(probe), f"{rr.relation.name}: waiting"), read)
    for t in system.transitions:
        if not (assigned_slots(t.body) & read):
            continue
        pre = bind_pre_state(system, t, read, f"_rr{tag}")

        def update(i: Any, j: Any, pre: dict[int, Expr] = pre) -> Stmt:
            wi, wj = as_cond(rr.waiting(i), "waiting"), as_cond(rr.waiting(j), "waiting")
            stays = And(_pre(wi, pre), wi)  # i waits before and after, so is not served by the step
            served_j = And(_pre(wj, pre), Not(wj))
            bump = Assign(rr.relation, (lift(i), lift(j)), Min(rel[i][j] + 1, 2))
            return If(stays, [If(served_j, [bump], [])], [Assign(rr.relation, (lift(i), lift(j)), lift(0, Int(0, 2)))])

        if unbounded(fam):
            a, b = ivar(fam, f"_rr{tag}_i"), ivar(fam, f"_rr{tag}_j")
            t.body.append(ForEach((a.value, b.value), [If(a != b, [update(a, b)], [])]))
        else:
            t.body.extend(update(i, j) for i in fam for j in fam if i != j)


def default_served(waiting: list[Expr]) -> list[Expr]:
    """Served = waiting before the step and not after it."""
    from checker.lang.expr import And, Not

    return [And(w, Not(Next(w))) for w in waiting]
