"""The IR translated to Promela, for SPIN: the same model, one SPIN state per model state.

The model is one process (``init``) whose ``do`` loop has one branch per transition::

    init {
      d_step { <initial values>; <check the state> };
    end_loop:
      do
      :: d_step { !x_prune && <guard> -> <body>; <check the state>; <reset scratch> }   /* one per step */
      ...
      :: d_step { !x_prune && timeout -> <deadlock: assert the end condition> }
      od
    }

so SPIN stores exactly one state per model state, plus one: the initial state before the
first ``d_step`` (``STATE_OFFSET``). Every value lives in a global of a fitting width:

==========  ================================================================
type        Promela
==========  ================================================================
Bool        bit
Int(lo,hi)  bit, byte, short or int (the smallest that holds the range)
Enum        byte (the index of the name); Flags: byte/short/int bit mask
Array(n,T)  flattened into one array per leaf (``pending[n]``, ``x[n*m]``)
Seq(T,cap)  ``cap`` element slots and a length ``<name>_len``; slots at or beyond the
            length hold 0, so that equal states have equal state vectors
==========  ================================================================

Step-local values (``let``), copies taken while computing a new array or sequence, and the
pre-state copies a transition invariant reads are scratch globals (``x_...``), reset to 0 at
the end of every step, so they never tell states apart (SPIN's BFS refuses ``hidden``).

Semantics kept from :mod:`checker.lang.pycompile`:

* a step is enabled when its ``require`` s hold; a ``require`` after other statements is
  folded into the guard by executing the body symbolically (:func:`enabling_condition`);
* modelling errors (an Int leaving its range, a sequence beyond its capacity, the head or pop
  of an empty sequence, an index out of bounds, division by zero) are checked where the
  compiled code would raise, with Python's short-circuit order, and reported by
  ``assert(<site> == 0)``; errors in a guard have a branch of their own;
* a state violating a selected invariant is expanded, as in the explicit engine (TLC's
  ``-continue``; pan runs with ``-c0``); but when a step raises in such a state, the state is
  pruned (docs/verdicts.md): ``x_prune``, a function of the state, is computed after the
  initial state and after every step by a dry run of every step (variables saved and
  restored, an error jumps to the restore) when the state violates an invariant, and every
  branch requires ``!x_prune``. Then the ``do`` loop is an ``atomic { if <branches> fi;
  d_step { <x_prune> } }; goto end_loop``: the state between the two is SPIN's "atomic", not
  counted in its "nominal states" (used instead of "states, stored"). A pruned state is
  reported by ``NOTE_PRUNE`` (an assertion on ``x_prune``, off under ``-DONLY``). Without
  invariants or without steps that can raise, the loop is a plain ``do``;
* the deadlock property is SPIN's ``timeout``: no other branch enabled;
* property ``k`` (1-based, in the order given) is asserted as ``assert(!ON(k) || ((k==k) && P))``
  so that pan's message names it; compiling with ``-DONLY=k`` keeps only property ``k``'s
  assertions (SPIN then stops at its first violation: its shortest trace), ``-DONLY=0`` none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Union

from checker.lang.expr import BIT_OP_TEXT, Expr, var_expr
from checker.lang.printer import show_expr
from checker.lang.pycompile import has_require, needs_range_check
from checker.lang.system import Assign, If, Let, Property, Require, Stmt, System, Transition
from checker.lang.types import Array, BoolType, Enum, Flags, Int, Seq, Type, scalar, value_range

STATE_OFFSET = 1  # SPIN's "states, stored" = the model's states + this (the state before the first d_step)
ERROR_SITE_BASE = 1000  # error sites are numbered from here; properties from 1

KEYWORDS = {
    "active", "assert", "atomic", "bit", "bool", "break", "byte", "chan", "d_step", "do", "else", "empty",
    "enabled", "eval", "false", "fi", "full", "goto", "hidden", "if", "init", "inline", "int", "len", "local",
    "mtype", "nempty", "never", "nfull", "od", "of", "pc_value", "printf", "priority", "proctype", "provided",
    "run", "short", "skip", "timeout", "true", "typedef", "unless", "unsigned", "xr", "xs", "c_code", "c_expr",
    "c_decl", "c_state", "c_track", "select", "for", "in", "ltl", "np_", "show", "trace", "notrace", "accept",
    "progress", "end", "STDIN", "ON", "ONLY",
}


class Unsupported(Exception):
    """The IR uses something this translation does not cover (named in the message)."""


# ---------------------------------------------------------------- storage: where a value lives


def ptype(t: Type) -> str:
    """The narrowest Promela type holding every value of the scalar type ``t``."""
    if isinstance(t, BoolType):
        return "bit"
    if not isinstance(t, (Int, Enum, Flags)):
        raise Unsupported(f"no Promela type for {t!r}")
    lo, hi = _range(t)
    if lo >= 0 and hi <= 1:
        return "bit"
    if lo >= 0 and hi <= 255:
        return "byte"
    if -(2**15) <= lo and hi < 2**15:
        return "short"
    if -(2**31) <= lo and hi < 2**31:
        return "int"
    return "int"  # intermediate results (INT): the values that occur are small


def _ptype_bytes(p: str) -> int:
    return {"bit": 1, "byte": 1, "short": 2, "int": 4}[p]


@dataclass
class Storage:
    """The globals holding one value of type ``typ``: its arrays flattened, a sequence as
    ``cap`` element slots per cell plus a length per cell."""

    name: str
    typ: Type
    dims: list[int] = field(default_factory=list)
    leaf: Type = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        t = self.typ
        while isinstance(t, Array):
            self.dims.append(t.size)
            t = t.elem
        if isinstance(t, Seq) and not scalar(t.elem):
            raise Unsupported(f"{self.name}: sequences of non-scalar values")
        self.leaf = t

    @property
    def cells(self) -> int:
        n = 1
        for d in self.dims:
            n *= d
        return n

    @property
    def len_name(self) -> str:
        return self.name + "_len"

    def decls(self) -> list[str]:
        arr = f"[{self.cells}]" if self.dims else ""
        if isinstance(self.leaf, Seq):
            out = []
            if self.leaf.capacity > 0:
                out.append(f"{ptype(self.leaf.elem)} {self.name}[{self.cells * self.leaf.capacity}];")
            out.append(f"byte {self.len_name}{arr};")
            return out
        return [f"{ptype(self.leaf)} {self.name}{arr};"]

    def size_bytes(self) -> int:
        if isinstance(self.leaf, Seq):
            return self.cells * (1 + self.leaf.capacity * _ptype_bytes(ptype(self.leaf.elem)))
        return self.cells * _ptype_bytes(ptype(self.leaf))

    def flat(self, idx: list[Ix]) -> Ix:
        """The cell index of a full array path."""
        out: Ix = 0
        stride = 1
        for d, i in reversed(list(zip(self.dims, idx))):
            out = ix_add(out, ix_mul(i, stride))
            stride *= d
        return out

    def all_cells(self) -> list[str]:
        """Every scalar global of this storage (for resetting scratch)."""
        if isinstance(self.leaf, Seq):
            out = [f"{self.len_name}[{c}]" if self.dims else self.len_name for c in range(self.cells)]
            out += [f"{self.name}[{k}]" for k in range(self.cells * self.leaf.capacity)]
            return out
        return [f"{self.name}[{c}]" for c in range(self.cells)] if self.dims else [self.name]


Ix = Union[int, str]  # an index: a constant or Promela code


def ix_add(a: Ix, b: Ix) -> Ix:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    if a == 0:
        return b
    if b == 0:
        return a
    return f"({a} + {b})"


def ix_sub(a: Ix, b: Ix) -> Ix:
    if isinstance(a, int) and isinstance(b, int):
        return a - b
    if b == 0:
        return a
    return f"({a} - {b})"


def ix_mul(a: Ix, k: int) -> Ix:
    if isinstance(a, int):
        return a * k
    return a if k == 1 else f"({a} * {k})"


def ix_code(i: Ix) -> str:
    return str(i)


def cmp_eq(a: Ix, b: Ix) -> str:
    if isinstance(a, int) and isinstance(b, int):
        return "1" if a == b else "0"
    return f"({a} == {b})"


def cond(c: str, a: str, b: str) -> str:
    if c == "1":
        return a
    if c == "0":
        return b
    if a == b:
        return a
    return f"({c} -> {a} : {b})"


# ---------------------------------------------------------------- views of array and sequence values


Val = Union[str, "View"]  # a scalar's code, or a view of a non-scalar


class View:
    """An array or sequence value that element reads are asked of (``elem(i)``)."""

    typ: Type
    maxlen: int

    def length(self) -> Ix:
        raise NotImplementedError

    def elem(self, i: Ix) -> Val:
        raise NotImplementedError


def _elem_type(t: Type) -> Type:
    assert isinstance(t, (Array, Seq))
    return t.elem


def _maxlen(t: Type) -> int:
    return t.size if isinstance(t, Array) else t.capacity  # type: ignore[union-attr]


class LocView(View):
    """A value stored in globals: ``storage`` at the array path ``idx``."""

    def __init__(self, st: Storage, idx: list[Ix]) -> None:
        self.st = st
        self.idx = idx
        t = st.typ
        for _ in idx:
            t = _elem_type(t)
        self.typ = t
        self.maxlen = _maxlen(t)

    def length(self) -> Ix:
        if isinstance(self.typ, Array):
            return self.typ.size
        assert len(self.idx) == len(self.st.dims)
        return f"{self.st.len_name}[{self.st.flat(self.idx)}]" if self.st.dims else self.st.len_name

    def elem(self, i: Ix) -> Val:
        if isinstance(self.typ, Array):
            if scalar(self.typ.elem):
                return cell(self.st, self.idx + [i])
            return LocView(self.st, self.idx + [i])
        assert isinstance(self.typ, Seq)
        if isinstance(i, int) and i >= self.typ.capacity:
            return "0"  # never read: guarded by a length test
        base = ix_mul(self.st.flat(self.idx), self.typ.capacity) if self.st.dims else 0
        return f"{self.st.name}[{ix_add(base, i)}]"


def cell(st: Storage, idx: list[Ix]) -> str:
    """The global holding the scalar at the full array path ``idx``."""
    return f"{st.name}[{st.flat(idx)}]" if st.dims else st.name


class LitView(View):
    def __init__(self, typ: Type, value: tuple) -> None:
        self.typ = typ
        self.value = value
        self.maxlen = len(value) if isinstance(typ, Seq) else typ.size  # type: ignore[union-attr]

    def length(self) -> Ix:
        return len(self.value)

    def elem(self, i: Ix) -> Val:
        et = _elem_type(self.typ)

        def one(k: int) -> Val:
            if k >= len(self.value):
                return "0"
            return LitView(et, self.value[k]) if not scalar(et) else lit_code(self.value[k])

        if isinstance(i, int):
            return one(i)
        out = one(len(self.value) - 1)
        for k in range(len(self.value) - 2, -1, -1):
            out = ite_val(f"({i} == {k})", one(k), out)
        return out


class IteView(View):
    def __init__(self, c: str, a: View, b: View) -> None:
        self.c, self.a, self.b = c, a, b
        self.typ = a.typ
        self.maxlen = max(a.maxlen, b.maxlen)

    def length(self) -> Ix:
        la, lb = self.a.length(), self.b.length()
        return la if la == lb else cond(self.c, str(la), str(lb))

    def elem(self, i: Ix) -> Val:
        return ite_val(self.c, self.a.elem(i), self.b.elem(i))


def ite_val(c: str, a: Val, b: Val) -> Val:
    if isinstance(a, View) and isinstance(b, View):
        return IteView(c, a, b)
    assert isinstance(a, str) and isinstance(b, str)
    return cond(c, a, b)


class StoreView(View):
    def __init__(self, base: View, i: Ix, v: Val) -> None:
        self.base, self.i, self.v = base, i, v
        self.typ = base.typ
        self.maxlen = base.maxlen

    def length(self) -> Ix:
        return self.base.length()

    def elem(self, k: Ix) -> Val:
        return ite_val(cmp_eq(k, self.i), self.v, self.base.elem(k))


class _Grow(View):
    """``s`` with one more element ``x`` (at one end)."""

    def __init__(self, s: View, x: str) -> None:
        self.s, self.x = s, x
        self.typ = s.typ
        self.maxlen = s.maxlen + 1

    def length(self) -> Ix:
        return ix_add(self.s.length(), 1)


class PushBack(_Grow):
    def elem(self, k: Ix) -> Val:
        if isinstance(k, int) and k >= self.s.maxlen:
            return self.x
        return cond(f"({k} < {self.s.length()})", self.s.elem(k), self.x)  # type: ignore[arg-type]


class PushFront(_Grow):
    def elem(self, k: Ix) -> Val:
        if isinstance(k, int):
            return self.x if k == 0 else self.s.elem(k - 1)
        return cond(f"({k} == 0)", self.x, self.s.elem(ix_sub(k, 1)))  # type: ignore[arg-type]


class PopFront(View):
    def __init__(self, s: View) -> None:
        self.s = s
        self.typ = s.typ
        self.maxlen = max(s.maxlen - 1, 0)

    def length(self) -> Ix:
        return ix_sub(self.s.length(), 1)

    def elem(self, k: Ix) -> Val:
        return self.s.elem(ix_add(k, 1))


class Concat(View):
    def __init__(self, a: View, b: View) -> None:
        self.a, self.b = a, b
        self.typ = a.typ
        self.maxlen = a.maxlen + b.maxlen

    def length(self) -> Ix:
        return ix_add(self.a.length(), self.b.length())

    def elem(self, k: Ix) -> Val:
        la = self.a.length()
        return cond(f"({k} < {la})", self.a.elem(k), self.b.elem(ix_sub(k, la)))  # type: ignore[arg-type]


class Remove(View):
    """Without the first occurrence of ``x`` (unchanged when absent)."""

    def __init__(self, s: View, x: str) -> None:
        self.s, self.x = s, x
        self.typ = s.typ
        self.maxlen = s.maxlen
        n = s.length()
        pos: str = str(n)
        for k in range(s.maxlen - 1, -1, -1):
            pos = f"(({k} < {n} && {s.elem(k)} == {x}) -> {k} : {pos})"
        self.pos = pos

    def length(self) -> Ix:
        n = self.s.length()
        return f"({n} - ({self.pos} < {n} -> 1 : 0))"

    def elem(self, k: Ix) -> Val:
        return cond(f"({k} < {self.pos})", self.s.elem(k), self.s.elem(ix_add(k, 1)))  # type: ignore[arg-type]


def lit_code(v: object) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    raise Unsupported(f"literal {v!r} where a scalar is expected")


# ---------------------------------------------------------------- error conditions (short-circuit aware)


Err = Union[str, None]  # Promela condition under which evaluation raises; None: it cannot


def e_or(*errs: Err) -> Err:
    xs = [e for e in errs if e is not None and e != "0"]
    if any(e == "1" for e in xs):
        return "1"
    return None if not xs else xs[0] if len(xs) == 1 else "(" + " || ".join(xs) + ")"


def e_and(c: str, err: Err) -> Err:
    return None if err is None else f"({c} && {err})"


# ---------------------------------------------------------------- expressions


@dataclass
class ErrorSite:
    """One place where the compiled code raises; ``tid`` is the step (None: an invariant)."""

    tid: int | None
    what: str


class Namer:
    """Promela names for the spec's variables and the translation's scratch, all distinct."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def fresh(self, want: str, internal: bool = False) -> str:
        base = re.sub(r"\W", "_", want)
        if not internal and (base in KEYWORDS or base.startswith("x_") or not base or base[0].isdigit()):
            base = "v_" + base
        name = base
        k = 2
        while name in self.used or name + "_len" in self.used or (name.endswith("_len") and name[:-4] in self.used):
            name = f"{base}_{k}"
            k += 1
        self.used.add(name)
        return name


