"""Inductive invariants: the independent check, readable printing, concrete evaluation.

An invariant ``I`` from Spacer (over the flat state variables) is accepted only when a fresh
solver shows, for ``J = I ∧ wf``:

* ``Init ⇒ J``;
* ``J ∧ pre ∧ T ⇒ J'`` (every step from an expanded state);
* ``J ⇒ ¬bad`` for every target (for transition properties: ``J ∧ pre ∧ T ⇒ Q``).

It is printed in the spec's own names, simplified, one conjunct per line, without the
conjuncts that only restate the types (ranges), with Enum values shown by name.
:func:`compile_invariant` compiles it, conjunct by conjunct, to Python over the explicit
engine's state tuples, so that it can be checked on every state an exploration reaches.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import z3

from checker.lang.pycompile import scalar_py
from checker.lang.types import Enum, Type
from checker.symbolic.problem import Problem, Target
from checker.symbolic.translate import SState, _and, _not, _or, flat_access


def check_invariant(prob: Problem, x: SState, inv: z3.BoolRef, targets: list[Target],
                    timeout: int) -> tuple[bool, str]:
    """(accepted, reason if not)."""
    enc = prob.enc
    a, b = enc.state("@ca"), enc.state("@cb")

    def at(s: SState) -> z3.BoolRef:
        return _and([z3.substitute(inv, *zip(x.flat, s.flat)), enc.wf(s)])

    def unsat(what: str, *fs: z3.BoolRef) -> str | None:
        s = z3.Solver()
        s.set("timeout", timeout)
        s.add(*fs)
        r = s.check()
        return None if r == z3.unsat else f"{what}: {r}"

    tid = z3.Int("tid@c")
    checks = [
        unsat("Init ⇒ Inv", enc.init(a), _not(at(a))),
        unsat("Inv ∧ T ⇒ Inv'", at(a), prob.pre(a), enc.trans(a, b, tid), _not(at(b))),
    ]
    for tg in targets:
        if tg.edge:
            checks.append(unsat(f"Inv ⇒ {tg.name}", at(a), prob.pre(a), enc.trans(a, b, tid), prob.bad_edge(tg, a, b)))
        else:
            checks.append(unsat(f"Inv ⇒ {tg.name}", at(a), prob.bad(tg, a)))
    failed = [c for c in checks if c is not None]
    return (not failed, "; ".join(failed))


def conjuncts(e: z3.BoolRef) -> list[z3.BoolRef]:
    if z3.is_and(e):
        return [c for a in e.children() for c in conjuncts(a)]
    return [e]


def show_invariant(prob: Problem, x: SState, inv: z3.BoolRef) -> list[str]:
    """The invariant's conjuncts as lines of text, type-range conjuncts dropped."""
    simp = z3.simplify(inv, arith_lhs=True)
    wf = prob.enc.wf(x)
    types = {n: t for n, t in zip(x.names, x.types)}
    lines = []
    for c in conjuncts(simp):
        s = z3.Solver()
        s.set("timeout", 2000)
        s.add(wf, _not(c))
        if s.check() == z3.unsat:
            continue  # implied by the types alone
        text = show(c, types)
        if text not in lines:
            lines.append(text)
    return lines


def _name(e: z3.ExprRef) -> str:
    return e.decl().name()


def _enum_of(e: z3.ExprRef, types: dict[str, Type]) -> Enum | None:
    if z3.is_const(e) and not z3.is_int_value(e) and not z3.is_true(e) and not z3.is_false(e):
        t = types.get(_name(e))
        return t if isinstance(t, Enum) else None
    return None


