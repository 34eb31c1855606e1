"""The IR translated to Z3: per-state variables, the transition relation, properties.

Encoding of one state (``SState``), one Z3 constant per scalar location:

==========  ================================================================
type        Z3
==========  ================================================================
Bool        Bool
Int, Enum   Int, with its range as a well-formedness constraint (``wf``)
Flags       one Bool per named bit (``napi_state[0].SCHED``)
Array(n,T)  n encodings of T (``pending[0]``, ``pending[1]``)
Seq(T,cap)  an Int length (``poll_list.len``) and ``cap`` element slots; slots at or
            beyond the length hold T's default value, so that equal states have equal
            encodings (needed by simple-path constraints and readable invariants)
==========  ================================================================

A transition's body is executed symbolically with the statement-by-statement semantics of
:mod:`checker.lang.pycompile`: ``set`` sees earlier ``set`` s, ``Require`` blocks the rest,
``If`` merges both branches with ``ite``. Evaluation records *where the compiled code would
raise* (an Int leaving its range, a sequence beyond its capacity, the head or pop of an empty
sequence, an index out of bounds, division by zero), respecting Python's short-circuit order,
as the condition ``err``. A step is enabled when it runs to its end without blocking or
raising; :meth:`Encoder.error` is "some step raises from here", the symbolic twin of the
explicit engine's StepError, which every engine treats as a property of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import z3

from checker.lang.expr import Expr
from checker.lang.system import Assign, If, Let, Property, Require, Stmt, System, Transition, Var
from checker.lang.types import Array, Bool, BoolType, Enum, Flags, Int, Seq, Type

# ---------------------------------------------------------------- symbolic values


@dataclass
class FlagsV:
    """A flag word as one Bool per bit (bit k is ``names[k]``)."""

    bits: list[z3.BoolRef]


@dataclass
class SeqV:
    """A sequence: its length and element slots (slots at or beyond the length hold the default)."""

    length: z3.ArithRef
    slots: list[Any]
    elem: Type


Val = Any  # z3.BoolRef | z3.ArithRef | FlagsV | SeqV | list (an array)

TRUE = z3.BoolVal(True)
FALSE = z3.BoolVal(False)


def _or(xs: Sequence[z3.BoolRef]) -> z3.BoolRef:
    xs = [x for x in xs if not z3.is_false(x)]
    if any(z3.is_true(x) for x in xs):
        return TRUE
    return FALSE if not xs else xs[0] if len(xs) == 1 else z3.Or(*xs)


def _and(xs: Sequence[z3.BoolRef]) -> z3.BoolRef:
    xs = [x for x in xs if not z3.is_true(x)]
    if any(z3.is_false(x) for x in xs):
        return FALSE
    return TRUE if not xs else xs[0] if len(xs) == 1 else z3.And(*xs)


def _not(x: z3.BoolRef) -> z3.BoolRef:
    if z3.is_true(x):
        return FALSE
    if z3.is_false(x):
        return TRUE
    return z3.Not(x)


def _if(c: z3.BoolRef, a: Any, b: Any) -> Any:
    if z3.is_true(c):
        return a
    if z3.is_false(c):
        return b
    if a is b or z3.eq(a, b):
        return a
    return z3.If(c, a, b)


def as_int(v: Val) -> z3.ArithRef:
    """A value used as a number (flag words become their integer value)."""
    if isinstance(v, FlagsV):
        return z3.Sum([z3.If(b, 1 << k, 0) for k, b in enumerate(v.bits)]) if v.bits else z3.IntVal(0)
    if isinstance(v, z3.BoolRef):
        raise TypeError("a condition used as a number")
    return v


def as_flags(v: Val, width: int) -> FlagsV:
    if isinstance(v, FlagsV):
        bits = list(v.bits[:width]) + [FALSE] * (width - len(v.bits))
        return FlagsV(bits)
    x = as_int(v)
    if z3.is_int_value(x):
        n = x.as_long()
        return FlagsV([z3.BoolVal(bool(n >> k & 1)) for k in range(width)])
    return FlagsV([(x / (1 << k)) % 2 == 1 for k in range(width)])


def default_val(typ: Type) -> Val:
    return from_py(typ.default(), typ)


def from_py(value: Any, typ: Type) -> Val:
    """A concrete value (as the explicit engine stores it) as a symbolic value."""
    if isinstance(typ, BoolType):
        return z3.BoolVal(bool(value))
    if isinstance(typ, Flags):
        return FlagsV([z3.BoolVal(bool(value >> k & 1)) for k in range(len(typ.names))])
    if isinstance(typ, Array):
        return [from_py(x, typ.elem) for x in value]
    if isinstance(typ, Seq):
        d = typ.elem.default()
        vals = list(value) + [d] * max(typ.capacity - len(value), 0)
        return SeqV(z3.IntVal(len(value)), [from_py(x, typ.elem) for x in vals], typ.elem)
    if isinstance(value, bool):
        return z3.BoolVal(value)
    return z3.IntVal(int(value))


def pad_seq(v: SeqV, cap: int) -> SeqV:
    """The same sequence with exactly ``cap`` slots (dropping slots >= cap: callers check the length)."""
    slots = list(v.slots[:cap])
    while len(slots) < cap:
        slots.append(default_val(v.elem))
    return SeqV(v.length, slots, v.elem)


def ite(c: z3.BoolRef, a: Val, b: Val) -> Val:
    """``a`` if ``c`` else ``b``, structurally."""
    if z3.is_true(c):
        return a
    if z3.is_false(c):
        return b
    if a is b:
        return a
    if isinstance(a, list):
        return [ite(c, x, y) for x, y in zip(a, b)]
    if isinstance(a, SeqV) or isinstance(b, SeqV):
        n = max(len(a.slots), len(b.slots))
        a, b = pad_seq(a, n), pad_seq(b, n)
        return SeqV(_if(c, a.length, b.length), [ite(c, x, y) for x, y in zip(a.slots, b.slots)], a.elem)
    if isinstance(a, FlagsV) and isinstance(b, FlagsV):
        n = max(len(a.bits), len(b.bits))
        a, b = as_flags(a, n), as_flags(b, n)
        return FlagsV([_if(c, x, y) for x, y in zip(a.bits, b.bits)])
    if isinstance(a, FlagsV) or isinstance(b, FlagsV):
        return _if(c, as_int(a), as_int(b))
    return _if(c, a, b)


def equal(a: Val, b: Val) -> z3.BoolRef:
    """Structural equality of two values."""
    if isinstance(a, list):
        return _and([equal(x, y) for x, y in zip(a, b)])
    if isinstance(a, SeqV):
        n = max(len(a.slots), len(b.slots))
        a, b = pad_seq(a, n), pad_seq(b, n)
        # slots beyond the length are canonical, so comparing all of them is exact
        return _and([a.length == b.length] + [equal(x, y) for x, y in zip(a.slots, b.slots)])
    if isinstance(a, FlagsV) and isinstance(b, FlagsV):
        n = max(len(a.bits), len(b.bits))
        a, b = as_flags(a, n), as_flags(b, n)
        return _and([x == y for x, y in zip(a.bits, b.bits)])
    if isinstance(a, FlagsV) or isinstance(b, FlagsV):
        return as_int(a) == as_int(b)
    return a == b


def in_type(v: Val, typ: Type) -> z3.BoolRef:
    """``v`` is a value of ``typ`` (ranges, capacities); used for well-formedness and assignment checks."""
    if isinstance(typ, Int):
        x = as_int(v)
        return _and([x >= typ.lo, x <= typ.hi])
    if isinstance(typ, Enum):
        x = as_int(v)
        return _and([x >= 0, x < len(typ.names)])
    if isinstance(typ, Flags):
        if isinstance(v, FlagsV):
            return _and([_not(b) for b in v.bits[len(typ.names):]])
        x = as_int(v)
        return _and([x >= 0, x <= typ.full])
    if isinstance(typ, Array):
        return _and([in_type(x, typ.elem) for x in v])
    if isinstance(typ, Seq):
        conds = [v.length >= 0, v.length <= typ.capacity]
        for k, x in enumerate(v.slots[: typ.capacity]):
            conds.append(z3.Implies(k < v.length, in_type(x, typ.elem)))
        return _and(conds)
    return TRUE


def fit(v: Val, typ: Type) -> Val:
    """``v`` in the representation of a location of type ``typ`` (after :func:`in_type` was checked)."""
    if isinstance(typ, Flags):
        return as_flags(v, len(typ.names))
    if isinstance(typ, (Int, Enum)):
        return as_int(v)
    if isinstance(typ, Seq):
        return pad_seq(v, typ.capacity)
    if isinstance(typ, Array):
        return [fit(x, typ.elem) for x in v]
    return v


def flatten(v: Val, typ: Type) -> list[Any]:
    """The scalar Z3 terms of a value of ``typ``, in the order of :class:`SState` ``flat``."""
    v = fit(v, typ)
    if isinstance(typ, Flags):
        return list(v.bits)
    if isinstance(typ, Array):
        return [x for e in v for x in flatten(e, typ.elem)]
    if isinstance(typ, Seq):
        return [v.length] + [x for e in v.slots for x in flatten(e, typ.elem)]
    return [v]


# ---------------------------------------------------------------- states


@dataclass
class SState:
    """One state's Z3 variables: ``vals[slot]`` is the value of ``system.vars[slot]``."""

    tag: str
    vals: list[Val]
    flat: list[Any]
    names: list[str]  # the spec's name of each ``flat`` entry
    types: list[Type]  # the scalar type of each ``flat`` entry


