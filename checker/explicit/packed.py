"""Packed states and a specialised BFS kernel: the explicit engine's fast path.

The logical state (nested tuples, see :mod:`checker.lang.pycompile`) is flattened into
scalar *fields* — one per array element, one per sequence — and packed into one Python
int: each field ``f`` holds ``value - lo`` in ``width`` bits at bit ``off``. A sequence of
scalars is one field whose value is its *code*: element k (head first) stored as
``v - lo + 1`` in ``ew`` bits at bit ``k * ew`` (0 marks the end), so the packing is a
bijection and a packed key identifies a state exactly.

For one configuration the kernel source is generated once: it unpacks a frontier state's
fields into locals, runs every transition in system order on those locals (the same
statements as :mod:`checker.lang.pycompile`, with array indices resolved to fields, dynamic
indices to a choice among fields), derives the successor's key from the parent's key by
adding ``(new - old) << off`` for the fields the step wrote, and checks the invariants on
the successor's locals only when its key is new. No tuple is built per successor.

Specialisations, all derived from the IR of the configuration: several small fields are
unpacked by one table lookup; a step-local ``i := e`` of a small range that the step uses as
an array index gets one body per value (so every index is a constant and the step writes
only its own fields); steps that only add constants to integer fields (``pending[i] += 1``)
change the key by a constant and skip range checks their awaits make impossible; the
parent satisfies every invariant, so a successor re-checks only the conjuncts that read a
field the step wrote; ``count``/``contains``/``len`` of small sequence types are table
lookups.

The kernel never decides a verdict: anything unusual — a violating state, a state without
successors, a modelling error — goes back to the explorer, which rebuilds logical states
and uses the generic semantics (so messages and traces are the generic engine's).
Unsupported IR (array-valued expressions other than variables, sequences of non-scalars,
transition invariants) makes :func:`build_kernel` raise :class:`Unsupported`; the explorer
then uses the generic loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import blake2b
from typing import Any, Callable, NamedTuple

from checker.explicit.fingerprint import BITS as FP_BITS
from checker.lang.expr import BIT_OP_TEXT, Expr
from checker.lang.pycompile import CompiledSystem, StatementWriter, has_require, needs_range_check, scalar_py
from checker.lang.system import Assign, If, Let, Property, Require, Stmt, System, Transition
from checker.lang.types import Array, BoolType, Int, Seq, Type, value_range


FP_BYTES = FP_BITS // 8


class Unsupported(Exception):
    """The system uses something the packed kernel does not translate."""


@dataclass
class Field:
    what: str  # e.g. pending[1]
    typ: Type  # a scalar type, or a Seq of scalars
    lo: int  # scalar: lowest value; sequence: lowest element value
    width: int
    off: int = 0
    ew: int = 0  # sequence: bits per element
    cap: int = 0  # sequence: capacity


class SeqDigits(NamedTuple):
    """How a sequence of scalars is coded: element ``v`` is the digit ``v - lo + 1`` of ``ew`` bits."""

    lo: int
    ew: int
    m: int  # digit mask


def seq_digits(t: Seq) -> SeqDigits:
    lo, hi = _range(t.elem)
    ew = (hi - lo + 1).bit_length()
    return SeqDigits(lo, ew, (1 << ew) - 1)


def _range(t: Type) -> tuple[int, int]:
    r = value_range(t)
    if r is None:
        raise Unsupported(f"type {t!r}")
    return r


class Layout:
    """Where each scalar location of a state lives in the packed key."""

    def __init__(self, system: System) -> None:
        self.fields: list[Field] = []
        self.shape: list[Any] = []  # per variable: a field index, or nested lists for arrays
        for v in system.vars:
            self.shape.append(self._add(v.name, v.typ))
        off = 0
        for f in self.fields:
            f.off = off
            off += f.width
        self.bits = off

    def _add(self, what: str, t: Type) -> Any:
        if isinstance(t, Array):
            return [self._add(f"{what}[{i}]", t.elem) for i in range(t.size)]
        if isinstance(t, Seq):
            lo, ew, _ = seq_digits(t)
            self.fields.append(Field(what, t, lo, ew * t.capacity, ew=ew, cap=t.capacity))
        else:
            lo, hi = _range(t)
            self.fields.append(Field(what, t, lo, (hi - lo).bit_length()))
        return len(self.fields) - 1

    # -- conversions (slow; for initial states, traces and errors)
    def pack(self, state: tuple) -> int:
        key = 0
        for shape, value in zip(self.shape, state):
            key = self._pack(shape, value, key)
        return key

    def _pack(self, shape: Any, value: Any, key: int) -> int:
        if isinstance(shape, list):
            for sh, v in zip(shape, value):
                key = self._pack(sh, v, key)
            return key
        f = self.fields[shape]
        if isinstance(f.typ, Seq):
            code = 0
            for k, x in enumerate(value):
                code |= (int(x) - f.lo + 1) << (k * f.ew)
            return key | code << f.off
        return key | (int(value) - f.lo) << f.off

    def unpack(self, key: int) -> tuple:
        fn = self.__dict__.get("_unpacker")
        if fn is None:
            fn = self._unpacker = self._compile_unpack()
        return fn(key)  # type: ignore[no-any-return]

    def unpack_slots(self, slots: set[int]) -> Callable[[int], tuple]:
        """A function from a key to the state with only the variables ``slots`` unpacked (the others
        None): enough to evaluate an expression that reads only those, at a fraction of the cost."""
        return self._compile_unpack(slots)

    def _compile_unpack(self, slots: set[int] | None = None) -> Callable[[int], tuple]:
        """One generated expression per state shape: unpacking is on the path of every violating state."""
        def src(sh: Any) -> str:
            if isinstance(sh, list):
                return "(" + "".join(src(x) + ", " for x in sh) + ")"
            f = self.fields[sh]
            raw = f"(k >> {f.off} & {(1 << f.width) - 1})"
            if isinstance(f.typ, Seq):
                return f"_dec({raw}, {f.ew}, {f.lo}, _T{sh})"
            if isinstance(f.typ, BoolType):
                return f"({raw} != 0)" if f.lo == 0 else f"({raw} + {f.lo} != 0)"
            return f"({raw} {f.lo:+d})" if f.lo else raw
        ns: dict[str, Any] = {"_dec": seq_decode}
        ns.update({f"_T{i}": f.typ.elem for i, f in enumerate(self.fields) if isinstance(f.typ, Seq)})
        body = src(self.shape) if slots is None else \
            "(" + "".join((src(sh) if i in slots else "None") + ", " for i, sh in enumerate(self.shape)) + ")"
        exec(compile("def unpack(k):\n    return " + body + "\n", "<unpack>", "exec"), ns)
        return ns["unpack"]  # type: ignore[no-any-return]

    def _unpack(self, shape: Any, key: int) -> Any:
        if isinstance(shape, list):
            return tuple(self._unpack(sh, key) for sh in shape)
        f = self.fields[shape]
        raw = key >> f.off & ((1 << f.width) - 1)
        if isinstance(f.typ, Seq):
            return seq_decode(raw, f.ew, f.lo, f.typ.elem)
        return _scalar(f.typ, raw + f.lo)


def _scalar(t: Type, v: int) -> Any:
    return bool(v) if isinstance(t, BoolType) else v


def seq_decode(code: int, ew: int, lo: int, elem: Type) -> tuple:
    out = []
    m = (1 << ew) - 1
    while code:
        out.append(_scalar(elem, (code & m) - 1 + lo))
        code >>= ew
    return tuple(out)


# ---------------------------------------------------------------- runtime helpers for sequence codes


def _empty() -> int:
    raise IndexError("element of an empty sequence")


def _slen(c: int, ew: int) -> int:
    return (c.bit_length() + ew - 1) // ew


def _sget(c: int, i: int, ew: int) -> int:
    if i < 0 or i >= _slen(c, ew):
        raise IndexError(f"index {i} out of 0..{_slen(c, ew) - 1}")
    return c >> (i * ew) & ((1 << ew) - 1)


def _scount(c: int, d: int, ew: int, m: int) -> int:
    n = 0
    while c:
        if c & m == d:
            n += 1
        c >>= ew
    return n


def _scont(c: int, d: int, ew: int, m: int) -> bool:
    while c:
        if c & m == d:
            return True
        c >>= ew
    return False


def _sremove(c: int, d: int, ew: int, m: int) -> int:
    k = 0
    while c >> k:
        if c >> k & m == d:
            return (c & ((1 << k) - 1)) | (c >> (k + ew) << k)
        k += ew
    return c


TABLE_BITS = 18  # sequence types with codes of at most this many bits get a digit-count table


def count_table(ew: int, cap: int, values: int) -> list:
    """``T[code][d]``: how often digit ``d`` occurs in ``code``, ``T[code][0]`` its length
    (None for codes that are not sequences)."""
    table: list = [None] * (1 << (ew * cap))
    interned: dict[tuple, tuple] = {}
    codes = [0]
    table[0] = interned.setdefault((0,) * (1 << ew), (0,) * (1 << ew))
    for k in range(cap):
        nxt = []
        for c in codes:
            if _slen(c, ew) != k:
                continue
            for d in range(1, values + 1):
                c2 = c | d << (k * ew)
                row = list(table[c])
                row[d] += 1
                row[0] += 1  # column 0 (no element is digit 0): the length
                table[c2] = interned.setdefault(tuple(row), tuple(row))
                nxt.append(c2)
        codes += nxt
    return table


def _bc(i: int, n: int) -> int:
    if not 0 <= i < n:
        raise IndexError(f"index {i} out of 0..{n - 1}")
    return i


_HELPERS: dict[str, Any] = {
    "_empty": _empty, "_slen": _slen, "_sget": _sget, "_scount": _scount, "_scont": _scont,
    "_sremove": _sremove, "_bc": _bc,
}


# ---------------------------------------------------------------- code generation


@dataclass
class _Ref:
    """An array-valued place: candidate shapes and, when more than one, the linear index choosing."""

    shapes: list[Any]
    lin: str | None


class _Gen(StatementWriter):
    """Translates IR to Python over field locals (``names[f]`` holds field f's current value)."""

    def __init__(self, layout: Layout, names: list[str], tables: dict[str, list] | None = None) -> None:
        self.lay = layout
        self.names = names
        self.tables: dict[str, list] = {} if tables is None else tables
        self.rows: dict[tuple[str, str], str] | None = None  # when set: table rows bound once (see bind_rows)
        self.lines: list[str] = []
        self.n = 0

    def tmp(self) -> str:
        self.n += 1
        return f"_t{self.n}"

    def table(self, t: Seq) -> str | None:
        """Name of the digit-count table of sequence type ``t`` (None when too big to tabulate)."""
        _, ew, _ = seq_digits(t)
        if ew * t.capacity > TABLE_BITS:
            return None
        name = f"_T{ew}_{t.capacity}"
        if name not in self.tables:
            lo, hi = _range(t.elem)
            self.tables[name] = count_table(ew, t.capacity, hi - lo + 1)
        return name

    def bind_rows(self, ind: str) -> list[str]:
        """Lines binding the table rows that expressions generated so far use."""
        return [f"{ind}{var} = {tab}[{code}]" for (tab, code), var in (self.rows or {}).items()]

    def seqf(self, e: Expr) -> tuple[int, int, int]:
        """(element lo, element width, digit mask) of a sequence-typed expression."""
        assert isinstance(e.typ, Seq)
        return seq_digits(e.typ)

    def ref(self, e: Expr) -> _Ref:
        if e.op == "var":
            return _Ref([self.lay.shape[e.value.slot]], None)
        if e.op == "index" and isinstance(e.args[0].typ, Array):
            base = self.ref(e.args[0])
            size = e.args[0].typ.size
            ix = e.args[1]
            if ix.op == "lit":
                if not 0 <= ix.value < size:
                    raise Unsupported("constant index out of bounds")
                return _Ref([s[ix.value] for s in base.shapes], base.lin)
            code = self.ex(ix)
            lo, hi = _range(ix.typ) if not isinstance(ix.typ, (Array, Seq)) else (0, 0)
            if not (0 <= lo and hi < size):
                code = f"_bc({code}, {size})"
            lin = code if base.lin is None else f"({base.lin} * {size} + {code})"
            return _Ref([s[j] for s in base.shapes for j in range(size)], lin)
        raise Unsupported(f"array-valued expression {e.op!r}")

    def read(self, r: _Ref) -> str:
        if any(isinstance(s, list) for s in r.shapes):
            raise Unsupported("array used as a value")
        if r.lin is None:
            return self.names[r.shapes[0]]
        return "(" + ", ".join(self.names[s] for s in r.shapes) + f",)[{r.lin}]"  # trailing comma: size-1 arrays

    def ex(self, e: Expr) -> str:  # noqa: C901 - one case per operator
        op = e.op
        if isinstance(e.typ, Array):
            raise Unsupported("array used as a value")
        if op == "lit":
            if isinstance(e.typ, Seq):
                lo, ew, _ = self.seqf(e)
                code = 0
                for k, x in enumerate(e.value):
                    code |= (int(x) - lo + 1) << (k * ew)
                return repr(code)
            return repr(e.value)
        if op == "var":
            return self.read(self.ref(e))
        if op == "temp":
            return "l_" + e.value
        if op == "next":
            raise Unsupported("Next")
        if op == "index" and isinstance(e.args[0].typ, Array):
            return self.read(self.ref(e))
        if op in (">", "!=", "==") and e.args[0].op == "len" and e.args[1].op == "lit" and e.args[1].value == 0:
            code = self.ex(e.args[0].args[0])  # a sequence is empty exactly when its code is 0
            return f"({code} {'==' if op == '==' else '!='} 0)"
        a = [self.ex(x) for x in e.args]
        code = scalar_py(op, a)
        if code is not None:
            return code
        if op in BIT_OP_TEXT:
            return BIT_OP_TEXT[op].format(*a)
        # sequences (codes)
        lo, ew, m = self.seqf(e.args[0])
        d1 = f"{1 - lo:+d}" if lo != 1 else ""
        if len(e.args) > 1 and e.args[1].op == "lit" and not isinstance(e.args[1].typ, Seq):
            a[1], d1 = repr(int(e.args[1].value) + 1 - lo), ""  # the digit, folded
        tab = self.table(e.args[0].typ)
        row = f"{tab}[{a[0]}]"
        if tab is not None and self.rows is not None and a[0].isidentifier():
            row = self.rows.setdefault((tab, a[0]), f"_r{len(self.rows)}")
        if tab is not None and op in ("contains", "count"):
            # per-code digit counts, precomputed for small sequence types
            cnt = f"{row}[{a[1]}{d1}]"
            return f"({cnt} > 0)" if op == "contains" else cnt
        if op == "len":
            return f"{row}[0]" if tab else f"_slen({a[0]}, {ew})"
        if op == "head":
            return f"((({a[0]} & {m}) if {a[0]} else _empty()) {lo - 1:+d})"
        if op == "index":
            return f"(_sget({a[0]}, {a[1]}, {ew}) {lo - 1:+d})"
        if op == "contains":
            return f"_scont({a[0]}, {a[1]}{d1}, {ew}, {m})"
        if op == "count":
            return f"_scount({a[0]}, {a[1]}{d1}, {ew}, {m})"
        if op == "push_back":
            ln = f"{tab}[{a[0]}][0]" if tab else f"_slen({a[0]}, {ew})"
            return f"({a[0]} | (({a[1]}{d1}) << ({ln} * {ew})))"
        if op == "push_front":
            return f"(({a[0]} << {ew}) | ({a[1]}{d1}))"
        if op == "pop_front":
            return f"(({a[0]} >> {ew}) if {a[0]} else _empty())"
        if op == "remove":
            return f"_sremove({a[0]}, {a[1]}{d1}, {ew}, {m})"
        if op == "concat":
            return f"({a[0]} | ({a[1]} << (_slen({a[0]}, {ew}) * {ew})))"
        raise Unsupported(f"operator {op!r}")

    # -- statements (block() is the shared StatementWriter's)
    def target(self, s: Assign) -> tuple[Expr, _Ref]:
        """The scalar location an assignment writes, and its candidate fields."""
        target: Expr = s.var.expr
        for p in s.path:
            target = Expr("index", (target, p), target.typ.elem)  # type: ignore[attr-defined]
        if isinstance(target.typ, Array):
            raise Unsupported("whole-array assignment")
        return target, self.ref(target)

    def assign(self, s: Assign, ind: str) -> None:
        target, r = self.target(s)
        value = self.ex(s.value)
        typ = target.typ
        if needs_range_check(typ, s.value):
            # any out-of-range value is a modelling error: the explorer re-runs the generic step
            v = self.tmp()
            self.lines.append(f"{ind}{v} = {value}")
            if isinstance(typ, Seq):
                lo, ew, _ = self.seqf(target)
                self.lines.append(f"{ind}if {v}.bit_length() > {ew * typ.capacity}: raise _Bad")
            else:
                lo, hi = _range(typ)
                self.lines.append(f"{ind}if not {lo} <= {v} <= {hi}: raise _Bad")
            value = v
        if r.lin is None:
            self.lines.append(f"{ind}{self.names[r.shapes[0]]} = {value}")
            return
        i = self.tmp()
        self.lines.append(f"{ind}{i} = {r.lin}")
        for j, sh in enumerate(r.shapes):
            kw = "if" if j == 0 else "elif"
            self.lines.append(f"{ind}{kw} {i} == {j}: {self.names[sh]} = {value}")


def _written(gen: _Gen, body: list[Stmt], acc: set[int]) -> set[int]:
    for s in body:
        if isinstance(s, Assign):
            target: Expr = s.var.expr
            for p in s.path:
                target = Expr("index", (target, p), target.typ.elem)  # type: ignore[attr-defined]
            r = gen.ref(target)
            for sh in r.shapes:
                acc.update(_leaves(sh))
        elif isinstance(s, If):
            _written(gen, s.then, acc)
            _written(gen, s.orelse, acc)
    return acc


def _leaves(shape: Any) -> list[int]:
    return [x for s in shape for x in _leaves(s)] if isinstance(shape, list) else [shape]


class _Bad(Exception):
    """An out-of-range value in the kernel: the explorer re-runs the generic step for the message."""


# ---------------------------------------------------------------- the kernel


@dataclass
class Kernel:
    """A compiled level-expansion function for one configuration (see the module docstring)."""

    layout: Layout
    run: Callable[..., tuple[int, int]]
    source: str


def build_kernel(compiled: CompiledSystem, invariants: list[Property], fingerprint: bool = False) -> Kernel:
    """Generate the kernel; raises :class:`Unsupported` when the system needs the generic loop.

    ``run(fk, fi, start, stop, seen, parent, via, nk, viol, dead, fired, n, max_n, at, vbad, brk)``
    expands frontier positions ``start..stop`` (keys ``fk``, state indices ``fi``) and returns
    ``(position reached, n)``; ``n`` is the index the next new state gets. New keys go to
    ``seen`` (their 64-bit BLAKE2b fingerprints when ``fingerprint``, see
    checker.explicit.fingerprint), ``parent``/``via`` and the next frontier ``nk``; those that
    violate an invariant also to ``viol`` as ``(index, key)``. ``vbad`` holds the indices of the
    frontier states that violate an invariant (their successors are checked against every
    conjunct, the others' only against those reading a field the step wrote). States without
    successors go to ``dead`` (their positions). With ``brk`` it stops after a state that
    produced a violation or had no successors. It stops when ``n`` reaches ``max_n``.
    ``fired[t]`` counts successors of step ``t``; ``at``:
    ``at[2] = 1`` when ``max_n`` stopped it. On an exception ``at[0:2]`` are the position and ``n``
    at the start of the failing state.
    """
    system = compiled.system
    lay = Layout(system)
    nf = len(lay.fields)
    xs = [f"x{f}" for f in range(nf)]
    ntrans = len(system.transitions)
    L: list[str] = []
    L.append("def run(fk, fi, start, stop, seen, parent, via, nk, viol, dead, fired, n, max_n, at, vbad, brk):")
    L.append("    seen_add = seen.add; p_app = parent.append; v_app = via.append; nk_app = nk.append")
    L.append("    " + " = ".join(f"c{t}" for t in range(ntrans)) + " = 0")
    L.append("    pos = start")
    L.append("    n0 = n")
    L.append("    try:")
    L.append("     for here in range(start, stop):")
    L.append("        k = fk[here]; idx = fi[here]; n0 = n; pos = here + 1; pb = idx in vbad")
    unpack_tables: dict[str, list] = {}
    for group in _unpack_groups(lay):
        first = lay.fields[group[0]]
        width = sum(lay.fields[f].width for f in group)
        m = (1 << width) - 1
        sh = f"k >> {first.off}" if first.off else "k"
        if len(group) == 1:
            lo = first.lo if not isinstance(first.typ, Seq) else 0
            L.append(f"        x{group[0]} = ({sh} & {m}){lo:+d}" if lo else f"        x{group[0]} = {sh} & {m}")
        else:
            # several small fields at once: one table lookup and a tuple unpack
            name = f"_U{len(unpack_tables)}"
            unpack_tables[name] = _unpack_table(lay, group)
            L.append(f"        {', '.join(f'x{f}' for f in group)} = {name}[{sh} & {m}]")
    L.append("        en = 0")
    tables: dict[str, list] = {}
    probe = _Gen(lay, xs, tables)
    conj = [(c, _reads(probe, c)) for p in invariants for c in _conjuncts(p.expr)]
    for t in system.transitions:
        L += _transition(t, lay, xs, conj, fingerprint, "        ", tables)
    L.append("        if en == 0:")
    L.append("            dead.append(here)")
    L.append("            if brk: break")
    L.append("        if brk and viol:")
    L.append("            break")
    L.append("    except Exception:")
    L.append("        at[0] = pos - 1; at[1] = n0")
    L.append("        raise")
    L.append("    finally:")
    L.append("        " + "; ".join(f"fired[{t}] += c{t}" for t in range(ntrans)))
    L.append("    return pos, n")
    source = "\n".join(L) + "\n"
    ns: dict[str, Any] = dict(_HELPERS, _Bad=_Bad, _b2=blake2b, _ifb=int.from_bytes, **tables, **unpack_tables)
    exec(compile(source, f"<kernel {system.name}>", "exec"), ns)
    return Kernel(lay, ns["run"], source)


UNPACK_BITS = 12  # consecutive scalar fields of at most this many bits in all are unpacked by one table


def _unpack_groups(lay: Layout) -> list[list[int]]:
    groups: list[list[int]] = []
    cur: list[int] = []
    bits = 0
    for f, fld in enumerate(lay.fields):
        if isinstance(fld.typ, Seq) or fld.width > UNPACK_BITS:
            if cur:
                groups.append(cur)
            groups.append([f])
            cur, bits = [], 0
            continue
        if bits + fld.width > UNPACK_BITS and cur:
            groups.append(cur)
            cur, bits = [], 0
        cur.append(f)
        bits += fld.width
    if cur:
        groups.append(cur)
    return groups


def _unpack_table(lay: Layout, group: list[int]) -> list[tuple[int, ...]]:
    base = lay.fields[group[0]].off
    width = sum(lay.fields[f].width for f in group)
    out = []
    for v in range(1 << width):
        out.append(tuple((v >> (lay.fields[f].off - base) & ((1 << lay.fields[f].width) - 1)) + lay.fields[f].lo
                         for f in group))
    return out


def _transition(t: Transition, lay: Layout, xs: list[str], conj: list[tuple[Expr, set[int]]], fp: bool, ind: str,
                tables: dict[str, list]) -> list[str]:
    body = list(t.body)
    lead: list[Expr] = []
    while body and isinstance(body[0], Require):
        lead.append(body.pop(0).cond)  # type: ignore[union-attr]
    out = [f"{ind}# {t.key}"]
    rd = _Gen(lay, xs, tables)
    if lead:
        conds = [rd.ex(c) for c in lead]
        out.append(f"{ind}if " + " and ".join(conds) + ":")
        ind += "    "
    split = _split_let(body)
    if split is None:
        fast = _counter_step(t, body, lay, xs, conj, fp, ind, tables, _guard_bounds(rd, lead))
        out += fast if fast is not None else _tail(t, body, lay, xs, conj, fp, ind, tables)
        return out
    # ``i := e`` used as an array index below: one specialised body per value of i, so that
    # every index is a constant and the step writes (and re-checks) only the fields it touches.
    let, values = split
    out.append(f"{ind}l_{let.name} = {rd.ex(let.value)}")
    for j, v in enumerate(values):
        lit = Expr("lit", (), let.value.typ, v)
        rest = [Let(let.name, lit)] + [_subst_stmt(x, let.name, lit) for x in body[1:]]
        out.append(f"{ind}{'if' if j == 0 else 'elif'} l_{let.name} == {v}:")
        out += _tail(t, rest, lay, xs, conj, fp, ind + "    ", tables)
    out.append(f"{ind}else: raise _Bad")
    return out


def _record_successor(out: list[str], ind: str, tid: int, key_code: str, fp: bool) -> str:
    """Lines that count the step, compute the successor's key and, if it is new, record its parent
    and step; returns the indentation of the "new state" block."""
    out.append(f"{ind}en = 1; c{tid} += 1")
    out.append(f"{ind}k2 = {key_code}")
    key = "k2"
    if fp:  # checker.explicit.fingerprint.key_fingerprint, inlined
        out.append(f"{ind}h2 = _ifb(_b2(k2.to_bytes((k2.bit_length() + 7) >> 3, 'little'), digest_size={FP_BYTES})"
                   ".digest(), 'little')")
        key = "h2"
    out.append(f"{ind}if {key} not in seen:")
    i2 = ind + "    "
    out.append(f"{i2}seen_add({key}); p_app(idx); v_app({tid})")
    return i2


def _keep_or_report(out: list[str], i2: str, delta: tuple[_Gen, list[str]], full: tuple[_Gen, list[str]],
                    full_prelude: list[str] = ()) -> None:  # type: ignore[assignment]
    """Lines for a new successor: to the next frontier, and also to the violations if it fails an
    invariant conjunct. A parent that satisfies every invariant (``pb`` false) needs only the
    ``delta`` conjuncts (those reading a field the step wrote); a violating parent, the ``full``
    list (``full_prelude`` first). The store limit is checked after each new state."""
    out.append(f"{i2}nk_app(k2)")
    (dg, dchecks), (fg, fchecks) = delta, full
    if fchecks:
        out.append(f"{i2}if pb:")
        out += [f"{i2}    {x.strip()}" for x in full_prelude]
        out += fg.bind_rows(i2 + "    ")
        out.append(f"{i2}    if not (" + " and ".join(fchecks) + "): viol.append((n, k2))")
        if dchecks:
            out.append(f"{i2}else:")
            out += dg.bind_rows(i2 + "    ")
            out.append(f"{i2}    if not (" + " and ".join(dchecks) + "): viol.append((n, k2))")
    out.append(f"{i2}n += 1")
    out.append(f"{i2}if n >= max_n: at[0] = pos - 1; at[2] = 1; return pos, n")


def _checks(lay: Layout, names: list[str], tables: dict[str, list], conj: list[tuple[Expr, set[int]]],
            written: set[int] | None) -> tuple[_Gen, list[str]]:
    """The conjuncts to re-check in a successor: those reading a field in ``written`` (all when None)."""
    cg = _Gen(lay, names, tables)
    cg.rows = {}
    return cg, [cg.ex(c) for c, reads in conj if written is None or reads & written]


def _tail(t: Transition, body: list[Stmt], lay: Layout, xs: list[str], conj: list[tuple[Expr, set[int]]], fp: bool,
          ind: str, tables: dict[str, list]) -> list[str]:
    """From the guard on: the body on ``w`` copies, the successor's key, dedup and invariant checks."""
    out: list[str] = []
    probe = _Gen(lay, xs, tables)
    written = sorted(_written(probe, body, set()))
    names = [f"w{f}" if f in set(written) else xs[f] for f in range(len(xs))]
    for f in written:
        out.append(f"{ind}w{f} = x{f}")
    g = _Gen(lay, names, tables)
    loop = has_require(body)
    if loop:
        out.append(f"{ind}while True:")
        ind += "    "
    if body:
        g.block(body, ind)
    out += g.lines
    delta = " + ".join(f"((w{f} - x{f}) << {lay.fields[f].off})" if lay.fields[f].off else f"(w{f} - x{f})"
                       for f in written) or "0"
    i2 = _record_successor(out, ind, t.index, f"k + {delta}", fp)
    # A parent that satisfies every invariant needs only the conjuncts reading a field this step
    # may write to be re-checked in the successor.
    _keep_or_report(out, i2, _checks(lay, names, tables, conj, set(written)), _checks(lay, names, tables, conj, None))
    if loop:
        out.append(f"{ind}break")
    return out


def _static_field(gen: _Gen, e: Expr) -> int | None:
    """The field of a location with constant indices (``x``, ``a[2]``), else None."""
    if not (e.op == "var" or (e.op == "index" and isinstance(e.args[0].typ, Array))):
        return None
    try:
        r = gen.ref(e)
    except Unsupported:
        return None
    return r.shapes[0] if r.lin is None and isinstance(r.shapes[0], int) else None


def _guard_bounds(gen: _Gen, lead: list[Expr]) -> dict[int, tuple[int, int]]:
    """Intervals of integer fields implied by the leading awaits (``pending[0] < 4`` ...)."""
    out: dict[int, tuple[int, int]] = {}
    for c in [x for e in lead for x in _conjuncts(e)]:
        if c.op not in ("<", "<=", ">", ">=", "==") or c.args[1].op != "lit" or isinstance(c.args[1].value, bool):
            continue
        f = _static_field(gen, c.args[0])
        if f is None or not isinstance(gen.lay.fields[f].typ, Int):
            continue
        typ = gen.lay.fields[f].typ
        lo, hi = out.get(f, (typ.lo, typ.hi))
        v = int(c.args[1].value)
        if c.op == "<":
            hi = min(hi, v - 1)
        elif c.op == "<=":
            hi = min(hi, v)
        elif c.op == ">":
            lo = max(lo, v + 1)
        elif c.op == ">=":
            lo = max(lo, v)
        else:
            lo, hi = max(lo, v), min(hi, v)
        out[f] = (lo, hi)
    return out


def _counter_step(t: Transition, body: list[Stmt], lay: Layout, xs: list[str], conj: list[tuple[Expr, set[int]]],
                  fp: bool, ind: str, tables: dict[str, list], known: dict[int, tuple[int, int]]) -> list[str] | None:
    """Steps that only add constants to integer fields (``pending[i] += 1``): the key changes by a
    constant, so the successor's fields are computed only when it is new."""
    g = _Gen(lay, xs, tables)
    adds: dict[int, int] = {}
    for st in body:
        if not (isinstance(st, Assign) and st.value.op in ("+", "-") and st.value.args[1].op == "lit"):
            return None
        target: Expr = st.var.expr
        for p in st.path:
            target = Expr("index", (target, p), target.typ.elem)  # type: ignore[attr-defined]
        f = _static_field(g, target)
        if f is None or f in adds or _static_field(g, st.value.args[0]) != f or not isinstance(lay.fields[f].typ, Int):
            return None
        c = int(st.value.args[1].value)
        adds[f] = c if st.value.op == "+" else -c
    if not adds:
        return None
    out: list[str] = []
    for f, c in adds.items():
        typ = lay.fields[f].typ
        lo, hi = known.get(f, (typ.lo, typ.hi))  # type: ignore[attr-defined]
        if not (typ.lo <= lo + c and hi + c <= typ.hi):  # type: ignore[attr-defined]
            out.append(f"{ind}if not {typ.lo} <= x{f} {c:+d} <= {typ.hi}: raise _Bad")  # type: ignore[attr-defined]
    const = sum(c << lay.fields[f].off for f, c in adds.items())
    i2 = _record_successor(out, ind, t.index, f"k {const:+d}", fp)
    names = [f"w{f}" if f in adds else xs[f] for f in range(len(xs))]
    delta = _checks(lay, names, tables, conj, set(adds))
    fields = [f"{i2}w{f} = x{f} {c:+d}" for f, c in adds.items()]
    if delta[1]:
        out += fields
        fields = []
    _keep_or_report(out, i2, delta, _checks(lay, names, tables, conj, None), fields)
    return out


SPLIT_MAX = 16  # most values a step-local index is specialised for


def _split_let(body: list[Stmt]) -> tuple[Let, list[int]] | None:
    """A leading ``Let`` of a small integer that the rest of the body uses as an array index."""
    if not body or not isinstance(body[0], Let):
        return None
    let = body[0]
    typ = let.value.typ
    if not isinstance(typ, Int) or typ.hi - typ.lo >= SPLIT_MAX:
        return None
    if not any(_indexes_with(x, let.name) for x in body[1:]):
        return None
    if any(_rebinds(x, let.name) for x in body[1:]):
        return None  # a later let() of the same name: substitution would be wrong past it
    return let, list(range(typ.lo, typ.hi + 1))


def _rebinds(s: Stmt, name: str) -> bool:
    if isinstance(s, Let):
        return s.name == name
    if isinstance(s, If):
        return any(_rebinds(x, name) for x in s.then + s.orelse)
    return False


def _stmt_exprs(s: Stmt) -> list[Expr]:
    if isinstance(s, Require):
        return [s.cond]
    if isinstance(s, Let):
        return [s.value]
    if isinstance(s, Assign):
        return [*s.path, s.value]
    if isinstance(s, If):
        return [s.cond] + [e for x in s.then + s.orelse for e in _stmt_exprs(x)]
    return []


def _indexes_with(s: Stmt, name: str) -> bool:
    def uses(e: Expr) -> bool:
        return (e.op == "temp" and e.value == name) or any(uses(a) for a in e.args)

    def idx(e: Expr) -> bool:
        if e.op == "index" and isinstance(e.args[0].typ, Array) and uses(e.args[1]):
            return True
        return any(idx(a) for a in e.args)

    if isinstance(s, Assign) and any(uses(p) for p in s.path):
        return True
    return any(idx(e) for e in _stmt_exprs(s))


def _subst(e: Expr, name: str, lit: Expr) -> Expr:
    if e.op == "temp" and e.value == name:
        return lit
    if not e.args:
        return e
    return Expr(e.op, tuple(_subst(a, name, lit) for a in e.args), e.typ, e.value)


def _subst_stmt(s: Stmt, name: str, lit: Expr) -> Stmt:
    if isinstance(s, Require):
        return Require(_subst(s.cond, name, lit))
    if isinstance(s, Let):
        return Let(s.name, _subst(s.value, name, lit))
    if isinstance(s, Assign):
        return Assign(s.var, tuple(_subst(p, name, lit) for p in s.path), _subst(s.value, name, lit))
    if isinstance(s, If):
        return If(_subst(s.cond, name, lit), [_subst_stmt(x, name, lit) for x in s.then],
                  [_subst_stmt(x, name, lit) for x in s.orelse])
    return s


def _conjuncts(e: Expr) -> list[Expr]:
    if e.op == "and":
        return [c for x in e.args for c in _conjuncts(x)]
    return [e]


def _reads(gen: _Gen, e: Expr) -> set[int]:
    """The fields ``e`` may read (every candidate of a dynamic index)."""
    if e.op == "var" or (e.op == "index" and isinstance(e.args[0].typ, Array)):
        acc = {f for sh in gen.ref(e).shapes for f in _leaves(sh)}
        while e.op == "index":
            acc |= _reads(gen, e.args[1])
            e = e.args[0]
        return acc
    out: set[int] = set()
    for x in e.args:
        out |= _reads(gen, x)
    return out


__all__ = ["Field", "Kernel", "Layout", "Unsupported", "build_kernel", "seq_decode"]
