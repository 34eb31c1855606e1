"""Readable text for expressions and statements (error messages, listings, invariants)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from checker.lang.types import Enum, Flags

if TYPE_CHECKING:
    from checker.lang.expr import Expr
    from checker.lang.system import Stmt

_INFIX = {"+", "-", "*", "//", "%", "==", "!=", "<", "<=", ">", ">="}
_METHOD = {"len", "head", "contains", "count", "push_back", "push_front", "pop_front", "remove", "concat"}


def show_expr(e: Expr, alias: Callable[[Expr], str | None] | None = None) -> str:
    """``e`` as text; ``alias(node)``, when given, may name any node in its own words (None: the default)."""
    if alias is not None:
        named = alias(e)
        if named is not None:
            return named
    op = e.op
    if op == "lit":
        if isinstance(e.typ, (Enum, Flags)) and isinstance(e.value, int):
            return e.typ.show(e.value)
        if isinstance(e.value, bool):
            return "TRUE" if e.value else "FALSE"
        return repr(e.value)
    if op == "var":
        return e.value.name
    if op == "temp":
        return e.value
    if op == "ivar":
        return str(e.value[1])
    if op in ("forall", "exists"):
        return f"{op} {e.value.value[1]}: {show_expr(e.args[0], alias)}"
    a = [show_expr(x, alias) for x in e.args]
    if op in _INFIX:
        return f"({a[0]} {op} {a[1]})"
    if op == "index":
        return f"{a[0]}[{a[1]}]"
    if op == "place":  # an uninterpreted placement (checker.lang.family.Placement)
        return f"{e.value.name}({a[0]})"
    if op == "store":
        return f"{a[0]} with [{a[1]}] = {a[2]}"
    if op == "and":
        return "(" + " /\\ ".join(a) + ")" if a else "TRUE"
    if op == "or":
        return "(" + " \\/ ".join(a) + ")" if a else "FALSE"
    if op == "not":
        return f"~{a[0]}"
    if op == "neg":
        return f"-{a[0]}"
    if op == "implies":
        return f"({a[0]} => {a[1]})"
    if op == "ite":
        return f"(IF {a[0]} THEN {a[1]} ELSE {a[2]})"
    if op in ("has_all", "has_any", "bitor", "bitclear"):
        flags = e.args[0].typ
        bits = flags.show(e.args[1].value) if isinstance(flags, Flags) else a[1]
        return {"has_all": f"{a[0]}.has({bits})", "has_any": f"{a[0]}.has_any({bits})",
                "bitor": f"({a[0]} | {bits})", "bitclear": f"({a[0]} & ~{bits})"}[op]
    if op in _METHOD:
        return f"{a[0]}.{op}({', '.join(a[1:])})"
    if op == "next":
        return f"{a[0]}'"
    return f"{op}({', '.join(a)})"


def show_stmts(body: list[Stmt], indent: str = "") -> list[str]:
    from checker.lang.system import Assign, If, Let, Require

    out: list[str] = []
    for s in body:
        if isinstance(s, Require):
            out.append(f"{indent}await {show_expr(s.cond)}")
        elif isinstance(s, Assign):
            path = "".join(f"[{show_expr(p)}]" for p in s.path)
            out.append(f"{indent}{s.var.name}{path} := {show_expr(s.value)}")
        elif isinstance(s, Let):
            out.append(f"{indent}let {s.name} = {show_expr(s.value)}")
        elif isinstance(s, If):
            out.append(f"{indent}if {show_expr(s.cond)}:")
            out.extend(show_stmts(s.then, indent + "  "))
            if s.orelse:
                out.append(f"{indent}else:")
                out.extend(show_stmts(s.orelse, indent + "  "))
    return out