def _fresh(name: str, typ: Type, tag: str, flat: list[Any], names: list[str], types: list[Type]) -> Val:
    def mk(n: str, sort_bool: bool, scalar: Type | None = None) -> Any:
        c = z3.Bool(n + tag) if sort_bool else z3.Int(n + tag)
        flat.append(c)
        names.append(n)
        types.append(scalar if scalar is not None else typ)
        return c

    if isinstance(typ, BoolType):
        return mk(name, True)
    if isinstance(typ, (Int, Enum)):
        return mk(name, False)
    if isinstance(typ, Flags):
        return FlagsV([mk(f"{name}.{b}", True, Bool) for b in typ.names])
    if isinstance(typ, Array):
        return [_fresh(f"{name}[{i}]", typ.elem, tag, flat, names, types) for i in range(typ.size)]
    if isinstance(typ, Seq):
        length = mk(f"{name}.len", False, Int(0, typ.capacity))
        slots = [_fresh(f"{name}[{k}]", typ.elem, tag, flat, names, types) for k in range(typ.capacity)]
        return SeqV(length, slots, typ.elem)
    raise TypeError(f"no Z3 encoding for {typ!r}")


def concrete_flat(system: System, state: tuple) -> list[Any]:
    """A concrete state's values in the order of ``SState.flat`` (bools and ints)."""
    out: list[Any] = []

    def go(typ: Type, v: Any) -> None:
        if isinstance(typ, Flags):
            out.extend(bool(v >> k & 1) for k in range(len(typ.names)))
        elif isinstance(typ, Array):
            for x in v:
                go(typ.elem, x)
        elif isinstance(typ, Seq):
            out.append(len(v))
            d = typ.elem.default()
            for x in list(v) + [d] * (typ.capacity - len(v)):
                go(typ.elem, x)
        else:
            out.append(v)

    for var in system.vars:
        go(var.typ, state[var.slot])
    return out


