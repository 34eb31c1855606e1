"""Candidate clauses mined from explicitly reached states.

Every atom (:mod:`checker.symbolic.induct.atoms`) is evaluated as a Boolean column over the
reached states; a clause of up to three literals is a candidate when some literal is true on
every reached state. Only minimal clauses are kept (a clause with a valid sub-clause adds
nothing that the sub-clause does not say).

Columns are packed into 64-bit words. Candidates are first generated on a random sample of
states (at most 1,024: a handful of words per literal, so every pair and triple is tried
vectorised), then verified on every state; the sample keeps every valid clause (a clause
true on all states is true on the sample), verification removes the rest. Atoms equal to or
the complement of an earlier atom on the reached states are represented by that atom in
pairs and triples (the equivalence itself is kept as two binary clauses).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from checker.symbolic.induct.atoms import Atom

#: a literal: (atom index, polarity) — polarity True means the atom itself, False its negation
Literal = tuple[int, bool]
Clause = tuple[Literal, ...]

SAMPLE = 1024


@dataclass
class Mined:
    clauses: list[Clause]
    states: int
    atoms: int
    representatives: int


def _pack(cols: np.ndarray) -> np.ndarray:
    """Bool matrix (rows, states) -> uint64 words (rows, ceil(states/64)); padding bits are 1."""
    rows, n = cols.shape
    pad = (-n) % 64
    if pad:
        cols = np.concatenate([cols, np.ones((rows, pad), dtype=bool)], axis=1)
    packed = np.packbits(cols, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view(np.uint64)


def atom_columns(atoms: list[Atom], values: np.ndarray) -> np.ndarray:
    """Every atom on every row of ``values``: bool matrix (atoms, rows)."""
    return np.stack([a.column(values) for a in atoms]) if atoms else np.zeros((0, len(values)), dtype=bool)


def mine(atoms: list[Atom], values: np.ndarray, max_len: int = 3, seed: int = 0,
         cols: np.ndarray | None = None) -> Mined:
    """The minimal clauses of up to ``max_len`` literals true on every row of ``values`` (or on
    every column of ``cols``, the atoms already evaluated, e.g. over several instances)."""
    if cols is None:
        cols = atom_columns(atoms, values)
    n = cols.shape[1]
    clauses: list[Clause] = []
    # constant atoms: unit clauses
    live: list[int] = []
    for i in range(len(atoms)):
        if cols[i].all():
            clauses.append(((i, True),))
        elif not cols[i].any():
            clauses.append(((i, False),))
        else:
            live.append(i)
    # equal / complementary atoms: keep the first as representative
    reps: list[int] = []
    seen: dict[bytes, int] = {}
    for i in live:
        key, neg = cols[i].tobytes(), (~cols[i]).tobytes()
        if key in seen:
            r = seen[key]
            clauses += [((r, False), (i, True)), ((r, True), (i, False))]
        elif neg in seen:
            r = seen[neg]
            clauses += [((r, True), (i, True)), ((r, False), (i, False))]
        else:
            seen[key] = i
            reps.append(i)
    if max_len < 2 or len(reps) < 2:
        return Mined(clauses, n, len(atoms), len(reps))
    lits: list[Literal] = [(i, pol) for i in reps for pol in (True, False)]
    lcols = np.stack([cols[i] if pol else ~cols[i] for i, pol in lits])
    owner = np.array([reps.index(i) for i, _ in lits])
    full = _pack(lcols)
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(n, size=min(n, SAMPLE), replace=False))
    samp = _pack(lcols[:, pick])
    ones = np.uint64(0xFFFFFFFFFFFFFFFF)
    m = len(lits)

    # pairs (literal a before b, different atoms)
    pair_ok = np.zeros((m, m), dtype=bool)
    for a in range(m):
        later = owner > owner[a]
        cand = np.nonzero(later & np.all((samp[a] | samp) == ones, axis=1))[0]
        if len(cand):
            ok = np.all((full[a] | full[cand]) == ones, axis=1)
            pair_ok[a, cand[ok]] = True
            pair_ok[cand[ok], a] = True
            clauses += [(lits[a], lits[b]) for b in cand[ok]]
    if max_len < 3:
        return Mined(clauses, n, len(atoms), len(reps))

    # triples a < b < c (by atom), no verified pair among them
    for a in range(m):
        bs = np.nonzero((owner > owner[a]) & ~pair_ok[a])[0]
        if not len(bs):
            continue
        uncovered = ~(samp[a] | samp[bs])  # (|bs|, words): sample states where a and b are both false
        # c covers them: uncovered & ~c == 0 on every word
        cover = np.all((uncovered[:, None, :] & ~samp[None, :, :]) == 0, axis=2)  # (|bs|, m)
        for r, b in enumerate(bs):
            cs = np.nonzero(cover[r] & (owner > owner[b]) & ~pair_ok[a] & ~pair_ok[b])[0]
            if not len(cs):
                continue
            ok = np.all((full[a] | full[b] | full[cs]) == ones, axis=1)
            clauses += [(lits[a], lits[b], lits[c]) for c in cs[ok]]
    return Mined(clauses, n, len(atoms), len(reps))


class ClauseEvaluator:
    """Evaluates a fixed list of clauses on concrete flat state vectors, vectorised."""

    def __init__(self, atoms: list[Atom], clauses: list[Clause]) -> None:
        self.atoms = atoms
        width = max((len(c) for c in clauses), default=1)
        self.idx = np.full((len(clauses), width), 2 * len(atoms))  # 2 * len(atoms): an always-false row
        for k, cl in enumerate(clauses):
            for j, (i, pol) in enumerate(cl):
                self.idx[k, j] = i if pol else len(atoms) + i

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Every clause on every row of ``values``: bool matrix (clauses, rows)."""
        cols = np.stack([a.column(values) for a in self.atoms])
        lits = np.concatenate([cols, ~cols, np.zeros((1, len(values)), dtype=bool)])
        return lits[self.idx].any(axis=1)
