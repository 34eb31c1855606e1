"""The packed kernel compiled to C: successor generation and a visited store at native speed.

For states wider than the numpy loop's 62 bits (the Linux and DragonOS specs: 150-250 bits)
the generated Python kernel (:mod:`checker.explicit.packed`) spends ~80 % of the search in
interpreted code. This module generates C from the same IR over the same packed layout
(:class:`checker.explicit.packed.Layout`; a state is ``W`` little-endian 64-bit words of the
packed key), compiles it once with the system C compiler (``$CC``, else ``cc``/``gcc``) into a
shared object cached under ``~/.cache/napi-check/native`` (keyed by a hash of the C source),
and loads it with :mod:`ctypes`. Without a compiler, or for IR it does not translate, the
explorer keeps the Python kernel (:class:`NativeUnavailable` says why, one line).

The generated C has one function per configuration, ``gen_state``: given a state's words and
whether it violates an invariant, it writes every successor in system (transition) order, the
transition of each and whether the successor may violate an invariant (the conjuncts reading a
field the step wrote; all of them after a violating parent). It never decides a verdict: any
modelling error (a value leaving its type, an index out of bounds, an empty sequence, a
division by zero, a sequence code that would not fit 63 bits) makes it fail for that state, and
the explorer re-derives the error on the generic semantics; a flagged successor is re-checked
there too. Two drivers use it:

* ``nc_run`` — a BFS level slice: expands store positions, inserts every successor in search
  order into a hash set of whole packed states (exact: full-key compare), appends new states to
  the store (so a level's new states are the next frontier, a contiguous store range), and
  returns to Python after any state that needs the semantics (a flagged new successor, a state
  without successors, a failure, the states limit), so the search stops exactly where the
  generic loop does (see :mod:`checker.explicit.native_bfs`).
* ``nc_successors`` — a batch of states in, every successor out with its parent's row and
  transition (no dedup): :meth:`NativeKernel.successors`, for engines that distribute batches.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from checker.explicit.native_tree import declare, tree_c
from checker.explicit.packed import Layout, Unsupported, _conjuncts, _Gen, _Ref, _reads, _written, seq_digits
from checker.lang.expr import BIT_OP_TEXT, Expr
from checker.lang.pycompile import CompiledSystem, needs_range_check
from checker.lang.system import Assign, If, Let, Property, Require, Stmt, Transition
from checker.lang.types import Array, Seq, value_range

C_FLAGS = ["-O1", "-shared", "-fPIC", "-fwrapv", "-w"]
COMPILE_TIMEOUT = 900  # seconds: a compiler slower than this leaves the search to the Python kernel
BLOCK_BITS = 16  # store: keys are kept in blocks of 2**16 states (growth without copying)


class NativeUnavailable(Exception):
    """No native kernel for this configuration (no C compiler, or IR it does not translate)."""


# ---------------------------------------------------------------- code generation


class _CGen(_Gen):
    """IR to C over field locals (int64_t); failures set ``bad`` and are tested after each statement."""

    def ex(self, e: Expr) -> str:  # noqa: C901 - one case per operator
        op = e.op
        if op == "lit" and not isinstance(e.typ, Array):  # a sequence literal: its code, as the Python kernel's
            return f"{int(super().ex(e)) if isinstance(e.typ, Seq) else int(e.value)}LL"
        if isinstance(e.typ, Array):
            raise Unsupported("array used as a value")
        if op == "var" or (op == "index" and isinstance(e.args[0].typ, Array)):
            return self.read(self.ref(e))
        if op == "temp":
            if not str(e.value).isidentifier():
                raise Unsupported(f"local name {e.value!r}")
            return "l_" + e.value
        if op == "next":
            raise Unsupported("Next")
        a = [self.ex(x) for x in e.args]
        binary = {"+": "+", "-": "-", "*": "*", "==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
        if op in binary:
            return f"({a[0]} {binary[op]} {a[1]})"
        if op in BIT_OP_TEXT:
            return BIT_OP_TEXT[op].format(*a)
        simple = {
            "//": lambda: f"fdiv_({a[0]}, {a[1]}, &bad)",
            "%": lambda: f"fmod_({a[0]}, {a[1]}, &bad)",
            "neg": lambda: f"(-{a[0]})",
            "and": lambda: "(" + " && ".join(a) + ")" if a else "1",
            "or": lambda: "(" + " || ".join(a) + ")" if a else "0",
            "not": lambda: f"(!{a[0]})",
            "implies": lambda: f"((!{a[0]}) || {a[1]})",
            "ite": lambda: f"({a[0]} ? {a[1]} : {a[2]})",
            "min": lambda: f"min_({a[0]}, {a[1]})",
            "max": lambda: f"max_({a[0]}, {a[1]})",
        }
        if op in simple:
            return simple[op]()
        if not isinstance(e.args[0].typ, Seq):
            raise Unsupported(f"operator {op!r}")
        lo, ew, m = seq_digits(e.args[0].typ)
        d = f"({a[1]} + {1 - lo}LL)" if len(a) > 1 else ""
        seq = {
            "len": lambda: f"slen_({a[0]}, {ew})",
            "head": lambda: f"(shead_({a[0]}, {m}, &bad) + {lo - 1}LL)",
            "index": lambda: f"(sget_({a[0]}, {a[1]}, {ew}, &bad) + {lo - 1}LL)",
            "contains": lambda: f"scont_({a[0]}, {d}, {ew}, {m})",
            "count": lambda: f"scount_({a[0]}, {d}, {ew}, {m})",
            "push_back": lambda: f"spush_back_({a[0]}, {d}, {ew}, &bad)",
            "push_front": lambda: f"spush_front_({a[0]}, {d}, {ew}, &bad)",
            "pop_front": lambda: f"spop_({a[0]}, {ew}, &bad)",
            "remove": lambda: f"sremove_({a[0]}, {d}, {ew}, {m})",
            "concat": lambda: f"sconcat_({a[0]}, {a[1]}, {ew}, &bad)",
        }
        if op not in seq:
            raise Unsupported(f"operator {op!r}")
        return seq[op]()

    def ref(self, e: Expr) -> _Ref:
        r = super().ref(e)
        if r.lin is not None:
            r.lin = r.lin.replace("_bc(", "bc_(")  # the Python bound check's C twin (sets bad)
        return r

    def read(self, r: _Ref) -> str:
        if any(isinstance(s, list) for s in r.shapes):
            raise Unsupported("array used as a value")
        if r.lin is None:
            return self.names[r.shapes[0]]
        items = ", ".join(self.names[s] for s in r.shapes)
        return f"((int64_t[]){{{items}}})[{r.lin}]"  # the index is in range (type or bc_)

    # -- statements
    def block(self, body: list[Stmt], ind: str) -> None:
        for s in body:
            if isinstance(s, Require):
                v = self.tmp()
                self.lines.append(f"{ind}int64_t {v} = {self.ex(s.cond)}; if (bad) goto fail; if (!{v}) goto skip;")
            elif isinstance(s, Let):
                self.ex(Expr("temp", (), s.value.typ, s.name))  # checks the name
                self.lines.append(f"{ind}l_{s.name} = {self.ex(s.value)}; if (bad) goto fail;")
            elif isinstance(s, If):
                v = self.tmp()
                self.lines.append(f"{ind}int64_t {v} = {self.ex(s.cond)}; if (bad) goto fail;")
                self.lines.append(f"{ind}if ({v}) {{")
                self.block(s.then, ind + "    ")
                self.lines.append(f"{ind}}} else {{")
                self.block(s.orelse, ind + "    ")
                self.lines.append(f"{ind}}}")
            elif isinstance(s, Assign):
                self.assign(s, ind)

    def assign(self, s: Assign, ind: str) -> None:
        target, r = self.target(s)
        v = self.tmp()
        self.lines.append(f"{ind}int64_t {v} = {self.ex(s.value)}; if (bad) goto fail;")
        typ = target.typ
        if needs_range_check(typ, s.value):
            if isinstance(typ, Seq):
                _, ew, _ = seq_digits(typ)
                self.lines.append(f"{ind}if (bitlen_({v}) > {ew * typ.capacity}) goto fail;")
            else:
                lo, hi = value_range(typ) or (0, 0)
                self.lines.append(f"{ind}if ({v} < {lo}LL || {v} > {hi}LL) goto fail;")
        if r.lin is None:
            self.lines.append(f"{ind}{self.names[r.shapes[0]]} = {v};")
            return
        i = self.tmp()
        self.lines.append(f"{ind}int64_t {i} = {r.lin}; if (bad) goto fail;")
        self.lines.append(f"{ind}switch ({i}) {{")
        for j, sh in enumerate(r.shapes):
            self.lines.append(f"{ind}case {j}: {self.names[sh]} = {v}; break;")
        self.lines.append(f"{ind}}}")


def _lets(body: list[Stmt], acc: set[str]) -> set[str]:
    for s in body:
        if isinstance(s, Let):
            acc.add(s.name)
        elif isinstance(s, If):
            _lets(s.then, acc)
            _lets(s.orelse, acc)
    return acc


_PRELUDE = r"""
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
typedef int64_t i64; typedef uint64_t u64;
static inline u64 getf(const u64 *k, int off, int w) {
    if (w == 0) return 0;
    int i = off >> 6, s = off & 63; u64 v = k[i] >> s;
    if (s + w > 64) v |= k[i + 1] << (64 - s);
    return v & ((1ULL << w) - 1);
}
static inline void putf(u64 *k, int off, int w, u64 v) {
    if (w == 0) return;
    int i = off >> 6, s = off & 63; u64 m = (1ULL << w) - 1;
    k[i] = (k[i] & ~(m << s)) | ((v & m) << s);
    if (s + w > 64) { int r = 64 - s; k[i + 1] = (k[i + 1] & ~(m >> r)) | ((v & m) >> r); }
}
static inline i64 bcc_(i64 i, i64 n, int *bad) { if (i < 0 || i >= n) { *bad = 1; return 0; } return i; }
#define bc_(i, n) bcc_((i), (n), &bad)
static inline i64 fdiv_(i64 a, i64 b, int *bad) {
    if (b == 0) { *bad = 1; return 0; }
    i64 q = a / b; if ((a % b != 0) && ((a < 0) != (b < 0))) q--; return q;
}
static inline i64 fmod_(i64 a, i64 b, int *bad) {
    if (b == 0) { *bad = 1; return 0; }
    i64 r = a % b; if (r != 0 && ((r < 0) != (b < 0))) r += b; return r;
}
static inline i64 min_(i64 a, i64 b) { return a <= b ? a : b; }
static inline i64 max_(i64 a, i64 b) { return a >= b ? a : b; }
static inline i64 bitlen_(i64 c) { return c ? 64 - __builtin_clzll((u64)c) : 0; }
static inline i64 slen_(i64 c, int ew) { return (bitlen_(c) + ew - 1) / ew; }
static inline i64 shead_(i64 c, i64 m, int *bad) { if (!c) { *bad = 1; return 0; } return c & m; }
static inline i64 sget_(i64 c, i64 i, int ew, int *bad) {
    if (i < 0 || i >= slen_(c, ew)) { *bad = 1; return 0; } return (c >> (i * ew)) & ((1LL << ew) - 1);
}
static inline i64 scount_(i64 c, i64 d, int ew, i64 m) { i64 n = 0; while (c) { if ((c & m) == d) n++; c >>= ew; } return n; }
static inline i64 scont_(i64 c, i64 d, int ew, i64 m) { while (c) { if ((c & m) == d) return 1; c >>= ew; } return 0; }
static inline i64 sremove_(i64 c, i64 d, int ew, i64 m) {
    for (int k = 0; k < 63 && (c >> k); k += ew)
        if (((c >> k) & m) == d) return (c & ((1LL << k) - 1)) | ((c >> (k + ew)) << k);
    return c;
}
static inline i64 spush_back_(i64 c, i64 d, int ew, int *bad) {
    i64 n = slen_(c, ew); if ((n + 1) * ew > 62) { *bad = 1; return 0; } return c | (d << (n * ew));
}
static inline i64 spush_front_(i64 c, i64 d, int ew, int *bad) {
    if (bitlen_(c) + ew > 62) { *bad = 1; return 0; } return (c << ew) | d;
}
static inline i64 spop_(i64 c, int ew, int *bad) { if (!c) { *bad = 1; return 0; } return c >> ew; }
static inline i64 sconcat_(i64 a, i64 b, int ew, int *bad) {
    i64 n = slen_(a, ew); if (n * ew + bitlen_(b) > 62) { *bad = 1; return 0; } return a | (b << (n * ew));
}
"""

_DRIVERS = r"""
/* ---- the visited store: keys in blocks, an open-addressing table of (hash low 32 | index + 1) */
typedef struct { u64 **blocks; i64 nblocks, n; u64 *tab; i64 tmask; } store_t;
#define BLK (1LL << BLOCK_BITS)
static inline u64 *key_at(store_t *st, i64 i) { return st->blocks[i >> BLOCK_BITS] + (i & (BLK - 1)) * W; }
static inline u64 hash_(const u64 *k) {
    u64 h = 0x9E3779B97F4A7C15ULL ^ (W * 0xC2B2AE3D27D4EB4FULL);
    for (int i = 0; i < W; i++) {
        u64 x = k[i] * 0x87C37B91114253D5ULL; x = (x << 31) | (x >> 33); x *= 0x4CF5AD432745937FULL;
        h ^= x; h = ((h << 27) | (h >> 37)) * 5 + 0x52DCE729;
    }
    h ^= h >> 33; h *= 0xFF51AFD7ED558CCDULL; h ^= h >> 33; h *= 0xC4CEB9FE1A85EC53ULL; h ^= h >> 33;
    return h;
}
store_t *nc_store_new(void) {
    store_t *st = calloc(1, sizeof(store_t));
    if (!st) return NULL;
    st->tmask = (1LL << 16) - 1; st->tab = calloc(st->tmask + 1, sizeof(u64));
    if (!st->tab) { free(st); return NULL; }
    return st;
}
void nc_store_free(store_t *st) {
    for (i64 b = 0; b < st->nblocks; b++) free(st->blocks[b]);
    free(st->blocks); free(st->tab); free(st);
}
i64 nc_store_len(store_t *st) { return st->n; }
i64 nc_store_bytes(store_t *st) { return st->nblocks * BLK * W * 8 + (st->tmask + 1) * 8; }
void nc_store_get(store_t *st, i64 from, i64 to, u64 *out) {
    for (i64 i = from; i < to; i++) memcpy(out + (i - from) * W, key_at(st, i), W * 8);
}
static int grow_(store_t *st) {
    i64 size = (st->tmask + 1) * 2; u64 *t = calloc(size, sizeof(u64)); i64 m = size - 1;
    if (!t) return -1;  /* out of memory: the caller reports it, the table stays as it was */
    for (i64 j = 0; j <= st->tmask; j++) {
        u64 s = st->tab[j]; if (!s) continue;
        i64 p = (s >> 32) & m; while (t[p]) p = (p + 1) & m; t[p] = s;
    }
    free(st->tab); st->tab = t; st->tmask = m;
    return 0;
}
/* 1 when k was new (then appended), 0 when already stored, -1 when out of memory */
static int insert_(store_t *st, const u64 *k) {
    u64 h = hash_(k); u64 tag = h & 0xFFFFFFFFULL; i64 p = h & st->tmask;
    for (;;) {
        u64 s = st->tab[p];
        if (!s) break;
        if ((s >> 32) == tag && !memcmp(key_at(st, (i64)(s & 0xFFFFFFFFULL) - 1), k, W * 8)) return 0;
        p = (p + 1) & st->tmask;
    }
    if (st->n >= 0x7FFFFFFELL) return -1;  /* parent indices are int32 on every loop */
    if ((st->n & (BLK - 1)) == 0 && (st->n >> BLOCK_BITS) >= st->nblocks) {
        u64 **b = realloc(st->blocks, (st->nblocks + 1) * sizeof(u64 *)); if (!b) return -1;
        st->blocks = b; b[st->nblocks] = malloc(BLK * W * 8); if (!b[st->nblocks]) return -1; st->nblocks++;
    }
    memcpy(key_at(st, st->n), k, W * 8);
    st->n++;
    st->tab[p] = (tag << 32) | (u64)st->n;
    if (st->n * 10 > (st->tmask + 1) * 7 && grow_(st) < 0) return -1;
    return 1;
}
i64 nc_store_add(store_t *st, const u64 *keys, i64 n) {
    i64 added = 0;
    for (i64 i = 0; i < n; i++) { int r = insert_(st, keys + i * W); if (r < 0) return -1; added += r; }
    return added;
}

