"""The executable semantics: a System compiled once per configuration into Python code.

States are tuples with one slot per variable (``System.vars`` order); arrays and
sequences are nested tuples. The compiler emits straight-line Python source for
every transition, so the explicit engine, replay and trace views all run the same
code. Engines never interpret the IR themselves; the Z3 engines translate the same
IR and tests check that both agree.

Modelling errors — an Int leaving its range, a sequence beyond its capacity, the
head of an empty sequence, an array index out of bounds — raise :class:`StepError`
naming the transition, never wrap silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from checker.lang.expr import BIT_OP_TEXT, Expr
from checker.lang.printer import show_expr
from checker.lang.system import Assign, If, Let, Property, Require, Stmt, System, Transition, assigned_slots
from checker.lang.types import Array, Enum, Flags, Int, Seq, Type


class StepError(Exception):
    """A modelling error raised while executing transition ``tid``."""

    def __init__(self, tid: int, message: str) -> None:
        super().__init__(message)
        self.tid = tid
        self.message = message


State = tuple
Successor = tuple[int, State]


# ---------------------------------------------------------------- runtime helpers used by generated code


def _store(t: tuple, i: int, v: Any) -> tuple:
    if not 0 <= i < len(t):
        raise IndexError(f"index {i} out of 0..{len(t) - 1}")
    return t[:i] + (v,) + t[i + 1 :]


def _ix(t: tuple, i: int) -> Any:
    if not 0 <= i < len(t):
        raise IndexError(f"index {i} out of 0..{len(t) - 1}" if t else "element of an empty sequence")
    return t[i]


def _pop(t: tuple) -> tuple:
    if not t:
        raise IndexError("pop_front of an empty sequence")
    return t[1:]


def _remove(t: tuple, x: Any) -> tuple:
    if x in t:
        i = t.index(x)
        return t[:i] + t[i + 1 :]
    return t


_HELPERS = {"_store": _store, "_ix": _ix, "_pop": _pop, "_remove": _remove}


# ---------------------------------------------------------------- expression code


class _Env:
    """Where each slot's current value lives while generating code."""

    def __init__(self, cur: dict[int, str], post: dict[int, str] | None = None) -> None:
        self.cur = cur
        self.post = post


def is_atom(code: str) -> bool:
    """Generated code that is safe to evaluate twice (a name or a number)."""
    return code.isidentifier() or code.lstrip("-").isdigit()


def scalar_py(op: str, a: list[str]) -> str | None:
    """Python for the operators written the same whatever the state representation (arithmetic,
    comparisons, Booleans, min/max), given the arguments' code; None for the others."""
    if op in ("+", "-", "*", "//", "%", "==", "!=", "<", "<=", ">", ">="):
        return f"({a[0]} {op} {a[1]})"
    if op == "neg":
        return f"(-{a[0]})"
    if op == "and":
        return "(" + " and ".join(a) + ")" if a else "True"
    if op == "or":
        return "(" + " or ".join(a) + ")" if a else "False"
    if op == "not":
        return f"(not {a[0]})"
    if op == "implies":
        return f"((not {a[0]}) or {a[1]})"
    if op == "ite":
        return f"({a[1]} if {a[0]} else {a[2]})"
    if op in ("min", "max"):
        if is_atom(a[0]) and is_atom(a[1]):
            cmp = "<=" if op == "min" else ">="
            return f"({a[0]} if {a[0]} {cmp} {a[1]} else {a[1]})"
        return f"{op}({a[0]}, {a[1]})"
    return None


