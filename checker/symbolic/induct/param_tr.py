"""The parameterised IR (an unbounded instance family, checker.lang.family) in Z3, over an instance sort.

State. The instances are an uninterpreted Z3 sort ``Inst``; a per-instance array is a Z3 array
from ``Inst`` (one per scalar component: a flag word is one Boolean array per bit); a value that
names an instance (``softirq.cur[0]``) is a constant of sort ``Inst``; the symbolic data bounds
(RING, WEIGHT) are integers shared by every state. A sequence of instances (the poll list) is
abstracted to a per-instance *count* and a *length*: ``push_back``/``push_front`` add one to both,
``head``/``pop_front`` pick an instance ``h`` with a positive count (a fresh constant of the step)
and ``pop_front`` takes one from both, ``contains``/``count``/``len`` read them. Every concrete
run maps to an abstract run (the concrete head has a positive count), so a fact proved of the
abstraction holds of the spec — for facts the abstraction can state at all: reading a position
(``s[k]``) or concatenating is refused. When the spec has a binary relation over the instances
(``order``), the sequence also keeps ``before[a][b]``, the order of first occurrences, a Boolean
relation over the instance sort (:class:`PSeq`, :meth:`StepRun._order`): FIFO facts such as
"a ``j`` taken while ``i`` waits is behind ``i``" can then be stated. Binary relations
(``Array(ids, Array(ids, T))``) are arrays of arrays over the sort, updated at every pair at once
by a ``ForEach`` (a lambda over the pair: pointwise, which keeps the K-slot argument below).

Verification conditions. A step is one template with its instance parameters (``i``) and head
choices as constants. An invariant is a conjunction of clauses ``∀ i ≠ j. C(i, j)`` over the
state; a VC ``J(x) ∧ T(x, x') ∧ ¬C(x')`` is then in the ∃*∀* (EPR-like) class: the only
quantifiers are the ``∀`` of ``J`` and of the steps' guards (``forall`` binders, "every other
hard-IRQ handler is idle"), under the existential constants (step parameters, the instance-valued
state, the witnesses of ``¬C``). :meth:`PTr.universe` lists those constants (K of them) and
every ``∀`` is instantiated at every one of them, which leaves a quantifier-free formula
(arrays, linear integers, an uninterpreted sort: decidable). This is complete for every N: a
counterexample in a system of any size restricts to the K elements the constants name (the
``∀`` facts hold on a sub-structure, the witnesses and the step stay inside it), which is a
counterexample of size at most K; and a model of the instantiated formula *is* a counterexample
of that size (constants may coincide, so every size 1..K is covered). A ``forall`` anywhere else
(negatively in a guard, in an ``if`` condition) leaves the class and is refused.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import z3

from checker.lang.expr import Expr
from checker.lang.family import Family, InstId
from checker.lang.system import Assign, ForEach, If, Let, Require, Stmt, System, Transition, Var, assigned_slots
from checker.lang.types import Array, BoolType, Enum, Flags, Int, Seq, Type
from checker.symbolic.induct.symbolic import OFFSETS, sentinel


class NotInClass(ValueError):
    """The parameterised IR uses something outside the translation (a position read, a quantifier
    outside the ∃*∀* class ...)."""


@dataclass
class FArr:
    """A per-instance array: one Z3 array (Inst -> component) per scalar component of ``elem``; a
    binary relation over the instances (an array of per-instance arrays, ``elem`` an ``Array``) is
    one Z3 array Inst -> (Inst -> component) per component."""

    elem: Type
    comps: list[Any]


@dataclass
class PSeq:
    """A sequence of instances abstracted to per-instance counts and a length, and (when the
    translation keeps order, :attr:`PTr.order`) the binary relation ``before[a][b]``: ``a`` and ``b``
    are in the sequence and the first occurrence of ``a`` precedes the first occurrence of ``b``."""

    cnt: Any  # Z3 array Inst -> Int
    length: Any
    before: Any = None  # Z3 array Inst -> (Inst -> Bool), or None (order forgotten)


@dataclass
class Flg:
    bits: list[Any]


def _ite(c: Any, a: Any, b: Any) -> Any:
    if a is b:
        return a
    if isinstance(a, FArr):
        return FArr(a.elem, [_ite(c, x, y) for x, y in zip(a.comps, b.comps)])
    if isinstance(a, PSeq):
        return PSeq(_ite(c, a.cnt, b.cnt), _ite(c, a.length, b.length), _ite(c, a.before, b.before))
    if isinstance(a, Flg):
        return Flg([_ite(c, x, y) for x, y in zip(a.bits, b.bits)])
    if isinstance(a, list):
        return [_ite(c, x, y) for x, y in zip(a, b)]
    if isinstance(a, bool) or isinstance(b, bool):
        a, b = z3.BoolVal(a) if isinstance(a, bool) else a, z3.BoolVal(b) if isinstance(b, bool) else b
    return z3.If(c, a, b)


class PTr:
    """The translation of one parameterised System (see the module docstring)."""

    def __init__(self, system: System, sym_names: list[str], sym_lows: list[int], order: bool = False,
                 sym_below: dict[str, str] | None = None) -> None:
        fams = [f for f in system.families if f.symbolic]
        if len(fams) != 1:
            raise NotInClass("the parameterised translation takes exactly one unbounded instance family")
        self.system = system
        self.family: Family = fams[0]
        self.sort = z3.DeclareSort(self.family.name)
        self.sym = [z3.Int(n) for n in sym_names]
        self.sym_names = sym_names
        self.sym_lows = sym_lows
        #: ordered symbolic constants (.symbolic, ``Symbolic.below``): constant -> the one it is at most
        self.sym_below = dict(sym_below or {})
        self.first = z3.Const(f"{self.family.name}!first", self.sort)
        #: sequences keep the order of their first occurrences (``PSeq.before``): a binary relation
        self.order = order
        self._fresh_n = itertools.count()
        #: distinguished instances (Family.named: the busy poller's target ...): uninterpreted constants
        self.named = {n: z3.Const(f"{self.family.name}!{n}", self.sort) for n in self.family.distinguished}
        #: placements (Family.placement: instance -> CPU): uninterpreted functions into 0..m-1
        self.places = {n: z3.Function(f"{self.family.name}!{n}", self.sort, z3.IntSort())
                       for n in self.family.placements}

    def relation_sort(self, comp: Any) -> Any:
        """Inst -> (Inst -> comp): one component of a binary relation over the instances."""
        return z3.ArraySort(self.sort, comp)

    def fresh_relation(self, name: str) -> Any:
        """A fresh Boolean relation (a choice the abstraction leaves open), unique in this translation."""
        return z3.Array(f"{name}!{next(self._fresh_n)}", self.sort, self.relation_sort(z3.BoolSort()))

    @property
    def fixed(self) -> list[Any]:
        """The instance constants every VC names: ``first`` and the distinguished instances."""
        return [self.first, *self.named.values()]

    # ---- sorts and fresh states
    def comps_of(self, typ: Type) -> list[Any]:
        """The Z3 sorts of the scalar components of ``typ``."""
        if isinstance(typ, BoolType):
            return [z3.BoolSort()]
        if isinstance(typ, (Int, Enum)):
            return [z3.IntSort()]
        if isinstance(typ, Flags):
            return [z3.BoolSort()] * len(typ.names)
        if isinstance(typ, InstId):
            return [self.sort]
        raise NotInClass(f"no per-instance encoding for {typ!r}")

    def fresh(self, name: str, typ: Type, tag: str) -> Any:
        if isinstance(typ, Array) and isinstance(typ.size, Family):
            if _relation(typ):
                sorts = [self.relation_sort(c) for c in self.comps_of(typ.elem.elem)]  # type: ignore[attr-defined]
            else:
                sorts = self.comps_of(typ.elem)
            return FArr(typ.elem, [z3.Array(f"{name}#{k}{tag}", self.sort, s) for k, s in enumerate(sorts)])
        if isinstance(typ, Array):
            return [self.fresh(f"{name}[{k}]", typ.elem, tag) for k in range(typ.size)]
        if isinstance(typ, Seq):
            if not isinstance(typ.elem, InstId):
                raise NotInClass(f"{name}: only sequences of instances are abstracted (counts and length)")
            before = z3.Array(f"{name}.before{tag}", self.sort, self.relation_sort(z3.BoolSort())) if self.order else None
            return PSeq(z3.Array(f"{name}.count{tag}", self.sort, z3.IntSort()), z3.Int(f"{name}.len{tag}"), before)
        if isinstance(typ, Flags):
            return Flg([z3.Bool(f"{name}.{b}{tag}") for b in typ.names])
        if isinstance(typ, BoolType):
            return z3.Bool(name + tag)
        if isinstance(typ, (Int, Enum)):
            return z3.Int(name + tag)
        if isinstance(typ, InstId):
            return z3.Const(name + tag, self.sort)
        raise NotInClass(f"{name}: no encoding for {typ!r}")

    def state(self, tag: str) -> dict[int, Any]:
        return {v.slot: self.fresh(v.name, v.typ, tag) for v in self.system.vars}

    def init_value(self, v: Var) -> Any:
        def lit(typ: Type, value: Any) -> Any:
            if isinstance(typ, Flags):
                return Flg([z3.BoolVal(bool(value >> k & 1)) for k in range(len(typ.names))])
            if isinstance(typ, InstId):
                return self.first
            return self.lit(value, typ)

        typ, init = v.typ, v.init
        if isinstance(typ, Array) and isinstance(typ.size, Family):
            if _relation(typ):
                one = lit(typ.elem.elem, init)  # type: ignore[attr-defined]
                parts = one.bits if isinstance(one, Flg) else [one]
                return FArr(typ.elem, [z3.K(self.sort, z3.K(self.sort, p)) for p in parts])
            one = lit(typ.elem, init)
            parts = one.bits if isinstance(one, Flg) else [one]
            return FArr(typ.elem, [z3.K(self.sort, p) for p in parts])
        if isinstance(typ, Array) and isinstance(typ.elem, Seq):  # a list per CPU: every one starts empty
            if init not in ((), ((),) * typ.size):
                raise NotInClass(f"{v.name}: a list of instances that does not start empty")
            return [PSeq(z3.K(self.sort, z3.IntVal(0)), z3.IntVal(0)) for _ in range(typ.size)]
        if isinstance(typ, Array):
            vals = init if isinstance(init, tuple) else (init,) * typ.size
            return [lit(typ.elem, x) for x in vals]
        if isinstance(typ, Seq):
            before = z3.K(self.sort, z3.K(self.sort, z3.BoolVal(False))) if self.order else None
            return PSeq(z3.K(self.sort, z3.IntVal(0)), z3.IntVal(0), before)
        return lit(typ, init)

    def insts_of(self, st: dict[int, Any]) -> list[Any]:
        """The instance-valued constants of a state (``softirq.cur[0]``)."""
        out: list[Any] = []

        def go(v: Any) -> None:
            if isinstance(v, list):
                for x in v:
                    go(x)
            elif isinstance(v, z3.ExprRef) and v.sort() == self.sort:
                out.append(v)

        for v in st.values():
            go(v)
        return out

    def wf(self, st: dict[int, Any], universe: list[Any]) -> list[Any]:
        """Type ranges (of scalars, and of per-instance values at every element of ``universe``),
        non-negative counts and length."""
        out: list[Any] = []

        def rng(typ: Type, val: Any) -> None:
            if isinstance(typ, Int):
                out.append(val >= self.lit(typ.lo, typ))
                out.append(val <= self.lit(typ.hi, typ))
            elif isinstance(typ, Enum):
                out.extend([val >= 0, val < len(typ.names)])

        def go(typ: Type, v: Any) -> None:
            if isinstance(v, FArr):
                if isinstance(typ.elem, (Int, Enum)):
                    for u in universe:
                        rng(typ.elem, v.comps[0][u])
                elif _relation(typ) and isinstance(typ.elem.elem, (Int, Enum)):  # type: ignore[attr-defined]
                    for u, w in itertools.product(universe, repeat=2):
                        rng(typ.elem.elem, v.comps[0][u][w])  # type: ignore[attr-defined]
            elif isinstance(v, PSeq):
                out.append(v.length >= 0)
                out.extend(v.cnt[u] >= 0 for u in universe)
                if v.before is not None:
                    out.extend(order_facts(v, universe))
                # a fact of every real list, which counts and a length alone forget: the entries of
                # distinct instances add up to at most the length (for every one and two of the universe;
                # without it, splices and pops reach "empty list holding i")
                out.extend(v.cnt[u] <= v.length for u in universe)
                out.extend(v.cnt[u] + z3.If(u == w, 0, v.cnt[w]) <= v.length
                           for u, w in itertools.combinations(universe, 2))
            elif isinstance(v, list):
                for x in v:
                    go(typ.elem, x)  # type: ignore[attr-defined]
            elif not isinstance(v, Flg):
                rng(typ, v)

        for var in self.system.vars:
            go(var.typ, st[var.slot])
        out.extend(self.sym_facts())
        for name, f in self.places.items():  # a placement maps every instance into its range
            m = self.family.placements[name].m
            out.extend(z3.And(f(u) >= 0, f(u) < m) for u in universe)
        return out

    def sym_facts(self) -> list[Any]:
        """The symbolic constants' lower bounds and orders (``BP_BUDGET <= WEIGHT``)."""
        at = dict(zip(self.sym_names, self.sym))
        return ([c >= lo for c, lo in zip(self.sym, self.sym_lows)]
                + [at[n] <= at[m] for n, m in self.sym_below.items()])

    # ---- literals (symbolic constants: numerals near a sentinel)
    def lit(self, value: Any, typ: Type | None = None) -> Any:
        if isinstance(value, bool):
            return z3.BoolVal(value)
        if isinstance(value, int):
            for j, c in enumerate(self.sym):
                k = value - sentinel(j)
                if abs(k) <= OFFSETS:
                    return c + k if k else c
            return z3.IntVal(value)
        raise NotInClass(f"literal {value!r} of {typ!r}")


