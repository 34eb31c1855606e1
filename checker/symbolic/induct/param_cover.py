"""Wide "held somewhere" candidates for the every-N engine: ``flag(i) ⇒ where(i)``.

A per-instance flag such as NAPI_STATE_SCHED is set only by a context that then puts the instance
somewhere (on a poll list, in a poller's local list, in a context's ``cur``), and stays set while
the instance moves between those places. The fact a proof of NoLostWakeup needs is "SCHED(i) ⇒ i
is held by someone": one clause of five or more literals, out of reach of mining's three
(:mod:`checker.symbolic.induct.mine`), and what CTI blocking generalises one configuration at a
time (docs/induct.md, "Round 6").

For each premise (a Boolean or flag bit of instance ``i``) this builds, from the mined columns, a
disjunction of *holder* atoms covering every mined row where the premise holds (:func:`holders`:
where ``i`` is, then program-counter labels and single contexts' facts, then other facts of ``i``),
taking only holders that imply the premise on the mined rows, by greedy set cover; again on the
rows where ``i`` is, and is not, each distinguished instance (docs/induct.md, "Wide candidates").
The same for a *data* premise (``rx(i) > 0``: a frame waits), alone and under each place ``i``
can be held (:func:`data_cover_clauses`): "a frame of i waits ⇒ SCHED(i), or i's driver is between
its rx push and napi_schedule", "the handler at complete with cur = i and a frame of i waiting ⇒
MISSED(i) or i's driver before napi_schedule". Holders there cannot imply the premise (a flag never
implies a count); they must not follow from the place alone instead (SCHED while the handler polls
i says nothing of the frame).
The clause is a candidate like any mined one: Houdini keeps it only if it is inductive with the
rest, and the grounded re-check checks what is kept, so a cover that is a fact of the small mined
sizes only costs a query, never soundness.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from checker.symbolic.induct.mine import Clause

#: atom kinds that say where instance i is (on a list, held by a context)
WHERE = ("in", "ideq", "owner", "both")
#: at most this many literals in a cover (premise included)
MAX_WIDTH = 24


def premises(atoms: list[Any]) -> list[int]:
    """Boolean / flag-bit state of instance ``i`` itself."""
    return [k for k, a in enumerate(atoms) if a.kind == "bool" and a.path == ("i",) and a.uses() == {"i"}]


def holders(atoms: list[Any], pcs: set[str]) -> list[list[int]]:
    """The holder atoms as atom indices, in the order a cover takes them: where instance ``i`` is;
    the program counters of ``i``'s own contexts and of the single ones (its interrupt handler
    between test_and_set_bit and list_add, the disabler mid-cycle) and the single contexts' own
    facts ("the busy poller owns its target"); last, other facts of ``i``. ``pcs`` names the
    program counters (``busypoll.pc``): a context's locals share its prefix."""
    where = [k for k, a in enumerate(atoms) if a.kind in WHERE and a.uses() == {"i"} and a.who in ("i", "")]
    facts = premises(atoms)
    ctxs = {pc.rsplit(".", 1)[0] + "." for pc in pcs}
    labels = [k for k, a in enumerate(atoms) if a.uses() <= {"i"} and (
        (a.kind == "eq" and a.var in pcs)
        or (a.kind == "bool" and not a.path == ("i",) and any(a.var.startswith(c) for c in ctxs)))]
    return [where, labels, facts]


def _redundant(rows: np.ndarray, cols: np.ndarray, k: int, rest: list[int]) -> bool:
    """Every row of ``rows`` that column ``k`` covers, one of ``rest`` covers too."""
    return bool(rest) and not (rows & cols[k] & ~cols[rest].any(axis=0)).any()


def _greedy(rows: np.ndarray, cols: np.ndarray, groups: list[list[int]], across: bool = False) -> list[int] | None:
    """Atom indices whose columns cover every row of ``rows``, taken group by group (a later group
    only for the rows the earlier ones leave), each a greedy largest cover of what is left; then
    every pick whose rows the other picks of its own and earlier groups cover is dropped (never one
    made redundant by a later group: a program counter at all its labels would cover anything).
    With ``across``, then also every pick the picks of any group cover (where no holder can cover
    everything: :func:`data_cover_clauses`)."""
    left = rows.copy()
    chosen: list[list[int]] = []
    for group in groups:
        picks: list[int] = []
        chosen.append(picks)
        if not group:
            continue
        sub = cols[group]
        size = sub.sum(axis=1)
        while left.any():
            gain = (sub & left).sum(axis=1)
            if gain.max() == 0:
                break
            best = max(range(len(group)), key=lambda k: (gain[k], -size[k]))
            picks.append(group[best])
            left &= ~sub[best]
            if sum(map(len, chosen)) >= MAX_WIDTH:
                return None
    if left.any():
        return None
    for g, picks in enumerate(chosen):
        done = [k for earlier in chosen[:g] for k in earlier]
        for k in list(reversed(picks)):
            if _redundant(rows, cols, k, done + [c for c in picks if c != k]):
                picks.remove(k)
    out = [k for picks in chosen for k in picks]
    if across:
        for k in list(reversed(out)):
            if _redundant(rows, cols, k, [c for c in out if c != k]):
                out.remove(k)
    return out