def py_expr(e: Expr, env: _Env) -> str:
    """Python source for ``e`` with variables read from ``env``."""
    op = e.op
    if op == "lit":
        return repr(e.value)
    if op == "var":
        return env.cur[e.value.slot]
    if op == "temp":
        return "l_" + e.value
    if op == "next":
        if env.post is None:
            raise ValueError("Next() used outside a transition invariant")
        return py_expr(e.args[0], _Env(env.post))
    a = [py_expr(x, env) for x in e.args]
    code = scalar_py(op, a)
    if code is not None:
        return code
    if op == "index":
        if e.args[1].op == "lit" and isinstance(e.args[0].typ, Array):
            return f"{a[0]}[{a[1]}]"
        return f"_ix({a[0]}, {a[1]})"
    if op == "store":
        return f"_store({a[0]}, {a[1]}, {a[2]})"
    if op == "len":
        return f"len({a[0]})"
    if op == "head":
        return f"_ix({a[0]}, 0)"
    if op == "contains":
        return f"({a[1]} in {a[0]})"
    if op == "count":
        return f"{a[0]}.count({a[1]})"
    if op == "push_back":
        return f"({a[0]} + ({a[1]},))"
    if op == "push_front":
        return f"(({a[1]},) + {a[0]})"
    if op == "pop_front":
        return f"_pop({a[0]})"
    if op == "remove":
        return f"_remove({a[0]}, {a[1]})"
    if op == "concat":
        return f"({a[0]} + {a[1]})"
    if op in BIT_OP_TEXT:
        return BIT_OP_TEXT[op].format(*a)
    raise ValueError(f"no Python translation for operator {op!r}")


def _slots(e: Expr, acc: set[int]) -> set[int]:
    if e.op == "var":
        acc.add(e.value.slot)
    for x in e.args:
        _slots(x, acc)
    return acc


# ---------------------------------------------------------------- statement code


def has_require(body: Iterable[Stmt]) -> bool:
    """Some path of ``body`` can block (it then needs the one-shot ``while True`` wrapper)."""
    return any(isinstance(s, Require) or (isinstance(s, If) and (has_require(s.then) or has_require(s.orelse)))
               for s in body)


def _range_check(typ: Type, code: str, what: str, tid: int) -> list[str]:
    if isinstance(typ, Int):
        return [f"if not {typ.lo} <= {code} <= {typ.hi}: raise _Err({tid}, f'{what} = {{{code}}} leaves {typ.lo}..{typ.hi}')"]
    if isinstance(typ, Seq):
        cap = typ.capacity
        return [f"if len({code}) > {cap}: raise _Err({tid}, f'{what} = {{list({code})}} exceeds capacity {cap}')"]
    if isinstance(typ, (Enum, Flags)):
        hi = len(typ.names) - 1 if isinstance(typ, Enum) else typ.full
        return [f"if not 0 <= {code} <= {hi}: raise _Err({tid}, f'{what} = {{{code}}} is no value of its type (0..{hi})')"]
    return []


def needs_range_check(typ: Type, value: Expr) -> bool:
    """Whether assigning ``value`` to a location of type ``typ`` can leave the type's range."""
    if value.op == "lit":
        return not typ.contains(value.value)
    if isinstance(typ, Int):
        return not (isinstance(value.typ, Int) and typ.lo <= value.typ.lo and value.typ.hi <= typ.hi)
    if isinstance(typ, (Enum, Flags)):
        return value.typ != typ  # arithmetic on a word or a label can leave it
    return isinstance(typ, Seq) and value.op in ("push_back", "push_front", "concat")


class StatementWriter:
    """Writes a step's statements as Python lines; subclasses say how expressions and
    assignments are written (this module's tuples, or the explicit engine's packed integers)."""

    lines: list[str]

    def ex(self, e: Expr) -> str:
        raise NotImplementedError

    def assign(self, s: Assign, ind: str) -> None:
        raise NotImplementedError

    def block(self, body: list[Stmt], ind: str) -> None:
        """``body`` at indentation ``ind``; a failed ``require`` breaks out of the enclosing loop."""
        if not body:
            self.lines.append(ind + "pass")
        for s in body:
            if isinstance(s, Require):
                self.lines.append(f"{ind}if not {self.ex(s.cond)}: break")
            elif isinstance(s, Let):
                self.lines.append(f"{ind}l_{s.name} = {self.ex(s.value)}")
            elif isinstance(s, If):
                self.lines.append(f"{ind}if {self.ex(s.cond)}:")
                self.block(s.then, ind + "    ")
                if s.orelse:
                    self.lines.append(f"{ind}else:")
                    self.block(s.orelse, ind + "    ")
            elif isinstance(s, Assign):
                self.assign(s, ind)