class StepRun:
    """Symbolic execution of one step template (or the evaluation of a state formula)."""

    def __init__(self, tr: PTr, st: dict[int, Any], binds: dict[Any, Any], universe: list[Any] | None,
                 heads: list[Any] | None = None) -> None:
        self.tr = tr
        self.st = dict(st)
        self.binds = dict(binds)  # ivar key -> Inst term
        self.universe = universe  # where a positive forall is instantiated (None: refuse foralls)
        self.temps: dict[str, Any] = {}
        self.heads = list(heads or [])  # fresh Inst constants for head()/pop_front()
        self.head_of: dict[int, Any] = {}  # id(PSeq value) -> its chosen head
        self.side: list[Any] = []  # facts about the head choices (count > 0)
        self.obligations: list[tuple[str, Any]] = []  # (what, condition that must hold when alive)
        self.alive: Any = z3.BoolVal(True)

    # ---- expressions
    def ev(self, e: Expr, pol: int = 0) -> Any:  # noqa: C901 - one case per operator
        op, a = e.op, e.args
        if op == "lit":
            if isinstance(e.typ, Flags):
                return Flg([z3.BoolVal(bool(e.value >> k & 1)) for k in range(len(e.typ.names))])
            if isinstance(e.value, tuple):
                if e.value == () and isinstance(e.typ, Seq):  # the empty list: no instance, length 0
                    return PSeq(z3.K(self.tr.sort, z3.IntVal(0)), z3.IntVal(0))
                raise NotInClass("a sequence or array literal")
            return self.tr.lit(e.value, e.typ)
        if op == "var":
            return self.st[e.value.slot]
        if op == "temp":
            return self.temps[e.value]
        if op == "ivar":
            key = e.value
            if key not in self.binds:
                if key[1] == "first":
                    return self.tr.first
                if key[1] in self.tr.named:
                    return self.tr.named[key[1]]
                raise NotInClass(f"unbound instance variable {key[1]}")
            return self.binds[key]
        if op in ("forall", "exists"):
            want = 1 if op == "forall" else -1
            if pol != want or self.universe is None:
                raise NotInClass(f"a {op} outside the ∃*∀* class (only universal facts are assumed)")
            key = e.value.value
            parts = []
            for u in self.universe:
                self.binds[key] = u
                parts.append(self.ev(a[0], pol))
            del self.binds[key]
            return z3.And(*parts) if op == "forall" else z3.Or(*parts)
        if op == "and":
            return z3.And(*[self.ev(x, pol) for x in a]) if a else z3.BoolVal(True)
        if op == "or":
            return z3.Or(*[self.ev(x, pol) for x in a]) if a else z3.BoolVal(False)
        if op == "not":
            return z3.Not(self.ev(a[0], -pol))
        if op == "implies":
            return z3.Implies(self.ev(a[0], -pol), self.ev(a[1], pol))
        if op == "ite":
            return _ite(self.ev(a[0], 0), self.ev(a[1], pol), self.ev(a[2], pol))
        if op == "next":
            raise NotInClass("a transition property")
        if op == "index":
            base = self.ev(a[0])
            if isinstance(base, FArr):
                idx = self.ev(a[1])
                return self._elem(base.elem, [c[idx] for c in base.comps])
            if isinstance(base, list):
                if a[1].op != "lit":  # a fixed array (per CPU) at a computed index: the ite over its elements
                    return self._at(base, self.ev(a[1]))
                return base[self._const_index(a[1])]
            raise NotInClass("reading a position of a sequence (order) is outside the counts abstraction")
        if op == "place":  # an uninterpreted placement of an instance (checker.lang.family.Placement)
            return self.tr.places[e.value.name](self.ev(a[0]))
        if op == "concat":  # counts add up, lengths add up (order is outside the abstraction)
            s, r = self.ev(a[0]), self.ev(a[1])
            if not isinstance(s, PSeq) or not isinstance(r, PSeq):
                raise NotInClass("concat of a non-abstracted sequence")
            x = z3.Const("x!concat", self.tr.sort)
            return PSeq(z3.Lambda([x], s.cnt[x] + r.cnt[x]), s.length + r.length)
        if op in ("contains", "count", "len", "head", "push_back", "push_front", "pop_front", "remove"):
            return self._seq(op, a)
        if op in ("has_all", "has_any", "bitor", "bitclear"):
            v, mask = self.ev(a[0]), a[1].value
            sel = [k for k in range(len(v.bits)) if mask >> k & 1]
            if op == "has_all":
                return z3.And(*[v.bits[k] for k in sel])
            if op == "has_any":
                return z3.Or(*[v.bits[k] for k in sel])
            on = op == "bitor"
            return Flg([z3.BoolVal(on) if k in sel else b for k, b in enumerate(v.bits)])
        vals = [self.ev(x) for x in a]
        if op in ("==", "!="):
            x, y = vals
            if isinstance(x, Flg):
                eq = z3.And(*[p == q for p, q in zip(x.bits, y.bits)])
            else:
                eq = x == y
            return eq if op == "==" else z3.Not(eq)
        arith = {"+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q,
                 "<": lambda p, q: p < q, "<=": lambda p, q: p <= q, ">": lambda p, q: p > q,
                 ">=": lambda p, q: p >= q, "neg": lambda p: -p,
                 "min": lambda p, q: z3.If(p <= q, p, q), "max": lambda p, q: z3.If(p >= q, p, q)}
        if op in arith:
            if op == "*" and not any(z3.is_int_value(v) for v in vals):
                raise NotInClass("a product of two variables")
            return arith[op](*vals)
        raise NotInClass(f"operator {op}")

    def _elem(self, typ: Type, comps: list[Any]) -> Any:
        if isinstance(typ, Array):  # a row of a binary relation: indexed once more
            return FArr(typ.elem, comps)
        return Flg(comps) if isinstance(typ, Flags) else comps[0]

    def _at(self, base: list[Any], idx: Any) -> Any:
        self.obligations.append(("an index outside a fixed array",
                                 z3.Implies(self.alive, z3.And(idx >= 0, idx < len(base)))))
        out = base[-1]
        for k in range(len(base) - 2, -1, -1):
            out = _ite(idx == k, base[k], out)
        return out

    def _const_index(self, e: Expr) -> int:
        if e.op != "lit" or not isinstance(e.value, int):
            raise NotInClass("an array over a fixed number of elements indexed by a variable")
        return e.value

    def _seq(self, op: str, a: tuple[Expr, ...]) -> Any:
        s = self.ev(a[0])
        if not isinstance(s, PSeq):
            raise NotInClass(f"{op} of a non-abstracted sequence")
        if op in ("contains", "count", "push_back", "push_front", "remove"):
            x = self.ev(a[1])
        if op == "contains":
            return s.cnt[x] > 0
        if op == "count":
            return s.cnt[x]
        if op == "len":
            return s.length
        if op in ("push_back", "push_front"):
            return PSeq(z3.Store(s.cnt, x, s.cnt[x] + 1), s.length + 1, self._order(op, s, x))
        if op == "remove":
            has = s.cnt[x] > 0
            return PSeq(z3.If(has, z3.Store(s.cnt, x, s.cnt[x] - 1), s.cnt), z3.If(has, s.length - 1, s.length),
                        self._order(op, s, x))
        h = self._head(s)
        if op == "head":
            return h
        return PSeq(z3.Store(s.cnt, h, s.cnt[h] - 1), s.length - 1, self._order(op, s, h))

    def _order(self, op: str, s: PSeq, x: Any) -> Any:
        """``before`` after ``op`` of ``x`` (see :class:`PSeq`). push_back: a new ``x`` goes after every
        member; push_front: ``x``'s first occurrence is the front; removing the last occurrence of
        ``x`` drops it from the relation; removing one of several moves its first occurrence to a
        place the counts do not know: a fresh choice for ``x``'s pairs (sound; the invariant of a
        list without duplicates never needs it)."""
        if s.before is None:
            return None
        tr = self.tr
        a, b = z3.Const("ord!a", tr.sort), z3.Const("ord!b", tr.sort)
        old = s.before[a][b]
        if op == "push_back":
            new = z3.Or(old, z3.And(s.cnt[x] == 0, b == x, s.cnt[a] > 0, a != x))
        elif op == "push_front":
            new = z3.If(a == x, z3.And(s.cnt[b] > 0, b != x), z3.If(b == x, z3.BoolVal(False), old))
        else:  # pop_front / remove of x (x in the sequence: its count was positive, or nothing changes)
            other = tr.fresh_relation("before!moved")
            gone = z3.If(s.cnt[x] >= 2, other[a][b], z3.BoolVal(False))
            new = z3.If(z3.Or(a == x, b == x), z3.If(s.cnt[x] > 0, gone, old), old)
        return z3.Lambda([a], z3.Lambda([b], new))

    def _head(self, s: PSeq) -> Any:
        key = id(s)
        if key not in self.head_of:
            if not self.heads:
                raise NotInClass("more head()/pop_front() than the step's head choices")
            h = self.heads.pop(0)
            self.head_of[key] = h
            self.obligations.append(("head of an empty sequence", z3.Implies(self.alive, s.length > 0)))
            self.side.append(z3.Implies(self.alive, s.cnt[h] > 0))
            if s.before is not None and self.universe is not None:
                # the head's first occurrence precedes every other member's (∀ b, instantiated)
                self.side.extend(z3.Implies(z3.And(self.alive, s.cnt[b] > 0, b != h), s.before[h][b])
                                 for b in self.universe)
        return self.head_of[key]

    # ---- statements
    def run(self, body: list[Stmt]) -> None:
        for s in body:
            if isinstance(s, Require):
                self.alive = z3.And(self.alive, self.ev(s.cond, 1))
            elif isinstance(s, Let):
                self.temps[s.name] = self.ev(s.value)
            elif isinstance(s, Assign):
                self._assign(s)
            elif isinstance(s, If):
                c = self.ev(s.cond, 0)
                saved_st, saved_alive, saved_t = dict(self.st), self.alive, dict(self.temps)
                self.alive = z3.And(saved_alive, c)
                self.run(s.then)
                then_st, then_t, then_alive = self.st, self.temps, self.alive
                self.st, self.temps, self.alive = dict(saved_st), dict(saved_t), z3.And(saved_alive, z3.Not(c))
                self.run(s.orelse)
                self.st = {k: _ite(c, then_st[k], self.st[k]) for k in self.st}
                self.temps = {k: _ite(c, then_t[k], self.temps[k]) for k in self.temps if k in then_t}
                self.alive = z3.Or(then_alive, self.alive)
            elif isinstance(s, ForEach):
                self._for_each(s)
            else:
                raise NotInClass(f"statement {s!r}")

    def _for_each(self, s: ForEach) -> None:
        """``body`` for every tuple of instances at once: run it at fresh constants bound to the keys,
        then every array it assigns becomes, at each tuple, its value there (a lambda over the tuple)."""
        if len(s.keys) != 2:
            raise NotInClass("a for-each over other than pairs of instances")
        xs = [z3.Const(f"each!{k[1]}", self.tr.sort) for k in s.keys]
        sub = StepRun(self.tr, self.st, {**self.binds, **dict(zip(s.keys, xs))}, None)
        sub.temps = dict(self.temps)
        sub.run(s.body)
        if sub.obligations:
            # a value assigned at every pair stays in its type whenever the relation was in its type
            # there (the only obligations a relation's update makes): checked once, for every pair
            chk = z3.Solver()
            chk.add(self.tr.wf(self.st, xs))
            chk.add(z3.Or(*[z3.Not(ob) for _, ob in sub.obligations]))
            if chk.check() != z3.unsat:
                raise NotInClass("a for-each whose values may leave their type")
        for k in assigned_slots(s.body):
            new = sub.st[k]
            if not isinstance(new, FArr) or not isinstance(new.elem, Array):
                raise NotInClass("a for-each assigns only a binary relation over the instances")
            a, b = xs
            self.st[k] = FArr(new.elem, [z3.Lambda([a], z3.Lambda([b], z3.simplify(c[a][b]))) for c in new.comps])

    def _assign(self, s: Assign) -> None:
        value = self.ev(s.value)
        var = s.var
        self._range(var.typ, s.path, value)
        self.st[var.slot] = self._upd(self.st[var.slot], var.typ, list(s.path), value)

    def _range(self, typ: Type, path: tuple[Expr, ...], value: Any) -> None:
        for _ in path:
            typ = typ.elem  # type: ignore[attr-defined]
        if isinstance(typ, Int):
            ok = z3.And(value >= self.tr.lit(typ.lo, typ), value <= self.tr.lit(typ.hi, typ))
            self.obligations.append((f"a value outside {typ!r}", z3.Implies(self.alive, ok)))

    def _upd(self, cur: Any, typ: Type, path: list[Expr], value: Any) -> Any:
        if not path:
            return value
        if isinstance(cur, FArr):
            parts = value.bits if isinstance(value, Flg) else [value]
            idx = self.ev(path[0])
            if len(path) == 2 and isinstance(cur.elem, Array):  # one pair of a binary relation
                jdx = self.ev(path[1])
                return FArr(cur.elem, [z3.Store(c, idx, z3.Store(c[idx], jdx, p)) for c, p in zip(cur.comps, parts)])
            if len(path) != 1:
                raise NotInClass("per-instance arrays nested deeper than a binary relation")
            return FArr(cur.elem, [z3.Store(c, idx, p) for c, p in zip(cur.comps, parts)])
        if isinstance(cur, list):
            if path[0].op != "lit":  # a per-CPU element at a computed index (the IRQ's CPU): each element ite
                idx = self.ev(path[0])
                self.obligations.append(("an index outside a fixed array",
                                         z3.Implies(self.alive, z3.And(idx >= 0, idx < len(cur)))))
                return [_ite(idx == k, self._upd(x, typ.elem, path[1:], value), x)  # type: ignore[attr-defined]
                        for k, x in enumerate(cur)]
            k = self._const_index(path[0])
            out = list(cur)
            out[k] = self._upd(cur[k], typ.elem, path[1:], value)  # type: ignore[attr-defined]
            return out
        raise NotInClass("an element assignment into a sequence")