class ExprWriter:
    """Promela for IR expressions: ``scalar(e)`` gives (code, err), ``view(e)`` (View, err).

    ``names`` says where each state variable lives (the live globals, or the pre-state copies a
    transition invariant reads); ``post`` where ``Next(x)`` reads from.
    """

    def __init__(self, names: dict[int, Storage], temps: dict[str, Storage | str],
                 post: dict[int, Storage] | None = None) -> None:
        self.names = names
        self.temps = temps
        self.post = post

    def _with(self, names: dict[int, Storage]) -> ExprWriter:
        return ExprWriter(names, self.temps, None)

    def view(self, e: Expr) -> tuple[View, Err]:
        op = e.op
        if op == "lit":
            return LitView(e.typ, e.value), None
        if op == "var":
            return LocView(self.names[e.value.slot], []), None
        if op == "temp":
            st = self.temps[e.value]
            if not isinstance(st, Storage):
                raise Unsupported(f"temp {e.value} is not a non-scalar value")
            return LocView(st, []), None
        if op == "next":
            if self.post is None:
                raise Unsupported("Next() outside a transition invariant")
            return self._with(self.post).view(e.args[0])
        if op == "index":
            base, err = self.view(e.args[0])
            i, ierr = self.scalar(e.args[1])
            bounds = self._bounds(e.args[0].typ, base, i, e.args[1])
            return base.elem(_ix(i)), e_or(err, ierr, bounds)  # type: ignore[return-value]
        if op == "ite":
            c, cerr = self.scalar(e.args[0])
            a, aerr = self.view(e.args[1])
            b, berr = self.view(e.args[2])
            return IteView(c, a, b), e_or(cerr, cond(c, aerr or "0", berr or "0"))
        if op == "store":
            base, err = self.view(e.args[0])
            i, ierr = self.scalar(e.args[1])
            v, verr = self.value(e.args[2])
            return StoreView(base, _ix(i), v), e_or(err, ierr, verr, self._bounds(e.args[0].typ, base, i, e.args[1]))
        if op in ("push_back", "push_front", "remove"):
            s, serr = self.view(e.args[0])
            x, xerr = self.scalar(e.args[1])
            cls = {"push_back": PushBack, "push_front": PushFront, "remove": Remove}[op]
            return cls(s, x), e_or(serr, xerr)
        if op == "pop_front":
            s, serr = self.view(e.args[0])
            return PopFront(s), e_or(serr, f"({s.length()} == 0)")
        if op == "concat":
            a, aerr = self.view(e.args[0])
            b, berr = self.view(e.args[1])
            return Concat(a, b), e_or(aerr, berr)
        raise Unsupported(f"operator {op!r} as an array or sequence value")

    def value(self, e: Expr) -> tuple[Val, Err]:
        return self.scalar(e) if scalar(e.typ) else self.view(e)

    def _bounds(self, t: Type, v: View, i: str, ie: Expr) -> Err:
        n = v.length()
        if isinstance(t, Array) and i.lstrip("-").isdigit():
            return None if 0 <= int(i) < t.size or -t.size <= int(i) < 0 else "1"
        if isinstance(t, Array) and in_range(ie, t.size):
            return None
        return f"({i} < 0 || {i} >= {n})"

    def scalar(self, e: Expr) -> tuple[str, Err]:
        op = e.op
        if op == "lit":
            return lit_code(e.value), None
        if op == "var":
            return cell(self.names[e.value.slot], []), None
        if op == "temp":
            st = self.temps[e.value]
            if isinstance(st, Storage):
                raise Unsupported(f"temp {e.value} used as a scalar")
            return st, None
        if op == "next":
            if self.post is None:
                raise Unsupported("Next() outside a transition invariant")
            return self._with(self.post).scalar(e.args[0])
        if op == "index":
            if e.args[1].op == "lit" and isinstance(e.args[0].typ, Array) and e.args[1].value < 0:
                e = Expr("index", (e.args[0], Expr("lit", (), e.args[1].typ, e.args[1].value + e.args[0].typ.size)), e.typ)
            v, err = self.view(e)
            assert isinstance(v, str)
            return v, err
        if op in ("and", "or"):
            codes, err, acc = [], None, []
            for x in e.args:
                c, xe = self.scalar(x)
                err = e_or(err, e_and(" && ".join(acc), xe) if acc else xe)
                acc.append(c if op == "and" else f"!({c})")
                codes.append(c)
            if not codes:
                return ("1" if op == "and" else "0"), None
            return "(" + f" {'&&' if op == 'and' else '||'} ".join(codes) + ")", err
        if op == "implies":
            a, ae = self.scalar(e.args[0])
            b, be = self.scalar(e.args[1])
            return f"(!({a}) || {b})", e_or(ae, e_and(a, be))
        if op == "ite":
            c, ce = self.scalar(e.args[0])
            a, ae = self.scalar(e.args[1])
            b, be = self.scalar(e.args[2])
            err = None if ae is None and be is None else cond(c, ae or "0", be or "0")
            return cond(c, a, b), e_or(ce, err)
        if op in ("==", "!=") and not scalar(e.args[0].typ):
            a, ae = self.view(e.args[0])
            b, be = self.view(e.args[1])
            eq = view_eq(a, b)
            return (eq if op == "==" else f"!({eq})"), e_or(ae, be)
        if op == "len":
            v, err = self.view(e.args[0])
            return str(v.length()), err
        if op == "head":
            v, err = self.view(e.args[0])
            h = v.elem(0)
            assert isinstance(h, str)
            return h, e_or(err, f"({v.length()} == 0)")
        if op in ("contains", "count"):
            v, err = self.view(e.args[0])
            x, xe = self.scalar(e.args[1])
            n = v.length()
            terms = [f"({k} < {n} && {v.elem(k)} == {x})" for k in range(v.maxlen)]
            if op == "contains":
                code = "(" + " || ".join(terms) + ")" if terms else "0"
            else:
                code = "(" + " + ".join(f"({t} -> 1 : 0)" for t in terms) + ")" if terms else "0"
            return code, e_or(err, xe)
        args = [self.scalar(x) for x in e.args]
        a = [c for c, _ in args]
        err = e_or(*[x for _, x in args])
        if op in ("+", "-", "*", "==", "!=", "<", "<=", ">", ">="):
            return f"({a[0]} {op} {a[1]})", err
        if op == "neg":
            return f"(-{a[0]})", err
        if op == "not":
            return f"!({a[0]})", err
        if op == "min":
            return f"(({a[0]} <= {a[1]}) -> {a[0]} : {a[1]})", err
        if op == "max":
            return f"(({a[0]} >= {a[1]}) -> {a[0]} : {a[1]})", err
        if op in ("//", "%"):
            # Python floors; C (and Promela) truncate towards zero
            fix = f"(({a[0]} % {a[1]}) != 0 && (({a[0]} < 0) != ({a[1]} < 0)))"
            code = (f"(({a[0]} / {a[1]}) - ({fix} -> 1 : 0))" if op == "//"
                    else f"(({a[0]} % {a[1]}) + ({fix} -> {a[1]} : 0))")
            return code, e_or(err, f"({a[1]} == 0)")
        if op in BIT_OP_TEXT:
            return BIT_OP_TEXT[op].format(*a), err
        raise Unsupported(f"no Promela translation for operator {op!r}")


