"""Conditions written as text: a Python-syntax expression over a system's names, translated into the IR.

Used by configurations (``[views]``, ``[options.liveness]``) and anywhere a user writes a condition in
a TOML file. The string is parsed with Python's :mod:`ast` and translated, node by node, into an IR
:class:`~checker.lang.expr.Expr`; nothing is ever ``eval``-ed as Python.

Allowed: the spec's variables (dotted names such as ``irq.pc`` or ``softirq.cur`` included),
its constants (``N``, ``RING`` ...: plain integers), integer/boolean/string literals (a string
compared with an enum or flag word is the named value), element access ``x[i]``, ``+ - * // %``,
unary ``-``, comparisons (chained ones too), ``x in seq`` / ``x not in seq``, ``and``/``or``/``not``, ``a if c else b``, the
methods ``len() head() is_empty() contains(x) count(x) has(*bits) has_any(*bits) is_(name)``,
``actor.at(i, 'label', ...)``, the functions ``Min Max min max Implies Ite len abs``, and
``sum/all/any/count`` over a generator ``for i in range(...)`` (expanded when parsed).
"""

from __future__ import annotations

import ast
from typing import Any, Callable

from checker.lang.expr import And, Expr, Implies, Ite, Max, Min, ModelError, Not, Or, lift
from checker.lang.system import Actor, System

_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
}
_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
}
_METHODS = {"len", "head", "is_empty", "contains", "count", "has", "has_any", "is_"}
_MAX_LEN = 2000  # characters: a view is a short formula, not a program


class ConditionError(ValueError):
    """An expression that is not a valid condition, with the reason."""

