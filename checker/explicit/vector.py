"""Whole-frontier expansion with numpy: the explicit engine's fastest path.

States are packed exactly as in :mod:`checker.explicit.packed` (same :class:`Layout`), into
one int64 when the layout needs at most 62 bits. A BFS level is expanded one *transition* at
a time over the whole frontier: the transition's IR is evaluated on arrays (one lane per
frontier state) — the leading awaits select the lanes, the body runs with masks for
``if``/``else`` and later awaits, array indices that depend on the state pick among fields
lane by lane, sequences are codes operated on digit by digit — and the successor keys are
derived from the parent keys by adding ``(new - old) << off`` for the fields written. Then
the level is deduplicated by sorting (the first successor of each key, in the order the
sequential search would meet it: frontier position, then transition index), checked against
the sorted array of visited keys, and the new states' invariants are evaluated on arrays.

The per-lane semantics is the one of :mod:`checker.lang.pycompile`: every operation is made
total on lanes where it would fail, and the failure is reported as an *error lane* when that
lane is live (selected by the awaits and branches so far). An error lane is never decided
here: the explorer re-runs the generic semantics on that state for the message and trace.

:class:`VectorKernel` raises :class:`checker.explicit.packed.Unsupported` for systems it cannot
take (more than 62 bits of state, array values, transition invariants, an invariant or end-state
predicate that can fail, such as the head of a possibly empty list); the explorer then keeps
to the packed kernel.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from checker.explicit.packed import Layout, SeqDigits, Unsupported, _range, seq_decode, seq_digits
from checker.lang.expr import Expr
from checker.lang.pycompile import CompiledSystem, needs_range_check
from checker.lang.system import Assign, If, Let, Property, Require, Stmt, Transition
from checker.lang.types import Array, BoolType, Seq

I64 = np.int64
MAX_BITS = 62  # keys stay non-negative int64 with a bit to spare for deltas


class LaneError(Exception):
    """Some live lane hit a modelling error; ``pos`` is the smallest frontier position among them."""

    def __init__(self, pos: int) -> None:
        super().__init__(pos)
        self.pos = pos


class _Lanes:
    """The values one transition sees: frontier keys (a subset of the level's), field arrays
    read lazily from the keys, fields written so far, step-local names, and the live mask."""

    def __init__(self, vk: VectorKernel, keys: np.ndarray, pos: np.ndarray, cache: dict[int, np.ndarray],
                 outer: tuple[dict[int, np.ndarray], np.ndarray] | None = None) -> None:
        self.vk = vk
        self.keys = keys
        self.pos = pos  # frontier position of each lane
        self.cache = cache  # field -> values of the unmodified state
        self.outer = outer  # a wider lane set's cache and the lanes taken from it (gathered on demand)
        self.written: dict[int, np.ndarray] = {}
        self.temps: dict[str, Any] = {}
        self.alive: np.ndarray | None = None  # None: all lanes alive

    def field(self, f: int) -> np.ndarray:
        w = self.written.get(f)
        if w is not None:
            return w
        return self.orig(f)

    def orig(self, f: int) -> np.ndarray:
        """Field ``f`` of the states before the step."""
        v = self.cache.get(f)
        if v is None:
            if self.outer is not None and f in self.outer[0]:
                v = self.outer[0][f][self.outer[1]]
            else:
                v = self.vk.extract(self.keys, f)
            self.cache[f] = v
        return v

    def narrow(self, sel: np.ndarray) -> _Lanes:
        """The lanes ``sel`` of this (unmodified) lane set."""
        return _Lanes(self.vk, self.keys[sel], self.pos[sel], {}, (self.cache, sel))

    def live(self, active: np.ndarray | None) -> np.ndarray | None:
        if active is None:
            return self.alive
        return active if self.alive is None else active & self.alive

    def fail(self, bad: Any, active: np.ndarray | None) -> None:
        """Report lanes where ``bad`` holds and which are live."""
        bad = np.asarray(bad, dtype=bool)
        if not bad.any():
            return
        live = self.live(active)
        if bad.ndim == 0:
            bad = np.full(len(self.keys), True)
        if live is not None:
            bad = bad & live
        hit = np.flatnonzero(bad)
        if len(hit):
            raise LaneError(int(self.pos[hit[0]]))


def _b(x: Any) -> Any:
    """As a Boolean array (or scalar)."""
    return np.asarray(x, dtype=bool) if isinstance(x, np.ndarray) else bool(x)


def _full(x: Any, n: int) -> np.ndarray:
    """``x`` as an array of ``n`` lanes (scalars repeated)."""
    if isinstance(x, np.ndarray) and x.shape == (n,):
        return x
    return np.full(n, x, dtype=x.dtype if isinstance(x, np.ndarray) else None)


class VectorKernel:
    """The vectorised semantics of one configuration (see the module docstring)."""

    def __init__(self, compiled: CompiledSystem, invariants: list[Property], predicates: list[Expr]) -> None:
        system = compiled.system
        self.system = system
        self.layout = lay = Layout(system)
        if lay.bits > MAX_BITS:
            raise Unsupported(f"{lay.bits} bits of state (numpy path: at most {MAX_BITS})")
        self.offs = np.array([f.off for f in lay.fields], dtype=I64)
        self.invariants = invariants
        self.temp_len: dict[str, int] = {}  # step-local sequence names: the longest value bound to them
        for t in system.transitions:
            self._check_stmts(t.body)
        for e in [p.expr for p in invariants] + predicates:
            self._check_expr(e)
            self._check_total(e)

    # -- what the translation accepts (decided once, so a level never meets Unsupported)
    def _check_stmts(self, body: list[Stmt]) -> None:
        for s in body:
            if isinstance(s, Require):
                self._check_expr(s.cond)
            elif isinstance(s, Let):
                self._check_expr(s.value)
                if isinstance(s.value.typ, Seq):
                    self.temp_len[s.name] = max(self.temp_len.get(s.name, 0), self.maxlen(s.value))
            elif isinstance(s, If):
                self._check_expr(s.cond)
                self._check_stmts(s.then)
                self._check_stmts(s.orelse)
            elif isinstance(s, Assign):
                typ = s.var.typ
                for p in s.path:
                    self._check_expr(p)
                    typ = typ.elem  # type: ignore[attr-defined]
                if isinstance(typ, Array):
                    raise Unsupported("whole-array assignment")
                self._check_expr(s.value)

    def _check_expr(self, e: Expr) -> None:
        if e.op in ("next", "store"):
            raise Unsupported(f"operator {e.op!r}")
        if isinstance(e.typ, Array) and e.op not in ("var", "index"):
            raise Unsupported("array-valued expression")
        if isinstance(e.typ, Seq):
            if self.maxlen(e) * seq_digits(e.typ).ew > MAX_BITS:
                raise Unsupported("sequence values too long for int64 codes")
        for a in e.args:
            self._check_expr(a)

    def maxlen(self, e: Expr) -> int:
        """The longest value a sequence expression can have (capacity of variables; pushes add one)."""
        op = e.op
        if op == "lit":
            return len(e.value)
        if op == "temp":
            return self.temp_len.get(e.value, e.typ.capacity)  # type: ignore[attr-defined]
        if op in ("push_back", "push_front"):
            return self.maxlen(e.args[0]) + 1
        if op == "concat":
            return self.maxlen(e.args[0]) + self.maxlen(e.args[1])
        if op in ("pop_front", "remove"):
            return self.maxlen(e.args[0])
        if op == "ite":
            return max(self.maxlen(e.args[1]), self.maxlen(e.args[2]))
        return e.typ.capacity  # type: ignore[attr-defined]  # variables and elements of arrays

    # -- fields
    def extract(self, keys: np.ndarray, f: int) -> np.ndarray:
        fld = self.layout.fields[f]
        v = (keys >> fld.off) & ((1 << fld.width) - 1)
        if fld.lo and not isinstance(fld.typ, Seq):
            v = v + fld.lo
        return v

    # -- expressions over lanes
    def ref(self, e: Expr, ln: _Lanes, active: np.ndarray | None) -> tuple[list[Any], Any]:
        """Candidate shapes of an array-valued place and the lane-wise index choosing (None: static)."""
        if e.op == "var":
            return [self.layout.shape[e.value.slot]], None
        assert e.op == "index"
        shapes, lin = self.ref(e.args[0], ln, active)
        size = e.args[0].typ.size  # type: ignore[attr-defined]
        ix = e.args[1]
        if ix.op == "lit":
            if not 0 <= ix.value < size:
                ln.fail(True, active)
            return [s[min(max(ix.value, 0), size - 1)] for s in shapes], lin
        i = self.ex(ix, ln, active)
        ln.fail((i < 0) | (i >= size), active)
        i = np.clip(i, 0, size - 1)
        lin = i if lin is None else lin * size + i
        return [s[j] for s in shapes for j in range(size)], lin

    def read(self, e: Expr, ln: _Lanes, active: np.ndarray | None) -> Any:
        shapes, lin = self.ref(e, ln, active)
        if lin is None:
            return ln.field(shapes[0])
        cols = np.stack([ln.field(s) for s in shapes])
        return cols[_full(lin, len(ln.keys)), np.arange(len(ln.keys))]

    def seq(self, e: Expr) -> SeqDigits:
        return seq_digits(e.typ)  # type: ignore[arg-type]

    def ex(self, e: Expr, ln: _Lanes, active: np.ndarray | None) -> Any:  # noqa: C901 - one case per operator
        op = e.op
        if op == "lit":
            if isinstance(e.typ, Seq):
                si = self.seq(e)
                return sum((int(x) - si.lo + 1) << (k * si.ew) for k, x in enumerate(e.value))
            return int(e.value) if isinstance(e.value, bool) else e.value
        if op == "var" or (op == "index" and isinstance(e.args[0].typ, Array)):
            return self.read(e, ln, active)
        if op == "temp":
            return ln.temps[e.value]
        if op == "and":
            out: Any = True
            for x in e.args:
                out = np.logical_and(out, self.ex(x, ln, active))
            return out
        if op == "or":
            out = False
            for x in e.args:
                out = np.logical_or(out, self.ex(x, ln, active))
            return out
        a = [self.ex(x, ln, active) for x in e.args]
        if op in ("+", "-", "*", "==", "!=", "<", "<=", ">", ">="):
            return _BIN[op](a[0], a[1])
        if op in ("//", "%"):
            ln.fail(np.asarray(a[1]) == 0, active)
            d = np.where(np.asarray(a[1]) == 0, 1, a[1])
            return a[0] // d if op == "//" else a[0] % d
        if op == "neg":
            return -np.asarray(a[0], dtype=I64)
        if op == "not":
            return np.logical_not(a[0])
        if op == "implies":
            return np.logical_or(np.logical_not(a[0]), a[1])
        if op == "ite":
            return np.where(a[0], a[1], a[2])
        if op == "min":
            return np.minimum(a[0], a[1])
        if op == "max":
            return np.maximum(a[0], a[1])
        if op == "bitor":
            return np.bitwise_or(a[0], a[1])
        if op == "bitclear":
            return np.bitwise_and(a[0], np.invert(np.asarray(a[1], dtype=I64)))
        if op == "has_all":
            return np.bitwise_and(a[0], a[1]) == a[1]
        if op == "has_any":
            return np.bitwise_and(a[0], a[1]) != 0
        # sequences: codes, element k (head first) as a digit v - lo + 1 of ew bits
        si = self.seq(e.args[0])
        c = np.asarray(a[0], dtype=I64)
        n = self.maxlen(e.args[0])
        if op == "len":
            return _slen(c, si, n)
        if op == "head":
            ln.fail(c == 0, active)
            return (c & si.m) + (si.lo - 1)
        if op == "pop_front":
            ln.fail(c == 0, active)
            return c >> si.ew
        if op == "index":
            i = np.asarray(a[1], dtype=I64)
            ln.fail((i < 0) | (i >= _slen(c, si, n)), active)
            return ((c >> (np.clip(i, 0, n) * si.ew)) & si.m) + (si.lo - 1)
        if op == "concat":
            d = np.asarray(a[1], dtype=I64)
            return c | (d << (_slen(c, si, n) * si.ew))
        d = np.asarray(a[1], dtype=I64) + (1 - si.lo)  # the element's digit
        if op == "push_back":
            return c | (d << (_slen(c, si, n) * si.ew))
        if op == "push_front":
            return (c << si.ew) | d
        if op in ("contains", "count"):
            cnt: Any = 0
            for k in range(n):
                cnt = cnt + (((c >> (k * si.ew)) & si.m) == d)
            return cnt > 0 if op == "contains" else cnt
        if op == "remove":
            first = np.full(c.shape, -1, dtype=I64)
            for k in reversed(range(n)):
                first = np.where(((c >> (k * si.ew)) & si.m) == d, k, first)
            k = np.maximum(first, 0) * si.ew
            cut = (c & ((np.int64(1) << k) - 1)) | ((c >> (k + si.ew)) << k)
            return np.where(first < 0, c, cut)
        raise Unsupported(f"operator {op!r}")

    # -- statements
    def run_body(self, body: list[Stmt], ln: _Lanes, active: np.ndarray | None) -> None:
        for s in body:
            if isinstance(s, Require):
                ok = _b(self.ex(s.cond, ln, active))
                blocked = np.logical_not(ok) if active is None else active & np.logical_not(ok)
                keep = np.logical_not(_full(blocked, len(ln.keys)))
                ln.alive = keep if ln.alive is None else ln.alive & keep
            elif isinstance(s, Let):
                v = self.ex(s.value, ln, active)
                old = ln.temps.get(s.name)
                ln.temps[s.name] = v if active is None or old is None else np.where(active, v, old)
            elif isinstance(s, If):
                c = _full(_b(self.ex(s.cond, ln, active)), len(ln.keys))
                self.run_body(s.then, ln, c if active is None else active & c)
                if s.orelse:
                    nc = np.logical_not(c)
                    self.run_body(s.orelse, ln, nc if active is None else active & nc)
            else:
                self.assign(s, ln, active)

    def assign(self, s: Assign, ln: _Lanes, active: np.ndarray | None) -> None:
        target: Expr = s.var.expr
        for p in s.path:
            target = Expr("index", (target, p), target.typ.elem)  # type: ignore[attr-defined]
        shapes, lin = self.ref(target, ln, active)
        v = _full(np.asarray(self.ex(s.value, ln, active), dtype=I64), len(ln.keys))
        typ = target.typ
        if needs_range_check(typ, s.value):
            if isinstance(typ, Seq):
                si = self.seq(target)
                ln.fail((v >> (si.ew * typ.capacity)) != 0, active)
            else:
                lo, hi = _range(typ)
                ln.fail((v < lo) | (v > hi), active)
        for j, sh in enumerate(shapes):
            sel = active if lin is None else (lin == j if active is None else active & (lin == j))
            ln.written[sh] = v if sel is None else np.where(sel, v, ln.field(sh))

    # -- one transition over (part of) a frontier
    def expand(self, t: Transition, keys: np.ndarray, pos: np.ndarray,
               cache: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Successor keys of ``t`` and the frontier positions they come from (lanes where it is enabled).

        Raises :class:`LaneError` when a live lane hits a modelling error."""
        body = list(t.body)
        ln = _Lanes(self, keys, pos, cache)
        while body and isinstance(body[0], Require):
            ok = _full(_b(self.ex(body.pop(0).cond, ln, None)), len(ln.keys))  # type: ignore[union-attr]
            sel = np.flatnonzero(ok)
            if len(sel) < len(ln.keys):
                ln = ln.narrow(sel)
            if not len(sel):
                return ln.keys, ln.pos
        self.run_body(body, ln, None)
        out = ln.keys
        if ln.written:
            delta = np.zeros(len(out), dtype=I64)
            for f, w in ln.written.items():
                delta += (w - ln.orig(f)) << int(self.offs[f])
            out = out + delta
        if ln.alive is not None:
            sel = np.flatnonzero(ln.alive)
            return out[sel], ln.pos[sel]
        return out, ln.pos

    # -- state predicates (invariants, allowed end states) over keys
    def holds(self, e: Expr, keys: np.ndarray) -> np.ndarray:
        """Lane-wise value of the state predicate ``e`` (total: see :meth:`_check_total`)."""
        ln = _Lanes(self, keys, np.arange(len(keys)), {})
        return _full(_b(self.ex(e, ln, None)), len(keys))

    def _check_total(self, e: Expr) -> None:
        """State predicates here may not fail (no head of an empty list in an invariant): a failing
        lane would have no sequential counterpart to defer to."""
        if e.op in PARTIAL or (e.op == "index" and isinstance(e.args[0].typ, Seq)):
            raise Unsupported(f"partial operator {e.op!r} in a state predicate")
        if e.op == "index" and isinstance(e.args[0].typ, Array):
            ix, size = e.args[1], e.args[0].typ.size
            lo, hi = (ix.value, ix.value) if ix.op == "lit" else _range(ix.typ)
            if not (0 <= lo and hi < size):
                raise Unsupported("array index that may leave the array in a state predicate")
        for a in e.args:
            self._check_total(a)


PARTIAL = ("head", "pop_front", "//", "%")


def unpack_all(lay: Layout, keys: np.ndarray, chunk: int = 1 << 16) -> Iterator[tuple]:
    """The logical states of one-word keys, as :meth:`Layout.unpack` gives them, a chunk of keys
    at a time (each field extracted for the whole chunk by numpy)."""
    for a in range(0, len(keys), chunk):
        part = keys[a:a + chunk]
        cols: list[list[Any]] = []
        for f in lay.fields:
            raw = ((part >> f.off) & ((1 << f.width) - 1)).tolist()
            if isinstance(f.typ, Seq):
                cols.append([seq_decode(c, f.ew, f.lo, f.typ.elem) for c in raw])
            elif isinstance(f.typ, BoolType):
                cols.append([bool(v) for v in raw])
            else:
                cols.append([v + f.lo for v in raw] if f.lo else raw)
        rows = zip(*cols)
        build = _builder(lay.shape)
        for row in rows:
            yield build(row)


def _builder(shape: list[Any]) -> Any:
    """A function from a row of field values to the nested state tuple (arrays as nested tuples)."""
    def src(sh: Any) -> str:
        return "(" + "".join(src(x) + ", " for x in sh) + ")" if isinstance(sh, list) else f"r[{sh}]"
    return eval("lambda r: " + src(shape))  # generated once per layout: one tuple display per state


_BIN: dict[str, Any] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "==": np.equal, "!=": np.not_equal,
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
}


def _slen(c: np.ndarray, si: SeqDigits, n: int) -> np.ndarray:
    out = np.zeros(c.shape, dtype=I64)
    for k in range(n):
        out += ((c >> (k * si.ew)) & si.m) != 0
    return out


__all__ = ["LaneError", "VectorKernel"]