def in_range(ie: Expr, size: int) -> bool:
    """The index expression's type keeps it within 0..size-1 (no bounds check needed)."""
    t = ie.typ
    if isinstance(t, Int) and ie.op in ("var", "temp", "index", "lit"):
        return 0 <= t.lo and t.hi < size
    if isinstance(t, Enum):
        return len(t.names) <= size
    return False


def _ix(code: str) -> Ix:
    return int(code) if code.lstrip("-").isdigit() else code


def view_eq(a: View, b: View) -> str:
    """Equality of two array or sequence values."""
    la, lb = a.length(), b.length()
    parts = [] if isinstance(a.typ, Array) else [cmp_eq(la, lb)]
    for k in range(min(a.maxlen, b.maxlen) if isinstance(a.typ, Seq) else a.maxlen):
        x, y = a.elem(k), b.elem(k)
        same = view_eq(x, y) if isinstance(x, View) else f"({x} == {y})"  # type: ignore[arg-type]
        parts.append(same if isinstance(a.typ, Array) else f"({k} >= {la} || {same})")
    return "(" + " && ".join(parts) + ")" if parts else "1"


# ---------------------------------------------------------------- enabling condition of a body


def enabling_condition(body: list[Stmt], system: System) -> Expr | None:
    """The condition (over the pre-state) under which no ``require`` of ``body`` fails, found by
    executing the body symbolically; None when the body has none."""
    from checker.lang.expr import And, Implies, Not

    if not has_require(body):
        return None
    conds: list[Expr] = []
    env: dict[int, Expr] = {}
    temps: dict[str, Expr] = {}

    def sub(e: Expr) -> Expr:
        if e.op == "var":
            return env.get(e.value.slot, e)
        if e.op == "temp":
            return temps[e.value]
        if not e.args:
            return e
        return Expr(e.op, tuple(sub(a) for a in e.args), e.typ, e.value)

    def put(c: Expr, ps: list[Expr], v: Expr) -> Expr:
        if not ps:
            return v
        inner = Expr("index", (c, ps[0]), _elem_type(c.typ))
        return Expr("store", (c, ps[0], put(inner, ps[1:], v)), c.typ)

    def run(stmts: list[Stmt], path: list[Expr]) -> None:
        for s in stmts:
            if isinstance(s, Require):
                c = sub(s.cond)
                conds.append(Implies(And(*path), c) if path else c)
            elif isinstance(s, Let):
                temps[s.name] = sub(s.value)
            elif isinstance(s, Assign):
                cur = env.get(s.var.slot, var_expr(s.var))
                env[s.var.slot] = put(cur, [sub(p) for p in s.path], sub(s.value))
            elif isinstance(s, If):
                c = sub(s.cond)
                env0, temps0 = dict(env), dict(temps)
                run(s.then, path + [c])
                env1, temps1 = dict(env), dict(temps)
                env.clear()
                env.update(env0)
                temps.clear()
                temps.update(temps0)
                run(s.orelse, path + [Not(c)])
                for k in set(env) | set(env1):
                    old = env0.get(k, var_expr(system.vars[k]))
                    a, b = env1.get(k, old), env.get(k, old)
                    if a is not b:
                        env[k] = Expr("ite", (c, a, b), a.typ)
                for name in set(temps1) - set(temps):
                    temps[name] = temps1[name]  # bound on one path only: read only on that path

    run(body, [])
    return And(*conds)