class _Translator:
    """Python AST -> IR, over one system's variables, actors and constants."""

    def __init__(self, system: System) -> None:
        self.vars = {v.name: v for v in system.vars}
        self.actors: dict[str, Actor] = {a.name: a for a in system.actors}
        self.consts = {k: v for k, v in system.constants.items() if isinstance(v, (int, bool))}
        self.bound: dict[str, int] = {}

    # -- names
    def dotted(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def name(self, dotted: str) -> Any:
        if dotted in self.bound:
            return self.bound[dotted]
        if dotted in self.vars:
            return self.vars[dotted].expr
        if dotted in self.consts:
            return self.consts[dotted]
        if dotted in ("True", "False"):
            return dotted == "True"
        known = ", ".join(sorted(self.vars))
        raise ConditionError(f"unknown name {dotted!r} (variables: {known}; constants: {', '.join(self.consts)})")

    # -- expressions
    def tr(self, node: ast.AST) -> Any:  # noqa: C901 - one case per node kind
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (bool, int, str)):
                return node.value
            raise ConditionError(f"unsupported literal {node.value!r}")
        if isinstance(node, (ast.Name, ast.Attribute)):
            d = self.dotted(node)
            if d is None:
                raise ConditionError(f"unsupported attribute access {ast.unparse(node)!r}")
            return self.name(d)
        if isinstance(node, ast.Subscript):
            base = self.expr(self.tr(node.value), node.value)
            return base[self.tr(node.slice)]
        if isinstance(node, ast.BinOp):
            op = _ARITH.get(type(node.op))
            if op is None:
                raise ConditionError(f"operator {type(node.op).__name__} is not allowed")
            a, b = self.tr(node.left), self.tr(node.right)
            if isinstance(a, Expr) or isinstance(b, Expr):
                return op(lift(a), b) if not isinstance(a, Expr) else op(a, b)
            return op(a, b)
        if isinstance(node, ast.UnaryOp):
            v = self.tr(node.operand)
            if isinstance(node.op, ast.Not):
                return Not(v)
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return v
            raise ConditionError("operator ~ is not allowed (use not)")
        if isinstance(node, ast.BoolOp):
            vals = [self.tr(v) for v in node.values]
            return And(*vals) if isinstance(node.op, ast.And) else Or(*vals)
        if isinstance(node, ast.Compare):
            left = self.tr(node.left)
            parts = []
            for op, right_node in zip(node.ops, node.comparators):
                right = self.tr(right_node)
                if isinstance(op, (ast.In, ast.NotIn)):
                    has = self.expr(right, right_node).contains(left)
                    parts.append(has if isinstance(op, ast.In) else Not(has))
                    left = right
                    continue
                fn = _CMP.get(type(op))
                if fn is None:
                    raise ConditionError(f"comparison {type(op).__name__} is not allowed")
                if isinstance(left, str) and isinstance(right, Expr):
                    parts.append(fn(right, left) if type(op) in (ast.Eq, ast.NotEq) else fn(lift(left, right.typ), right))
                else:
                    parts.append(fn(left, right) if isinstance(left, Expr) else fn(lift(left), right)
                                 if isinstance(right, Expr) else fn(left, right))
                left = right
            return parts[0] if len(parts) == 1 else And(*parts)
        if isinstance(node, ast.IfExp):
            return Ite(self.tr(node.test), self.tr(node.body), self.tr(node.orelse))
        if isinstance(node, ast.Call):
            return self.call(node)
        raise ConditionError(f"{type(node).__name__} is not allowed in a view ({ast.unparse(node)!r})")

    def expr(self, v: Any, node: ast.AST) -> Expr:
        if not isinstance(v, Expr):
            raise ConditionError(f"{ast.unparse(node)!r} is not a model value")
        return v

    def call(self, node: ast.Call) -> Any:
        if node.keywords:
            raise ConditionError("keyword arguments are not allowed")
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in ("at",) and self.dotted(f.value) in self.actors:
            actor = self.actors[self.dotted(f.value) or ""]
            args = [self.tr(a) for a in node.args]
            if not args or not isinstance(args[0], int) or not all(isinstance(x, str) for x in args[1:]):
                raise ConditionError(f"{actor.name}.at(instance, 'label', ...) takes an instance number and label names")
            try:
                return actor.at(args[0], *args[1:])
            except ModelError as err:
                raise ConditionError(str(err)) from None
        if isinstance(f, ast.Attribute) and f.attr in _METHODS:
            target = self.expr(self.tr(f.value), f.value)
            args = [self.tr(a) for a in node.args]
            return getattr(target, f.attr)(*args)
        if not isinstance(f, ast.Name):
            raise ConditionError(f"call of {ast.unparse(f)!r} is not allowed")
        if f.id in ("sum", "all", "any", "count") and len(node.args) == 1 and isinstance(node.args[0], ast.GeneratorExp):
            items = self.expand(node.args[0])
            if f.id == "all":
                return And(*items)
            if f.id == "any":
                return Or(*items)
            if f.id == "count":
                return sum((Ite(x, 1, 0) for x in items), lift(0))
            return sum((lift(x) for x in items), lift(0))
        args = [self.tr(a) for a in node.args]
        fns: dict[str, Callable[..., Any]] = {"Min": Min, "min": Min, "Max": Max, "max": Max, "Implies": Implies,
                                              "Ite": Ite, "Not": Not, "And": And, "Or": Or}
        if f.id in fns:
            return fns[f.id](*args)
        if f.id == "len" and len(args) == 1:
            return self.expr(args[0], node.args[0]).len()
        if f.id == "abs" and len(args) == 1:
            return Ite(lift(args[0]) < 0, -lift(args[0]), args[0])
        raise ConditionError(f"function {f.id!r} is not allowed")

    def expand(self, gen: ast.GeneratorExp) -> list[Any]:
        """``body for i in range(...) [if cond]`` with Python-int ``i``, expanded now."""
        if len(gen.generators) != 1:
            raise ConditionError("one 'for' per generator")
        g = gen.generators[0]
        if not isinstance(g.target, ast.Name) or not isinstance(g.iter, ast.Call) or \
                not isinstance(g.iter.func, ast.Name) or g.iter.func.id != "range":
            raise ConditionError("generators must be 'for NAME in range(...)'")
        bounds = [self.tr(a) for a in g.iter.args]
        if not bounds or len(bounds) > 2 or not all(isinstance(b, int) for b in bounds):
            raise ConditionError("range() takes one or two whole numbers (constants allowed)")
        items = []
        saved = self.bound.get(g.target.id)
        for i in range(*bounds):
            self.bound[g.target.id] = i
            conds = [self.tr(c) for c in g.ifs]
            if any(isinstance(c, Expr) for c in conds):
                raise ConditionError("'if' in a generator must depend on the loop variable only")
            if all(conds):
                items.append(self.tr(gen.elt))
        if saved is None:
            self.bound.pop(g.target.id, None)
        else:
            self.bound[g.target.id] = saved
        return items


def parse_condition(source: str, system: System) -> Expr:
    """Translate one condition into the IR; raises :class:`ConditionError` naming the problem."""
    if len(source) > _MAX_LEN:
        raise ConditionError(f"longer than {_MAX_LEN} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as err:
        raise ConditionError(f"syntax error: {err.msg}") from None
    try:
        value = _Translator(system).tr(tree.body)
    except (ModelError, ValueError) as err:
        raise ConditionError(str(err)) from None
    except (TypeError, AttributeError, KeyError) as err:
        raise ConditionError(f"ill-formed expression: {err}") from None
    return lift(value)