def flat_access(system: System) -> list[str]:
    """For each ``SState.flat`` location, a Python expression reading it from a concrete state ``s``
    (the explicit engine's tuple), in the order and with the values of :func:`concrete_flat`."""
    out: list[str] = []

    def go(typ: Type, ref: str) -> None:
        if isinstance(typ, Flags):
            out.extend(f"(({ref}) >> {k} & 1 == 1)" for k in range(len(typ.names)))
        elif isinstance(typ, Array):
            for i in range(typ.size):
                go(typ.elem, f"{ref}[{i}]")
        elif isinstance(typ, Seq):
            out.append(f"len({ref})")
            d = typ.elem.default()
            for k in range(typ.capacity):
                go(typ.elem, f"({ref}[{k}] if len({ref}) > {k} else {d!r})")
        else:
            out.append(ref)

    for var in system.vars:
        go(var.typ, f"s[{var.slot}]")
    return out


# ---------------------------------------------------------------- expressions


@dataclass
class Env:
    vals: list[Val]
    temps: dict[str, Val] = field(default_factory=dict)
    post: list[Val] | None = None


def _index_err(i: z3.ArithRef, n: Any) -> z3.BoolRef:
    if z3.is_int_value(i) and isinstance(n, int):
        return z3.BoolVal(not 0 <= i.as_long() < n)
    return _not(_and([i >= 0, i < n]))