def _walk(e: Expr):  # type: ignore[no-untyped-def]
    yield e
    for a in e.args:
        yield from _walk(a)


# ---------------------------------------------------------------- the model


@dataclass
class Branch:
    """Lines ``first..last`` of the model hold this ``do`` branch."""

    first: int
    last: int
    kind: str  # step | error | deadlock
    tid: int | None


@dataclass
class PromelaModel:
    text: str
    properties: list[Property]  # property k+1 of the model is properties[k]
    sites: dict[int, ErrorSite]
    branches: list[Branch]
    vector_bytes: int  # an estimate of the state vector (for -DVECTORSZ)

    def branch_at(self, line: int) -> Branch | None:
        for b in self.branches:
            if b.first <= line <= b.last:
                return b
        return None


class _Body:
    """Statement lines of one d_step, and the scratch it used (reset at its end)."""

    def __init__(self, gen: PromelaWriter, tid: int | None) -> None:
        self.gen = gen
        self.tid = tid
        self.lines: list[str] = []
        self.scratch: list[Storage] = []
        self.scalars: list[str] = []
        self.n_scratch: dict[Type, int] = {}

    def err(self, err: Err, what: str, ind: str) -> None:
        if err is None or err == "0":
            return
        site = self.gen.site(self.tid, what)
        self.lines.append(f"{ind}if :: {err} -> assert({site} == 0) :: else fi;")

    def scratch_for(self, t: Type) -> Storage:
        k = self.n_scratch.get(t, 0)
        self.n_scratch[t] = k + 1
        st = self.gen.scratch_storage(t, k)
        self.scratch.append(st)
        return st

    def materialise(self, v: View, into: LocView, ind: str) -> None:
        """Write every element of ``v`` into the storage location ``into`` (slots past the length: 0)."""
        t = into.typ
        if isinstance(t, Array):
            for k in range(t.size):
                x, dst = v.elem(k), into.elem(k)
                if isinstance(dst, View):
                    self.materialise(x, dst, ind)  # type: ignore[arg-type]
                else:
                    self.lines.append(f"{ind}{dst} = {x};")
            return
        assert isinstance(t, Seq)
        n = into.length()
        self.lines.append(f"{ind}{n} = {v.length()};")
        for k in range(t.capacity):
            self.lines.append(f"{ind}{into.elem(k)} = {cond(f'({k} < {n})', str(v.elem(k)), '0')};")

    def copy(self, src: LocView, dst: LocView, ind: str) -> None:
        self.materialise(src, dst, ind)

    def stmts(self, body: list[Stmt], w: ExprWriter, ind: str) -> None:
        for s in body:
            if isinstance(s, Require):
                c, err = w.scalar(s.cond)
                self.err(err, "evaluating a require", ind)
                site = self.gen.site(self.tid, "internal: the step ran past a failed require "
                                               "(its enabling condition is wrong)")
                self.lines.append(f"{ind}if :: !({c}) -> assert({site} == 0) :: else fi;")
            elif isinstance(s, Let):
                if scalar(s.value.typ):
                    c, err = w.scalar(s.value)
                    self.err(err, f"computing {s.name}", ind)
                    name = self.gen.temp_scalar(s.name, s.value.typ)
                    w.temps[s.name] = name
                    self.scalars.append(name)
                    self.lines.append(f"{ind}{name} = {c};")
                else:
                    v, err = w.view(s.value)
                    self.err(err, f"computing {s.name}", ind)
                    st = self.scratch_for(s.value.typ)
                    self.materialise(v, LocView(st, []), ind)
                    w.temps[s.name] = st
            elif isinstance(s, If):
                c, err = w.scalar(s.cond)
                self.err(err, "evaluating a condition", ind)
                self.lines.append(f"{ind}if")
                self.lines.append(f"{ind}:: {c} ->")
                self.stmts(s.then, w, ind + "   ")
                if not s.then:
                    self.lines.append(f"{ind}   skip")
                self.lines.append(f"{ind}:: else ->")
                self.stmts(s.orelse, w, ind + "   ")
                if not s.orelse:
                    self.lines.append(f"{ind}   skip")
                self.lines.append(f"{ind}fi;")
            else:
                self.assign(s, w, ind)

    def assign(self, s: Assign, w: ExprWriter, ind: str) -> None:
        typ: Type = s.var.typ
        for _ in s.path:
            typ = _elem_type(typ)
        what = s.var.name + "".join(f"[{show_expr(p)}]" for p in s.path)
        st = w.names[s.var.slot]
        idx: list[Ix] = []
        cur: Type = s.var.typ
        errs: list[Err] = []
        for p in s.path:
            c, err = w.scalar(p)
            assert isinstance(cur, Array)
            ok = (c.isdigit() and int(c) < cur.size) or in_range(p, cur.size)
            errs += [err, None if ok else f"({c} < 0 || {c} >= {cur.size})"]
            idx.append(_ix(c))
            cur = cur.elem
        if scalar(typ):
            c, err = w.scalar(s.value)
            self.err(err, f"computing {what}", ind)
            if needs_range_check(typ, s.value):
                lo, hi = _range(typ)
                self.err(f"!({lo} <= {c} && {c} <= {hi})", f"{what} leaves {lo}..{hi}", ind)
            self.err(e_or(*errs), f"{what}: index out of bounds", ind)
            self.lines.append(f"{ind}{cell(st, idx)} = {c};")
            return
        v, err = w.view(s.value)
        self.err(err, f"computing {what}", ind)
        if isinstance(typ, Seq):
            self.err(f"({v.length()} > {typ.capacity})", f"{what} exceeds capacity {typ.capacity}", ind)
        self.err(e_or(*errs), f"{what}: index out of bounds", ind)
        tmp = LocView(self.scratch_for(typ), [])
        self.materialise(v, tmp, ind)
        self.copy(tmp, LocView(st, idx), ind)
        self.n_scratch[typ] -= 1  # dead after the copy: the next assignment of this type reuses it

    def reset(self, ind: str) -> None:
        for name in dict.fromkeys(self.scalars):
            self.lines.append(f"{ind}{name} = 0;")
        for st in {id(x): x for x in self.scratch}.values():
            for c in st.all_cells():
                self.lines.append(f"{ind}{c} = 0;")