def show(e: z3.ExprRef, types: dict[str, Type], top: bool = True) -> str:
    """A Z3 term in the spec's notation (``and``/``or``/``not``/``=>``, Enum values by name)."""

    def sub(a: z3.ExprRef) -> str:
        return show(a, types, top=False)

    def par(s: str) -> str:
        return s if top else f"({s})"

    if z3.is_true(e):
        return "true"
    if z3.is_false(e):
        return "false"
    if z3.is_int_value(e):
        return str(e.as_long())
    if z3.is_const(e):
        return _name(e)
    if z3.is_not(e):
        a = e.arg(0)
        if z3.is_eq(a):
            return par(_cmp(a.arg(0), a.arg(1), "!=", types))
        for op, neg in ((z3.is_le, ">"), (z3.is_lt, ">="), (z3.is_ge, "<"), (z3.is_gt, "<=")):
            if op(a):
                return par(_order(a.arg(0), a.arg(1), neg, types) or f"{sub(a.arg(0))} {neg} {sub(a.arg(1))}")
        return f"not {sub(a)}"
    if z3.is_and(e) or z3.is_or(e):
        word = " and " if z3.is_and(e) else " or "
        return par(word.join(sub(a) for a in e.children()))
    if z3.is_implies(e):
        return par(f"{sub(e.arg(0))} => {sub(e.arg(1))}")
    if z3.is_eq(e):
        return par(_cmp(e.arg(0), e.arg(1), "==", types))
    if z3.is_distinct(e):
        return par(" != ".join(sub(a) for a in e.children()))
    for op, sym in ((z3.is_le, "<="), (z3.is_lt, "<"), (z3.is_ge, ">="), (z3.is_gt, ">")):
        if op(e):
            return par(_order(e.arg(0), e.arg(1), sym, types) or f"{sub(e.arg(0))} {sym} {sub(e.arg(1))}")
    if z3.is_add(e):
        out = sub(e.arg(0))
        for a in e.children()[1:]:
            s = sub(a)
            out += f" - {s[1:]}" if s.startswith("-") else f" + {s}"
        return par(out)
    if z3.is_sub(e):
        return par(" - ".join(sub(a) for a in e.children()))
    if z3.is_mul(e):
        a0 = e.arg(0)
        if e.num_args() == 2 and z3.is_int_value(a0) and a0.as_long() == -1:
            return "-" + sub(e.arg(1))
        return par("*".join(sub(a) for a in e.children()))
    if z3.is_app_of(e, z3.Z3_OP_UMINUS):
        return "-" + sub(e.arg(0))
    if z3.is_app_of(e, z3.Z3_OP_ITE):
        return f"ite({show(e.arg(0), types)}, {show(e.arg(1), types)}, {show(e.arg(2), types)})"
    return str(e)


_ORDER = {"<=": lambda x, y: x <= y, "<": lambda x, y: x < y, ">=": lambda x, y: x >= y, ">": lambda x, y: x > y}


def _order(a: z3.ExprRef, b: z3.ExprRef, op: str, types: dict[str, Type]) -> str | None:
    """A program counter (an Enum) compared by its index, as the labels it admits (Spacer's
    ``irq.pc[0] > 3`` reads ``irq.pc[0] not in {idle, prep, prep_cas, mask}``); None otherwise."""
    en = _enum_of(a, types)
    if en is None or not z3.is_int_value(b):
        return None
    inside = [n for k, n in enumerate(en.names) if _ORDER[op](k, b.as_long())]
    outside = [n for n in en.names if n not in inside]
    if not outside:
        return "true"
    if not inside:
        return "false"
    if len(inside) == 1 or len(outside) == 1:
        return f"{_name(a)} {'==' if len(inside) == 1 else '!='} {(inside if len(inside) == 1 else outside)[0]}"
    return (f"{_name(a)} in {{{', '.join(inside)}}}" if len(inside) <= len(outside)
            else f"{_name(a)} not in {{{', '.join(outside)}}}")


def _cmp(a: z3.ExprRef, b: z3.ExprRef, op: str, types: dict[str, Type]) -> str:
    for x, y in ((a, b), (b, a)):
        en = _enum_of(x, types)
        if en is not None and z3.is_int_value(y) and 0 <= y.as_long() < len(en.names):
            return f"{_name(x)} {op} {en.names[y.as_long()]}"
    if z3.is_bool(a) and z3.is_true(b):
        return show(a, types, top=False) if op == "==" else "not " + show(a, types, top=False)
    return f"{show(a, types, top=False)} {op} {show(b, types, top=False)}"


# ---------------------------------------------------------------- concrete evaluation


def _py(e: z3.ExprRef, ref: dict[str, str], used: set[str]) -> str:
    """``e`` as a Python expression; a state location ``n`` is read as ``ref[n]`` (recorded in ``used``)."""

    def sub(a: z3.ExprRef) -> str:
        return _py(a, ref, used)

    if z3.is_true(e):
        return "True"
    if z3.is_false(e):
        return "False"
    if z3.is_int_value(e):
        return str(e.as_long())
    if z3.is_rational_value(e):
        return f"_Fraction({e.numerator_as_long()}, {e.denominator_as_long()})"
    if z3.is_const(e):
        if _name(e) not in ref:
            raise ValueError(f"{_name(e)} is not a state location")
        used.add(_name(e))
        return ref[_name(e)]
    args = [sub(a) for a in e.children()]
    k = e.decl().kind()
    op = _IR_OP.get(k)
    if op is not None:  # written as the executable semantics writes the IR's operators
        if op in ("+", "-", "*"):  # Z3's are n-ary: fold left
            return functools.reduce(lambda x, y: scalar_py(op, [x, y]), args)  # type: ignore[arg-type, return-value]
        code = scalar_py(op, args)
        assert code is not None
        return code
    if k == z3.Z3_OP_DISTINCT:
        return f"(len({{{', '.join(args)}}}) == {len(args)})"
    if k == z3.Z3_OP_IDIV:
        return f"_div({args[0]}, {args[1]})"
    if k == z3.Z3_OP_DIV:
        return f"(_Fraction({args[0]}) / {args[1]})"
    if k == z3.Z3_OP_MOD:
        return f"_mod({args[0]}, {args[1]})"
    if k == z3.Z3_OP_XOR:
        return f"({args[0]} != {args[1]})"
    if k == z3.Z3_OP_TO_REAL:
        return args[0]
    if k == z3.Z3_OP_TO_INT:
        return f"_floor({args[0]})"
    if k == z3.Z3_OP_IS_INT:
        return f"({args[0]} == _floor({args[0]}))"
    raise ValueError(f"cannot evaluate {e.decl()} concretely")