def transition_ivars(t: Transition) -> list[Any]:
    """The instance parameters of a step template (``i`` of an actor family or an action): its
    free instance variables."""
    free: list[Any] = []
    bound: set[Any] = set()

    def ex(e: Expr) -> None:
        if e.op == "ivar" and e.value[1] != "first" and e.value[1] not in e.value[0].distinguished \
                and e.value not in free:
            free.append(e.value)
        if e.op in ("forall", "exists"):
            bound.add(e.value.value)
        for x in e.args:
            ex(x)

    _exprs(t.body, ex)
    bound |= set(_each_keys(t.body))
    return [k for k in free if k not in bound]


def _each_keys(body: list[Stmt]) -> list[Any]:
    out: list[Any] = []
    for s in body:
        if isinstance(s, ForEach):
            out.extend(s.keys)
            out.extend(_each_keys(s.body))
        elif isinstance(s, If):
            out.extend(_each_keys(s.then) + _each_keys(s.orelse))
    return out


def _exprs(body: list[Stmt], f: Any) -> None:
    for s in body:
        if isinstance(s, Require):
            f(s.cond)
        elif isinstance(s, (Let, Assign)):
            f(s.value)
            for p in getattr(s, "path", ()):
                f(p)
        elif isinstance(s, If):
            f(s.cond)
            _exprs(s.then, f)
            _exprs(s.orelse, f)
        elif isinstance(s, ForEach):
            _exprs(s.body, f)