def _range(t: Type) -> tuple[int, int]:
    return value_range(t) or (0, 1)


class PromelaWriter:
    """Writes one configuration's System as Promela (see the module docstring)."""

    def __init__(self, system: System, properties: list[Property]) -> None:
        self.system = system
        self.safety = [p for p in properties if p.kind in ("invariant", "transition", "deadlock")]
        self.namer = Namer()
        self.vars: dict[int, Storage] = {v.slot: Storage(self.namer.fresh(v.name), v.typ) for v in system.vars}
        self.pre: dict[int, Storage] = {}
        self.saved: dict[int, Storage] = {}  # variables saved during the dry run of a step (x_prune)
        self.prunes = False
        self.temps_scalar: dict[tuple[str, str], str] = {}
        self.scratch: dict[tuple[Type, int], Storage] = {}
        self.sites: dict[int, ErrorSite] = {}

    # scratch and sites
    def site(self, tid: int | None, what: str) -> int:
        k = ERROR_SITE_BASE + len(self.sites)
        self.sites[k] = ErrorSite(tid, what)
        return k

    def temp_scalar(self, name: str, typ: Type) -> str:
        p = "int" if isinstance(typ, Int) and not (0 <= typ.lo and typ.hi <= 255) else ptype(typ)
        key = (name, p)
        if key not in self.temps_scalar:
            self.temps_scalar[key] = self.namer.fresh(f"x_t_{name}", internal=True)
        return self.temps_scalar[key]

    def scratch_storage(self, t: Type, k: int) -> Storage:
        key = (t, k)
        if key not in self.scratch:
            self.scratch[key] = Storage(self.namer.fresh(f"x_sc{len(self.scratch)}", internal=True), t)
        return self.scratch[key]

    # the model
    def write(self) -> PromelaModel:
        sysm = self.system
        invs = [(k + 1, p) for k, p in enumerate(self.safety) if p.kind == "invariant"]
        trans = [(k + 1, p) for k, p in enumerate(self.safety) if p.kind == "transition"]
        dead = [(k + 1, p) for k, p in enumerate(self.safety) if p.kind == "deadlock"]
        if trans:
            used: set[int] = set()
            for _, p in trans:
                _slots_outside_next(p.expr, used)
            self.pre = {k: Storage(self.namer.fresh(f"x_pre_{sysm.vars[k].name}", internal=True), sysm.vars[k].typ)
                        for k in sorted(used)}
        live = ExprWriter(self.vars, {})
        inv_code = {k: live.scalar(p.expr)[0] for k, p in invs}
        inv_slots = {k: _slots(p.expr) for k, p in invs}

        body_lines: list[tuple[str, list[str], int | None]] = []  # (kind, lines, tid)
        # the initial state
        init = _Body(self, None)
        for v in sysm.vars:
            st = self.vars[v.slot]
            if scalar(v.typ):
                init.lines.append(f"{cell(st, [])} = {lit_code(v.init)};")
            else:
                tmp = LocView(st, [])
                init.materialise(LitView(v.typ, v.init), tmp, "")
        init.lines = [ln for ln in init.lines if not re.fullmatch(r"\S+ = 0;", ln)]  # globals start at 0
        init.lines += self._check(invs, inv_code, None)

        for t in sysm.transitions:
            guard, gerr, bl = self._transition(t, invs, inv_code, inv_slots, trans)
            body_lines.append(("step", [f"!x_prune && {'!' + _paren(gerr) + ' && ' if gerr else ''}{guard} ->"] + bl,
                               t.index))
            if gerr:
                site = self.site(t.index, "evaluating the step's guard")
                body_lines.append(("error", [f"!x_prune && {gerr} -> assert({site} == 0)"], t.index))
        if dead:
            dl = []
            for k, p in dead:
                end, _ = live.scalar(p.expr)
                dl.append(f"assert(!ON({k}) || (({k}=={k}) && {end}))")
            body_lines.append(("deadlock", ["!x_prune && timeout -> " + "; ".join(dl)], None))
        # A step raising in a state that violates an invariant prunes that state (the explicit
        # engine's rule, docs/verdicts.md): only possible with invariants and steps that can raise.
        self.prunes = bool(invs) and any(site.tid is not None for site in self.sites.values())
        prune: list[list[str]] = self._prune_lines(invs) if self.prunes else []

        out = self._header(invs, inv_code)
        out.append("init {")
        if prune:  # the initial state's x_prune, in the same atomic sequence
            out.append("  atomic {")
        out.append("  d_step {")
        out += ["    " + ln for ln in init.lines] or ["    skip"]
        out.append("  };")
        if prune:
            for chunk in prune:
                out.append("  d_step {")
                out += ["    " + ln.replace("@L@", "i") for ln in chunk]
                out.append("  };")
            out.append("  };")
        out.append("end_loop:")
        out.append("  atomic { if" if self.prunes else "  do")
        branches: list[Branch] = []
        for kind, lines, tid in body_lines:
            if tid is not None:
                t = sysm.transitions[tid]
                out.append(f"  /* {t.key}  [{t.function}]{' (guard raises)' if kind == 'error' else ''} */")
            first = len(out) + 1
            out.append(f"  :: d_step {{ {lines[0]}")
            out += ["       " + ln for ln in lines[1:]]
            out.append("     }")
            branches.append(Branch(first, len(out), kind, tid))
        if self.prunes:
            # the new state's x_prune, in the same atomic sequence (not a state of its own)
            out.append("  fi;")
            out.append("  /* does a step raise in the new state, which violates an invariant? (then: pruned) */")
            for k, chunk in enumerate(prune):
                out.append("  d_step {")
                out += ["    " + ln.replace("@L@", "s") for ln in chunk]
                out.append("  }" + (" };" if k == len(prune) - 1 else ";"))
            out.append("  goto end_loop")
        else:
            out.append("  od")
        out.append("}")
        decl_bytes = sum(s.size_bytes() for s in self.vars.values())
        decl_bytes += sum(s.size_bytes() for s in self.scratch.values()) + sum(s.size_bytes() for s in self.pre.values())
        decl_bytes += sum(s.size_bytes() for s in self.saved.values())
        decl_bytes += 4 * len(self.temps_scalar) + 16
        return PromelaModel("\n".join(out) + "\n", self.safety, self.sites, branches, decl_bytes)

    def _header(self, invs: list[tuple[int, Property]], inv_code: dict[int, str]) -> list[str]:
        sysm = self.system
        consts = ", ".join(f"{k}={v!r}" for k, v in sysm.constants.items())
        out = [
            f"/* {sysm.spec_name}({consts}): generated by `napi-check export --promela` from the IR; do not edit.",
            "",
            "   One process; each atomic step of the spec is one d_step branch of one do-loop, so SPIN",
            f"   stores one state per model state plus {STATE_OFFSET} (the initial state before the first d_step).",
            "   Build: spin -o2 -a model.pml && gcc -O2 -DBFS -DSAFETY -DNOREDUCE -o pan pan.c && ./pan -c0",
            "   (-o2 keeps write-only variables in the state vector, as the explicit engine does.)",
            "   Property k is asserted as ((k==k) && P); -DONLY=k keeps only property k's assertions.",
            "   Modelling errors are assert(<site> == 0) with <site> >= "
            f"{ERROR_SITE_BASE}.",
            "",
            "   properties:",
        ]
        out += [f"     {k + 1}. {p.name} ({p.kind})" for k, p in enumerate(self.safety)]
        out.append("*/")
        out += ["", "#ifdef ONLY", "#define ON(k) (k == ONLY)", "#define NOTE_PRUNE skip", "#else", "#define ON(k) 1",
                "#define NOTE_PRUNE assert(x_prune == 0)  /* reported, not an error: see checker.export.spin */",
                "#endif", ""]
        for v in sysm.vars:
            decls = self.vars[v.slot].decls()
            out.append(" ".join(decls) + f"  /* {v.name}: {v.typ!r} */")
        out.append("bit x_prune;  /* the state violates an invariant and a step raises in it: not expanded */")
        out.append("bit x_err;  /* scratch: a step raised in the dry run computing x_prune */")
        for st in self.saved.values():
            out.append(" ".join(st.decls()) + "  /* scratch: a variable saved during the dry run */")
        for st in self.pre.values():
            out.append(" ".join(st.decls()) + "  /* pre-state copy (transition invariants) */")
        for (name, p), pname in self.temps_scalar.items():
            out.append(f"{p} {pname};  /* let {name} */")
        for st in self.scratch.values():
            out.append(" ".join(st.decls()) + "  /* scratch */")
        out.append("")
        for k, p in invs:
            out.append(f"#define INV_{k} {inv_code[k]}  /* {p.name} */")
        out.append("")
        return out

    def _check(self, invs: list[tuple[int, Property]], inv_code: dict[int, str], only: set[int] | None) -> list[str]:
        """Lines checking the invariants (those numbered in ``only``; None: all) in the current state."""
        ks = [k for k, _ in invs if only is None or k in only]
        if not ks:
            return []
        out = ["if", "   :: " + " && ".join(f"INV_{k}" for k in ks) + " -> skip", "   :: else ->"]
        out += [f"      assert(!ON({k}) || (({k}=={k}) && INV_{k}));" for k in ks]
        out.append("fi;")
        return out

    def _prune_lines(self, invs: list[tuple[int, Property]]) -> list[list[str]]:
        """``d_step`` bodies, in order, setting ``x_prune``: 1 when the state violates an invariant
        and some step raises in it (a dry run of every step on the state, undone after). Several
        d_steps when one would exceed SPIN's limit on the jumps in a d_step (MAXDSTEP: 1024 or
        2048). ``@L@`` is replaced to make the labels unique (the lines are used twice: after
        the initial state and after a step)."""

        n0 = len(self.sites)
        bad = "   :: !(" + " && ".join(f"INV_{k}" for k, _ in invs) + ") ->"
        chunks: list[list[str]] = []
        out: list[str] = []
        for t in self.system.transitions:
            body, b, w, guard, gerr = self._guarded(t)
            b.stmts(body, w, "")
            label = f"x_dry_@L@{t.index}"
            run = [re.sub(r"assert\((\d+) == 0\)", f"x_err = 1; goto {label}", ln) for ln in b.lines]
            written = sorted(_assigned(t.body))
            save, restore = [], []
            for slot in written:
                if slot not in self.saved:
                    v = self.system.vars[slot]
                    self.saved[slot] = Storage(self.namer.fresh(f"x_sv_{v.name}", internal=True), v.typ)
                for c, sv in zip(self.vars[slot].all_cells(), self.saved[slot].all_cells()):
                    save.append(f"{sv} = {c};")
                    restore += [f"{c} = {sv};", f"{sv} = 0;"]
            b.lines = []
            b.reset("")
            one: list[str] = [f"      /* {t.key} */"]
            if gerr:
                one += ["      if", f"      :: {gerr} -> x_err = 1", "      :: else ->"]
            else:
                one += ["      if", "      :: 1 ->"]
            one += ["         if", f"         :: {guard} ->"]
            one += ["            " + ln for ln in save + run]
            one.append(f"{label}:")
            one += ["            " + ln for ln in restore + b.lines] + ["            skip"]
            one += ["         :: else", "         fi", "      fi;"]
            if out and _jumps(out) + _jumps(one) > DSTEP_JUMPS:
                chunks.append(["if", bad] + out + ["   :: else", "fi;"])
                out = []
            out += one
        chunks.append(["if", bad] + out + ["   :: else", "fi;", "x_prune = x_err; x_err = 0;",
                                            "if :: x_prune -> NOTE_PRUNE :: else fi"])
        for k in range(n0, len(self.sites)):  # the dry run's error sites are not errors
            del self.sites[ERROR_SITE_BASE + k]
        return chunks

    def _guarded(self, t: Transition) -> tuple[list[Stmt], _Body, ExprWriter, str, str | None]:
        """``t``'s body after its leading requires, a fresh body writer, an expression writer, and the
        guard (leading requires and the enabling condition) with its error condition, if any."""
        from checker.lang.expr import And

        body = list(t.body)
        lead: list[Expr] = []
        while body and isinstance(body[0], Require):
            lead.append(body.pop(0).cond)  # type: ignore[union-attr]
        enab = enabling_condition(body, self.system)
        if enab is not None:
            lead.append(enab)
        w = ExprWriter(self.vars, {})
        guard, gerr = w.scalar(And(*lead)) if lead else ("1", None)
        return body, _Body(self, t.index), w, guard, gerr

    def _transition(self, t: Transition, invs, inv_code, inv_slots, trans):  # type: ignore[no-untyped-def]

        body, b, w, guard, gerr = self._guarded(t)
        for slot, st in self.pre.items():  # transition invariants read the pre-state from these copies
            if scalar(st.typ):
                b.lines.append(f"{cell(st, [])} = {cell(self.vars[slot], [])};")
            else:
                b.materialise(LocView(self.vars[slot], []), LocView(st, []), "")
        b.stmts(body, w, "")
        written = _assigned(t.body)
        b.lines += self._check(invs, inv_code, {k for k, _ in invs if inv_slots[k] & written})
        for k, p in trans:
            tw = ExprWriter(self.pre, w.temps, post=self.vars)
            c, _ = tw.scalar(p.expr)
            b.lines.append(f"assert(!ON({k}) || (({k}=={k}) && {c}));")
        b.reset("")
        if not b.lines:
            b.lines.append("skip")
        if trans:
            for st in self.pre.values():
                b.lines += [f"{c} = 0;" for c in st.all_cells()]
        return guard, gerr, b.lines


DSTEP_JUMPS = 600  # jumps per d_step of the dry run, well under SPIN's MAXDSTEP (1024 in old versions)


def _jumps(lines: list[str]) -> int:
    """An over-estimate of the jumps SPIN's d_step code generator counts in ``lines``."""
    return sum(ln.count("::") + ln.count("goto") + ln.count("fi") + ln.count(":") for ln in lines)


def _paren(x: str) -> str:
    return x if x.startswith("(") and x.endswith(")") else f"({x})"


def _slots(e: Expr) -> set[int]:
    return {n.value.slot for n in _walk(e) if n.op == "var"}


def _slots_outside_next(e: Expr, acc: set[int]) -> None:
    if e.op == "next":
        return
    if e.op == "var":
        acc.add(e.value.slot)
    for a in e.args:
        _slots_outside_next(a, acc)


def _assigned(body: list[Stmt]) -> set[int]:
    from checker.lang.system import assigned_slots

    return assigned_slots(body)


def to_promela(system: System, properties: list[Property]) -> PromelaModel:
    """The Promela model of ``system`` checking the safety ``properties`` (others are left out)."""
    return PromelaWriter(system, properties).write()


__all__ = ["PromelaModel", "STATE_OFFSET", "Unsupported", "to_promela"]