def _select(items: list[Val], i: z3.ArithRef) -> Val:
    """``items[i]`` as an ite chain (``i`` in range is checked separately)."""
    if z3.is_int_value(i):
        k = i.as_long()
        return items[k] if 0 <= k < len(items) else items[0]
    out = items[-1]
    for k in range(len(items) - 2, -1, -1):
        out = ite(i == k, items[k], out)
    return out


class Translator:
    """Expressions to (value, error condition) pairs; the error condition follows Python's evaluation order."""

    def eval(self, e: Expr, env: Env) -> tuple[Val, z3.BoolRef]:
        op = e.op
        if op == "lit":
            return from_py(e.value, e.typ), FALSE
        if op == "var":
            return env.vals[e.value.slot], FALSE
        if op == "temp":
            return env.temps[e.value], FALSE
        if op == "next":
            if env.post is None:
                raise ValueError("Next() used outside a transition invariant")
            return self.eval(e.args[0], Env(env.post, env.temps))
        if op in ("and", "or", "implies", "ite"):
            return self._lazy(e, env)
        vals, errs = [], []
        for a in e.args:
            v, er = self.eval(a, env)
            vals.append(v)
            errs.append(er)
        err = _or(errs)
        v, extra = self._op(op, e, vals)
        return v, _or([err, extra])

    def _lazy(self, e: Expr, env: Env) -> tuple[Val, z3.BoolRef]:
        op = e.op
        if op == "ite":
            c, ec = self.eval(e.args[0], env)
            a, ea = self.eval(e.args[1], env)
            b, eb = self.eval(e.args[2], env)
            return ite(c, a, b), _or([ec, _if(c, ea, eb)])
        if op == "implies":
            a, ea = self.eval(e.args[0], env)
            b, eb = self.eval(e.args[1], env)
            return z3.Implies(a, b), _or([ea, _and([a, eb])])
        # and / or: Python's short-circuit order; an error after a deciding operand is never raised
        vals: list[z3.BoolRef] = []
        err = FALSE
        reach = TRUE  # the operands so far did not decide the result
        for a in e.args:
            v, ea = self.eval(a, env)
            err = _or([err, _and([reach, ea])])
            reach = _and([reach, v if op == "and" else _not(v)])
            vals.append(v)
        return (_and(vals) if op == "and" else _or(vals)), err

    def _op(self, op: str, e: Expr, a: list[Val]) -> tuple[Val, z3.BoolRef]:
        if op in ("+", "-", "*"):
            x, y = as_int(a[0]), as_int(a[1])
            return (x + y if op == "+" else x - y if op == "-" else x * y), FALSE
        if op in ("//", "%"):
            x, y = as_int(a[0]), as_int(a[1])
            # Python floors; Z3's div is Euclidean: they agree for positive divisors
            q = z3.If(y > 0, x / y, (-x) / (-y)) if not (z3.is_int_value(y) and y.as_long() > 0) else x / y
            return (q if op == "//" else x - y * q), y == 0
        if op == "neg":
            return -as_int(a[0]), FALSE
        if op in ("==", "!="):
            eq = equal(a[0], a[1])
            return (eq if op == "==" else _not(eq)), FALSE
        if op in ("<", "<=", ">", ">="):
            x, y = as_int(a[0]), as_int(a[1])
            return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op], FALSE
        if op == "not":
            return _not(a[0]), FALSE
        if op in ("min", "max"):
            x, y = as_int(a[0]), as_int(a[1])
            return (z3.If(x <= y, x, y) if op == "min" else z3.If(x >= y, x, y)), FALSE
        if op == "index":
            cont, i = a[0], as_int(a[1])
            if isinstance(cont, SeqV):
                return _select(cont.slots, i) if cont.slots else default_val(cont.elem), _index_err(i, cont.length)
            return _select(cont, i), _index_err(i, len(cont))
        if op == "store":
            cont, i, v = a[0], as_int(a[1]), a[2]
            return [ite(i == k, v, x) for k, x in enumerate(cont)], _index_err(i, len(cont))
        if op == "len":
            return a[0].length, FALSE
        if op == "head":
            s = a[0]
            return (s.slots[0] if s.slots else default_val(s.elem)), s.length <= 0
        if op == "contains":
            s, x = a
            return _or([_and([k < s.length, equal(y, x)]) for k, y in enumerate(s.slots)]), FALSE
        if op == "count":
            s, x = a
            terms = [z3.If(_and([k < s.length, equal(y, x)]), 1, 0) for k, y in enumerate(s.slots)]
            return (z3.Sum(terms) if terms else z3.IntVal(0)), FALSE
        if op == "push_back":
            s, x = a
            slots = [ite(s.length == k, x, y) for k, y in enumerate(s.slots)] + [x]
            return SeqV(s.length + 1, slots, s.elem), FALSE
        if op == "push_front":
            s, x = a
            return SeqV(s.length + 1, [x] + list(s.slots), s.elem), FALSE
        if op == "pop_front":
            s = a[0]
            return SeqV(s.length - 1, list(s.slots[1:]) + [default_val(s.elem)], s.elem), s.length <= 0
        if op == "remove":
            s, x = a
            d = default_val(s.elem)
            slots, seen = [], FALSE
            for k, y in enumerate(s.slots):
                seen = _or([seen, _and([k < s.length, equal(y, x)])])
                nxt = s.slots[k + 1] if k + 1 < len(s.slots) else d
                slots.append(ite(seen, nxt, y))
            return SeqV(z3.If(seen, s.length - 1, s.length), slots, s.elem), FALSE
        if op == "concat":
            s, t = a
            d = default_val(s.elem)
            slots = []
            for k in range(len(s.slots) + len(t.slots)):
                tail = d
                for j in range(len(t.slots) - 1, -1, -1):
                    if 0 <= k - j:
                        tail = ite(s.length == k - j, t.slots[j], tail)
                slots.append(ite(k < s.length, s.slots[k], tail) if k < len(s.slots) else tail)
            return SeqV(s.length + t.length, slots, s.elem), FALSE
        if op in ("bitor", "bitclear", "has_all", "has_any"):
            width = len(e.args[0].typ.names) if isinstance(e.args[0].typ, Flags) else None
            m = e.args[1].value if e.args[1].op == "lit" else None
            if width is None:
                width = max(int(m).bit_length() if m is not None else 0, 1)
            f = as_flags(a[0], width)
            if m is None:  # a computed mask: bit by bit
                mb = as_flags(a[1], width).bits
            else:
                mb = [z3.BoolVal(bool(m >> k & 1)) for k in range(width)]
                if m >> width:
                    raise ValueError(f"mask {m} has bits beyond the flag word")
            if op == "bitor":
                return FlagsV([_or([b, c]) for b, c in zip(f.bits, mb)]), FALSE
            if op == "bitclear":
                return FlagsV([_and([b, _not(c)]) for b, c in zip(f.bits, mb)]), FALSE
            if op == "has_all":
                return _and([z3.Implies(c, b) if not z3.is_bool(c) or not z3.is_true(c) else b
                             for b, c in zip(f.bits, mb) if not z3.is_false(c)]), FALSE
            return _or([_and([b, c]) for b, c in zip(f.bits, mb)]), FALSE
        raise ValueError(f"no Z3 translation for operator {op!r}")


