"""Atoms read off the properties themselves: their compound sub-formulas.

The properties are stated by meaning over the spec's own predicates ("instance i is held by
some poller", "instance i is quiescent", "how often i is on a list"); grounded, each is a
disjunction or a count over many contexts. As one literal each they let a three-literal clause
say what otherwise needs six ("SCHED set ⇒ held, or the IRQ handler is between
napi_schedule_prep and ____napi_schedule"), which is what the Linux spec's invariants need once
several contexts can own an instance.

Taken from the Z3 translation of each state property (so from the one IR, whatever the spec):
every Boolean sub-term that is a conjunction or disjunction, or a comparison over a sum or an
``ite`` (a count), per grounded instance. The atom keeps that term; its three faces are the
term itself (for Houdini), a vectorised numpy evaluation of it over flat state rows (for
mining), and :func:`checker.symbolic.invariant_check._py` (for the check on every reached
state).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import z3

from checker.lang.types import Type
from checker.symbolic.induct.atoms import Atom
from checker.symbolic.invariant_check import _py, show
from checker.symbolic.translate import SState

#: at most this many property atoms (the largest properties have a few dozen per instance)
MAX_ATOMS = 400


def _compound(t: z3.ExprRef) -> bool:
    if z3.is_and(t) or z3.is_or(t):
        return t.num_args() >= 2
    if any(f(t) for f in (z3.is_le, z3.is_lt, z3.is_ge, z3.is_gt, z3.is_eq)) and not z3.is_bool(t.arg(0)):
        return any(z3.is_add(a) or z3.is_app_of(a, z3.Z3_OP_ITE) for a in t.children())
    return False


def property_atoms(terms: list[z3.BoolRef], x: SState) -> list[Atom]:
    """The compound sub-terms of ``terms`` (state properties over ``x``) as atoms, each once."""
    index = {v.get_id(): k for k, v in enumerate(x.flat)}
    types: dict[str, Type] = dict(zip(x.names, x.types))
    seen: set[int] = set()
    out: list[Atom] = []
    todo = [t for t in terms]
    tops = {t.get_id() for t in terms}
    derived: set[int] = set()  # "all but one" conjunctions: atoms, not expanded again
    while todo and len(out) < MAX_ATOMS:
        t = todo.pop(0)
        if t.get_id() in seen:
            continue
        seen.add(t.get_id())
        if z3.is_bool(t) and _compound(t) and t.get_id() not in tops:
            reads = _reads(t, index)
            if len(reads) >= 2:
                out.append(Atom("expr", min(reads), text=show(t, types), z=t, zx=x, zreads=tuple(sorted(reads))))
        if t.get_id() in derived:
            continue
        if z3.is_bool(t) and (z3.is_and(t) or z3.is_or(t) or z3.is_not(t) or z3.is_implies(t)):
            todo.extend(t.children())
        if z3.is_and(t) and t.num_args() >= 3 and t.get_id() not in tops:
            # "all but one": the conjunction without each conjunct in turn ("quiescent, but for
            # the softirq"), the premise of the invariant that says where that context is then
            kids = t.children()
            for k in range(len(kids)):
                rest = kids[:k] + kids[k + 1:]
                if len(rest) > 1:
                    derived.add(z3.And(*rest).get_id())
                    todo.append(z3.And(*rest))
        elif z3.is_bool(t) and _compound(t):
            continue
    return out


def _reads(t: z3.ExprRef, index: dict[int, int]) -> set[int]:
    out: set[int] = set()
    todo, seen = [t], set()
    while todo:
        e = todo.pop()
        if e.get_id() in seen:
            continue
        seen.add(e.get_id())
        if z3.is_const(e) and e.get_id() in index:
            out.add(index[e.get_id()])
        todo.extend(e.children())
    return out


def column(a: Atom, v: np.ndarray) -> np.ndarray:
    """The atom's term on every row of ``v``; flat locations past the rows' width are the symbolic
    constants, read from ``a.consts``."""
    index = {var.get_id(): k for k, var in enumerate(a.zx.flat)}
    width = v.shape[1]
    memo: dict[int, Any] = {}

    def ev(e: z3.ExprRef) -> Any:
        key = e.get_id()
        if key in memo:
            return memo[key]
        if z3.is_true(e):
            r: Any = True
        elif z3.is_false(e):
            r = False
        elif z3.is_int_value(e):
            r = e.as_long()
        elif z3.is_const(e):
            k = index[key]
            r = v[:, k] if k < width else a.consts[k - width]
            if z3.is_bool(e) and k < width:
                r = r != 0
        else:
            args = [ev(c) for c in e.children()]
            r = _APPLY[e.decl().kind()](args)
        memo[key] = r
        return r

    out = ev(a.z)
    return np.broadcast_to(np.asarray(out, dtype=bool), (len(v),)).copy()


def _fold(op: Any) -> Any:
    def f(args: list[Any]) -> Any:
        r = args[0]
        for b in args[1:]:
            r = op(r, b)
        return r

    return f


_APPLY: dict[int, Any] = {
    z3.Z3_OP_AND: _fold(np.logical_and), z3.Z3_OP_OR: _fold(np.logical_or),
    z3.Z3_OP_NOT: lambda a: np.logical_not(a[0]),
    z3.Z3_OP_IMPLIES: lambda a: np.logical_or(np.logical_not(a[0]), a[1]),
    z3.Z3_OP_EQ: lambda a: np.equal(a[0], a[1]), z3.Z3_OP_IFF: lambda a: np.equal(a[0], a[1]),
    z3.Z3_OP_DISTINCT: lambda a: np.not_equal(a[0], a[1]),
    z3.Z3_OP_XOR: lambda a: np.not_equal(a[0], a[1]),
    z3.Z3_OP_LE: lambda a: np.less_equal(a[0], a[1]), z3.Z3_OP_LT: lambda a: np.less(a[0], a[1]),
    z3.Z3_OP_GE: lambda a: np.greater_equal(a[0], a[1]), z3.Z3_OP_GT: lambda a: np.greater(a[0], a[1]),
    z3.Z3_OP_ADD: _fold(np.add), z3.Z3_OP_SUB: _fold(np.subtract), z3.Z3_OP_MUL: _fold(np.multiply),
    z3.Z3_OP_UMINUS: lambda a: np.negative(a[0]),
    z3.Z3_OP_ITE: lambda a: np.where(a[0], a[1], a[2]),
}


def python(a: Atom, ref: list[str]) -> str:
    """The atom's term as Python over ``ref`` (flat location k read as ``ref[k]``); symbolic
    constants as their values in ``a.consts``."""
    names = [c.decl().name() for c in a.zx.flat]
    width = len(ref)
    env = {n: (ref[k] if k < width else str(a.consts[k - width])) for k, n in enumerate(names)}
    return f"bool({_py(a.z, env, set())})"


def term(a: Atom, x: SState) -> z3.BoolRef:
    if x is a.zx or x.flat is a.zx.flat:
        return a.z  # type: ignore[no-any-return]
    return z3.substitute(a.z, *zip(a.zx.flat, x.flat))  # type: ignore[no-any-return]
