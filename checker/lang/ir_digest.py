"""A structural digest of a built System: two builds with equal digests are the same IR.

Everything an engine reads is in it: variables (name, type, initial value, ghost), actors (labels,
instances, display), every transition (actor, label, kernel function, parameters, progress mark and
its body, expression trees node by node), properties (kind, expression, extra data), liveness
properties, fairness rules, symmetry and the constants. Docstrings and source positions are left out
(they do not change what is checked). Used to show that a refactor of a spec (e.g. a family rewrite)
left the grounded IR byte-identical (tests/test_linux_family.py).
"""

from __future__ import annotations

import hashlib
from typing import Any

from checker.lang.expr import Expr
from checker.lang.system import Assign, If, Let, Require, Stmt, System, Var


class _Digest:
    def __init__(self) -> None:
        self.memo: dict[int, str] = {}
        self.keep: list[Any] = []  # keep hashed nodes alive: ids stay unique while memoised

    def expr(self, e: Expr) -> str:
        key = id(e)
        got = self.memo.get(key)
        if got is not None:
            return got
        if e.op == "var":
            val = "var:" + e.value.name
        elif e.op == "ivar":
            fam, name = e.value
            val = f"ivar:{fam.name}:{name}"
        else:
            val = self.value(e.value)
        parts = [e.op, repr(e.typ), val, *[self.expr(a) for a in e.args]]
        h = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
        self.memo[key] = h
        self.keep.append(e)
        return h

    def value(self, v: Any) -> str:
        if isinstance(v, Expr):
            return "E" + self.expr(v)
        if isinstance(v, Var):
            return "V" + v.name
        if isinstance(v, (list, tuple)):
            return "(" + ",".join(self.value(x) for x in v) + ")"
        if isinstance(v, dict):
            return "{" + ",".join(f"{k!r}:{self.value(x)}" for k, x in v.items()) + "}"
        if hasattr(v, "__dataclass_fields__"):
            return type(v).__name__ + self.value({f: getattr(v, f) for f in v.__dataclass_fields__
                                                  if f not in ("where", "doc")})
        return repr(v)

    def stmts(self, body: list[Stmt]) -> str:
        out = []
        for s in body:
            if isinstance(s, Require):
                out.append("R" + self.expr(s.cond))
            elif isinstance(s, Assign):
                out.append("A" + s.var.name + "[" + ",".join(self.expr(p) for p in s.path) + "]=" + self.expr(s.value))
            elif isinstance(s, Let):
                out.append("L" + s.name + "=" + self.expr(s.value))
            elif isinstance(s, If):
                out.append("I" + self.expr(s.cond) + "{" + self.stmts(s.then) + "}{" + self.stmts(s.orelse) + "}")
        return ";".join(out)


def ir_lines(system: System) -> list[str]:
    """One line per declaration of ``system`` (readable heads, hashed bodies)."""
    d = _Digest()
    lines = [f"const {k}={v!r}" for k, v in sorted(system.constants.items())]
    lines += [f"var {v.slot} {v.name} {v.typ!r} init={d.value(v.init)} ghost={v.ghost}" for v in system.vars]
    lines += [f"actor {a.name} {list(a.labels.names) if hasattr(a.labels, 'names') else a.labels!r} "
              f"x{a.instances!r} {a.display!r}" for a in system.actors]
    for t in system.transitions:
        lines.append(f"step {t.index} {t.key} [{t.function}] progress={t.progress} "
                     f"params={d.value(t.params)} body={d.stmts(t.body)}")
    for p in system.properties:
        lines.append(f"prop {p.name} {p.kind} {d.expr(p.expr)} extra={d.value(p.extra)}")
    for p in system.liveness:
        lines.append(f"live {p.name} {p.kind} {d.expr(p.expr)} extra={d.value(p.extra)}")
    lines += [f"fair {r.kind} {r.actor} {r.label}" for r in system.fairness]
    lines.append(f"symmetry {d.value(system.symmetry)}")
    return lines


def ir_digest(system: System) -> str:
    """The sha256 of :func:`ir_lines`."""
    return hashlib.sha256("\n".join(ir_lines(system)).encode()).hexdigest()