/* res: [0] position reached, [1] new states, [2] status, [3] position without successors (-1: none).
   One loop for both stores: tree (the compact store, checker/explicit/native_tree.py) picks which. */
enum { ST_DONE = 0, ST_EVENT = 1, ST_FAIL = 2, ST_LIMIT = 3, ST_FULL = 4, ST_NOMEM = 5 };
static inline void run_(void *sp, int tree, i64 lo, i64 pos, i64 stop, i64 base, const uint8_t *pb, i64 limit,
                        int dead_events, int32_t *opar, int32_t *otid, uint8_t *oflag, i64 ocap, i64 *fired,
                        i64 *res) {
    store_t *st = sp; tstore_t *tt = sp;
    u64 k[W], buf[NT * W], rks[NT]; int32_t tids[NT]; uint8_t flags[NT]; uint32_t pv[NL + NI + 1];
    static uint32_t vv[NT][NL + NI + 1];  /* the successors' trees (off the stack; one search per process) */
    i64 m = 0; int status = ST_DONE; res[3] = -1;
    while (pos < stop) {
        if (m + NT > ocap) { status = ST_FULL; break; }
        if (tree) {  /* the parent's tree (kept in its row): its successors reuse the subtrees they do not change */
            const u64 *row = cur_row_(tt, lo + pos);
            if (!row) { status = ST_NOMEM; break; }
            memcpy(k, row, W * 8);
            for (int i = 0; i < NL; i++) pv[i] = (uint32_t)(k[i >> 1] >> ((i & 1) * 32));
            memcpy(pv + NL, row + W, NI * 4);
        } else memcpy(k, key_at(st, lo + pos), W * 8);
        int cnt = gen_state(k, pb[pos], buf, tids, flags);
        if (cnt < 0) { status = ST_FAIL; break; }
        int event = 0;
        if (tree)  /* every successor's root key first: their root probes overlap */
            for (int j = 0; j < cnt; j++)
                if (troot_(tt, buf + j * W, pv, vv[j], rks + j) < 0) { status = ST_NOMEM; goto out; }
        for (int j = 0; j < cnt; j++) {
            fired[tids[j]]++;
            int r = tree ? tput_(tt, buf + j * W, vv[j], rks[j], 1) : insert_(st, buf + j * W);
            if (r < 0) { status = ST_NOMEM; goto out; }
            if (r) {
                opar[m] = (int32_t)(base + pos); otid[m] = tids[j]; oflag[m] = flags[j]; m++;
                event |= flags[j];
                if (m >= limit) { pos++; status = ST_LIMIT; goto out; }
            }
        }
        pos++;
        if (cnt == 0 && dead_events) { res[3] = pos - 1; status = ST_EVENT; break; }
        if (event) { status = ST_EVENT; break; }
    }
out:
    res[0] = pos; res[1] = m; res[2] = status;
}
void nc_run(store_t *st, i64 lo, i64 pos, i64 stop, i64 base, const uint8_t *pb, i64 limit, int dead_events,
            int32_t *opar, int32_t *otid, uint8_t *oflag, i64 ocap, i64 *fired, i64 *res) {
    run_(st, 0, lo, pos, stop, base, pb, limit, dead_events, opar, otid, oflag, ocap, fired, res);
}
void tc_run(tstore_t *t, i64 lo, i64 pos, i64 stop, i64 base, const uint8_t *pb, i64 limit, int dead_events,
            int32_t *opar, int32_t *otid, uint8_t *oflag, i64 ocap, i64 *fired, i64 *res) {
    run_(t, 1, lo, pos, stop, base, pb, limit, dead_events, opar, otid, oflag, ocap, fired, res);
}

