"""Inductive invariants: the independent check, readable printing, concrete evaluation.

An invariant ``I`` from Spacer (over the flat state variables) is accepted only when a fresh
solver shows, for ``J = I ∧ wf``:

* ``Init ⇒ J``;
* ``J ∧ pre ∧ T ⇒ J'`` (every step from an expanded state);
* ``J ⇒ ¬bad`` for every target (for transition properties: ``J ∧ pre ∧ T ⇒ Q``).

It is printed in the spec's own names, simplified, one conjunct per line, without the
conjuncts that only restate the types (ranges), with Enum values shown by name.
:func:`evaluator` compiles it to Python so that it can be checked on every state an
explicit exploration reaches.
"""

from __future__ import annotations

from typing import Any, Callable

import z3

from checker.lang.types import Enum, Type
from checker.symbolic.problem import Problem, Target
from checker.symbolic.translate import SState, _and, _not, _or, concrete_flat


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
                return par(f"{sub(a.arg(0))} {neg} {sub(a.arg(1))}")
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
            return par(f"{sub(e.arg(0))} {sym} {sub(e.arg(1))}")
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


def _cmp(a: z3.ExprRef, b: z3.ExprRef, op: str, types: dict[str, Type]) -> str:
    for x, y in ((a, b), (b, a)):
        en = _enum_of(x, types)
        if en is not None and z3.is_int_value(y) and 0 <= y.as_long() < len(en.names):
            return f"{_name(x)} {op} {en.names[y.as_long()]}"
    if z3.is_bool(a) and z3.is_true(b):
        return show(a, types, top=False) if op == "==" else "not " + show(a, types, top=False)
    return f"{show(a, types, top=False)} {op} {show(b, types, top=False)}"


# ---------------------------------------------------------------- concrete evaluation


def _py(e: z3.ExprRef, index: dict[str, int]) -> str:
    def sub(a: z3.ExprRef) -> str:
        return _py(a, index)

    if z3.is_true(e):
        return "True"
    if z3.is_false(e):
        return "False"
    if z3.is_int_value(e):
        return str(e.as_long())
    if z3.is_const(e):
        return f"v[{index[_name(e)]}]"
    args = [sub(a) for a in e.children()]
    k = e.decl().kind()
    table = {z3.Z3_OP_AND: " and ", z3.Z3_OP_OR: " or ", z3.Z3_OP_ADD: " + ", z3.Z3_OP_SUB: " - ",
             z3.Z3_OP_MUL: " * "}
    if k in table:
        return "(" + table[k].join(args) + ")" if args else ("True" if k == z3.Z3_OP_AND else "False")
    binary = {z3.Z3_OP_EQ: "==", z3.Z3_OP_LE: "<=", z3.Z3_OP_LT: "<", z3.Z3_OP_GE: ">=", z3.Z3_OP_GT: ">",
              z3.Z3_OP_IFF: "=="}
    if k in binary:
        return f"({args[0]} {binary[k]} {args[1]})"
    if k == z3.Z3_OP_NOT:
        return f"(not {args[0]})"
    if k == z3.Z3_OP_IMPLIES:
        return f"((not {args[0]}) or {args[1]})"
    if k == z3.Z3_OP_UMINUS:
        return f"(-{args[0]})"
    if k == z3.Z3_OP_ITE:
        return f"({args[1]} if {args[0]} else {args[2]})"
    if k == z3.Z3_OP_DISTINCT:
        return f"(len({{{', '.join(args)}}}) == {len(args)})"
    if k in (z3.Z3_OP_IDIV, z3.Z3_OP_DIV):
        return f"_div({args[0]}, {args[1]})"
    if k == z3.Z3_OP_MOD:
        return f"_mod({args[0]}, {args[1]})"
    if k == z3.Z3_OP_XOR:
        return f"({args[0]} != {args[1]})"
    raise ValueError(f"cannot evaluate {e.decl()} concretely")


def _div(a: int, b: int) -> int:  # Z3's Euclidean division
    q = a // b if b > 0 else -(a // -b)
    return q + 1 if b < 0 and a - b * q < 0 else q if a - b * q >= 0 else q + (1 if b < 0 else -1)


def _mod(a: int, b: int) -> int:
    return a % abs(b)


def evaluator(prob: Problem, x: SState, inv: z3.BoolRef) -> Callable[[tuple], bool]:
    """``inv`` as a Python function of a concrete state (the explicit engine's tuples)."""
    index = {n: k for k, n in enumerate(c.decl().name() for c in x.flat)}
    fn: Callable[[list[Any]], bool] = eval(f"lambda v: {_py(inv, index)}", {"_div": _div, "_mod": _mod})
    system = prob.system
    return lambda s: bool(fn(concrete_flat(system, s)))


__all__ = ["check_invariant", "conjuncts", "evaluator", "show", "show_invariant", "_or"]