def cover_clauses(atoms: list[Any], cols: np.ndarray, pcs: set[str], min_width: int) -> list[Clause]:
    """``¬premise(i) ∨ holder₁(i) ∨ …`` for every premise whose mined rows some holders cover, wider
    than ``min_width`` literals (narrower ones are mining's); the same again for the rows where
    ``i`` is, and is not, each distinguished instance (the disabler's target holds SCHED in ways
    another instance never does: the clause for the others is the one a proof about them needs)."""
    groups = holders(atoms, pcs)
    named = [k for k, a in enumerate(atoms) if a.kind == "named" and a.who == "i"]
    out: list[Clause] = []
    for p in premises(atoms):
        for split, pol in [(None, True), *((k, v) for k in named for v in (False, True))]:
            within = np.ones(cols.shape[1], dtype=bool) if split is None else cols[split] == pol
            rows = cols[p] & within
            if not rows.any():
                continue
            # holders imply the premise (where SCHED is, SCHED is set): the clause then says the
            # premise holds exactly when i is held somewhere, never "or the poller is idle"
            exact = [[k for k in g if k != p and (cols[k] & within).any() and not (cols[k] & within & ~cols[p]).any()]
                     for g in groups]
            got = _greedy(rows, cols, exact)
            if got is None:
                continue
            lits = [(p, False), *((k, True) for k in sorted(got))]
            if split is not None:  # "i is not (or is) the distinguished instance, or ..."
                lits.append((split, not pol))
            _add(out, lits, min_width)
    return out


def _add(out: list[Clause], lits: list[tuple[int, bool]], min_width: int) -> None:
    """Append the clause of ``lits`` when it is wider than ``min_width`` literals (narrower ones
    are mining's) and not there yet."""
    cl: Clause = tuple(lits)
    if len(cl) > min_width and cl not in out:
        out.append(cl)


def data_premises(atoms: list[Any]) -> list[int]:
    """Counters of instance ``i`` above their least value (``rx[i] > 0``: work waits for ``i``)."""
    return [k for k, a in enumerate(atoms) if a.kind == "gt" and a.path == ("i",) and a.uses() == {"i"}]


def _cover_rows(rows: np.ndarray, cols: np.ndarray, groups: list[list[int]], across: bool = False) -> list[int] | None:
    """:func:`_greedy` over the columns of ``rows`` alone (the premise's rows are few: slicing
    them out first keeps each cover to the size of its premise, not of every mined state)."""
    idx = np.flatnonzero(rows)
    flat = [k for g in groups for k in g]
    if not idx.size or not flat:
        return None
    sub = cols[np.ix_(flat, idx)]
    pos = {k: n for n, k in enumerate(flat)}
    got = _greedy(np.ones(idx.size, dtype=bool), sub, [[pos[k] for k in g] for g in groups], across)
    return None if got is None else [flat[n] for n in got]


def data_cover_clauses(atoms: list[Any], cols: np.ndarray, pcs: set[str], min_width: int) -> list[Clause]:
    """``¬d(i) ∨ ¬w(i) ∨ holder₁ ∨ …`` for each data premise ``d`` (:func:`data_premises`) and each
    place ``w`` of ``i`` (a where atom, or none): what is true of the instance, or which context is
    mid-way, whenever work waits for it there. Holders: i's flags first, then program counters and
    single contexts' facts; none that holds on every row of ``w`` (a fact of the place, not of the
    waiting work: SCHED while the handler polls i), none that is ``w`` itself. Wider than
    ``min_width`` literals only, like :func:`cover_clauses`."""
    where, labels, _facts = holders(atoms, pcs)
    flags = premises(atoms)
    everywhere = np.ones(cols.shape[1], dtype=bool)
    out: list[Clause] = []
    for d in data_premises(atoms):
        for w in [None, *where]:
            at = everywhere if w is None else cols[w]
            rows = cols[d] & at
            if not rows.any():
                continue
            groups = [[k for k in g if k != w and (at & ~cols[k]).any()] for g in (flags, labels)]
            # across: a flag taken for part of the rows that a later label covers whole is dropped
            got = _cover_rows(rows, cols, groups, across=True)
            if got is None:
                continue
            lits = [(d, False), *([(w, False)] if w is not None else []), *((k, True) for k in sorted(got))]
            _add(out, lits, min_width)
    return out