/* Every successor of states[0..n) (no dedup), in order; res: [0] successors, [1] failing row (-1: none),
   [2] rows done (< n when out ran short) */
void nc_successors(const u64 *states, i64 n, const uint8_t *pb, u64 *out, int64_t *opar, int32_t *otid,
                   uint8_t *oflag, i64 ocap, i64 *res) {
    i64 m = 0, i = 0; res[1] = -1;
    for (; i < n; i++) {
        if (m + NT > ocap) break;
        int cnt = gen_state(states + i * W, pb ? pb[i] : 0, out + m * W, otid + m, oflag + m);
        if (cnt < 0) { res[1] = i; break; }
        for (int j = 0; j < cnt; j++) opar[m + j] = i;
        m += cnt;
    }
    res[0] = m; res[2] = i;
}
"""


def generate_c(compiled: CompiledSystem, invariants: list[Property]) -> tuple[str, Layout]:
    """C source of the native kernel for a configuration (raises Unsupported for IR it does not translate)."""
    system = compiled.system
    lay = Layout(system)
    for f in lay.fields:
        if f.width > 62:
            raise Unsupported(f"field {f.what} of {f.width} bits")
    nf = len(lay.fields)
    xs = [f"x[{f}]" for f in range(nf)]
    words = max(1, (lay.bits + 63) // 64)
    ntrans = len(system.transitions)
    probe = _CGen(lay, xs, {})
    conj = [(c, _reads(probe, c)) for p in invariants for c in _conjuncts(p.expr)]
    out = [_PRELUDE, f"#define W {words}", f"#define NT {ntrans}", f"#define BLOCK_BITS {BLOCK_BITS}"]
    out.append(f"#define NF {max(1, nf)}")
    # one function per invariant conjunct (failures count as violated: the explorer re-checks)
    ys = [f"y[{f}]" for f in range(nf)]
    for j, (c, _) in enumerate(conj):
        code = _CGen(lay, ys, {}).ex(c)
        out.append(f"static __attribute__((noinline)) int conj{j}(const i64 *y) {{ int bad = 0; int ok = {code}; "
                   "return ok && !bad; }")
    out.append("static int check_all(const i64 *y) { return " + (" && ".join(f"conj{j}(y)" for j in range(len(conj)))
                                                               or "1") + "; }")
    # one function per step: small functions keep the C compiler's time linear in the spec's size
    for t in system.transitions:
        out += _transition_c(t, lay, xs, conj)
    out.append("static int gen_state(const u64 *k, int pb, u64 *out, int32_t *tids, uint8_t *flags) {")
    out.append("    i64 x[NF]; int cnt = 0;")
    for f, fld in enumerate(lay.fields):
        lo = 0 if isinstance(fld.typ, Seq) else fld.lo
        out.append(f"    x[{f}] = (i64)getf(k, {fld.off}, {fld.width}) + {lo}LL;")
    for t in system.transitions:
        out.append(f"    if ((cnt = step{t.index}(k, x, pb, out, tids, flags, cnt)) < 0) return -1;")
    out.append("    return cnt;")
    out.append("}")
    store_c, run_c = _DRIVERS.split("/* res: [0]", 1)
    out += [store_c, tree_c(lay.bits), "/* res: [0]" + run_c]
    return "\n".join(out) + "\n", lay


def _transition_c(t: Transition, lay: Layout, xs: list[str], conj: list[tuple[Expr, set[int]]]) -> list[str]:
    """``stepN``: appends step N's successor of the state ``k`` (fields ``x``) at ``cnt``; returns the
    new count, or -1 when the step fails."""
    body = list(t.body)
    written = sorted(_written(_CGen(lay, xs, {}), body, set()))
    names = [f"w{f}" if f in set(written) else xs[f] for f in range(len(xs))]
    ind = "    "
    out = [f"/* {t.key} */",
           f"static int step{t.index}(const u64 *k, const i64 *x, int pb, u64 *out, int32_t *tids, uint8_t *flags, "
           "int cnt) {", f"{ind}int bad = 0;"]
    for f in written:
        out.append(f"{ind}i64 w{f} = x[{f}];")
    lets = sorted(_lets(body, set()))
    if lets:
        out.append(f"{ind}i64 " + ", ".join(f"l_{n} = 0" for n in lets) + ";")
    g = _CGen(lay, names, {})
    g.block(body, ind)
    out += g.lines
    out.append(f"{ind}u64 *o = out + cnt * W; memcpy(o, k, W * 8);")
    for f in written:
        fld = lay.fields[f]
        lo = 0 if isinstance(fld.typ, Seq) else fld.lo
        out.append(f"{ind}putf(o, {fld.off}, {fld.width}, (u64)(w{f} - {lo}LL));")
    delta = [f"conj{j}(y)" for j, (_, reads) in enumerate(conj) if reads & set(written)]
    if delta:  # the conjuncts, on the successor's fields: those reading a field the step wrote, or all
        out.append(f"{ind}i64 y[NF]; memcpy(y, x, sizeof y);")
        out += [f"{ind}y[{f}] = w{f};" for f in written]
    ok_delta = " && ".join(delta) or "1"
    out.append(f"{ind}int ok = pb ? check_all(y_or_x) : ({ok_delta});".replace("y_or_x", "y" if delta else "x"))
    out.append(f"{ind}tids[cnt] = {t.index}; flags[cnt] = !ok; return cnt + 1;")
    out.append("skip:")
    out.append(f"{ind}return cnt;")
    out.append("fail:")
    out.append(f"{ind}return -1;")
    out.append("}")
    return out


# ---------------------------------------------------------------- compiling and loading


def compiler() -> str | None:
    """The C compiler to use: ``$CC`` if set, else ``cc`` or ``gcc`` on the PATH (None: none)."""
    cc = os.environ.get("CC")
    if cc:
        return shutil.which(cc)
    return shutil.which("cc") or shutil.which("gcc")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "napi-check" / "native"


@dataclass
class BuildInfo:
    compile_seconds: float = 0.0  # 0 when the cached object was used
    cached: bool = False
    path: str = ""


def _object_path(source: str) -> Path:
    digest = hashlib.sha256((" ".join(C_FLAGS) + "\n" + source).encode()).hexdigest()[:24]
    return cache_dir() / f"k{digest}.so"


def _load(source: str) -> tuple[ctypes.CDLL, BuildInfo]:
    cc = compiler()
    if cc is None:
        raise NativeUnavailable("no C compiler on the PATH (set CC)")
    so = _object_path(source)
    d = so.parent
    info = BuildInfo(path=str(so))
    if so.exists():
        info.cached = True
    else:
        t0 = time.perf_counter()
        try:
            d.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=d) as tmp:
                src = Path(tmp) / "k.c"
                src.write_text(source)
                obj = Path(tmp) / "k.so"
                r = subprocess.run([cc, *C_FLAGS, "-o", str(obj), str(src)], capture_output=True, text=True,
                                   timeout=COMPILE_TIMEOUT)
                if r.returncode != 0:
                    raise NativeUnavailable(f"the C compiler failed: {(r.stderr or r.stdout).strip()[:300]}")
                os.replace(obj, so)  # atomic: concurrent runs never load a half-written object
        except (OSError, subprocess.TimeoutExpired) as err:
            raise NativeUnavailable(f"cannot build the native kernel: {err}") from err
        info.compile_seconds = time.perf_counter() - t0
    lib = ctypes.CDLL(str(so))
    vp, i64 = ctypes.c_void_p, ctypes.c_int64
    lib.nc_store_new.restype = vp
    lib.nc_store_new.argtypes = []
    lib.nc_store_free.argtypes = [vp]
    lib.nc_store_len.restype = i64
    lib.nc_store_len.argtypes = [vp]
    lib.nc_store_bytes.restype = i64
    lib.nc_store_bytes.argtypes = [vp]
    lib.nc_store_get.argtypes = [vp, i64, i64, vp]
    lib.nc_store_add.restype = i64
    lib.nc_store_add.argtypes = [vp, vp, i64]
    lib.nc_run.argtypes = [vp, i64, i64, i64, i64, vp, i64, ctypes.c_int, vp, vp, vp, i64, vp, vp]
    lib.nc_successors.argtypes = [vp, i64, vp, vp, vp, vp, vp, i64, vp]
    declare(lib)
    return lib, info


class StateFailed(Exception):
    """A state of the batch makes the native kernel fail (a modelling error, re-derived generically)."""

    def __init__(self, row: int) -> None:
        super().__init__(f"state {row} of the batch fails")
        self.row = row


@dataclass
class NativeKernel:
    """A compiled native kernel for one configuration (see the module docstring)."""

    layout: Layout
    words: int
    lib: Any
    info: BuildInfo
    ntrans: int
    source: str = field(repr=False, default="")

    # -- conversions between packed ints and word rows
    def to_words(self, keys: list[int]) -> np.ndarray:
        nb = 8 * self.words
        return np.frombuffer(b"".join(k.to_bytes(nb, "little") for k in keys), dtype=np.uint64).reshape(-1, self.words)

    def to_int(self, row: np.ndarray) -> int:
        return int.from_bytes(np.ascontiguousarray(row, dtype=np.uint64).tobytes(), "little")

    def successors(self, states: np.ndarray, violating: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every successor of a batch of states (``uint64[n, W]`` packed words), in search order:
        ``(successors uint64[m, W], parent row int64[m], transition int32[m], may-violate bool[m])``.
        ``violating[i]`` (optional) says state i violates an invariant (its successors are then
        checked against every conjunct). Raises :class:`StateFailed` for a state on which a step
        fails (a modelling error: run the generic semantics on it for the message)."""
        states = np.ascontiguousarray(states, dtype=np.uint64).reshape(-1, self.words)
        n = len(states)
        pb = None if violating is None else np.ascontiguousarray(violating, dtype=np.uint8)
        outs: list[tuple[np.ndarray, ...]] = []
        res = np.zeros(3, dtype=np.int64)
        row = 0
        while row < n:
            cap = max(self.ntrans, min(n - row, 1 << 16) * 4)
            out = np.empty((cap, self.words), dtype=np.uint64)
            opar = np.empty(cap, dtype=np.int64)
            otid = np.empty(cap, dtype=np.int32)
            oflag = np.empty(cap, dtype=np.uint8)
            sub = states[row:]
            self.lib.nc_successors(sub.ctypes.data, len(sub), None if pb is None else pb[row:].ctypes.data,
                                   out.ctypes.data, opar.ctypes.data, otid.ctypes.data, oflag.ctypes.data, cap,
                                   res.ctypes.data)
            m, failed, done = (int(x) for x in res)
            outs.append((out[:m], opar[:m] + row, otid[:m], oflag[:m].astype(bool)))
            if failed >= 0:
                raise StateFailed(row + failed)
            row += done
        if not outs:
            return (np.zeros((0, self.words), np.uint64), np.zeros(0, np.int64), np.zeros(0, np.int32),
                    np.zeros(0, bool))
        return tuple(np.concatenate([o[j] for o in outs]) for j in range(4))  # type: ignore[return-value]