_IR_OP = {z3.Z3_OP_AND: "and", z3.Z3_OP_OR: "or", z3.Z3_OP_ADD: "+", z3.Z3_OP_SUB: "-", z3.Z3_OP_MUL: "*",
          z3.Z3_OP_EQ: "==", z3.Z3_OP_IFF: "==", z3.Z3_OP_LE: "<=", z3.Z3_OP_LT: "<", z3.Z3_OP_GE: ">=",
          z3.Z3_OP_GT: ">", z3.Z3_OP_NOT: "not", z3.Z3_OP_IMPLIES: "implies", z3.Z3_OP_UMINUS: "neg",
          z3.Z3_OP_ITE: "ite"}


def _div(a: int, b: int) -> int:
    """Z3's integer division (Euclidean: the remainder is never negative)."""
    q = a // b  # floors
    return q + 1 if b < 0 and a - b * q != 0 else q


def _mod(a: int, b: int) -> int:
    return a % abs(b)


_GLOBALS = {"_div": _div, "_mod": _mod, "_Fraction": Fraction, "_floor": math.floor}
#: generated code larger than this (a cover with much sharing, unfolded) is not compiled
MAX_SOURCE = 4_000_000


@dataclass
class ConcreteInvariant:
    """An inductive invariant compiled once to Python over the explicit engine's state tuples.

    ``first_false(s)`` is the index in ``conjuncts`` (text, as printed) of the first conjunct
    that is false on the concrete state ``s``, or -1 when the invariant holds on ``s``. No Z3
    call is made per state, so it can be run on every state an exploration reached.
    """

    conjuncts: list[str]
    first_false: Callable[[tuple], int]
    source: str

    def holds(self, s: tuple) -> bool:
        return self.first_false(s) < 0


def compile_invariant(prob: Problem, x: SState, inv: z3.BoolRef) -> ConcreteInvariant:
    """``inv`` (over ``x.flat``) split into its conjuncts (of the simplified term, as printed by
    :func:`show_invariant`) and compiled; ValueError when a term has no concrete evaluation."""
    system = prob.system
    access = flat_access(system)
    names = [c.decl().name() for c in x.flat]
    ref = {n: f"v{k}" for k, n in enumerate(names)}
    types = {n: t for n, t in zip(x.names, x.types)}
    used: set[str] = set()
    parts = conjuncts(z3.simplify(inv, arith_lhs=True))
    body = [f"    if not {_py(c, ref, used)}:\n        return {k}" for k, c in enumerate(parts)]
    loads = [f"    {ref[n]} = {access[k]}" for k, n in enumerate(names) if n in used]
    source = "def first_false(s):\n" + "\n".join(loads + body + ["    return -1"]) + "\n"
    if len(source) > MAX_SOURCE:
        raise ValueError(f"the invariant unfolds to {len(source):,} characters of code")
    scope: dict[str, Any] = dict(_GLOBALS)
    try:
        exec(compile(source, "<inductive invariant>", "exec"), scope)
    except (SyntaxError, RecursionError, MemoryError) as err:  # too deeply nested for Python's parser
        raise ValueError(f"the invariant does not compile to Python: {err}") from None
    return ConcreteInvariant([show(c, types) for c in parts], scope["first_false"], source)


def evaluator(prob: Problem, x: SState, inv: z3.BoolRef) -> Callable[[tuple], bool]:
    """``inv`` as a Python function of a concrete state (the explicit engine's tuples)."""
    return compile_invariant(prob, x, inv).holds


__all__ = ["ConcreteInvariant", "check_invariant", "compile_invariant", "conjuncts", "evaluator", "show",
           "show_invariant", "_or"]