# ---------------------------------------------------------------- statements


@dataclass
class StepSem:
    """One transition from one symbolic state: enabled (runs to its end), raises, and the post-state."""

    enabled: z3.BoolRef
    err: z3.BoolRef
    post: list[Val]


class _Exec:
    def __init__(self, tr: Translator) -> None:
        self.tr = tr
        self.errs: list[z3.BoolRef] = []

    def block(self, body: list[Stmt], env: Env, alive: z3.BoolRef) -> z3.BoolRef:
        """Run ``body`` on ``env`` (updated in place); returns the condition of running to its end."""
        for s in body:
            if z3.is_false(alive):
                return alive
            if isinstance(s, Require):
                v, e = self.tr.eval(s.cond, env)
                self.errs.append(_and([alive, e]))
                alive = _and([alive, _not(e), v])
            elif isinstance(s, Let):
                v, e = self.tr.eval(s.value, env)
                self.errs.append(_and([alive, e]))
                alive = _and([alive, _not(e)])
                env.temps[s.name] = v
            elif isinstance(s, If):
                c, e = self.tr.eval(s.cond, env)
                self.errs.append(_and([alive, e]))
                alive = _and([alive, _not(e)])
                then_env = Env(list(env.vals), dict(env.temps))
                else_env = Env(list(env.vals), dict(env.temps))
                a1 = self.block(s.then, then_env, _and([alive, c]))
                a2 = self.block(s.orelse, else_env, _and([alive, _not(c)]))
                env.vals = [x if x is y else ite(c, x, y) for x, y in zip(then_env.vals, else_env.vals)]
                for k in set(then_env.temps) | set(else_env.temps):
                    if k in then_env.temps and k in else_env.temps:
                        env.temps[k] = ite(c, then_env.temps[k], else_env.temps[k])
                    else:
                        env.temps[k] = then_env.temps.get(k, else_env.temps.get(k))
                alive = _or([a1, a2])
            elif isinstance(s, Assign):
                alive = self.assign(s, env, alive)
        return alive

    def assign(self, s: Assign, env: Env, alive: z3.BoolRef) -> z3.BoolRef:
        v, e = self.tr.eval(s.value, env)
        errs = [e]
        idx = []
        typ: Type = s.var.typ
        for p in s.path:
            i, ei = self.tr.eval(p, env)
            assert isinstance(typ, Array)
            errs += [ei, _index_err(as_int(i), typ.size)]
            idx.append(as_int(i))
            typ = typ.elem
        errs.append(_not(in_type(v, typ)))  # never wrap: leaving the type is a modelling error
        err = _or(errs)
        self.errs.append(_and([alive, err]))
        new = fit(v, typ)

        def upd(cont: Val, path: list[z3.ArithRef]) -> Val:
            if not path:
                return new
            i = path[0]
            if z3.is_int_value(i):
                return [upd(x, path[1:]) if i.as_long() == k else x for k, x in enumerate(cont)]
            return [ite(i == k, upd(x, path[1:]), x) for k, x in enumerate(cont)]

        env.vals[s.var.slot] = upd(env.vals[s.var.slot], idx)
        return _and([alive, _not(err)])


