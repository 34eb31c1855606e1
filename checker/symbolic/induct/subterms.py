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

from checker.lang import And
from checker.lang.printer import show_expr
from checker.symbolic.induct.atoms import Atom
from checker.symbolic.invariant_check import _py
from checker.lang.expr import Expr
from checker.symbolic.translate import Encoder, Env, SState

#: at most this many property atoms (the largest properties have a few dozen per instance)
MAX_ATOMS = 400


def property_value(enc: Encoder, expr: Expr, x: SState) -> z3.BoolRef:
    """``expr``'s value over ``x``, without the condition that evaluating it raises (which
    :meth:`Encoder.holds` adds, and whose sub-terms are no facts about NAPI)."""
    v, _ = enc.tr.eval(expr, Env(x.vals))
    subst = getattr(enc, "subst", None)  # symbolic constants (induct.symbolic.SymbolicEncoder)
    return subst(v, x) if subst is not None else v  # type: ignore[no-any-return]


_CMP = ("<", "<=", "==", "!=", ">", ">=")
_COUNTING = ("+", "ite", "count", "len")


def counts_compared(e: Expr) -> bool:
    """``e`` compares a count (a sum, an ``ite``, a list's length) with something."""
    return e.op in _CMP and any(_has(a, _COUNTING) for a in e.args)


def compound(e: Expr) -> bool:
    """``e`` is worth an atom of its own: an and / or of two or more parts, or a compared count."""
    if e.op in ("and", "or"):
        return len(e.args) >= 2
    return counts_compared(e)


def _has(e: Expr, ops: tuple[str, ...]) -> bool:
    return e.op in ops or any(_has(a, ops) for a in e.args)


def property_atoms(exprs: list[Expr], enc: Encoder, x: SState) -> list[Atom]:
    """The compound sub-expressions of the properties ``exprs`` as atoms over ``x``, each once (by
    its text), and for each conjunction of three or more, the conjunction without each conjunct."""
    index = {v.get_id(): k for k, v in enumerate(x.flat)}
    seen: set[str] = set()
    out: list[Atom] = []
    todo: list[tuple[Expr, bool]] = [(e, False) for e in exprs]  # (expression, derived: not expanded)
    tops = {id(e) for e in exprs}
    while todo and len(out) < MAX_ATOMS:
        e, derived = todo.pop(0)
        text = show_expr(e)
        if text in seen:
            continue
        seen.add(text)
        if compound(e) and id(e) not in tops:
            t = property_value(enc, e, x)
            reads = term_reads(t, index)
            if len(reads) >= 2:
                out.append(Atom("expr", min(reads), text=strip_outer(text), z=t, zx=x, zreads=tuple(sorted(reads))))
        if derived:
            continue
        if e.op in ("and", "or", "not", "implies"):
            todo.extend((a, False) for a in e.args)
        if e.op == "and" and len(e.args) >= 3 and id(e) not in tops:
            # "all but one": the conjunction without each conjunct in turn ("quiescent, but for
            # the softirq"), the premise of the invariant that says where that context is then
            for k in range(len(e.args)):
                todo.append((And(*(e.args[:k] + e.args[k + 1:])), True))
    return out


def strip_outer(text: str) -> str:
    """One pair of outer parentheses off (the atom is shown inside a clause's own)."""
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for k, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and k < len(text) - 1:
                return text
        return text[1:-1]
    return text


def term_reads(t: z3.ExprRef, index: dict[int, int]) -> set[int]:
    """The slots (``index``: Z3 constant id -> slot) the term ``t`` reads."""
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