@dataclass
class NativeSource:
    """The generated C of a configuration, before compiling."""

    source: str
    layout: Layout
    ntrans: int

    @property
    def cached(self) -> bool:
        """Its compiled object is in the cache (loading costs no compile)."""
        return _object_path(self.source).exists()

    def load(self) -> NativeKernel:
        """Compile (or take from the cache) and load; raises :class:`NativeUnavailable`."""
        lib, info = _load(self.source)
        lay = self.layout
        return NativeKernel(lay, max(1, (lay.bits + 63) // 64), lib, info, self.ntrans, self.source)


def native_source(compiled: CompiledSystem, invariants: list[Property]) -> NativeSource:
    """The C of the native kernel; raises :class:`NativeUnavailable` for IR it does not translate."""
    try:
        source, lay = generate_c(compiled, invariants)
    except Unsupported as err:
        raise NativeUnavailable(f"the native kernel does not translate {err}") from err
    return NativeSource(source, lay, len(compiled.system.transitions))


def build_native(compiled: CompiledSystem, invariants: list[Property]) -> NativeKernel:
    """Generate, compile (or take from the cache) and load the native kernel; raises
    :class:`NativeUnavailable` with a one-line reason when there is none."""
    return native_source(compiled, invariants).load()


class NativeStore:
    """The exact visited set of the native loop, owned by C: every stored state's packed words.

    Iterating yields the stored states as packed ints (for ``EngineResult.reached``)."""

    def __init__(self, kernel: NativeKernel) -> None:
        self.kernel = kernel
        self.lib = kernel.lib
        self.run = self.lib.nc_run
        self.ptr = self.lib.nc_store_new()
        if not self.ptr:
            raise MemoryError("native store")

    def __del__(self) -> None:
        ptr, self.ptr = getattr(self, "ptr", None), None
        if ptr:
            self.lib.nc_store_free(ptr)

    def __len__(self) -> int:
        return int(self.lib.nc_store_len(self.ptr))

    def add(self, keys: np.ndarray) -> int:
        """Add rows of packed words (in order); returns how many were new."""
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        r = int(self.lib.nc_store_add(self.ptr, keys.ctypes.data, len(keys)))
        if r < 0:
            raise MemoryError("native store")
        return r

    add_seen = add  # states of earlier levels: stored after the frontier like any other

    def states(self) -> int:
        return len(self)

    def begin_level(self) -> None:
        """Levels are contiguous ranges of the store: nothing to do."""

    def rows(self, start: int, stop: int) -> np.ndarray:
        out = np.empty((max(0, stop - start), self.kernel.words), dtype=np.uint64)
        if stop > start:
            self.lib.nc_store_get(self.ptr, start, stop, out.ctypes.data)
        return out

    def key(self, i: int) -> int:
        return self.kernel.to_int(self.rows(i, i + 1)[0])

    def nbytes(self) -> int:
        return int(self.lib.nc_store_bytes(self.ptr))

    def __iter__(self) -> Iterator[int]:
        n = len(self)
        for a in range(0, n, 1 << 16):
            rows = self.rows(a, min(n, a + (1 << 16)))
            for r in rows:
                yield self.kernel.to_int(r)


__all__ = ["NativeKernel", "NativeSource", "NativeStore", "NativeUnavailable", "StateFailed", "build_native",
           "compiler", "generate_c", "native_source"]
