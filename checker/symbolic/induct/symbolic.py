"""Symbolic data bounds: one proof for every ring size, weight and budget.

A spec's ``build`` receives its constants as Python ints and bakes them into types
(``Int(0, RING)``) and expressions (``pending < RING``, ``Min(pending, WEIGHT)``). To make a
constant ``C`` symbolic without a second encoding, the spec is instantiated with a *sentinel*
value for ``C`` (a large number no model uses, e.g. 1,000,003), translated to Z3 as usual, and
every numeral ``sentinel + k`` (|k| ≤ 16) in every formula is replaced by ``C + k``, where ``C``
is a Z3 integer that is part of every state and never changes, constrained by the constant's
declared lower bound. A numeral near a sentinel that is not of that form (``2 * RING``) is
refused.

The translation is sound for every value of ``C`` only if ``build`` uses ``C`` uniformly, as
data. That is checked, not assumed: the IR built at the sentinel, with ``sentinel + k`` read as
``v + k``, must print exactly as the IR built at ``v``, for the configuration's value and the
lower bound (and one above it). A spec that branches on a constant (``if RING > 4``) or uses it
as a count of steps fails the check, and the constant stays concrete (the engine says so).

*Ordered constants* (``make_symbolic(..., ordered=True)``, the fixed-N and every-N engines). A constant
that fails the check alone may pass it under an order with one already accepted: Linux types
every context's ``work`` as ``Int(0, max(WEIGHT, BP_BUDGET))``, and Python's ``max`` of two
sentinels is the larger one, i.e. the constant with the later sentinel. With ``BP_BUDGET``'s
sentinel placed below ``WEIGHT``'s, the sentinel IR reads ``Int(0, WEIGHT)``, which is the IR at
every value with ``BP_BUDGET ≤ WEIGHT`` (the kernel's own region: BUSY_POLL_BUDGET 8, weight 64).
The same check decides it, at trial values that keep the order, and the order is then part of
every state's well-formedness and of the claim ("1 ≤ BP_BUDGET ≤ WEIGHT"). The every-N path
(:mod:`.param`) takes the same order: its translation's well-formedness, initial states, mining
values, claim and grounded re-check keep it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import z3

from checker.lang.expr import Expr
from checker.lang.printer import show_expr, show_stmts
from checker.lang.system import Property, SpecDef, System, Transition
from checker.lang.types import Int
from checker.symbolic.induct.atoms import Atom
from checker.symbolic.induct.substitution import Substitution
from checker.symbolic.translate import Encoder, FlagsV, SeqV, SState, StepSem, Val

SENTINEL = 1_000_003
SPACING = 1_000
OFFSETS = 16

#: the data bounds made symbolic when a spec has them and uses them uniformly
DATA_BOUNDS = ("RING", "WEIGHT", "BUDGET", "BP_BUDGET")


def sentinel(j: int) -> int:
    return SENTINEL + j * SPACING


def fingerprint(system: System) -> str:
    """The IR as text: variables with types and initial values, steps with bodies, properties."""
    lines = [f"var {v.name}: {v.typ!r} = {v.init!r}" for v in system.vars]
    for t in system.transitions:
        lines.append(f"step {t.key} {t.function}")
        lines.extend(show_stmts(t.body, "  "))
    lines.extend(f"prop {p.name} {p.kind} {show_expr(p.expr)}" for p in system.properties)
    return "\n".join(lines)


def _read_as(text: str, names: list[str], values: list[int]) -> str:
    """``text`` with each integer near a sentinel read as the corresponding value."""

    def sub(m: re.Match[str]) -> str:
        n = int(m.group(0))
        for j, v in enumerate(values):
            if abs(n - sentinel(j)) <= OFFSETS:
                return str(v + n - sentinel(j))
        return m.group(0)

    return re.sub(r"\d+", sub, text)


@dataclass
class Symbolic:
    """The constants made symbolic, their lower bounds and the sentinel-built System."""

    names: list[str]
    lows: list[int]
    system: System
    refused: dict[str, str]  # constant -> why it stays concrete
    #: ordered constants: constant -> the constant it is at most (its sentinel is below that one's)
    below: dict[str, str] = field(default_factory=dict)

    def claim(self) -> str:
        free = [f"{n} ≥ {lo}" for n, lo in zip(self.names, self.lows) if n not in self.below]
        return ", ".join(free + [f"{lo} ≤ {n} ≤ {self.below[n]}" for n, lo in zip(self.names, self.lows)
                                 if n in self.below])

    def admit(self, values: list[int]) -> list[int]:
        """``values`` (in the order of ``names``) raised where needed to keep every order."""
        return keep_order(self.names, values, self.below)

    def order(self, consts: list[Any]) -> list[Any]:
        """The orders as constraints over the constants (Z3 terms in the order of ``names``)."""
        at = dict(zip(self.names, consts))
        return [at[n] <= at[m] for n, m in self.below.items()]


def keep_order(names: list[str], values: list[int], below: dict[str, str]) -> list[int]:
    """``values`` (in the order of ``names``) with each constant raised to at least every one
    ordered below it."""
    out = dict(zip(names, values))
    for n, m in below.items():
        out[m] = max(out[m], out[n])
    return [out[n] for n in names]


def make_symbolic(spec: SpecDef, constants: dict[str, Any], wanted: list[str],
                  ordered: bool = False) -> Symbolic | None:
    """The sentinel System for the ``wanted`` constants that the spec uses uniformly (checked at
    the configuration's value, the lower bound and one above); None when none qualifies. With
    ``ordered``, a constant refused alone is tried at most each one accepted before it whose
    configured value is not below its own (module docstring)."""
    names: list[str] = []
    lows: list[int] = []
    below: dict[str, str] = {}
    refused: dict[str, str] = {}
    for name in wanted:
        c = spec.constant(name)
        if c is None or c.kind is not int:
            continue
        lo = c.min if c.min is not None else 0
        why = _uniform(spec, constants, names + [name], lows + [lo], below)
        if why is None:
            names.append(name)
            lows.append(lo)
            continue
        for k, other in enumerate(list(names) if ordered else []):
            if int(constants[name]) > int(constants[other]) or lo > lows[k] or not _matters(spec, constants, name, other, lo):
                continue
            trial, trial_lows = names[:k] + [name] + names[k:], lows[:k] + [lo] + lows[k:]
            if _uniform(spec, constants, trial, trial_lows, {**below, name: other}, name) is None:
                names, lows, below = trial, trial_lows, {**below, name: other}
                break
        else:
            refused[name] = why
    if not names:
        return None
    vals = dict(constants)
    vals.update({n: sentinel(j) for j, n in enumerate(names)})
    return Symbolic(names, lows, spec.instantiate(vals), refused, below)


def _matters(spec: SpecDef, constants: dict[str, Any], name: str, other: str, lo: int) -> bool:
    """Does the IR depend on ``name`` where it is at most ``other``? (Linux without a busy poller
    uses BP_BUDGET only in ``max(WEIGHT, BP_BUDGET)``: below WEIGHT it changes nothing, and a
    constant that changes nothing is not worth a symbol, nor a word in the claim.)"""
    top = max(int(constants[other]), lo + 1)
    texts = {fingerprint(spec.instantiate({**constants, other: top, name: v})) for v in (lo, lo + 1)}
    return len(texts) > 1


def _shape(system: System) -> tuple[int, int, int]:
    from checker.symbolic.translate import flat_access

    return len(system.vars), len(system.transitions), len(flat_access(system))


def _uniform(spec: SpecDef, constants: dict[str, Any], names: list[str], lows: list[int],
             below: dict[str, str] | None = None, new: str = "") -> str | None:
    # cheap first: a constant that sizes arrays or multiplies steps (a count of instances) changes
    # the shape of the IR between two small values; never instantiate it at a sentinel
    # ``new``: the constant being tried (default the last); ``below``: the orders the trials keep
    below = below or {}
    name = new or names[-1]
    lo = lows[names.index(name)]
    shapes = set()
    for v in (lo, lo + 1):
        try:
            shapes.add(_shape(spec.instantiate({**constants, name: v})))
        except Exception as err:  # noqa: BLE001 - the spec refuses the value
            return f"the spec rejects {name}={v}: {err}"
    if len(shapes) > 1:
        return f"{name} changes the shape of the system (it counts instances or steps)"
    vals = dict(constants)
    vals.update({n: sentinel(j) for j, n in enumerate(names)})
    try:
        abstract = fingerprint(spec.instantiate(vals))
    except Exception as err:  # noqa: BLE001 - a spec refusing a huge value: not usable symbolically
        return f"the spec rejects a large {name}: {err}"
    base = [int(constants[n]) for n in names]
    trials = [base] + [[lo if i == k else b for i, b in enumerate(base)] for k, lo in enumerate(lows)]
    trials += [[lo + 1 if i == k else b for i, b in enumerate(base)] for k, lo in enumerate(lows)]
    # each order at its top, above every other constant (``BP_BUDGET = WEIGHT`` past RING): an order
    # under the wrong constant (BP_BUDGET <= RING, where the max reads WEIGHT) passes every trial
    # above whenever the configured values happen to keep BP_BUDGET <= WEIGHT too
    top = max(base + [lo + 1 for lo in lows]) + 1
    for n, m in below.items():
        for rest in (lows, base):
            trials.append([top if x in (n, m) else v for x, v in zip(names, rest)])
    trials = [keep_order(names, t, below) for t in trials]  # e.g. BP_BUDGET + 1 raises WEIGHT with it
    for values in trials:
        concrete = dict(constants)
        concrete.update(dict(zip(names, values)))
        try:
            text = fingerprint(spec.instantiate(concrete))
        except Exception as err:  # noqa: BLE001
            return f"the spec rejects {dict(zip(names, values))}: {err}"
        if _read_as(abstract, names, values) != text:
            return f"the spec does not use {name} uniformly (its IR at {dict(zip(names, values))} differs)"
    return None


class SymbolicEncoder(Encoder):
    """The Encoder of the sentinel System, with each sentinel numeral replaced by its constant.

    Every state carries the constants as extra flat locations (named like the constants, never
    changed by a step), so that Horn clauses and induction checks see one value per run."""

    def __init__(self, sym: Symbolic) -> None:
        super().__init__(sym.system)
        self.sym = sym
        self._consts: dict[int, list[z3.ArithRef]] = {}
        self._clean: dict[int, z3.ExprRef] = {}  # sub-terms shown free of leftover sentinels
        self._pairs: dict[int, Substitution] = {}

    def consts(self, s: SState) -> list[z3.ArithRef]:
        return self._consts[id(s)]

    def state(self, tag: str) -> SState:
        s = super().state(tag)
        cs = [z3.Int(f"{n}{tag}") for n in self.sym.names]
        s.flat.extend(cs)
        s.names.extend(self.sym.names)
        s.types.extend(Int(lo, 1 << 30) for lo in self.sym.lows)
        self._consts[id(s)] = cs
        self._keep[id(s)] = s
        return s

    def subst(self, e: Any, s: SState) -> Any:
        sub = self._pairs.get(id(s))
        if sub is None:  # built once per state: thousands of terms are read over the same one
            sub = Substitution([(z3.IntVal(sentinel(j) + k), c + k if k else c)
                                for j, c in enumerate(self.consts(s)) for k in range(-OFFSETS, OFFSETS + 1)])
            self._pairs[id(s)] = sub
        out = sub.apply(e)
        self._refuse_leftovers(out)
        return out

    def _refuse_leftovers(self, e: z3.ExprRef) -> None:
        # a term is a DAG and terms share sub-terms: each node is walked once over all calls (the
        # clean ones are kept, so that their ids stay theirs)
        clean = self._clean
        todo = [e]
        seen: dict[int, z3.ExprRef] = {}
        while todo:
            t = todo.pop()
            key = t.get_id()
            if key in seen or key in clean:
                continue
            seen[key] = t
            if z3.is_int_value(t) and abs(t.as_long()) >= SENTINEL // 2:
                raise ValueError(f"a constant is used non-linearly ({t.as_long()}): it cannot be made symbolic")
            todo.extend(t.children())
        clean.update(seen)

    def _val(self, v: Val, s: SState) -> Val:
        if isinstance(v, list):
            return [self._val(x, s) for x in v]
        if isinstance(v, SeqV):
            return SeqV(self.subst(v.length, s), [self._val(x, s) for x in v.slots], v.elem)
        if isinstance(v, FlagsV):
            return FlagsV([self.subst(b, s) for b in v.bits])
        return self.subst(v, s)

    def sem(self, t: Transition, s: SState) -> StepSem:
        key = (t.index, id(s), "sym")
        cache: dict = self.__dict__.setdefault("_symsem", {})
        if key not in cache:
            base = super().sem(t, s)
            cache[key] = StepSem(self.subst(base.enabled, s), self.subst(base.err, s), self._val(base.post, s))
        return cache[key]  # type: ignore[no-any-return]

    def post_flat(self, t: Transition, s: SState) -> list[Any]:
        return super().post_flat(t, s) + self.consts(s)

    def wf(self, s: SState) -> z3.BoolRef:
        lows = [c >= lo for c, lo in zip(self.consts(s), self.sym.lows)] + self.sym.order(self.consts(s))
        return z3.And(self.subst(super().wf(s), s), *lows)

    def init(self, s: SState) -> z3.BoolRef:
        """The initial state, for every value of the constants within their bounds (and orders)."""
        lows = [c >= lo for c, lo in zip(self.consts(s), self.sym.lows)] + self.sym.order(self.consts(s))
        return z3.And(self.subst(super().init(s), s), *lows)

    def init_values(self) -> list[Any]:
        """The initial state's flat values; the constants stay free (named as in ``state("")``)."""
        return super().init_values() + [z3.Int(n) for n in self.sym.names]

    def holds(self, expr: Expr, s: SState, s2: SState | None = None) -> z3.BoolRef:
        return self.subst(super().holds(expr, s, s2), s)


def concretise(atoms: list[Atom], values: list[int]) -> list[Atom]:
    """The atoms of the sentinel System read at concrete values of the symbolic constants."""
    out = []
    for a in atoms:
        v = a.value
        for j, val in enumerate(values):
            if abs(v - sentinel(j)) <= OFFSETS:
                v = val + v - sentinel(j)
        out.append(replace(a, value=v, consts=tuple(values)) if a.kind == "expr" else replace(a, value=v))
    return out


def rename(text: str, names: list[str]) -> str:
    """Sentinel numerals in a text shown as the constants' names (``RING``, ``RING - 1``)."""

    def sub(m: re.Match[str]) -> str:
        n = int(m.group(0))
        for j, name in enumerate(names):
            k = n - sentinel(j)
            if abs(k) <= OFFSETS:
                return name if k == 0 else f"{name} {'+' if k > 0 else '-'} {abs(k)}"
        return m.group(0)

    return re.sub(r"\d+", sub, text)


def symbolic_properties(sym: Symbolic, props: list[Property]) -> list[Property]:
    """The sentinel System's properties of the same names."""
    return [sym.system.prop(p.name) for p in props]
