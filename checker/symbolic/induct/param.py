"""Proofs for every number of instances (``induct_instances = "all"``): the parameterised IR.

1. **Build.** The spec is instantiated with its instance count at ``ANY`` (checker.lang.family):
   per-instance arrays over an unbounded family, actor families and instance parameters as one
   step template each, ``ForAll`` as a binder — from the same ``build`` every engine grounds.
   The data bounds made symbolic by :mod:`.symbolic` (RING, WEIGHT) stay symbolic.
2. **Mine.** Atom *templates* over two instance variables ``i`` and ``j`` (``pending[i] > 0``,
   ``i in poll_list``, ``softirq.cur[0] == i``, ``irq.pc[j] == queue`` ...) are evaluated on the
   states the explicit engine reaches at N = 2 and N = 3, under every assignment of distinct
   instances to ``i`` and ``j``; a clause true under all of them is a candidate ``∀ i ≠ j. C``.
3. **Houdini** over the instance-sort translation (:mod:`.param_tr`): per step template, the
   largest set of candidates (with the properties) preserved, every ``∀`` instantiated at the
   K constants of the VC — complete for every N (the ∃*∀* argument in param_tr and docs/induct.md).
   The abstraction's own obligations (values in their types, no head of an empty list) must hold
   under the result, or nothing is claimed.
4. **Independent check.** The invariant, instantiated at every pair of instances, is checked
   inductive (Init ⇒ J, J ∧ T ⇒ J', J ⇒ P) on the IR's own grounded translation at N = 2, 3, 4
   by :func:`checker.symbolic.invariant_check.check_invariant`, on fresh solvers.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import z3

from checker.explicit.bfs import Limits, explore
from checker.lang.expr import ModelError
from checker.lang.family import ANY, InstId
from checker.lang.pycompile import CompiledSystem, StepError
from checker.lang.system import Property, SpecDef, System, assigned_slots
from checker.lang.temporal import slots_of
from checker.lang.types import Array, BoolType, Enum, Flags, Int, Seq, Type
from checker.symbolic.induct.atoms import SMALL_RANGE, Atom
from checker.symbolic.induct.cti_reach import STATES as CTI_STATES
from checker.symbolic.induct.cti_reach import CTIModel, reach
from checker.symbolic.induct.mine import Clause, mine
from checker.symbolic.induct.param_block import Frame, ParamBlocker, mk_bool_app
from checker.symbolic.induct.param_lazy import Evaluator, LazySolver
from checker.symbolic.induct.sliced_check import check_sliced
from checker.symbolic.induct.param_tr import FArr, Flg, NotInClass, PSeq, PTr, StepRun, head_count, transition_ivars
from checker.symbolic.induct.readable import as_atoms, clause_line
from checker.symbolic.induct.strengthen import MAX_CLAUSES
from checker.symbolic.induct.symbolic import (
    OFFSETS,
    SymbolicEncoder,
    keep_order,
    make_symbolic,
    rename,
    sentinel,
    symbolic_properties,
)
from checker.symbolic.invariant_check import check_invariant
from checker.symbolic.problem import ERROR, PRUNED, Problem
from checker.symbolic.translate import concrete_flat

VARS = ("i", "j")
#: instance counts the candidates are mined at, and the grounded re-check sizes
MINE_AT = (2, 3)
CHECK_AT = (2, 3, 4)
#: the grounded re-check asks only about the clauses each step can change (.sliced_check); False:
#: check_invariant's unsliced questions (the same questions, kept to compare the two)
SLICED = True
#: a mining search explores up to this many times the states it mines (then samples them) ...
EXPLORE_FACTOR = 5
#: ... and, when even that is cut short, adds the states of random walks this deep
WALKS, WALK_DEPTH = 300, 400
#: a counterexample to induction asked again (AllN._smaller): symbolic constants at most this much
#: above their least values, lists at most this long, and whether they hold only the instances the
#: CTI names; tightest first
SMALLER = ((0, 2, True), (1, 3, True), (0, 2, False), (1, 3, False), (3, 4, False))


@dataclass(frozen=True)
class TAtom:
    """An atom template over the instance variables ``i``/``j`` (``who`` and ``path`` entries)."""

    kind: str  # bool | eq | gt | hi | ideq | in | dup | len | both | before | named | place | owner | sub
    var: str
    path: tuple[Any, ...] = ()
    value: int = 0
    bit: int = -1
    who: str = ""  # ideq/in/dup/both: the instance variable compared with
    var2: str = ""  # both: the local
    path2: tuple[Any, ...] = ()
    text: str = ""
    who2: str = ""  # before: the instance variable that comes second
    #: sub: a property's sub-term over ``i``/``j`` (:mod:`.param_subterms`) and the variables it names
    expr: Any = field(default=None, compare=False, hash=False, repr=False)
    on: tuple[str, ...] = ()

    def uses(self) -> set[str]:
        return ({p for p in self.path + self.path2 if isinstance(p, str)} | ({self.who} if self.who else set())
                | ({self.who2} if self.who2 else set()) | set(self.on))


#: atom kinds that read no state: an instance variable against the family's structure (a named
#: instance, a placement), constant on every state of a grounded system under one binding
STRUCTURE = ("named", "place")


def structure_templates(system: System) -> list[TAtom]:
    """``i == <named instance>`` for each distinguished instance (the busy poller's target ...) and
    ``irq_cpu(i) == c`` for each placement onto two or more CPUs, over ``i`` and ``j``: what lets a
    clause say "the disabled instance" or "an instance whose interrupt is on CPU 1"."""
    out: list[TAtom] = []
    for fam in system.families:
        if not fam.symbolic:
            continue
        for name in fam.distinguished:
            out.extend(TAtom("named", name, who=w, text=f"{w} == {name}") for w in VARS)
        for name, pl in fam.placements.items():
            if pl.m < 2:
                continue
            for c in range(pl.m if pl.m > 2 else 1):  # with two CPUs "== 1" is "!= 0"
                out.extend(TAtom("place", name, value=c, who=w, text=f"{name}({w}) == {c}") for w in VARS)
    return out


def owner_templates(system: System) -> list[TAtom]:
    """``(ctx.fact[c] and ctx.cur[c] == i)`` for each Bool local of a per-CPU context that also holds an
    instance (``softirq.polling[0]`` with ``softirq.cur[0]``), over ``i`` and ``j``: "this context's
    fact is about instance i" (e.g. net_rx_action polls or owns i), what the properties themselves
    say of a per-CPU poller (spec/linux/properties.py, ``owned``) and what a clause about one instance
    needs, while a Bool local alone speaks of whichever instance the context holds."""
    out: list[TAtom] = []
    for actor in system.actors:
        if actor.family is not None:
            continue
        mine = [v for v in system.vars if v.name.startswith(actor.name + ".") and isinstance(v.typ, Array)
                and v.name != actor.pc.value.name]
        ids = [v for v in mine if isinstance(v.typ.elem, InstId)]  # type: ignore[attr-defined]
        flags = [v for v in mine if isinstance(v.typ.elem, BoolType)]  # type: ignore[attr-defined]
        for c in range(actor.instances):
            for u, f in itertools.product(ids, flags):
                out.extend(TAtom("owner", f.name, (c,), who=w, var2=u.name, path2=(c,),
                                 text=f"({f.name}[{c}] and {u.name}[{c}] == {w})") for w in VARS)
    return out


def property_templates(parts: dict[str, list[tuple[tuple[Any, ...], Any]]]) -> list[TAtom]:
    """The properties' compound quantifier-free sub-terms (:mod:`.param_subterms`) as templates of
    kind ``sub``: each at ``i`` and at ``j`` (both orders when it names two bound instances), e.g.
    OwnerHoldsSched's "i on a list or owned by a poller" and NoLostWakeup's "all quiescent for i"
    (``options.induct_property_atoms``, on by default as on the fixed-N path)."""
    from checker.symbolic.induct import param_subterms as ps

    out: list[TAtom] = []
    for st in ps.subterms(parts):
        for ren in ps.instantiations(st):
            out.append(TAtom("sub", "", text=ps.template_text(st, ren), expr=ps.at_vars(st, ren),
                             on=tuple(sorted(ren.values()))))
    return out


@dataclass(frozen=True)
class FixedAtom:
    """A structure atom on a grounded system under one binding: the same truth value on every state."""

    value: bool

    def column(self, values: np.ndarray) -> np.ndarray:
        return np.full(len(values), self.value, dtype=bool)

    def term(self, x: Any) -> Any:
        return z3.BoolVal(self.value)


def _show_path(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" for p in path)


def templates(system: System, order: bool = False, small: bool = False) -> list[TAtom]:
    """The atom templates of a parameterised System, read off its types (as atoms.py does for a
    grounded one); a binary relation over the instances gives its atoms at ``[i][j]`` and ``[j][i]``,
    and with ``order`` a sequence of instances gives ``i before j in s`` and ``j before i in s``.
    A counter whose bound is symbolic (or wide) has ``> lo`` and ``== hi``; with ``small`` also
    ``> lo + 1``, what says "at most 1" of a counter bounded by a constant kept concrete beside a
    symbolic one (busypoll.work ≤ BP_BUDGET = 1 under max(WEIGHT, BP_BUDGET))."""
    out: list[TAtom] = []

    def scalar(name: str, path: tuple[Any, ...], typ: Type) -> None:
        shown = name + _show_path(path)
        if isinstance(typ, BoolType):
            out.append(TAtom("bool", name, path, text=shown))
        elif isinstance(typ, Flags):
            out.extend(TAtom("bool", name, path, bit=k, text=f"{shown}.{b}") for k, b in enumerate(typ.names))
        elif isinstance(typ, Enum):
            out.extend(TAtom("eq", name, path, v, text=f"{shown} == {lab}") for v, lab in enumerate(typ.names))
        elif isinstance(typ, Int):
            if _symbolic(typ.hi) or typ.hi - typ.lo + 1 > SMALL_RANGE:
                out.append(TAtom("gt", name, path, typ.lo, text=f"{shown} > {typ.lo}"))
                if small:
                    out.append(TAtom("gt", name, path, typ.lo + 1, text=f"{shown} > {typ.lo + 1}"))
                out.append(TAtom("hi", name, path, typ.hi, text=f"{shown} == {typ.hi}"))
            else:
                out.extend(TAtom("eq", name, path, v, text=f"{shown} == {v}") for v in range(typ.lo, typ.hi + 1))
        elif isinstance(typ, InstId):
            out.extend(TAtom("ideq", name, path, who=w, text=f"{shown} == {w}") for w in VARS)

    for v in system.vars:
        t = v.typ
        if isinstance(t, Array) and not isinstance(t.size, int) and isinstance(t.elem, Array):
            for w, w2 in itertools.permutations(VARS, 2):
                scalar(v.name, (w, w2), t.elem.elem)
        elif isinstance(t, Array) and not isinstance(t.size, int):
            for w in VARS:
                scalar(v.name, (w,), t.elem)
        elif isinstance(t, Array) and isinstance(t.elem, Seq):  # a list per CPU (poll_list[c])
            for c in range(t.size):
                out.extend(_seq_atoms(v.name, (c,)))
        elif isinstance(t, Array):
            for c in range(t.size):
                scalar(v.name, (c,), t.elem)
        elif isinstance(t, Seq):
            out.extend(_seq_atoms(v.name, ()))
            if order:
                out.extend(TAtom("before", v.name, who=w, who2=w2, text=f"{w} before {w2} in {v.name}")
                           for w, w2 in itertools.permutations(VARS, 2))
        else:
            scalar(v.name, (), t)
    for actor in system.actors:
        pcname = actor.pc.value.name
        paths = [(w,) for w in VARS] if actor.family is not None else [(c,) for c in range(actor.instances)]
        for v in system.vars:
            if not v.name.startswith(actor.name + ".") or v.name == pcname or not isinstance(v.typ, Array):
                continue
            elem = v.typ.elem
            for path in paths:
                for lab, label in enumerate(actor.labels.names):
                    head = f"({pcname}{_show_path(path)} == {label} and {v.name}{_show_path(path)}"
                    if isinstance(elem, BoolType):
                        out.append(TAtom("both", pcname, path, lab, var2=v.name, path2=path, text=head + ")"))
                    elif isinstance(elem, InstId) and actor.family is None:
                        out.extend(TAtom("both", pcname, path, lab, who=w, var2=v.name, path2=path,
                                         text=f"{head} == {w})") for w in VARS)
    return out


def _seq_atoms(name: str, path: tuple[Any, ...]) -> list[TAtom]:
    """``len(s) > 0``, ``w in s`` and ``count(s, w) >= 2`` of a list of instances ``s`` (at ``path``)."""
    shown = name + _show_path(path)
    out = [TAtom("len", name, path, text=f"len({shown}) > 0")]
    for w in VARS:
        out.append(TAtom("in", name, path, who=w, text=f"{w} in {shown}"))
        out.append(TAtom("dup", name, path, who=w, text=f"count({shown}, {w}) >= 2"))
    return out


def _symbolic(v: Any) -> bool:
    return isinstance(v, int) and any(abs(v - sentinel(j)) <= OFFSETS for j in range(4))


# ---------------------------------------------------------------- templates on a grounded System


class Grounder:
    """Templates as grounded atoms (checker.symbolic.induct.atoms.Atom) of a System of N instances."""

    def __init__(self, system: System, names: list[str], enc: Any = None, x: Any = None) -> None:
        self.system = system
        self.where = {n: k for k, n in enumerate(names)}
        #: the grounded encoder and state the property sub-term atoms are translated over (built
        #: when first needed; ``names`` are that state's)
        self.enc, self.x = enc, x
        self._props: dict[tuple[str, tuple[tuple[str, int], ...]], Atom] = {}
        #: a symbolic constant's sentinel -> its value here, when this System has concrete values
        #: where the parameterised one has sentinels (mining; :func:`.param_subterms.ground_expr`)
        self.values: dict[int, int] | None = None
        self.types = {v.name: v.typ for v in system.vars}
        #: the grounded number of each distinguished instance (Family.named: 0 unless the spec says)
        self.named: dict[str, int] = {}
        for fam in system.families:
            self.named.update(getattr(fam, "grounded_named", {}))

    def _loc(self, var: str, path: tuple[Any, ...], bind: dict[str, int], bit: int = -1) -> int:
        name = var + "".join(f"[{bind[p] if isinstance(p, str) else p}]" for p in path)
        if bit >= 0:
            typ = self._type(var, path)
            assert isinstance(typ, Flags)
            name += f".{typ.names[bit]}"
        return self.where[name]

    def _type(self, var: str, path: tuple[Any, ...]) -> Type:
        t = self.types[var]
        for _ in path:
            t = t.elem  # type: ignore[attr-defined]
        return t

    def atom(self, a: TAtom, bind: dict[str, int]) -> Atom | FixedAtom:
        if a.kind == "sub":
            return self._prop(a, bind)
        if a.kind == "named":
            return FixedAtom(bind[a.who] == self.named.get(a.var, 0))
        if a.kind == "place":
            fam = next(f for f in self.system.families if a.var in f.placements)
            return FixedAtom(fam.placements[a.var].rule(bind[a.who]) == a.value)
        if a.kind in ("in", "dup", "len", "before"):
            typ = self._type(a.var, a.path)
            assert isinstance(typ, Seq)
            at = a.var + _show_path(a.path)
            length = self.where[f"{at}.len"]
            if a.kind == "len":
                return Atom("gt", length, 0)
            slots = tuple(self.where[f"{at}[{k}]"] for k in range(typ.capacity))
            if a.kind == "before":
                return Atom("before", length, bind[a.who], slots=slots, value2=bind[a.who2])
            return Atom(a.kind, length, bind[a.who], slots=slots)
        loc = self._loc(a.var, a.path, bind, a.bit)
        if a.kind == "owner":
            return Atom("both", loc, 1, loc2=self._loc(a.var2, a.path2, bind), value2=bind[a.who])
        if a.kind == "bool":
            return Atom("bool", loc)
        if a.kind in ("eq", "gt"):
            return Atom(a.kind, loc, a.value)
        if a.kind == "hi":
            typ = self._type(a.var, a.path)
            assert isinstance(typ, Int)
            return Atom("eq", loc, typ.hi)
        if a.kind == "ideq":
            return Atom("eq", loc, bind[a.who])
        loc2 = self._loc(a.var2, a.path2, bind)
        return Atom("both", loc, a.value, loc2=loc2, value2=bind[a.who] if a.who else 1)

    def _prop(self, a: TAtom, bind: dict[str, int]) -> Atom:
        """A property sub-term on this System under ``bind`` (:func:`.param_subterms.grounded_atom`)."""
        from checker.symbolic.induct.param_subterms import grounded_atom

        key = (a.text, tuple(sorted((w, bind[w]) for w in a.on)))
        got = self._props.get(key)
        if got is None:
            if self.enc is None:
                from checker.symbolic.translate import Encoder

                self.enc = Encoder(self.system)
                self.x = self.enc.state("")
            got = self._props[key] = grounded_atom(a.expr, a.text, self.system, self.enc, self.x,
                                                   {w: bind[w] for w in a.on}, self.named, self.values)
        return got

    def clause_terms(self, atoms: list[TAtom], clause: Clause, n: int, x: Any) -> list[z3.BoolRef]:
        """The clause at every assignment of distinct instances of ``range(n)`` to its variables."""
        used = sorted(set().union(*(atoms[i].uses() for i, _ in clause)))
        out = []
        for combo in _assignments(used, n):
            lits = [self.atom(atoms[i], combo).term(x) for i, _ in clause]
            lits = [t if pol else z3.Not(t) for t, (_, pol) in zip(lits, clause)]
            out.append(z3.Or(*lits) if len(lits) > 1 else lits[0])
        return out


def _assignments(used: list[str], n: int) -> list[dict[str, int]]:
    import itertools

    return [dict(zip(used, c)) for c in itertools.permutations(range(n), len(used))]


# ---------------------------------------------------------------- the proof


@dataclass
class PResult:
    proved: list[str]
    failed: dict[str, str]  # property -> why (with the counterexample to induction)
    lines: list[str]
    claim: str
    stats: dict[str, Any]


class AllN:
    """One all-N proof attempt for a configuration."""

    def __init__(self, spec: SpecDef, constants: dict[str, Any], props: list[Property], count: str,
                 sym_names: list[str], deadline: float, states: int = 200_000,
                 below: dict[str, str] | None = None) -> None:
        self.spec = spec
        self.constants = dict(constants)
        self.count = count
        self.props = props
        self.sym_names = sym_names
        #: ordered symbolic constants (``Symbolic.below``, ``make_symbolic(..., ordered=True)``):
        #: constant -> the one it is at most; ``sym_names`` keeps their sentinels' order
        self.below = dict(below or {})
        self.deadline = deadline
        self.states = states
        self.stats: dict[str, Any] = {}
        #: clause length mined (``options.induct_literals``); CTI blocking (``options.induct_generalise``,
        #: at most ``options.induct_block_clauses`` clauses, :mod:`.param_block`)
        self.literals = 3
        self.generalise = True
        self.block_clauses = MAX_CLAUSES
        #: every atom template on every mined state at every assignment of distinct instances to i, j
        self.cols = np.zeros((0, 0), dtype=bool)
        vals = dict(constants)
        vals[count] = ANY
        vals.update({n: sentinel(j) for j, n in enumerate(sym_names)})
        self.psys = spec.instantiate(vals)
        lows = [spec.constant(n).min or 0 for n in sym_names]  # type: ignore[union-attr]
        from checker.symbolic.induct.param_tr import _relation

        # a binary relation over the instances (a ghost "j was served while i waited") is stated
        # against the order of the poll list: keep the order of first occurrences then
        self.order = any(_relation(v.typ) for v in self.psys.vars)
        #: atoms over the family's structure (``i == busy_poll_target``, ``irq_cpu(i) == 0``)
        self.structure = True
        #: atoms "a per-CPU context's fact is about i" (``options.induct_owner_atoms``, :func:`owner_templates`)
        self.owner_atoms = True
        #: the properties' compound sub-terms as templates (``options.induct_property_atoms``,
        #: :func:`property_templates`)
        self.property_atoms = True
        #: wide "flag(i) ⇒ held somewhere" candidates (``options.induct_cover``, :mod:`.param_cover`)
        self.cover = True
        self.covers: set[Clause] = set()
        #: wide "work waits ⇒ who owns it" candidates (``options.induct_cover_work``,
        #: :func:`.param_cover.data_cover_clauses`)
        self.cover_work = False
        #: counters with a symbolic bound get "> lo + 1" too (``options.induct_small_values``, :func:`templates`)
        self.small_values = False
        #: each dropped property's counterexample to induction, in words (set by :meth:`run`)
        self.cti: dict[str, str] = {}
        #: only templates over the cone of influence of the properties (``options.induct_cone``, :mod:`.cone`)
        self.cone = False
        #: Houdini's fixpoint of the mined clauses before the properties are asked (so before any
        #: blocking; ``options.induct_block_late``)
        self.block_late = False
        #: mined clauses asserted in the step solvers at the universe's tuples on demand (:mod:`.param_lazy`)
        self.lazy = True
        #: a counterexample to induction drops every clause its post-state falsifies at any tuple of
        #: the universe, not only those false at the witnesses (:meth:`.param_lazy.Evaluator.falsified`)
        self.drop_all = True
        #: a dropped property's counterexample to induction is asked again with small constants and
        #: lists, and its pre-state searched for at a small N (``options.induct_cti_reach``, :mod:`.cti_reach`)
        self.cti_reach = True
        self.tr = PTr(self.psys, sym_names, lows, self.order, self.below)
        self.lows = lows

    def claim(self) -> str:
        c = self.spec.constant(self.count)
        lo = c.min if c is not None and c.min is not None else 1
        parts = [f"{self.count} ≥ {lo}"] + [f"{n} ≥ {lo2}" for n, lo2 in zip(self.sym_names, self.lows)
                                             if n not in self.below]
        parts += [f"{lo2} ≤ {n} ≤ {self.below[n]}" for n, lo2 in zip(self.sym_names, self.lows) if n in self.below]
        fixed = ", ".join(f"{k}={v}" for k, v in self.constants.items()
                          if k not in self.sym_names and k != self.count and not isinstance(v, bool))
        return "for every " + ", ".join(parts) + (f" (with {fixed})" if fixed else "")

    def in_cone(self, atoms: list[TAtom]) -> list[TAtom]:
        """The templates that read only variables in the cone of influence of the properties
        (:func:`checker.symbolic.induct.cone.cone` on the parameterised System): as on the fixed-N
        path, only the candidate language shrinks; Houdini, CTI blocking and the grounded re-check
        keep the whole transition relation, so this decides how fast a proof is found, never whether
        it is right."""
        from checker.symbolic.induct.cone import cone

        inside = cone(self.psys, self.props)
        keep = [a for a in atoms if a.kind in STRUCTURE
                or (a.kind == "sub" and all(v.name in inside for v in self.psys.vars
                                             if v.slot in slots_of(a.expr, set())))
                or (a.var in inside and (not a.var2 or a.var2 in inside))]
        self.stats["cone_dropped"] = len(atoms) - len(keep)
        return keep

    # ---- properties as templates
    def prop_parts(self) -> dict[str, list[tuple[Any, Any]]]:
        """Each property as (bound instance variable key or None, body) conjuncts."""
        out: dict[str, list[tuple[Any, Any]]] = {}
        for p in self.props:
            if p.kind != "invariant" or p.name in self.psys.not_parameterised:
                continue
            e = self.psys.prop(p.name).expr
            parts = list(e.args) if e.op == "and" else [e]
            out[p.name] = [_binders(x) for x in parts]
        return out

    # ---- mining
    def mine(self, atoms: list[TAtom]) -> list[Clause]:
        blocks = []
        for n in MINE_AT:
            for consts in self._mining_constants():
                vals = dict(self.constants)
                vals[self.count] = n
                vals.update(consts)
                system = self.spec.instantiate(vals)
                compiled = CompiledSystem.build(system)
                left = self.deadline - time.perf_counter()
                lim = Limits(self.states * EXPLORE_FACTOR, None, None if left == float("inf") else max(1.0, left / 6))
                res = explore(compiled, [system.prop(p.name) for p in self.props if p.kind == "invariant"], lim, "exact")
                states = self._sample(system, compiled, res)
                values = np.array([concrete_flat(system, s) for s in states], dtype=np.int64).reshape(len(states), -1)
                from checker.symbolic.translate import Encoder

                enc = Encoder(system)
                xs = enc.state("")
                g = Grounder(system, xs.names, enc, xs)
                g.values = {sentinel(j) + k: int(vals[n]) + k for j, n in enumerate(self.sym_names)
                            for k in range(-OFFSETS, OFFSETS + 1)}
                for bind in _assignments(list(VARS), n):
                    blocks.append(np.stack([g.atom(a, bind).column(values) for a in atoms]))
                self.stats[f"states_N{n}"] = self.stats.get(f"states_N{n}", 0) + len(states)
        cols = np.concatenate(blocks, axis=1)
        copies = self._copies(atoms, cols)
        if copies:  # property sub-terms equal to (or the negation of) an earlier atom in every state
            self.stats["property_copies"] = len(copies)
            atoms[:] = [a for k, a in enumerate(atoms) if k not in copies]
            cols = cols[[k for k in range(len(cols)) if k not in copies]]
        self.cols = cols
        mined = mine([Atom("bool", 0)] * len(atoms), np.zeros((0, 0)), max_len=self.literals, cols=cols)
        keep = []
        for cl in mined.clauses:
            used = set().union(*(atoms[i].uses() for i, _ in cl))
            if used in (set(), {"i"}, {"i", "j"}):
                keep.append(cl)
        if self.cover or self.cover_work:
            from checker.symbolic.induct.param_cover import cover_clauses, data_cover_clauses

            pcs = {a.pc.value.name for a in self.psys.actors}
            wide = cover_clauses(atoms, cols, pcs, self.literals) if self.cover else []
            if self.cover_work:
                have = set(wide)
                wide += [c for c in data_cover_clauses(atoms, cols, pcs, self.literals) if c not in have]
            self.stats["cover_clauses"] = len(wide)
            self.covers = set(wide)
            shown = as_atoms(atoms)
            _debug("cover clauses", {"clauses": [clause_line(shown, cl) for cl in wide]})
            keep += wide
        return keep

    def _copies(self, atoms: list[TAtom], cols: np.ndarray) -> set[int]:
        """The property sub-term templates that are, in every state, equal to or the complement of
        an earlier template whose column on every mined state and binding they repeat: mining
        represents such an atom by the earlier one in every clause of two or three literals
        (checker.symbolic.induct.mine) and adds only the equivalence, here a tautology; left in, it
        prints a clause in the property's words where the plain atom's are shorter
        (``poll_list.count(i) <= 1`` for ``count(poll_list, i) < 2``). A copy on the mined states
        only is kept: its equivalence is a fact of the reached states ("on a list or owned ⇔
        SCHED"), maybe the one a proof needs."""
        seen: dict[bytes, int] = {}
        out: set[int] = set()
        x = self.tr.state("")
        bind = {v: z3.Const(f"copy!{v}", self.tr.sort) for v in VARS}
        solver = z3.Solver()
        solver.add(bind["i"] != bind["j"])
        for k, a in enumerate(atoms):
            key, neg = np.packbits(cols[k]).tobytes(), np.packbits(~cols[k]).tobytes()
            r = seen.get(key, seen.get(neg))
            if a.kind == "sub" and r is not None:
                same = self._atom_term(a, x, bind) == self._atom_term(atoms[r], x, bind)
                if solver.check(z3.Not(same if key in seen else z3.Not(same))) == z3.unsat:
                    out.add(k)
                    continue
            seen.setdefault(key, k)
        return out

    def _sample(self, system: System, compiled: CompiledSystem, res: Any) -> list[tuple]:
        """The states mined at one size: what BFS reached (up to ``EXPLORE_FACTOR`` times
        ``self.states``), a uniform sample of ``self.states`` of them when more, and, when the search
        was cut short, the states of random walks from the initial state: deep states a cut-short BFS
        never sees drop wrong candidates here rather than in Houdini (where each costs a solver
        call). Any reached state is sound to mine from."""
        states = list(res.reached()) if res.reached is not None else []
        if len(states) > self.states:
            pick = np.random.default_rng(0).choice(len(states), self.states, replace=False)
            states = [states[k] for k in sorted(pick)]
        if res.stats.limit_hit is None:
            return states
        walked = random_walks(compiled, system.init_state(), WALKS, WALK_DEPTH)
        self.stats["walk_states"] = self.stats.get("walk_states", 0) + len(walked)
        return states + walked

    def _mining_constants(self) -> list[dict[str, int]]:
        """The configuration's values and every symbolic constant at its least, kept in order (so
        the least values already have BP_BUDGET = WEIGHT; a third point with both at 2 was measured
        on busy poll every N: 7,901 candidates instead of 7,980, for 153 s of mining instead of 89)."""
        base = {n: int(self.constants[n]) for n in self.sym_names}
        low = dict(zip(self.sym_names, keep_order(self.sym_names, self.lows, self.below)))
        out = [base]
        if low != base:
            out.append(low)
        return out

    # ---- Houdini over the step templates
    def run(self) -> PResult:
        t0 = time.process_time()
        atoms = templates(self.psys, self.order, self.small_values)
        if self.structure:
            atoms += structure_templates(self.psys)
        if self.owner_atoms:
            atoms += owner_templates(self.psys)
        parts = self.prop_parts()
        if self.property_atoms:
            props = property_templates(parts)
            self.stats["property_templates"] = len(props)
            atoms += props
        if self.cone:
            atoms = self.in_cone(atoms)
        clauses = self.mine(atoms)
        self.stats["cpu_mine"] = round(time.process_time() - t0, 2)
        self.stats.update(templates=len(atoms), candidates=len(clauses))
        _debug("mined", self.stats)
        tr = self.tr
        x = tr.state("")
        wi, wj = (z3.Const(f"w!{v}", tr.sort) for v in VARS)
        # the candidates: mined clauses, then one per property conjunct
        cands: list[tuple[str, Any]] = [("clause", cl) for cl in clauses]
        for name, ps in parts.items():
            cands += [("prop", (name, key, body)) for key, body in ps]
        live = [True] * len(cands)  # a list: blocking appends candidates
        lits = [z3.Bool(f"c!{k}") for k in range(len(cands))]
        self.cti = {}
        covers = {k for k, (kind, c) in enumerate(cands) if kind == "clause" and c in self.covers}
        #: the Z3 model of each property's counterexample to induction (.cti_reach)
        self.cti_models: dict[str, CTIModel] = {}

        cache: dict[tuple[int, int, tuple[int, ...]], Any] = {}

        def atom(i: int, st: dict[int, Any], bind: dict[str, Any]) -> Any:
            key = (id(st), i, tuple(bind[v].get_id() for v in VARS if v in bind))
            got = cache.get(key)
            if got is None:
                got = cache[key] = self._atom_term(atoms[i], st, bind)
            return got

        negs: dict[int, Any] = {}  # an atom's term id -> its negation (the atom terms stay cached, so ids hold)

        def lit(i: int, pol: bool, st: dict[int, Any], bind: dict[str, Any]) -> Any:
            t = atom(i, st, bind)
            if pol:
                return t
            got = negs.get(t.get_id())
            if got is None:
                got = negs[t.get_id()] = z3.BoolRef(z3.Z3_mk_not(t.ctx.ref(), t.as_ast()), t.ctx)
            return got

        def term(k: int, st: dict[int, Any], bind: dict[str, Any], universe: list[Any]) -> Any:
            kind, c = cands[k]
            if kind == "clause":  # through the C API: building these is most of the setup's time
                return mk_bool_app(z3.Z3_mk_or, [lit(i, pol, st, bind) for i, pol in c])
            _, key, body = c
            binds = {kk: bind[v] for kk, v in zip(key, VARS)}
            return StepRun(tr, st, binds, universe).ev(body, 1)

        def arity(k: int) -> int:
            kind, c = cands[k]
            if kind == "prop":
                return len(c[1])
            return len(set().union(*(atoms[i].uses() for i, _ in c)))

        def instance(k: int, st: dict[int, Any], combo: tuple[Any, ...], universe: list[Any]) -> Any:
            t = term(k, st, dict(zip(VARS, combo)), universe)
            return z3.Implies(combo[0] != combo[1], t) if len(combo) == 2 else t

        def assume_one(solver: z3.Solver, st: dict[int, Any], universe: list[Any], k: int) -> None:
            inst = [instance(k, st, combo, universe) for combo in _tuples(universe, arity(k))]
            solver.add(z3.Implies(lits[k], z3.And(*inst)))

        ev = Evaluator([a.uses() for a in atoms], cands, lambda i, st, bind: atom(i, st, bind))

        def assume_cand(solver: Any, st: dict[int, Any], universe: list[Any], k: int) -> None:
            # a mined or blocking clause on a lazy solver: asserted at the seed's tuples, the rest on demand
            if isinstance(solver, LazySolver) and cands[k][0] == "clause":
                solver.register(k)
            else:
                assume_one(solver.s if isinstance(solver, LazySolver) else solver, st, universe, k)

        goals: dict[tuple[int, int], Any] = {}

        def goal(k: int, st: dict[int, Any], universe: list[Any]) -> Any:
            key = (id(st), k)
            if key not in goals:
                t = term(k, st, {"i": wi, "j": wj}, universe)
                # a clause is ∀ i ≠ j; a property's own binders say themselves whether i = j counts
                goals[key] = z3.And(wi != wj, z3.Not(t)) if arity(k) == 2 and cands[k][0] == "clause" else z3.Not(t)
            return goals[key]

        # init
        x0 = {v.slot: tr.init_value(v) for v in self.psys.vars}
        u0 = [*tr.fixed, wi, wj]
        s0 = z3.Solver()
        s0.add(*tr.sym_facts())
        for k in range(len(cands)):
            s0.push()
            s0.add(goal(k, x0, u0))
            if s0.check() != z3.unsat:
                live[k] = False
                self._note_cti(cands[k], "the initial state")
            s0.pop()
        # the slots each candidate reads: a step that assigns none of them cannot falsify it
        reads = [self._reads(c, atoms) for c in cands]
        # the steps
        steps = []
        step_writes: list[set[int]] = []
        full = 0  # the mined clauses' instances a complete instantiation asserts
        for t in self.psys.transitions:
            ivs = {key: z3.Const(f"{key[1]}!{t.index}", tr.sort) for key in transition_ivars(t)}
            heads = [z3.Const(f"h{k}!{t.index}", tr.sort) for k in range(head_count(t.body))]
            universe = tr.insts_of(x) + list(ivs.values()) + heads + [*tr.fixed, wi, wj]
            run = StepRun(tr, x, ivs, universe, heads)
            run.run(t.body)
            s = z3.Solver()
            s.add(*tr.wf(x, universe), run.alive, *run.side)
            if self.lazy:  # the step's own instances, head choices and witnesses (.param_lazy)
                seed = [p for p, u in enumerate(universe) if any(u.eq(v) for v in [*ivs.values(), *heads, wi, wj])]
                s = LazySolver(s, ev, lits, x, universe, seed, instance)
            for k in range(len(cands)):
                assume_cand(s, x, universe, k)
            full += sum(len(_tuples(universe, arity(k))) for k in range(len(cands)) if cands[k][0] == "clause")
            writes = assigned_slots(t.body)
            step_writes.append(writes)
            steps.append((t, s, run, universe, {k for k in range(len(cands)) if reads[k] & writes}))
        blocker = self._blocker(Frame(
            [atoms[i].uses() for i in range(len(atoms))], cands, live, lits, reads, steps, step_writes,
            lambda i, st, bind: atom(i, st, bind), assume_cand, lambda cl: self._reads(("clause", cl), atoms),
            x, x0, wi, wj, tr.sym_facts()), atoms)
        rounds = 0
        changed = True
        self.stats["cpu_setup"] = round(time.process_time() - t0 - self.stats["cpu_mine"], 2)
        _debug("step solvers", {"steps": len(steps), "cpu_setup": self.stats["cpu_setup"], "instances": full})
        passes = 0
        # with block_late, first the fixpoint of the clauses (the properties assumed, not asked): a
        # counterexample to induction of a property found against that weaker set is blocked by
        # a clause inductive relative to it, rather than to candidates Houdini drops later
        phases = [False, True] if blocker is not None and self.block_late else [True]
        while changed or len(phases) > 1:
            if not changed:
                phases.pop(0)
                self.stats["clause_fixpoint_queries"] = rounds
            ask_props = phases[0]
            changed = False
            passes += 1
            for n_step, (t, s, run, universe, touched) in enumerate(steps):
                while True:
                    if time.perf_counter() > self.deadline:
                        raise TimeoutError
                    idx = [k for k in range(len(cands)) if live[k]]
                    check = [k for k in idx if k in touched and (ask_props or cands[k][0] == "clause")]
                    if not check:
                        break
                    s.push()
                    posts = {k: goal(k, run.st, universe) for k in check}
                    s.add(z3.Or(*posts.values()))
                    r = s.check(*[lits[k] for k in idx])
                    rounds += 1
                    self.stats.update(houdini_queries=rounds, live=sum(live))  # for the time-limit line
                    if rounds % 100 == 0:
                        _debug("houdini progress", {"queries": rounds, "live": sum(live), "pass": passes,
                                                    "post_drops": self.stats.get("post_drops", 0),
                                                    "instances": sum(getattr(st[1], "asserted", 0) for st in steps),
                                                    "refinements": sum(getattr(st[1], "refinements", 0) for st in steps),
                                                    "cover_live": sum(live[k] for k in covers),
                                                    "cpu": round(time.process_time() - t0, 2)})
                    if blocker is not None:
                        self.stats.update(block_calls=blocker.calls, block_clauses=len(blocker.added))
                    if r != z3.sat:
                        s.pop()
                        if r != z3.unsat:
                            raise TimeoutError
                        break
                    m = s.model()
                    dropped = [k for k in check if z3.is_true(m.eval(posts[k], model_completion=True))]
                    if self.drop_all:  # every clause the model's post-state falsifies, at any tuple
                        more = ev.falsified(m, run.st, universe, [k for k in check if k not in dropped])
                        self.stats["post_drops"] = self.stats.get("post_drops", 0) + len(more)
                        dropped += sorted(more)
                    s.pop()
                    changed = True
                    if blocker is not None and any(cands[k][0] == "prop" for k in dropped):
                        if "first_block_query" not in self.stats:
                            self.stats["first_block_query"] = rounds
                            _debug("first property CTI", {"step": t.key, "query": rounds,
                                                          "cover_live": sum(live[k] for k in covers),
                                                          "props": sorted({cands[k][1][0] for k in dropped
                                                                           if cands[k][0] == "prop"})})
                        if blocker.block((m, n_step)):
                            continue  # its pre-state is excluded by a new candidate: ask again
                    for k in dropped:
                        live[k] = False
                        if k in covers:
                            _debug("cover dropped", {"step": t.key, "query": rounds,
                                                     "clause": clause_line(as_atoms(atoms), cands[k][1])})
                        if cands[k][0] == "prop":
                            first = self.cti_reach and cands[k][1][0] not in self.cti
                            core = [*run.binds.values(), *run.head_of.values(), *tr.insts_of(x), *tr.named.values(),
                                    *[wi, wj][: len(cands[k][1][1])]]  # the instances .cti_reach grounds
                            small = self._smaller(s, goal(k, run.st, universe), [lits[j] for j in idx], x,
                                                  core) if first else None
                            self._note_cti(cands[k], t.key, small or m, x, run.st, universe, t, run)
        self.stats["houdini_queries"] = rounds
        if self.cover or self.cover_work:
            self.stats["cover_live"] = sum(live[k] for k in covers)
        self._lazy_stats(steps, ev, full)
        _debug("houdini", {**self.stats, "live": sum(live), "cpu": round(time.process_time() - t0, 2),
                           "dropped": self.cti})
        # the abstraction's obligations under the result
        broken = ""
        for t, s, run, _u, _ in steps:
            for what, ob in run.obligations:
                if s.check(z3.Not(ob), *[lits[k] for k in range(len(cands)) if live[k]]) != z3.unsat:
                    broken = f"{t.key}: {what} not excluded"
        proved = [n for n in parts if all(live[k] for k in range(len(cands)) if cands[k][0] == "prop" and cands[k][1][0] == n)]
        failed = {n: self.cti.get(n, "not inductive with the mined clauses") for n in parts if n not in proved}
        if broken:
            failed.update({n: broken for n in proved})
            proved = []
        for p in self.props:
            if p.name in self.psys.not_parameterised:
                failed[p.name] = f"not stated for every N ({self.psys.not_parameterised[p.name]})"
            elif p.kind != "invariant":
                failed[p.name] = f"a {p.kind} property: not in the all-N translation"
        keep_idx = [k for k in range(len(cands)) if live[k] and cands[k][0] == "clause"]
        if proved:
            t_sup = time.process_time()
            keep_idx = self.support(steps, cands, live, lits, goal, proved)
            self.stats["cpu_support"] = round(time.process_time() - t_sup, 2)
            _debug("support", {k: self.stats[k] for k in ("cpu_support", "support_queries") if k in self.stats}
                   | {"kept": len(keep_idx), "live": sum(live)})
        kept = [cands[k][1] for k in keep_idx]
        added = {k for k, _ in blocker.added} if blocker is not None else set()
        shown = as_atoms(atoms)
        lines = [_binders_text(atoms, cl) + rename(clause_line(shown, cl), self.sym_names)
                 + ("    (CTI blocked)" if k in added else "") for k, cl in zip(keep_idx, kept)]
        if blocker is not None:
            self.stats.update(block_cpu=round(blocker.cpu, 2), block_calls=blocker.calls, block_failed=blocker.failed,
                              block_clauses=len(blocker.added), block_kept=sum(1 for k in keep_idx if k in added))
        self.kept = kept
        #: the step solvers and the candidates at the end (diagnostics and tests)
        self.steps, self.cands, self.live, self.lits = steps, cands, live, lits
        self.atoms = atoms
        self.stats["clauses"] = len(kept)
        self.stats["cpu_houdini"] = round(time.process_time() - t0, 2)
        return PResult(proved, failed, lines, self.claim(), self.stats)

    def _lazy_stats(self, steps: list[Any], ev: Evaluator, full: int) -> None:
        """How many mined-clause instances the step solvers hold, against a complete instantiation's."""
        lazy = [s for _t, s, *_ in steps if isinstance(s, LazySolver)]
        self.stats.update(instances=sum(s.asserted for s in lazy) if lazy else full, instances_full=full,
                          refinements=sum(s.refinements for s in lazy), model_evals=ev.evals)

    def _blocker(self, frame: Frame, atoms: list[TAtom] | None = None) -> ParamBlocker | None:
        """CTI blocking for the properties Houdini would drop (:mod:`.param_block`), unless switched off."""
        if not self.generalise:
            return None
        b = ParamBlocker(frame, self.cols, self.block_clauses, self.deadline)
        b.texts = [a.text for a in atoms or []]  # for NAPI_INDUCT_DEBUG's reports
        return b

    def support(self, steps: list[Any], cands: list[Any], live: list[bool], lits: list[Any], goal: Any,
                proved: list[str]) -> list[int]:
        """The candidates the proved properties need, then those they need, until closed (unsat cores);
        the mined clauses among them.

        Breadth first, a level of members at a time, per step that can falsify them: first one
        question for all of them together, "the step falsifies one of them", under the members kept
        so far (what is already paid for is reused: unsat settles them all for that step); only the
        members falsified in its model are then asked one by one under every live candidate, and
        their cores join. Mined clauses are assumed before the properties (a property joins the
        assumptions only where the clauses are not enough), so the printed clauses carry the proof
        rather than the unprinted property text. Each member ends with an unsat answer on every step
        that writes what it reads, under members of the closure: its conjunction is inductive."""
        live_idx = [k for k in range(len(cands)) if live[k]]
        pool = [k for k in live_idx if cands[k][0] == "clause"]
        roots = [k for k in live_idx if cands[k][0] == "prop" and cands[k][1][0] in proved]
        need = dict.fromkeys(roots)  # ordered: the printed clauses come sorted anyway
        level = list(roots)
        queries = 0

        def check(s: z3.Solver, assume: list[int]) -> Any:
            nonlocal queries
            if time.perf_counter() > self.deadline:
                raise TimeoutError
            queries += 1
            return s.check(*[lits[j] for j in assume])

        while level:
            grown: list[int] = []
            for _, s, run, universe, touched in steps:
                ask = [k for k in level if k in touched]
                while ask:
                    posts = {k: goal(k, run.st, universe) for k in ask}
                    s.push()
                    s.add(z3.Or(*posts.values()))
                    r = check(s, [j for j in need if cands[j][0] == "clause"])
                    m = s.model() if r == z3.sat else None
                    s.pop()
                    if r == z3.unsat:
                        break
                    bad = [k for k in ask if m is None or not z3.is_false(m.eval(posts[k], model_completion=True))]
                    for k in bad:
                        s.push()
                        s.add(posts[k])
                        core = None
                        for assume in (pool, live_idx):  # the clauses first, then with the properties
                            if check(s, assume) == z3.unsat:
                                core = [int(str(c)[2:]) for c in s.unsat_core()]
                                break
                        s.pop()
                        for j in live_idx if core is None else core:  # no answer: everything stays
                            if j not in need:
                                need[j] = None
                                grown.append(j)
                    ask = [k for k in ask if k not in bad]
            level = grown
        self.stats["support_queries"] = queries
        return sorted(j for j in need if cands[j][0] == "clause")

    def _reads(self, cand: tuple[str, Any], atoms: list[TAtom]) -> set[int]:
        kind, c = cand
        if kind == "clause":
            names = {atoms[i].var for i, _ in c if atoms[i].kind not in STRUCTURE and atoms[i].kind != "sub"} \
                | {atoms[i].var2 for i, _ in c if atoms[i].var2}
            props = set().union(*(slots_of(atoms[i].expr, set()) for i, _ in c if atoms[i].kind == "sub"))
            return {self.psys.var_named(n).slot for n in names} | props
        return slots_of(c[2], set())

    def _atom_term(self, a: TAtom, st: dict[int, Any], bind: dict[str, Any]) -> Any:
        if a.kind == "sub":
            from checker.symbolic.induct.param_subterms import param_term

            return param_term(self.tr, st, a.expr, {w: bind[w] for w in a.on})
        if a.kind == "named":
            return bind[a.who] == self.tr.named[a.var]
        if a.kind == "place":
            return self.tr.places[a.var](bind[a.who]) == a.value
        var = self.psys.var_named(a.var)
        v = st[var.slot]
        if a.kind in ("in", "dup", "len", "before"):
            v = _read(v, a.path, bind)
            assert isinstance(v, PSeq)
            if a.kind == "len":
                return v.length > 0
            if a.kind == "before":
                return v.before[bind[a.who]][bind[a.who2]]
            return v.cnt[bind[a.who]] >= (1 if a.kind == "in" else 2)
        v = _read(v, a.path, bind)
        if a.bit >= 0:
            v = v.bits[a.bit]
        if a.kind == "bool":
            return v
        if a.kind == "owner":
            return z3.And(v, _read(st[self.psys.var_named(a.var2).slot], a.path2, bind) == bind[a.who])
        if a.kind == "eq":
            return v == a.value
        if a.kind == "gt":
            return v > self.tr.lit(a.value)
        if a.kind == "hi":
            return v == self.tr.lit(a.value)
        if a.kind == "ideq":
            return v == bind[a.who]
        w = _read(st[self.psys.var_named(a.var2).slot], a.path2, bind)
        return z3.And(v == a.value, w == bind[a.who] if a.who else w)

    def _note_cti(self, cand: Any, step: str, m: Any = None, x: Any = None, post: Any = None,
                  universe: Any = None, t: Any = None, run: Any = None) -> None:
        name = cand[1][0]
        if name in self.cti:
            return
        if m is None:
            self.cti[name] = f"false in {step}"
            return
        if t is not None and run is not None:  # kept for the grounded search of its pre-state (.cti_reach)
            self.cti_models[name] = CTIModel(name, t, m, x, dict(run.binds),
                                             list(run.head_of.values()), universe[-2:][: len(cand[1][1])], universe)
        pre, names = self._show(m, x, universe)
        after, _ = self._show(m, post, universe, names)
        changed = {k: v for k, v in after.items() if pre.get(k) != v}
        who = names.get(str(m.eval(universe[-2], model_completion=True)), "?")
        shown = ", ".join(f"{k}={v}" for k, v in pre.items())
        self.cti[name] = (f"counterexample to induction (instances named #1, #2 ...): from a state where "
                          f"{shown}, step {step} makes {name} false for instance {who}: "
                          + ", ".join(f"{k} becomes {v}" for k, v in changed.items()))

    def _smaller(self, s: Any, goal: Any, assume: list[Any], pre: dict[int, Any], core: list[Any]) -> Any:
        """The same question as the one that found a counterexample to induction of a property (its
        pre-state under the same candidates, a step falsifying the property, ``goal``), asked again
        with the symbolic constants near their least values, the lists short and, first, holding
        only the instances ``core`` names (the step's, the state's, the distinguished ones and the
        property's witnesses: then grounding needs no other instance), loosest last: a model a
        person can read and the explicit engine can search at a small N (:mod:`.cti_reach`); None
        when none of these is satisfiable in time (the original model stands)."""
        seqs = [v for v in _flat(pre) if isinstance(v, PSeq)]
        # the entries of the distinct instances among ``core``: an instance named twice counted once
        named = [[z3.If(z3.And(*[u != w for w in core[:k]]), q.cnt[u], 0) for k, u in enumerate(core)] for q in seqs]
        for more, longest, only in SMALLER:
            if time.perf_counter() > self.deadline:
                return None
            s.push()
            s.add(goal, *[c <= lo + more for c, lo in zip(self.tr.sym, self.lows)],
                  *[q.length <= longest for q in seqs],
                  *([q.length == z3.Sum(*ns) for q, ns in zip(seqs, named)] if only and core else []))
            r = s.check(*assume)
            m = s.model() if r == z3.sat else None
            s.pop()
            if m is not None:
                return m
        return None

    def reach_ctis(self, failed: dict[str, str], deadline: float, states: int = CTI_STATES) -> dict[str, Any]:
        """Each dropped property's counterexample to induction searched for at a small N
        (:func:`.cti_reach.reach`): a replayed violation becomes the property's outcome (returned);
        otherwise what the search said is added to why the property was not proved (``failed``)."""
        from checker.result import VIOLATED
        from checker.symbolic.bmc import Outcome

        out: dict[str, Any] = {}
        for name, cti in self.cti_models.items():
            if name not in failed or time.perf_counter() > deadline:
                continue
            try:
                got = reach(self.tr, cti, self.spec, self.constants, self.count, deadline, states)
            except (ModelError, StepError, KeyError, IndexError, TypeError, ValueError) as err:
                # a diagnosis that cannot be made must not cost the run its other results
                failed[name] += f"; its pre-state could not be searched for ({type(err).__name__}: {err})"
                continue
            self.stats[f"cti_reach_{name}"] = {"verdict": got.verdict, "n": got.n, "states": got.states,
                                               "cpu": round(got.cpu, 2)}
            _debug("counterexample to induction searched", {name: self.stats[f"cti_reach_{name}"]})
            if got.verdict == "violation" and got.trace is not None:
                out[name] = Outcome(VIOLATED, got.trace, note=got.text,
                                    detail={"found_at": {self.count: got.n, **got.constants}, "cti": failed[name]})
                del failed[name]
            else:
                failed[name] += f"; {got.text}"
        return out

    def _show(self, m: Any, st: dict[int, Any], universe: list[Any],
              names: dict[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
        """A model's state in the spec's names, the instances named #1, #2 ... in universe order."""
        names = dict(names or {})
        elems = []
        for u in universe:
            e = str(m.eval(u, model_completion=True))
            if e not in names:
                names[e] = f"#{len(names) + 1}"
            if e not in elems:
                elems.append(e)
        rep = {e: next(u for u in universe if str(m.eval(u, model_completion=True)) == e) for e in elems}
        out: dict[str, str] = {}

        def val(t: Any) -> str:
            v = m.eval(t, model_completion=True)
            return names.get(str(v), str(v))

        for var in self.psys.vars:
            v = st[var.slot]
            typ = var.typ
            if isinstance(v, FArr) and isinstance(v.elem, Array):
                for e, e2 in _tuples(elems, 2):
                    shown = val(v.comps[0][rep[e]][rep[e2]])
                    if shown not in ("0", "False"):
                        out[f"{var.name}[{names[e]}][{names[e2]}]"] = shown
            elif isinstance(v, FArr):
                for e in elems:
                    comps = [val(c[rep[e]]) for c in v.comps]
                    elem = typ.elem  # type: ignore[attr-defined]
                    if isinstance(elem, Enum):
                        comps = [elem.names[int(comps[0])]] if comps[0].lstrip("-").isdigit() else comps
                    if isinstance(elem, Flags):
                        comps = ["|".join(b for b, c in zip(elem.names, comps) if c == "True") or "0"]
                    out[f"{var.name}[{names[e]}]"] = comps[0] if len(comps) == 1 else "/".join(comps)
            elif isinstance(v, PSeq):
                out[f"len({var.name})"] = val(v.length)
                for e in elems:
                    out[f"count({var.name}, {names[e]})"] = val(v.cnt[rep[e]])
                if v.before is not None:
                    for e, e2 in _tuples(elems, 2):
                        if z3.is_true(m.eval(v.before[rep[e]][rep[e2]], model_completion=True)):
                            out[f"{names[e]} before {names[e2]} in {var.name}"] = "yes"
            elif isinstance(v, list):
                elem = typ.elem  # type: ignore[attr-defined]
                for k, x in enumerate(v):
                    if isinstance(x, PSeq):  # a list per CPU
                        out[f"len({var.name}[{k}])"] = val(x.length)
                        for e in elems:
                            out[f"count({var.name}[{k}], {names[e]})"] = val(x.cnt[rep[e]])
                    elif not isinstance(x, Flg):
                        shown = val(x)
                        if isinstance(elem, Enum) and shown.isdigit():
                            shown = elem.names[int(shown)]
                        out[f"{var.name}[{k}]"] = shown
            elif not isinstance(v, Flg):
                out[var.name] = val(v)
        out = {k: rename(v, self.sym_names) for k, v in out.items()}
        return out, names

    # ---- the independent check on the grounded IR
    def _symbolic_at(self, vals: dict[str, Any]) -> Any:
        """The symbolic constants of the grounded IR at ``vals``, asked as the every-N pass was (an
        ordered constant asked after the one it is below, so that it lands below it again)."""
        if not self.sym_names:
            return None
        wanted = [n for n in self.sym_names if n not in self.below] + [n for n in self.sym_names if n in self.below]
        return make_symbolic(self.spec, vals, wanted, ordered=bool(self.below))

    def ground_check(self, proved: list[str], timeout_ms: int,
                     at: tuple[int, ...] = CHECK_AT) -> tuple[bool, str]:
        """Init ⇒ J, J ∧ T ⇒ J', J ⇒ P and no modelling error on the grounded IR at N = ``at``
        (2, 3, 4) and the configuration's own N."""
        own = self.constants[self.count]
        for n in sorted(set(at) | ({own} if isinstance(own, int) else set())):
            vals = dict(self.constants)
            vals[self.count] = n
            sym = self._symbolic_at(vals)
            if sym is not None and (sym.names != self.sym_names or sym.below != self.below):
                return False, f"N={n}: {', '.join(sym.refused) or 'the order of the constants'} not symbolic there"
            if sym is None:
                system = self.spec.instantiate(vals)
                props = [system.prop(p) for p in proved]
                prob = Problem(system, props)
            else:
                system = sym.system
                props = symbolic_properties(sym, [system.prop(p) for p in proved])
                prob = Problem(system, props, SymbolicEncoder(sym))
            x = prob.enc.state("")
            g = Grounder(system, x.names, prob.enc, x)
            terms = [t for cl in self.kept for t in g.clause_terms(self.atoms, cl, n, x)]
            if sym is not None:
                enc = prob.enc
                assert isinstance(enc, SymbolicEncoder)
                terms = [enc.subst(t, x) for t in terms]
            # the properties are conjuncts of the invariant, as in the all-N proof
            terms += [prob.enc.holds(p.expr, x) for p in props]
            c0, st = time.process_time(), {"conjuncts": len(terms)}
            if SLICED:  # the same questions as check_invariant's, sliced per step (.sliced_check)
                ok, why = check_sliced(prob, x, terms, prob.targets, timeout_ms, self.deadline, st)
            else:
                inv = z3.And(*terms) if terms else z3.BoolVal(True)
                ok, why = check_invariant(prob, x, inv, prob.targets, timeout_ms, split_steps=True)
            self.stats[f"check_N{n}"] = {**st, "cpu": round(time.process_time() - c0, 2)}
            _debug(f"grounded re-check N={n}", self.stats[f"check_N{n}"])
            if not ok:
                return False, f"N={n}: {why}"
        return True, ""


def _debug(phase: str, stats: dict[str, Any]) -> None:
    import os

    if os.environ.get("NAPI_INDUCT_DEBUG"):
        print(f"[induct all-N] {phase}: {stats}", flush=True)


def random_walks(compiled: CompiledSystem, init: tuple, walks: int, depth: int, seed: int = 0) -> list[tuple]:
    """The distinct states of ``walks`` random walks of up to ``depth`` steps from ``init`` (a walk
    ends early in a state without successors or at a modelling error)."""
    import random

    from checker.lang.pycompile import StepError

    rng = random.Random(seed)
    seen: set[tuple] = set()
    for _ in range(walks):
        s = init
        for _ in range(depth):
            try:
                succ = compiled.successors(s)
            except StepError:
                break
            if not succ:
                break
            s = rng.choice(succ)[1]
            seen.add(s)
    return list(seen)


def _flat(st: dict[int, Any]) -> list[Any]:
    """The values of a translated state, a per-CPU list's elements one by one."""
    out: list[Any] = []
    for v in st.values():
        out.extend(v if isinstance(v, list) else [v])
    return out


def _read(v: Any, path: tuple[Any, ...], bind: dict[str, Any]) -> Any:
    for p in path:
        if isinstance(v, FArr):
            comps = [c[bind[p]] for c in v.comps]
            v = FArr(v.elem.elem, comps) if isinstance(v.elem, Array) else Flg(comps) if isinstance(v.elem, Flags) \
                else comps[0]
        else:
            v = v[p]
    return v


def _binders(e: Any) -> tuple[tuple[Any, ...], Any]:
    """A property conjunct as (the keys of its leading ∀ binders, at most two, and the body):
    ``∀ i. ∀ j. body`` (an ``And`` of one ``forall``, as ``ids.each`` gives, counts as the ``forall``)."""
    keys: list[Any] = []
    while len(keys) < 2:
        while e.op == "and" and len(e.args) == 1:
            e = e.args[0]
        if e.op != "forall":
            break
        keys.append(e.value.value)
        e = e.args[0]
    return tuple(keys), e


def _tuples(universe: list[Any], k: int) -> list[tuple[Any, ...]]:
    import itertools

    return list(itertools.permutations(universe, k))


__all__ = ["AllN", "NotInClass", "PResult", "templates"]


# ---------------------------------------------------------------- the engine's entry


def every_n(inp: Any, props: list[Property], names: list[str], deadline: float,
            timeout_ms: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The all-N proof for ``inp`` (``options.induct_instances`` names the constant that counts the
    instances): (outcomes of the properties proved for every N, why the others were not)."""
    from checker.result import HOLDS
    from checker.symbolic.bmc import Outcome

    count = str(inp.options.get("induct_instances"))
    system = inp.system
    spec = system.spec_def
    if spec is None or count not in system.constants:
        return {}, {p: f"options.induct_instances: {count!r} is not a constant of this spec" for p in names}
    sym_names: list[str] = []
    below: dict[str, str] = {}
    want = inp.options.get("induct_symbolic", inp.limits.get("induct_symbolic", "auto"))
    if want not in (False, []):
        from checker.symbolic.induct.symbolic import DATA_BOUNDS

        cands = list(DATA_BOUNDS) if want in ("auto", True) else [str(n) for n in want]
        # ordered: BP_BUDGET, refused alone (Linux types `work` by max(WEIGHT, BP_BUDGET)), symbolic
        # below WEIGHT, as on the fixed-N path
        sym = make_symbolic(spec, system.constants, [n for n in cands if n in system.constants], ordered=True)
        sym_names = sym.names if sym is not None else []
        below = sym.below if sym is not None else {}
    cpu0 = time.process_time()
    alln: AllN | None = None
    try:
        alln = AllN(spec, system.constants, [p for p in props if p.name in names], count, sym_names, deadline,
                    below=below)
        opt = inp.options.get
        alln.literals = int(opt("induct_literals", inp.limits.get("induct_literals", 3)))
        alln.generalise = bool(opt("induct_generalise", inp.limits.get("induct_generalise", True)))
        alln.cone = bool(opt("induct_cone", inp.limits.get("induct_cone", False)))
        alln.property_atoms = bool(opt("induct_property_atoms", inp.limits.get("induct_property_atoms", True)))
        alln.cover = bool(opt("induct_cover", inp.limits.get("induct_cover", True)))
        alln.cover_work = bool(opt("induct_cover_work", inp.limits.get("induct_cover_work", False)))
        alln.small_values = bool(opt("induct_small_values", inp.limits.get("induct_small_values", False)))
        alln.block_late = bool(opt("induct_block_late", inp.limits.get("induct_block_late", False)))
        alln.block_clauses = int(opt("induct_block_clauses", inp.limits.get("induct_block_clauses", MAX_CLAUSES)))
        alln.cti_reach = bool(opt("induct_cti_reach", inp.limits.get("induct_cti_reach", True)))
        res = alln.run()
    except NotInClass as err:
        return {}, {p: f"the spec is outside the all-N translation: {err}" for p in names}
    except (ModelError, TypeError, ValueError) as err:  # e.g. range(ANY): a spec not written over a family
        return {}, {p: f"the spec cannot be built for every {count} (checker.lang.family): {err}" for p in names}
    except TimeoutError:
        _debug("time limit", {**(alln.stats if alln is not None else {}), "cpu": round(time.process_time() - cpu0, 2)})
        return {}, {p: _cut_short(alln, p) for p in names}
    states = int(opt("induct_cti_states", inp.limits.get("induct_cti_states", CTI_STATES)))
    found = alln.reach_ctis(res.failed, deadline, states) if alln.cti_reach else {}
    if not res.proved:
        _debug("not proved", res.failed)
        return found, res.failed
    c_check = time.process_time()
    try:
        ok, why = alln.ground_check(res.proved, timeout_ms)
    except TimeoutError:
        return {}, {**res.failed, **{p: "time limit reached in the grounded re-check" for p in res.proved}}
    res.stats["cpu_check"] = round(time.process_time() - c_check, 2)
    if not ok:
        _debug("grounded re-check failed", {"why": why})
        return {}, {**res.failed, **{p: f"the all-N invariant failed the grounded re-check ({why})" for p in res.proved}}
    cpu = time.process_time() - cpu0
    st = res.stats
    mined = ", ".join(f"{st[k]:,} at N={k[8:]}" for k in sorted(st) if k.startswith("states_N"))
    blocked = st.get("block_kept", 0)
    how = "Houdini + CTI blocking" if blocked else "Houdini"
    note = (f"proved {res.claim} by {how} over an instance sort: an inductive invariant of {len(res.lines)} "
            f"clause(s) ∀ i ≠ j, mined from the states reached ({mined}; {st['candidates']:,} candidates"
            + (f"; {blocked} of the clauses block counterexamples to induction" if blocked else "") + "), "
            f"every ∀ instantiated at the K constants of each VC (complete for every N), and re-checked "
            f"inductive on the grounded IR at N={', '.join(map(str, CHECK_AT))}; {cpu:.1f} s CPU")
    detail = {"invariant": res.lines,
              "clauses": len(res.lines), "parameters": res.claim, "stats": dict(st, cpu_seconds=round(cpu, 2))}
    out = {p: Outcome(HOLDS, note=note, detail=detail) for p in res.proved}
    # no modelling error: the abstraction's obligations for every N, the grounded check at each N checked
    for extra in (ERROR, PRUNED):
        out[extra] = Outcome(HOLDS, note=note)
    return out | found, res.failed



def _cut_short(alln: AllN | None, prop: str) -> str:
    """Why ``prop`` was not proved when the every-N pass ran out of time: how far the pass got, and the
    counterexample to induction it had already dropped ``prop`` on, if any (so that a long run ends
    with what it learnt, not with "time limit" alone)."""
    st = alln.stats if alln is not None else {}
    if "cpu_mine" not in st:
        where = "while mining candidates"
    elif "cpu_setup" not in st:
        where = f"while building the step solvers ({st.get('candidates', 0):,} candidates mined)"
    else:
        where = (f"after {st.get('houdini_queries', 0):,} Houdini queries ({st.get('candidates', 0):,} candidates, "
                 f"{st.get('live', 0):,} still live")
        if st.get("block_calls"):
            where += f"; CTI blocking had added {st.get('block_clauses', 0)} clause(s)"
        where += ")"
    why = f"time limit reached in the every-N pass, {where}"
    cti = alln.cti.get(prop) if alln is not None else None
    return why + (f"; {prop} had already been dropped, on a {cti}" if cti else "")


def _binders_text(atoms: list[TAtom], cl: Clause) -> str:
    """"∀ i ≠ j: ", "∀ i: " or "" for a mined clause, by the instance variables its atoms use."""
    used = set().union(*(atoms[i].uses() for i, _ in cl))
    return "∀ i ≠ j: " if "j" in used else "∀ i: " if "i" in used else ""
