"""The compact store of the native loop: exact visited states by tree compression, past RAM's usual reach.

``store = "compact"`` (``--store compact``). The native loop's exact store
(:class:`checker.explicit.native.NativeStore`) keeps every state's packed words (8 bytes per 64
bits: 40 for the 305-bit states of ``bench/linux/linux618_n2.toml``) plus a hash slot, a parent
index and a step index (~59 bytes a state). This store keeps the same states, exactly, in about a
quarter of that, as LTSmin's tree compression does (Blom, van de Pol, Weber, "A database approach
to distributed state space generation", and Laarman et al., "Parallel recursive state compression
for free", SPIN 2011):

* A packed state is cut into ``NL`` 32-bit leaves. A balanced binary tree over the leaves pairs
  them: each inner node has a table that interns the pair of its children's values (two 32-bit
  numbers, one 64-bit key) and gives it a 32-bit id (1, 2, ... in order of first sight). Every
  state has one root key: the pair of its root's children's ids. Ids are unique per table and the
  pairing is injective, so two states have the same root key exactly when they are equal — no
  hashing away of information anywhere (principle 2: the store is lossless).
* The root table is a set of 64-bit keys (8 bytes a slot); the inner tables hold (key, id) slots
  (12 bytes). States that share most of their leaves share their subtrees, so the inner tables
  stay much smaller than the root: a state costs about one root slot plus a share of the inner
  tables.
* Successors differ from their parent in a few leaves: the subtrees whose leaves are unchanged
  keep the parent's ids, so only the nodes on the paths from the changed leaves up are looked up.
* Every table is split into ``NSEG`` segments by the top hash bits, each an open-addressing table
  (linear probing) grown by half when 80 % full, so growing never needs twice the memory (large
  ones in huge pages where the OS allows: a random probe into gigabytes then costs a third). Memory is
  counted against a budget (``limits.memory_mb``): when a segment may not grow within it, it
  fills up to 95 %; past that the store is full and the search ends inconclusive (exit 3), never
  "holds".
* The store cannot give a state back from its id (it is never needed): the frontier — the states
  of the level being expanded, in search order — and the next level are two append-only files
  (the only copy of the packed words, each with its inner ids so that its successors start from
  its tree), read and written sequentially. The parent and step indices
  of every state spill to files too (:class:`checker.explicit.store.SpillArray`), so traces are
  rebuilt by replay exactly as on the other stores.

So the states, their order, the parents and the traces are those of the exact native store; only
where the states are kept differs. Iterating the store (``EngineResult.reached``) is not possible.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from checker.explicit.native import NativeKernel

LEAF_BITS = 32


def tree_shape(nleaves: int) -> tuple[list[tuple[int, int]], tuple[int, int] | None]:
    """The inner nodes of a balanced binary tree over ``nleaves`` leaves, children first, as pairs
    of indices into the value vector (leaves ``0 .. nleaves``, then the inner nodes in this order),
    and the root's pair (None for a single leaf: the leaf itself is the root key)."""
    nodes: list[tuple[int, int]] = []

    def build(lo: int, hi: int) -> int:
        if hi - lo == 1:
            return lo
        mid = (lo + hi + 1) // 2
        a, b = build(lo, mid), build(mid, hi)
        nodes.append((a, b))
        return nleaves + len(nodes) - 1

    build(0, nleaves)
    root = nodes.pop() if nodes else None
    return nodes, root


