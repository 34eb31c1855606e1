"""Atoms of candidate invariants, read off the IR's types.

An atom is a Boolean fact about one state, defined over the flat locations of
:class:`checker.symbolic.translate.SState` (one per Bool, Int, Enum, flag bit, sequence length
and slot). Each atom has three faces that must agree: a numpy column over concrete states (for
mining), a Z3 term over an ``SState`` (for Houdini and the proof) and a text in the spec's names
(for the printed invariant).

=================  ==================================================================
location type       atoms
=================  ==================================================================
Bool, flag bit      ``x``
Enum (pc labels)    ``x == label`` for each label
Int, small range    ``x == v`` for each value (instance ids: ``cur[0] == 1``)
Int, wider range    ``x > lo`` and ``x == hi`` (``pending[0] > 0``, ``pending[0] == RING``)
Seq of small ints   ``v in s`` and ``count(s, v) >= 2`` for each element value, ``len(s) > 0``
=================  ==================================================================

:func:`guard_atoms` adds what the steps branch on: every comparison of an integer location with a
number in a step's guard, branch condition or assignment (``busypoll.work[0] == BP_BUDGET`` at
``busy_poll_stop``'s ``if (rc == budget)``), where the range atoms above do not already say it.

Sequence slots get no atoms of their own: order-free facts (membership, counts) are what the
NAPI properties speak of, and slot atoms would multiply the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import z3

from checker.lang.system import System
from checker.lang.types import Array, BoolType, Enum, Flags, Int, Seq, Type
from checker.symbolic.translate import Encoder, SState, flatten

#: an Int location whose range has at most this many values gets one atom per value
SMALL_RANGE = 3
#: the same for ghost variables (starvation counters: their exact values carry the fairness argument)
GHOST_RANGE = 8


@dataclass(frozen=True)
class Atom:
    """``kind`` is bool | eq | gt | in | dup | before; ``loc`` a flat index (for in/dup/before: the
    length's index, with ``slots`` the slot indices); ``value`` the compared value (before: the first
    occurrence of ``value`` precedes that of ``value2``, both in the sequence)."""

    kind: str
    loc: int
    value: int = 0
    text: str = ""
    slots: tuple[int, ...] = ()
    bound: str = ""  # "lo"/"hi" when the value is a range end (such atoms survive a change of the range)
    loc2: int = -1  # kind "both": a second location, equal to value2
    value2: int = 0
    # kind "expr" (:mod:`.subterms`): a sub-term of a property over the state ``zx``, the flat
    # locations it reads, and the symbolic constants' values where the atom is read concretely
    z: Any = field(default=None, compare=False, repr=False)
    zx: Any = field(default=None, compare=False, repr=False)
    zreads: tuple[int, ...] = ()
    consts: tuple[int, ...] = ()

    def reads(self) -> set[int]:
        """The flat locations the atom reads."""
        if self.kind == "expr":
            return set(self.zreads)
        locs = {self.loc} | ({self.loc2} if self.loc2 >= 0 else set())
        if self.kind in ("in", "dup", "before"):
            locs |= set(self.slots)
        return locs

    def column(self, v: np.ndarray) -> np.ndarray:
        """The atom on every row of ``v`` (states × flat locations)."""
        if self.kind == "expr":
            from checker.symbolic.induct import subterms

            return subterms.column(self, v)
        if self.kind == "bool":
            return v[:, self.loc] != 0
        if self.kind == "eq":
            return v[:, self.loc] == self.value
        if self.kind == "gt":
            return v[:, self.loc] > self.value
        if self.kind == "both":
            return (v[:, self.loc] == self.value) & (v[:, self.loc2] == self.value2)
        if self.kind == "at":
            return (v[:, self.loc] > self.slots[0]) & (v[:, self.loc2] == self.value)
        length = v[:, self.loc]
        if self.kind == "before":
            first = np.zeros(len(v), dtype=bool)  # value seen at a position where value2 was not yet
            clear = np.ones(len(v), dtype=bool)  # value2 not seen so far
            seen2 = np.zeros(len(v), dtype=bool)
            for k, s in enumerate(self.slots):
                live = length > k
                first |= clear & live & (v[:, s] == self.value)
                hit2 = live & (v[:, s] == self.value2)
                clear &= ~hit2
                seen2 |= hit2
            return first & seen2
        hits = np.zeros(len(v), dtype=np.int64)
        for k, s in enumerate(self.slots):
            hits += (v[:, s] == self.value) & (length > k)
        return hits >= (1 if self.kind == "in" else 2)

    def term(self, x: SState) -> z3.BoolRef:
        if self.kind == "expr":
            from checker.symbolic.induct import subterms

            return subterms.term(self, x)
        f = x.flat
        if self.kind == "bool":
            return f[self.loc]
        if self.kind == "eq":
            return f[self.loc] == self.value
        if self.kind == "gt":
            return f[self.loc] > self.value
        if self.kind == "both":
            return z3.And(_eq(f[self.loc], self.value), _eq(f[self.loc2], self.value2))
        if self.kind == "at":
            return z3.And(f[self.loc] > self.slots[0], f[self.loc2] == self.value)
        if self.kind == "before":
            live = [f[self.loc] > k for k in range(len(self.slots))]
            first = [z3.And(live[k], f[s] == self.value,
                            *[z3.Not(z3.And(live[r], f[self.slots[r]] == self.value2)) for r in range(k + 1)])
                     for k, s in enumerate(self.slots)]
            seen2 = [z3.And(live[k], f[s] == self.value2) for k, s in enumerate(self.slots)]
            return z3.And(z3.Or(*first), z3.Or(*seen2))
        hits = [z3.And(f[self.loc] > k, f[s] == self.value) for k, s in enumerate(self.slots)]
        if self.kind == "in":
            return z3.Or(*hits) if len(hits) > 1 else hits[0]
        pairs = [z3.And(a, b) for i, a in enumerate(hits) for b in hits[i + 1:]]
        return z3.Or(*pairs) if len(pairs) > 1 else pairs[0] if pairs else z3.BoolVal(False)


    def python(self, ref: list[str]) -> str:
        """The atom as a Python expression over a concrete state, ``ref[k]`` reading flat location k
        (:func:`checker.symbolic.translate.flat_access`): a third rendering, compiled for the check
        on every reached state."""
        if self.kind == "expr":
            from checker.symbolic.induct import subterms

            return subterms.python(self, ref)
        a = ref[self.loc]
        if self.kind == "bool":
            return f"bool({a})"
        if self.kind == "eq":
            return f"({a} == {self.value})"
        if self.kind == "gt":
            return f"({a} > {self.value})"
        if self.kind == "both":
            return f"({a} == {self.value} and {ref[self.loc2]} == {self.value2})"
        if self.kind == "at":
            return f"({a} > {self.slots[0]} and {ref[self.loc2]} == {self.value})"
        if self.kind == "before":
            def at(k: int, w: int) -> str:
                return f"({a} > {k} and {ref[self.slots[k]]} == {w})"

            first = " or ".join(f"({at(k, self.value)} and not ({' or '.join(at(r, self.value2) for r in range(k + 1))}))"
                                for k in range(len(self.slots)))
            seen2 = " or ".join(at(k, self.value2) for k in range(len(self.slots)))
            return f"(({first}) and ({seen2}))"
        hits = " + ".join(f"({a} > {k} and {ref[s]} == {self.value})" for k, s in enumerate(self.slots))
        return f"(({hits}) >= {1 if self.kind == 'in' else 2})"


def _eq(t: z3.ExprRef, v: int) -> z3.BoolRef:
    if z3.is_bool(t):
        return t if v else z3.Not(t)  # type: ignore[return-value]
    return t == v


def _show_value(typ: Type, v: int) -> str:
    return typ.names[v] if isinstance(typ, Enum) else str(v)


def atoms_of(system: System, x: SState) -> list[Atom]:
    """The atoms of ``system``'s state, in the order of its flat locations."""
    out: list[Atom] = []
    k = 0

    def scalar(name: str, typ: Type, small: int) -> None:
        nonlocal k
        if isinstance(typ, BoolType):
            out.append(Atom("bool", k, text=name))
        elif isinstance(typ, Enum):
            for v in range(len(typ.names)):
                out.append(Atom("eq", k, v, f"{name} == {typ.names[v]}"))
        elif isinstance(typ, Int):
            if typ.hi - typ.lo + 1 <= small:
                for v in range(typ.lo, typ.hi + 1):
                    bound = "lo" if v == typ.lo else "hi" if v == typ.hi else ""
                    out.append(Atom("eq", k, v, f"{name} == {v}", bound=bound))
            else:
                out.append(Atom("gt", k, typ.lo, f"{name} > {typ.lo}", bound="lo"))
                out.append(Atom("eq", k, typ.hi, f"{name} == {typ.hi}", bound="hi"))
        k += 1

    def go(name: str, typ: Type, small: int) -> None:
        nonlocal k
        if isinstance(typ, Flags):
            for b in typ.names:
                out.append(Atom("bool", k, text=f"{name}.{b}"))
                k += 1
        elif isinstance(typ, Array):
            for i in range(typ.size):
                go(f"{name}[{i}]", typ.elem, small)
        elif isinstance(typ, Seq):
            length = k
            out.append(Atom("gt", length, 0, f"len({name}) > 0", bound="lo"))
            k += 1
            width = flat_width(typ.elem)
            slots = tuple(length + 1 + j * width for j in range(typ.capacity))
            k += width * typ.capacity
            elem = typ.elem
            if isinstance(elem, (Int, Enum)) and typ.capacity > 0:
                lo, hi = (elem.lo, elem.hi) if isinstance(elem, Int) else (0, len(elem.names) - 1)
                if hi - lo + 1 <= 16:
                    for v in range(lo, hi + 1):
                        shown = _show_value(elem, v)
                        out.append(Atom("in", length, v, f"{shown} in {name}", slots))
                        if typ.capacity > 1:
                            out.append(Atom("dup", length, v, f"count({name}, {shown}) >= 2", slots))
                    for j, slot in enumerate(slots):  # positions: the order facts of a FIFO (fairness)
                        for v in range(lo, hi + 1):
                            out.append(Atom("at", length, v, f"{name}[{j}] == {_show_value(elem, v)}", (j,),
                                            loc2=slot))
        else:
            scalar(name, typ, small)

    for var in system.vars:
        go(var.name, var.typ, GHOST_RANGE if var.ghost else SMALL_RANGE)
    assert k <= len(x.flat), (k, len(x.flat))  # beyond k: symbolic constants (induct.symbolic)
    return out + _at_with(system, x)