class _StmtGen(StatementWriter):
    def __init__(self, tid: int, env: _Env) -> None:
        self.tid = tid
        self.env = env
        self.lines: list[str] = []
        self.n = 0

    def ex(self, e: Expr) -> str:
        return py_expr(e, self.env)

    def assign(self, s: Assign, ind: str) -> None:
        target = self.env.cur[s.var.slot]
        typ: Type = s.var.typ
        for _ in s.path:
            assert isinstance(typ, Array)
            typ = typ.elem
        what = s.var.name + "".join(f"[{show_expr(p)}]" for p in s.path)
        value = py_expr(s.value, self.env)
        if needs_range_check(typ, s.value):
            self.n += 1
            tmp = f"_v{self.n}"
            self.lines.append(f"{ind}{tmp} = {value}")
            self.lines.extend(ind + ln for ln in _range_check(typ, tmp, what, self.tid))
            value = tmp
        if not s.path:
            self.lines.append(f"{ind}{target} = {value}")
            return
        # Nested element update: rebuild the tuples along the path.
        idx = [py_expr(p, self.env) for p in s.path]
        containers = [target]
        for i in idx[:-1]:
            containers.append(f"{containers[-1]}[{i}]")
        new = value
        for cont, i in reversed(list(zip(containers, idx))):
            new = f"_store({cont}, {i}, {new})"
        self.lines.append(f"{ind}{target} = {new}")


def transition_code(t: Transition, nslots: int, emit: Callable[[str], str], ind: str) -> list[str]:
    """Source of one transition: guard, body, and ``emit(successor_tuple)`` when enabled."""
    body = list(t.body)
    lead: list[Expr] = []
    while body and isinstance(body[0], Require):
        lead.append(body.pop(0).cond)  # type: ignore[union-attr]
    written = assigned_slots(body)
    env = _Env({k: (f"w{k}" if k in written else f"x{k}") for k in range(nslots)})
    read_env = _Env({k: f"x{k}" for k in range(nslots)})
    lines = [f"{ind}# {t.key}  [{t.function}]"]
    if lead:
        lines.append(f"{ind}if " + " and ".join(py_expr(c, read_env) for c in lead) + ":")
        ind += "    "
    for k in sorted(written):
        lines.append(f"{ind}w{k} = x{k}")
    tup = "(" + ", ".join(env.cur[k] for k in range(nslots)) + ("," if nslots == 1 else "") + ")"
    gen = _StmtGen(t.index, env)
    if has_require(body):
        lines.append(f"{ind}while True:")
        gen.block(body, ind + "    ")
        lines.extend(gen.lines)
        lines.append(f"{ind}    {emit(tup)}")
        lines.append(f"{ind}    break")
    else:
        if body:
            gen.block(body, ind)
            lines.extend(gen.lines)
        lines.append(f"{ind}{emit(tup)}")
    return lines


# ---------------------------------------------------------------- the compiled system