def tree_c(bits: int) -> str:
    """The C of the compact store for states of ``bits`` bits (after the exact store's C)."""
    nl = max(1, (bits + LEAF_BITS - 1) // LEAF_BITS)
    nodes, root = tree_shape(nl)
    ta = ", ".join(str(a) for a, _ in nodes) or "0"
    tb = ", ".join(str(b) for _, b in nodes) or "0"
    ra, rb = root if root is not None else (0, 0)
    return (f"#define NL {nl}\n#define NI {len(nodes)}\n#define RA {ra}\n#define RB {rb}\n"
            f"static const int TA[] = {{{ta}}}, TB[] = {{{tb}}};\n" + _TREE_C)


_TREE_C = r"""
/* ---- the compact store (checker/explicit/native_tree.py): tree compression, level files */
#include <stdio.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/mman.h>
#define NSEG 256
#define SEG0 64            /* slots of a new segment */
#define IOROWS 8192        /* rows per read or write of a level file */
#define RW (W + (NI + 1) / 2)  /* a level file's row: the state's words, then its inner ids (its tree) */
typedef struct { u64 *s; i64 size, n; } rseg_t;                     /* root keys; 0 is kept apart */
typedef struct __attribute__((packed)) { u64 k; uint32_t id; } nslot_t;  /* id 0: empty */
typedef struct { nslot_t *s; i64 size, n; } nseg_t;
typedef struct { nseg_t seg[NSEG]; i64 ids; } nmap_t;
typedef struct {
    nmap_t node[NI > 0 ? NI : 1]; rseg_t root[NSEG]; int root_zero;
    i64 states, bytes, budget;
    int fd[2], cur;                      /* level files: fd[cur] the frontier, fd[!cur] the next level */
    i64 cur_base, cur_n, nxt_base, nxt_n, nxt_disk;
    u64 *wbuf, *rbuf; i64 rlo, rn;       /* unwritten rows of the next level; frontier rows rlo .. rlo + rn */
} tstore_t;
void tc_free(tstore_t *t);
static inline u64 mix_(u64 x) {
    x ^= x >> 33; x *= 0xFF51AFD7ED558CCDULL; x ^= x >> 33; x *= 0xC4CEB9FE1A85EC53ULL; x ^= x >> 33; return x;
}
static inline i64 spos_(u64 h, i64 size) { return (i64)(((unsigned __int128)(h << 8) * (u64)size) >> 64); }
#define BIG (2LL << 20)  /* tables from this size are mapped on their own, 2 MiB-aligned, in huge pages if allowed */
static inline i64 maplen_(i64 bytes) { return (bytes + 4095) & ~4095LL; }
static void *talloc_(tstore_t *t, i64 bytes) {   /* zeroed, counted against the budget */
    if (t->bytes + bytes > t->budget) return NULL;
    void *p;
    if (bytes >= BIG) {  /* random probes over gigabytes: huge pages save a page walk on most of them (~3x) */
        i64 len = maplen_(bytes) + BIG;
        char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return NULL;
        char *q = (char *)(((uintptr_t)m + BIG - 1) & ~(uintptr_t)(BIG - 1));
        if (q > m) munmap(m, q - m);
        if (m + len > q + maplen_(bytes)) munmap(q + maplen_(bytes), (m + len) - (q + maplen_(bytes)));
#ifdef MADV_HUGEPAGE
        madvise(q, maplen_(bytes), MADV_HUGEPAGE);
#endif
        p = q;
    } else if (!(p = calloc(1, bytes))) return NULL;
    t->bytes += bytes; return p;
}
static void tfree_(tstore_t *t, void *p, i64 bytes) {
    if (!p) return;
    if (bytes >= BIG) munmap(p, maplen_(bytes)); else free(p);
    t->bytes -= bytes;
}
static int rgrow_(tstore_t *t, rseg_t *g) {
    i64 ns = g->size + g->size / 2; u64 *s = talloc_(t, ns * 8);
    if (!s) return -1;
    for (i64 j = 0; j < g->size; j++) {
        u64 k = g->s[j]; if (!k) continue;
        i64 p = spos_(mix_(k), ns); while (s[p]) if (++p == ns) p = 0;
        s[p] = k;
    }
    tfree_(t, g->s, g->size * 8); g->s = s; g->size = ns; return 0;
}
static int ngrow_(tstore_t *t, nseg_t *g) {
    i64 ns = g->size + g->size / 2; nslot_t *s = talloc_(t, ns * sizeof(nslot_t));
    if (!s) return -1;
    for (i64 j = 0; j < g->size; j++) {
        if (!g->s[j].id) continue;
        i64 p = spos_(mix_(g->s[j].k), ns); while (s[p].id) if (++p == ns) p = 0;
        s[p] = g->s[j];
    }
    tfree_(t, g->s, g->size * (i64)sizeof(nslot_t)); g->s = s; g->size = ns; return 0;
}
/* 1: the root key was new, 0: seen, -1: the store is full */
static int rinsert_(tstore_t *t, u64 k) {
    if (!k) { if (t->root_zero) return 0; t->root_zero = 1; t->states++; return 1; }
    u64 h = mix_(k); rseg_t *g = &t->root[h >> 56]; i64 p = spos_(h, g->size);
    for (;;) { u64 s = g->s[p]; if (!s) break; if (s == k) return 0; if (++p == g->size) p = 0; }
    if ((g->n + 1) * 10 > g->size * 8) {  /* past 80 %: grow, or fill up to 95 % when the budget is spent */
        if (rgrow_(t, g) == 0) { p = spos_(h, g->size); while (g->s[p]) if (++p == g->size) p = 0; }
        else if ((g->n + 1) * 100 > g->size * 95) return -1;
    }
    g->s[p] = k; g->n++; t->states++; return 1;
}
/* the id of the pair k in inner table m (interned if new), -1: full */
static i64 nfind_(tstore_t *t, nmap_t *m, u64 k) {
    u64 h = mix_(k); nseg_t *g = &m->seg[h >> 56]; i64 p = spos_(h, g->size);
    for (;;) { nslot_t *s = &g->s[p]; if (!s->id) break; if (s->k == k) return s->id; if (++p == g->size) p = 0; }
    if (m->ids >= 0xFFFFFFFFLL) return -1;
    if ((g->n + 1) * 10 > g->size * 8) {
        if (ngrow_(t, g) == 0) { p = spos_(h, g->size); while (g->s[p].id) if (++p == g->size) p = 0; }
        else if ((g->n + 1) * 100 > g->size * 95) return -1;
    }
    g->s[p].k = k; g->s[p].id = (uint32_t)++m->ids; g->n++; return m->ids;
}
/* the value vector of the state k (leaves, inner ids; subtrees unchanged from pv's reused) and its root key */
static int tree_(tstore_t *t, const u64 *k, const uint32_t *pv, uint32_t *v, u64 *root) {
    for (int i = 0; i < NL; i++) v[i] = (uint32_t)(k[i >> 1] >> ((i & 1) * 32));
    for (int j = 0; j < NI; j++) {
        int a = TA[j], b = TB[j];
        if (pv && v[a] == pv[a] && v[b] == pv[b]) { v[NL + j] = pv[NL + j]; continue; }
        i64 id = nfind_(t, &t->node[j], ((u64)v[a] << 32) | v[b]);
        if (id < 0) return -1;
        v[NL + j] = (uint32_t)id;
    }
    *root = NL == 1 ? v[0] : ((u64)v[RA] << 32) | v[RB];
    return 0;
}
static int flush_(tstore_t *t) {
    i64 rows = t->nxt_n - t->nxt_disk, bytes = rows * RW * 8, off = t->nxt_disk * RW * 8, done = 0;
    while (done < bytes) {
        ssize_t r = pwrite(t->fd[!t->cur], (char *)t->wbuf + done, bytes - done, off + done);
        if (r <= 0) return -1;
        done += r;
    }
    t->nxt_disk = t->nxt_n; return 0;
}
static int append_(tstore_t *t, const u64 *k, const uint32_t *v) {
    if (t->nxt_n - t->nxt_disk == IOROWS && flush_(t) < 0) return -1;
    u64 *row = t->wbuf + (t->nxt_n - t->nxt_disk) * RW;
    row[RW - 1] = 0; memcpy(row, k, W * 8); memcpy(row + W, v + NL, NI * 4); t->nxt_n++; return 0;
}
static int readrows_(int fd, u64 *out, i64 row, i64 rows) {
    i64 bytes = rows * RW * 8, done = 0;
    while (done < bytes) {
        ssize_t r = pread(fd, (char *)out + done, bytes - done, row * RW * 8 + done);
        if (r <= 0) return -1;
        done += r;
    }
    return 0;
}
/* the frontier row at stream position pos (read ahead IOROWS rows), NULL: read error */
static const u64 *cur_row_(tstore_t *t, i64 pos) {
    i64 i = pos - t->cur_base;
    if (i < t->rlo || i >= t->rlo + t->rn) {
        i64 rows = t->cur_n - i < IOROWS ? t->cur_n - i : IOROWS;
        if (i < 0 || rows <= 0 || readrows_(t->fd[t->cur], t->rbuf, i, rows) < 0) return NULL;
        t->rlo = i; t->rn = rows;
    }
    return t->rbuf + (i - t->rlo) * RW;
}
tstore_t *tc_new(i64 budget, const char *dir) {
    tstore_t *t = calloc(1, sizeof(tstore_t));
    if (!t) return NULL;
    t->budget = budget; t->fd[0] = t->fd[1] = -1;
    t->wbuf = malloc(IOROWS * RW * 8); t->rbuf = malloc(IOROWS * RW * 8);
    if (!t->wbuf || !t->rbuf) goto bad;
    for (int s = 0; s < NSEG; s++) {
        if (!(t->root[s].s = talloc_(t, SEG0 * 8))) goto bad;
        t->root[s].size = SEG0;
        for (int j = 0; j < NI; j++) {
            if (!(t->node[j].seg[s].s = talloc_(t, SEG0 * sizeof(nslot_t)))) goto bad;
            t->node[j].seg[s].size = SEG0;
        }
    }
    for (int f = 0; f < 2; f++) {
        char path[4200]; snprintf(path, sizeof path, "%s/napi-check-level-XXXXXX", dir);
        t->fd[f] = mkstemp(path);
        if (t->fd[f] < 0) goto bad;
        unlink(path);  /* gone when closed, or when the process ends */
    }
    return t;
bad:
    tc_free(t); return NULL;
}
void tc_free(tstore_t *t) {
    for (int s = 0; s < NSEG; s++) {
        tfree_(t, t->root[s].s, t->root[s].size * 8);
        for (int j = 0; j < NI; j++) tfree_(t, t->node[j].seg[s].s, t->node[j].seg[s].size * (i64)sizeof(nslot_t));
    }
    for (int f = 0; f < 2; f++) if (t->fd[f] >= 0) close(t->fd[f]);
    free(t->wbuf); free(t->rbuf); free(t);
}
i64 tc_len(tstore_t *t) { return t->nxt_base + t->nxt_n; }  /* stream positions: the next state's */
i64 tc_states(tstore_t *t) { return t->states; }
i64 tc_bytes(tstore_t *t) { return t->bytes; }
i64 tc_inner(tstore_t *t, i64 *out) { for (int j = 0; j < NI; j++) out[j] = t->node[j].ids; return NI; }
/* the next level becomes the frontier; -1: write error */
int tc_level(tstore_t *t) {
    if (flush_(t) < 0) return -1;
    t->cur = !t->cur; t->cur_base = t->nxt_base; t->cur_n = t->nxt_n; t->rlo = t->rn = 0;
    t->nxt_base += t->nxt_n; t->nxt_n = t->nxt_disk = 0;
    return ftruncate(t->fd[!t->cur], 0) < 0 ? -1 : 0;
}
/* the state at stream position pos (the frontier or the next level) into out; -1: not kept */
int tc_get(tstore_t *t, i64 pos, u64 *out) {
    u64 row[RW]; int r;
    i64 i = pos - t->nxt_base;
    if (pos >= t->cur_base && pos < t->cur_base + t->cur_n) r = readrows_(t->fd[t->cur], row, pos - t->cur_base, 1);
    else if (i < 0 || i >= t->nxt_n) return -1;
    else if (i >= t->nxt_disk) { memcpy(row, t->wbuf + (i - t->nxt_disk) * RW, RW * 8); r = 0; }
    else r = readrows_(t->fd[!t->cur], row, i, 1);
    memcpy(out, row, W * 8);
    return r;
}
/* the state k's tree into v, its root key into *rk, and its root slot fetched ahead (the probe that misses) */
static inline int troot_(tstore_t *t, const u64 *k, const uint32_t *pv, uint32_t *v, u64 *rk) {
    if (tree_(t, k, pv, v, rk) < 0) return -1;
    u64 h = mix_(*rk); rseg_t *g = &t->root[h >> 56];
    __builtin_prefetch(g->s + spos_(h, g->size));
    return 0;
}
/* 1 when the state k (root key rk, tree v) was new (then appended to the next level if stream), 0 seen, -1 full */
static inline int tput_(tstore_t *t, const u64 *k, const uint32_t *v, u64 rk, int stream) {
    int r = rinsert_(t, rk);
    if (r == 1 && stream && append_(t, k, v) < 0) return -1;
    return r;
}
static int tinsert_(tstore_t *t, const u64 *k, const uint32_t *pv, int stream) {
    uint32_t v[NL + NI + 1]; u64 rk;
    return troot_(t, k, pv, v, &rk) < 0 ? -1 : tput_(t, k, v, rk, stream);
}
i64 tc_add(tstore_t *t, const u64 *keys, i64 n, int stream) {
    i64 added = 0;
    for (i64 i = 0; i < n; i++) { int r = tinsert_(t, keys + i * W, NULL, stream); if (r < 0) return -1; added += r; }
    return added;
}
"""


class TreeStore:
    """The compact exact store of the native loop (see the module docstring), owned by C.

    Positions (``len``, :meth:`key`) count the states appended to the level files: the frontier
    handed over first, then each level's new states; states added with :meth:`add_seen` are in
    the tree only."""

    def __init__(self, kernel: NativeKernel, budget_bytes: int, spill_dir: str | None = None) -> None:
        self.kernel = kernel
        self.lib = kernel.lib
        self.run = self.lib.tc_run
        folder = spill_dir or tempfile.gettempdir()
        self.ptr = self.lib.tc_new(int(budget_bytes), os.fsencode(folder))
        if not self.ptr:
            raise MemoryError(f"compact store: no memory or no level files in {folder}")

    def __del__(self) -> None:
        ptr, self.ptr = getattr(self, "ptr", None), None
        if ptr:
            self.lib.tc_free(ptr)

    def __len__(self) -> int:
        return int(self.lib.tc_len(self.ptr))

    def states(self) -> int:
        """Distinct states stored (the frontier's, the next level's and every earlier one)."""
        return int(self.lib.tc_states(self.ptr))

    def _add(self, keys: np.ndarray, stream: int) -> int:
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        r = int(self.lib.tc_add(self.ptr, keys.ctypes.data, len(keys), stream))
        if r < 0:
            raise MemoryError("the compact store is full (limits.memory_mb)")
        return r

    def add(self, keys: np.ndarray) -> int:
        """Add rows of packed words to the store and to the next level (in order); returns how many were new."""
        return self._add(keys, 1)

    def add_seen(self, keys: np.ndarray) -> int:
        """Add rows to the store only (states of earlier levels)."""
        return self._add(keys, 0)

    def begin_level(self) -> None:
        """The states appended since the last call become the frontier."""
        if self.lib.tc_level(self.ptr) < 0:
            raise OSError("compact store: cannot write a level file")

    def key(self, i: int) -> int:
        """The packed state at position ``i`` (of the frontier or the next level only)."""
        out = np.empty(self.kernel.words, dtype=np.uint64)
        if self.lib.tc_get(self.ptr, i, out.ctypes.data) < 0:
            raise IndexError(f"compact store: state {i} is not on the frontier or the next level")
        return self.kernel.to_int(out)

    def nbytes(self) -> int:
        """Memory of the tables (the level files are on disk)."""
        return int(self.lib.tc_bytes(self.ptr))

    def inner_sizes(self) -> list[int]:
        """Entries of each inner table (children first)."""
        out = np.zeros(256, dtype=np.int64)
        n = int(self.lib.tc_inner(self.ptr, out.ctypes.data))
        return out[:n].tolist()


def declare(lib: ctypes.CDLL) -> None:
    """The compact store's entry points' ctypes signatures."""
    vp, i64 = ctypes.c_void_p, ctypes.c_int64
    lib.tc_new.restype = vp
    lib.tc_new.argtypes = [i64, ctypes.c_char_p]
    lib.tc_free.argtypes = [vp]
    for name in ("tc_len", "tc_states", "tc_bytes"):
        getattr(lib, name).restype = i64
        getattr(lib, name).argtypes = [vp]
    lib.tc_inner.restype = i64
    lib.tc_inner.argtypes = [vp, vp]
    lib.tc_level.restype = ctypes.c_int
    lib.tc_level.argtypes = [vp]
    lib.tc_get.restype = ctypes.c_int
    lib.tc_get.argtypes = [vp, i64, vp]
    lib.tc_add.restype = i64
    lib.tc_add.argtypes = [vp, vp, i64, ctypes.c_int]
    lib.tc_run.argtypes = [vp, i64, i64, i64, i64, vp, i64, ctypes.c_int, vp, vp, vp, i64, vp, vp]


__all__ = ["TreeStore", "declare", "tree_c", "tree_shape"]