def head_count(body: list[Stmt]) -> int:
    """An upper bound on the head choices a step body makes."""
    n = 0

    def ex(e: Expr) -> None:
        nonlocal n
        if e.op in ("head", "pop_front"):
            n += 1
        for x in e.args:
            ex(x)

    _exprs(body, ex)
    return n


def _relation(typ: Type) -> bool:
    """An array over the family of arrays over the family: a binary relation over the instances."""
    return isinstance(typ, Array) and isinstance(typ.size, Family) and isinstance(typ.elem, Array) \
        and isinstance(typ.elem.size, Family)


def order_facts(s: PSeq, universe: list[Any]) -> list[Any]:
    """What every sequence's ``before`` satisfies (the order of first occurrences), at the elements
    of ``universe``: only members are ordered, irreflexive, asymmetric, total on members, transitive."""
    out: list[Any] = []
    bf, cnt = s.before, s.cnt
    for a in universe:
        out.append(z3.Not(bf[a][a]))
    for a, b in itertools.permutations(universe, 2):
        out.append(z3.Implies(bf[a][b], z3.And(cnt[a] > 0, cnt[b] > 0)))
        out.append(z3.Or(z3.Not(bf[a][b]), z3.Not(bf[b][a])))
        out.append(z3.Implies(z3.And(cnt[a] > 0, cnt[b] > 0, a != b), z3.Or(bf[a][b], bf[b][a])))
    for a, b, c in itertools.permutations(universe, 3):
        out.append(z3.Implies(z3.And(bf[a][b], bf[b][c]), bf[a][c]))
    return out


def pairs(universe: list[Any], arity: int) -> list[tuple[Any, ...]]:
    """Ordered tuples of distinct positions of ``universe`` (arity 0, 1 or 2)."""
    return list(itertools.permutations(universe, arity))