# ---------------------------------------------------------------- the encoder


class Encoder:
    """Z3 formulas of one System: states, init, well-formedness, steps, properties."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.tr = Translator()
        self._sem: dict[tuple[int, int], StepSem] = {}
        self._keep: dict[int, SState] = {}  # keeps the id() keys of cached states valid

    # states
    def state(self, tag: str) -> SState:
        flat: list[Any] = []
        names: list[str] = []
        types: list[Type] = []
        vals = [_fresh(v.name, v.typ, tag, flat, names, types) for v in self.system.vars]
        return SState(tag, vals, flat, names, types)

    def wf(self, s: SState) -> z3.BoolRef:
        """Every location holds a value of its type, and sequence slots beyond the length are canonical."""
        conds = []
        for var, v in zip(self.system.vars, s.vals):
            conds.append(in_type(v, var.typ))
            conds.extend(_canonical(v, var.typ))
        return _and(conds)

    def init(self, s: SState) -> z3.BoolRef:
        return _and([equal(v, from_py(var.init, var.typ)) for var, v in zip(self.system.vars, s.vals)])

    def init_like(self, s: SState, state: tuple) -> z3.BoolRef:
        """``s`` equals the concrete ``state``."""
        return _and([equal(v, from_py(state[var.slot], var.typ)) for var, v in zip(self.system.vars, s.vals)])

    def init_values(self) -> list[Any]:
        """The initial state's flat values (Z3 constants), for Horn-clause heads."""
        return [x for var in self.system.vars for x in flatten(from_py(var.init, var.typ), var.typ)]

    # steps
    def sem(self, t: Transition, s: SState) -> StepSem:
        key = (t.index, id(s))
        if key not in self._sem:
            self._keep[id(s)] = s
            ex = _Exec(self.tr)
            env = Env(list(s.vals))
            alive = ex.block(t.body, env, TRUE)
            self._sem[key] = StepSem(alive, _or(ex.errs), env.vals)
        return self._sem[key]

    def post_flat(self, t: Transition, s: SState) -> list[Any]:
        sem = self.sem(t, s)
        return [x for var, v in zip(self.system.vars, sem.post) for x in flatten(v, var.typ)]

    def step(self, t: Transition, s: SState, s2: SState) -> z3.BoolRef:
        """``t`` is enabled in ``s`` and leads to ``s2``."""
        sem = self.sem(t, s)
        return _and([sem.enabled] + [a == b for a, b in zip(self.post_flat(t, s), s2.flat)])

    def trans(self, s: SState, s2: SState, tid: z3.ArithRef) -> z3.BoolRef:
        """Some step leads from ``s`` to ``s2``; ``tid`` names it."""
        return _or([_and([tid == t.index, self.step(t, s, s2)]) for t in self.system.transitions])

    def error(self, s: SState) -> z3.BoolRef:
        """Some step raises a modelling error from ``s``."""
        return _or([self.sem(t, s).err for t in self.system.transitions])

    def enabled_any(self, s: SState) -> z3.BoolRef:
        return _or([self.sem(t, s).enabled for t in self.system.transitions])

    # properties
    def holds(self, expr: Expr, s: SState, s2: SState | None = None) -> z3.BoolRef:
        """``expr`` in ``s`` (and ``s2`` for Next); evaluation errors make it false, as a raise would."""
        v, e = self.tr.eval(expr, Env(s.vals, post=s2.vals if s2 is not None else None))
        return _and([_not(e), v])

    def deadlocked(self, p: Property, s: SState) -> z3.BoolRef:
        return _and([_not(self.error(s)), _not(self.enabled_any(s)), _not(self.holds(p.expr, s))])

    # models
    def decode(self, model: z3.ModelRef, s: SState) -> tuple:
        """The concrete state (as the explicit engine stores it) of ``s`` in ``model``."""
        return tuple(_decode(model, v, var.typ) for var, v in zip(self.system.vars, s.vals))