@dataclass
class CompiledSystem:
    """Executable form of a System. ``successors(s)`` lists ``(transition index, next state)``."""

    system: System
    successors: Callable[[State], list[Successor]]
    steps: list[Callable[[State], State | None]]
    source: str

    @classmethod
    def build(cls, system: System) -> CompiledSystem:
        n = len(system.vars)
        unpack = ", ".join(f"x{k}" for k in range(n)) + ("," if n == 1 else "")
        src = ["def successors(s):", f"    {unpack} = s", "    out = []", "    app = out.append"]
        for t in system.transitions:
            src += transition_code(t, n, lambda tup, t=t: f"app(({t.index}, {tup}))", "    ")
        src.append("    return out")
        for t in system.transitions:
            src += [f"def step_{t.index}(s):", f"    {unpack} = s"]
            src += transition_code(t, n, lambda tup: f"return {tup}", "    ")
            src.append("    return None")
        source = "\n".join(src) + "\n"
        ns: dict[str, Any] = dict(_HELPERS, _Err=StepError)
        exec(compile(source, f"<{system.name}>", "exec"), ns)
        steps = [ns[f"step_{t.index}"] for t in system.transitions]
        raw = ns["successors"]

        def successors(s: State) -> list[Successor]:
            try:
                return raw(s)
            except StepError:
                raise
            except (IndexError, ZeroDivisionError, TypeError, ValueError):
                # Find which step failed by running them one at a time (the slow path, errors only).
                for t in system.transitions:
                    try:
                        steps[t.index](s)
                    except StepError:
                        raise
                    except (IndexError, ZeroDivisionError, TypeError, ValueError) as err:
                        raise StepError(t.index, str(err)) from None
                raise

        return cls(system, successors, steps, source)

    def step(self, s: State, tid: int) -> State | None:
        """Transition ``tid`` from ``s``: the next state, or None when it is not enabled."""
        try:
            return self.steps[tid](s)
        except StepError:
            raise
        except (IndexError, ZeroDivisionError, TypeError, ValueError) as err:
            raise StepError(tid, str(err)) from None

    def state_fn(self, expr: Expr) -> Callable[[State], Any]:
        """``expr`` as a function of a state."""
        n = len(self.system.vars)
        env = _Env({k: f"s[{k}]" for k in range(n)})
        return _lambda(f"lambda s: {py_expr(expr, env)}")

    def edge_fn(self, expr: Expr) -> Callable[[State, State], Any]:
        """``expr`` (which may use Next) as a function of a pre-state and a post-state."""
        return edge_function(self.system, expr)

    def invariant_checker(self, props: list[Property]) -> Callable[[State], int]:
        """A function returning the index in ``props`` of the first violated invariant, or -1."""
        if not props:
            return lambda s: -1
        n = len(self.system.vars)
        used = set().union(*(_slots(p.expr, set()) for p in props))
        env = _Env({k: f"x{k}" for k in range(n)})
        src = ["def check(s):"] + [f"    x{k} = s[{k}]" for k in sorted(used)]
        for i, p in enumerate(props):
            src.append(f"    if not {py_expr(p.expr, env)}: return {i}")
        src.append("    return -1")
        ns: dict[str, Any] = dict(_HELPERS)
        exec(compile("\n".join(src) + "\n", "<invariants>", "exec"), ns)
        return ns["check"]  # type: ignore[no-any-return]


def edge_function(system: System, expr: Expr) -> Callable[[State, State], Any]:
    """``expr`` (which may use Next) as a function of a pre-state and a post-state, without
    compiling the whole system (for evaluating a few expressions, e.g. explaining a trace)."""
    n = len(system.vars)
    env = _Env({k: f"s[{k}]" for k in range(n)}, {k: f"t[{k}]" for k in range(n)})
    return _lambda(f"lambda s, t: {py_expr(expr, env)}")


def _lambda(src: str) -> Callable[..., Any]:
    return eval(compile(src, "<expr>", "eval"), dict(_HELPERS))  # type: ignore[no-any-return]


def flat_values(system: System, s: State) -> dict[str, str]:
    """Each scalar location of a state (``pending[1]``, ``napi_state[0]``) shown as text."""
    out: dict[str, str] = {}
    for v in system.vars:
        _flatten(v.name, v.typ, s[v.slot], out)
    return out


def _flatten(name: str, typ: Type, value: Any, out: dict[str, str]) -> None:
    if isinstance(typ, Array):
        for i, x in enumerate(value):
            _flatten(f"{name}[{i}]", typ.elem, x, out)
    else:
        out[name] = typ.show(value)


__all__ = ["CompiledSystem", "StepError", "edge_function", "flat_values", "py_expr"]