def _at_with(system: System, x: SState) -> list[Atom]:
    """``pc == L and local == v`` for each actor instance, label and value of a small local (an
    instance id such as ``cur``, a saved flag): what one context is doing to which instance."""
    where = {n: k for k, n in enumerate(x.names)}
    out: list[Atom] = []
    for actor in system.actors:
        for var in system.vars:
            if not var.name.startswith(actor.name + ".") or var.name == actor.pc.value.name:
                continue
            if not isinstance(var.typ, Array):
                continue
            elem = var.typ.elem
            if isinstance(elem, BoolType):
                values = [1]
            elif isinstance(elem, Int) and 2 <= elem.hi - elem.lo + 1 <= SMALL_RANGE:
                values = list(range(elem.lo, elem.hi + 1))
            else:
                continue
            for i in range(actor.instances):
                pc, loc = where[f"{actor.pc.value.name}[{i}]"], where[f"{var.name}[{i}]"]
                for lab, label in enumerate(actor.labels.names):
                    for v in values:
                        shown = f"{var.name}[{i}]" if isinstance(elem, BoolType) else f"{var.name}[{i}] == {v}"
                        out.append(Atom("both", pc, lab, f"({actor.pc.value.name}[{i}] == {label} and {shown})",
                                        loc2=loc, value2=v))
    return out