def _canonical(v: Val, typ: Type) -> list[z3.BoolRef]:
    if isinstance(typ, Array):
        return [c for x in v for c in _canonical(x, typ.elem)]
    if isinstance(typ, Seq):
        d = default_val(typ.elem)
        out = []
        for k, x in enumerate(v.slots):
            out.append(z3.Implies(v.length <= k, equal(x, d)))
            out.extend(_canonical(x, typ.elem))
        return out
    return []


def _decode(model: z3.ModelRef, v: Val, typ: Type) -> Any:
    if isinstance(typ, BoolType):
        return z3.is_true(model.eval(v, model_completion=True))
    if isinstance(typ, Flags):
        return sum(1 << k for k, b in enumerate(v.bits) if z3.is_true(model.eval(b, model_completion=True)))
    if isinstance(typ, Array):
        return tuple(_decode(model, x, typ.elem) for x in v)
    if isinstance(typ, Seq):
        n = model.eval(v.length, model_completion=True).as_long()
        return tuple(_decode(model, x, typ.elem) for x in v.slots[:n])
    return model.eval(as_int(v), model_completion=True).as_long()


def var_of_flat(system: System) -> list[Var]:
    """For each flat location, the variable it belongs to."""
    out: list[Var] = []
    for var in system.vars:
        out.extend([var] * len(flatten(default_val(var.typ), var.typ)))
    return out