#: Z3 comparison -> (atom kind, offset of the atom's value from the compared number, the number on the right)
_COMPARE = {z3.Z3_OP_EQ: ("eq", 0), z3.Z3_OP_GT: ("gt", 0), z3.Z3_OP_LE: ("gt", 0),
            z3.Z3_OP_GE: ("gt", -1), z3.Z3_OP_LT: ("gt", -1)}
#: the same comparison with its sides swapped (``3 < x`` is ``x > 3``)
_SWAP = {z3.Z3_OP_EQ: z3.Z3_OP_EQ, z3.Z3_OP_GT: z3.Z3_OP_LT, z3.Z3_OP_LT: z3.Z3_OP_GT,
         z3.Z3_OP_GE: z3.Z3_OP_LE, z3.Z3_OP_LE: z3.Z3_OP_GE}


def guard_atoms(enc: Encoder, x: SState, have: list[Atom]) -> list[Atom]:
    """``x == v`` and ``x > v`` for every comparison of an integer location ``x`` (of a range wider
    than :data:`SMALL_RANGE`: smaller ones have an atom per value) with a number ``v`` that some step
    of the IR makes (``x <= v`` and ``x > v`` are one atom, ``x < v`` is ``x > v - 1``); none that
    ``have`` already holds. Read off the Z3 translation of every step from ``x`` (the base encoder's:
    with symbolic constants, their sentinel numerals, which :func:`.symbolic.concretise` and the
    symbolic encoder read as the constants)."""
    index = {v.get_id(): k for k, v in enumerate(x.flat)}
    known = {(a.kind, a.loc, a.value) for a in have}
    lengths = set(_seq_lengths(enc.system))  # the encoding's own comparisons (which slot is live): no facts
    out: list[Atom] = []
    todo: list[z3.ExprRef] = []
    for t in enc.system.transitions:
        sem = Encoder.sem(enc, t, x)
        todo.append(sem.enabled)
        todo += [e for var, v in zip(enc.system.vars, sem.post) for e in flatten(v, var.typ)]
    seen: set[int] = set()
    while todo:
        e = todo.pop()
        if e.get_id() in seen or not z3.is_app(e):
            continue
        seen.add(e.get_id())
        todo.extend(e.children())
        op = e.decl().kind()
        if op not in _COMPARE or e.num_args() != 2:
            continue
        a, b = e.arg(0), e.arg(1)
        if z3.is_int_value(a):
            a, b, op = b, a, _SWAP[op]
        if not (z3.is_int_value(b) and a.get_id() in index):
            continue
        loc = index[a.get_id()]
        typ = x.types[loc]
        if loc in lengths or not isinstance(typ, Int) or typ.hi - typ.lo + 1 <= SMALL_RANGE:
            continue
        kind, off = _COMPARE[op]
        v = b.as_long() + off
        if kind == "gt" and v == typ.hi - 1:  # x > hi - 1 is x == hi
            kind, v = "eq", typ.hi
        # (above the range is left in: with symbolic constants, v and hi may be different constants)
        if kind == "eq" and v == typ.lo:  # x == lo is not (x > lo)
            kind = "gt"
        if v < typ.lo or (kind, loc, v) in known or (kind == "gt" and v == typ.hi):
            continue
        known.add((kind, loc, v))
        text = f"{x.names[loc]} {'==' if kind == 'eq' else '>'} {v}"
        out.append(Atom(kind, loc, v, text, bound="lo" if kind == "gt" and v == typ.lo else ""))
    return sorted(out, key=lambda a: (a.loc, a.kind, a.value))


def _seq_lengths(system: System) -> list[int]:
    """The flat locations that hold a sequence's length."""
    out: list[int] = []
    k = 0

    def go(typ: Type) -> None:
        nonlocal k
        if isinstance(typ, Array):
            for _ in range(typ.size):
                go(typ.elem)
        elif isinstance(typ, Seq):
            out.append(k)
            k += flat_width(typ)
        else:
            k += flat_width(typ)

    for var in system.vars:
        go(var.typ)
    return out


def var_ranges(system: System) -> dict[str, range]:
    """The flat locations of each state variable, by name (in the order of the flat state)."""
    out: dict[str, range] = {}
    k = 0
    for v in system.vars:
        out[v.name] = range(k, k + flat_width(v.typ))
        k += flat_width(v.typ)
    return out


def flat_width(typ: Type) -> int:
    """How many flat locations a value of ``typ`` takes."""
    if isinstance(typ, Flags):
        return len(typ.names)
    if isinstance(typ, Array):
        return typ.size * flat_width(typ.elem)
    if isinstance(typ, Seq):
        return 1 + typ.capacity * flat_width(typ.elem)
    return 1
