"""Strengthening when Houdini would drop a property: the counterexample to induction blocked by
a clause over the atoms (IC3's inductive generalisation, on one frame: the live candidates).

When a step leads from a state ``s`` that satisfies every live candidate (the property ``P``
among them) to one that breaks ``P``, Houdini would drop ``P``. Before it does, :class:`Blocker`
tries to exclude ``s`` instead: the *cube* of ``s`` (the value of every atom at ``s``) is
negated into a clause ``c``, and ``c`` is generalised while it stays

* consistent with every explicitly reached state and with every initial state (a reached
  state must never be excluded: the reached states are the cheap filter, numpy columns, and
  the initial states a small Z3 query, since with symbolic constants there is one per value);
* inductive relative to the live candidates: ``live ∧ c ∧ T ⇒ c'`` (one query on Houdini's
  own solver, the post-state's cube literals as assumptions).

Generalisation is IC3's (Bradley, "SAT-based model checking without unrolling", 2011; Hassan,
Bradley, Somenzi, "Better generalization in IC3", 2013):

1. *relative induction with cores* — when ``live ∧ c ∧ T ∧ cube'`` is unsat, the unsat core
   names the cube literals the answer needs; any cube between that core and the whole cube is
   relatively inductive, so the core (grown back, literal by literal, until it excludes every
   reached and initial state) is the new cube;
2. *counterexamples to generalisation* — when it is sat, the predecessor ``t`` (a state of
   ``live ∧ c`` stepping into the cube) is blocked first if it is itself unreached (up to
   ``MAX_CTG`` such predecessors, ``MAX_DEPTH`` levels deep); otherwise the cube keeps only the
   literals ``t`` shares with it ("down"), so that the clause excludes ``t`` as well;
3. *MIC* — each remaining literal is tried for removal (reached-state filter first, then one
   relative-induction query, whose core may remove more).

The clause is added to Houdini as a new live candidate, and Houdini goes on: every later step
is asked with the clause assumed, and Houdini may still drop it (when a candidate it relied on
goes). The final proof is checked independently like any other, so a clause here is never
trusted, only proposed. Everything is built from the atoms (:mod:`.atoms`), i.e. from the IR.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

import numpy as np
import z3

from checker.symbolic.induct.houdini import Houdini
from checker.symbolic.induct.mine import Clause

#: a cube: (atom index, value) pairs, sorted by atom
Cube = tuple[tuple[int, bool], ...]

#: counterexamples to generalisation blocked per clause, and how deep
MAX_CTG = 3
MAX_DEPTH = 2
#: relative-induction queries MIC may spend on one clause
MIC_CALLS = 40
#: clauses added in all (``options.induct_block_clauses``)
MAX_CLAUSES = 200


class Generaliser:
    """The blocking algorithm (generalise, counterexamples to generalisation, MIC) over cubes of atom
    literals, for any frame of candidates: a subclass says what the cube of a counterexample is
    (:meth:`cube_of`), whether an initial state lies in a cube (:meth:`initial`), whether a cube's
    negation is inductive relative to the live candidates (:meth:`relative`) and how a clause
    joins them (:meth:`_add`). :class:`Blocker` is the grounded frame (Houdini over one state
    vector); :mod:`.param_block` the frame over an instance sort (every N)."""

    def __init__(self, n_atoms: int, cols: np.ndarray, max_clauses: int = MAX_CLAUSES,
                 deadline: float = float("inf")) -> None:
        """``cols``: every atom on every reached state, bool (atoms, states)."""
        self.n = n_atoms
        self.cols = cols
        self.max_clauses = max_clauses
        self.deadline = deadline
        #: the clauses added: (candidate index, clause)
        self.added: list[tuple[int, Clause]] = []
        self.calls = 0
        self.failed = 0  # CTIs that could not be blocked
        self.cpu = 0.0
        #: how deep counterexamples to generalisation are blocked (a frame whose queries are dear asks less)
        self.max_depth = MAX_DEPTH
        #: block a counterexample to generalisation only where "down" is stuck (its cube would contain a
        #: reached or initial state), not before every "down" step
        self.ctg_when_stuck = False
        #: the clause's images under a swap of two instances (:mod:`.mirror`, ``options.induct_mirror``)
        self.mirror: Callable[[Clause], list[Clause]] | None = None
        self.mirrored = 0  # mirror images added

    # what a frame supplies
    def cube_of(self, m: Any) -> Cube:
        """The cube of a counterexample's pre-state (``m``: what :meth:`relative` or the hook gives)."""
        raise NotImplementedError

    def initial(self, cube: Cube) -> bool:
        """Some initial state (for some value of the symbolic constants) lies in ``cube``."""
        raise NotImplementedError

    def relative(self, cube: Cube) -> tuple[bool, Any]:
        """Is ``¬cube`` inductive relative to the live candidates? (True, the core's sub-cube) or
        (False, a counterexample: a step from ``live ∧ ¬cube`` into ``cube``, for :meth:`cube_of`)."""
        raise NotImplementedError

    def _add(self, cube: Cube) -> None:
        """``¬cube`` as a new live candidate (once)."""
        raise NotImplementedError

    def on_failure(self, m: Any, cube: Cube, why: str) -> None:
        """A counterexample to induction was not blocked (a frame may say which, for diagnosis)."""

    def full_cube_of(self, m: Any) -> Cube:
        """Every atom at the pre-state of ``m`` (what "down" intersects with; a frame whose
        :meth:`cube_of` gives a part of the atoms says the whole here)."""
        return self.cube_of(m)

    def show(self, cube: Cube) -> str:
        """A cube for NAPI_INDUCT_DEBUG's reports (a frame with the atoms' texts says them)."""
        return str(cube)

    def fallbacks(self, m: Any) -> list[Cube]:
        """Further cubes of the counterexample to induction ``m``, tried in turn when its
        :meth:`cube_of` cannot be generalised."""
        return []

    # the pieces every frame shares
    def reached(self, cube: Cube) -> bool:
        """Some explicitly reached state lies in ``cube``."""
        if not self.cols.shape[1]:
            return False
        match = np.ones(self.cols.shape[1], dtype=bool)
        for i, v in cube:
            match &= self.cols[i] == v
            if not match.any():
                return False
        return True

    def allowed(self, cube: Cube) -> bool:
        """``cube`` may be excluded: no reached and no initial state lies in it."""
        return bool(cube) and not self.reached(cube) and not self.initial(cube)

    def _grow(self, core: Cube, cube: Cube) -> Cube:
        """``core`` with literals of ``cube`` added back until no reached or initial state lies in it
        (every cube between the core and the whole cube is relatively inductive)."""
        out = dict(core)
        if self.allowed(tuple(sorted(out.items()))):
            return tuple(sorted(out.items()))
        for i, v in cube:  # the literals that exclude most reached states first would be better; order is cheap
            if i in out:
                continue
            out[i] = v
            if not self.reached(tuple(sorted(out.items()))):
                break
        got = tuple(sorted(out.items()))
        return got if self.allowed(got) else cube

    # the algorithm
    def generalise(self, cube: Cube, depth: int = 0) -> Cube | None:
        """A sub-cube of ``cube`` whose negation excludes no reached or initial state and is inductive
        relative to the live candidates; None when there is none (within the budgets)."""
        ctgs = 0
        while True:
            if time.perf_counter() > self.deadline:
                return None
            ok, got = self.relative(cube)
            if ok:
                cube = self._grow(got, cube)
                break
            t = self.cube_of(got)
            if depth < self.max_depth and ctgs < MAX_CTG and self._block_ctg(t, depth):
                ctgs += 1
                continue
            # down: keep the literals the predecessor shares, so that the clause excludes it too (all
            # its atoms: a part of them, e.g. one instance's, would shed every other literal at once)
            tv = dict(self.full_cube_of(got))
            smaller = tuple(lit for lit in cube if tv.get(lit[0]) == lit[1])
            if len(smaller) == len(cube) or not self.allowed(smaller):
                if os.environ.get("NAPI_INDUCT_DEBUG") == "3":
                    print(f"[induct] down stuck at depth {depth}: cube of {len(cube)} -> {len(smaller)}: "
                          f"{self.show(smaller)}", flush=True)
                # stuck: with ``ctg_when_stuck`` the predecessor is blocked now (one level deep) instead
                if self.ctg_when_stuck and depth == 0 and ctgs < MAX_CTG and self._block_ctg(t, depth):
                    ctgs += 1
                    continue
                return None
            cube, ctgs = smaller, 0
        return self.mic(cube)

    def _block_ctg(self, t: Cube, depth: int) -> bool:
        """Block the counterexample to generalisation ``t`` (an unreached, non-initial predecessor) by
        a clause of its own; True when one was added."""
        if self.reached(t) or self.initial(t):
            return False
        sub = self.generalise(t, depth + 1)
        if sub is None or len(self.added) >= self.max_clauses:
            return False
        self._add(sub)
        return True

    def mic(self, cube: Cube) -> Cube:
        """Drop literals while the cube stays excludable and its negation relatively inductive."""
        budget = MIC_CALLS
        k = 0
        while k < len(cube) and budget > 0 and time.perf_counter() < self.deadline:
            cand = cube[:k] + cube[k + 1:]
            if not self.allowed(cand):
                k += 1
                continue
            budget -= 1
            ok, got = self.relative(cand)
            if ok:
                cube = self._grow(got, cand)
                k = 0 if len(cube) < len(cand) else k
            else:
                k += 1
        return cube

    def block(self, m: Any) -> bool:
        """Houdini's hook: exclude the pre-state of the counterexample to induction ``m`` by a new
        candidate clause; False when it is reached, initial, or cannot be generalised."""
        if len(self.added) >= self.max_clauses or time.perf_counter() > self.deadline:
            return False
        c0 = time.process_time()
        try:
            cube = self.cube_of(m)
            if not self.allowed(cube):
                self.failed += 1
                self.on_failure(m, cube, "its atoms match a reached or initial state")
                return False
            got = self.generalise(cube)
            for alt in self.fallbacks(m):
                if got is not None or len(self.added) >= self.max_clauses:
                    break
                if alt != cube and self.allowed(alt):
                    got = self.generalise(alt)
            if got is None or len(self.added) >= self.max_clauses:
                self.failed += 1
                self.on_failure(m, cube, "generalising it ran out of budget")
                return False
            self._add(got)
            return True  # added, or already added on the way (as a counterexample to generalisation's)
        finally:
            self.cpu += time.process_time() - c0
            if os.environ.get("NAPI_INDUCT_DEBUG"):
                print(f"[induct] block: {len(self.added)} clause(s) ({self.mirrored} mirror images), {self.calls} queries, "
                      f"{self.failed} failed, "
                      f"{self.cpu:.1f} s CPU", flush=True)


class Blocker(Generaliser):
    """Blocks counterexamples to induction for one Houdini run (``h.block = Blocker(...).block``)."""

    def __init__(self, h: Houdini, n_atoms: int, term: Callable[[Clause], z3.BoolRef], cols: np.ndarray,
                 reads: Callable[[Clause], np.ndarray] | None = None, max_clauses: int = MAX_CLAUSES,
                 deadline: float = float("inf")) -> None:
        """``term``: a clause as a Z3 term over Houdini's pre-state ``h.x``; ``cols``: every atom on
        every reached state, bool (atoms, states); ``reads``: the flat locations a clause reads (for
        Houdini's step-by-step mode)."""
        super().__init__(n_atoms, cols, max_clauses, deadline)
        self.h = h
        self.reads = reads
        self.term = term
        self.pre = [term(((i, True),)) for i in range(n_atoms)]
        self.post = [h.to_post(t) for t in self.pre]
        self._assume: dict[tuple[int, bool], z3.BoolRef] = {}
        #: the reached states' flat values, one row per column of ``cols`` (for :meth:`on_failure`)
        self.rows: np.ndarray | None = None
        self.init = z3.Solver()
        self.init.add(h.prob.enc.init(h.x), h.prob.enc.wf(h.x))

    def cube_of(self, m: z3.ModelRef) -> Cube:
        """The value of every atom at the pre-state of ``m``."""
        return tuple((i, z3.is_true(m.eval(self.pre[i], model_completion=True))) for i in range(self.n))

    def on_failure(self, m: z3.ModelRef, cube: Cube, why: str) -> None:
        """With ``NAPI_INDUCT_DEBUG``: the step of the CTI not blocked, and where its pre-state
        differs from a reached state with the same atoms (the facts no atom tells apart)."""
        if not os.environ.get("NAPI_INDUCT_DEBUG"):
            return
        h = self.h
        t = h.prob.system.transitions[m.eval(h.tid, model_completion=True).as_long()]
        pre = [_value(m.eval(v, model_completion=True)) for v in h.x.flat]
        print(f"[induct] CTI not blocked ({why}): step {t.key} [{t.function}]", flush=True)
        if self.rows is None or not self.reached(cube):
            return
        match = np.ones(self.cols.shape[1], dtype=bool)
        for i, v in cube:
            match &= self.cols[i] == v
        row = self.rows[int(np.nonzero(match)[0][0])]
        diff = [f"{h.x.names[k]} = {pre[k]} (reached: {int(row[k])})" for k in range(len(row)) if pre[k] != row[k]]
        consts = [f"{h.x.names[k]} = {pre[k]}" for k in range(len(row), len(pre))]
        print(f"[induct]   same atoms as a reached state; differs in {', '.join(diff) or 'nothing'}"
              + (f" (constants: {', '.join(consts)})" if consts else ""), flush=True)

    def initial(self, cube: Cube) -> bool:
        self.calls += 1
        return self.init.check(*[self._lit(self.pre[i], v) for i, v in cube]) != z3.unsat

    @staticmethod
    def _lit(t: z3.BoolRef, v: bool) -> z3.BoolRef:
        return t if v else z3.Not(t)

    def _post(self, lit: tuple[int, bool]) -> z3.BoolRef:
        a = self._assume.get(lit)
        if a is None:
            a = z3.Bool(f"cube'!{lit[0]}!{int(lit[1])}")
            self.h.solver.add(z3.Implies(a, self._lit(self.post[lit[0]], lit[1])))
            self._assume[lit] = a
        return a

    def relative(self, cube: Cube) -> tuple[bool, Cube | z3.ModelRef]:
        h = self.h
        q = z3.Bool(f"block!{self.calls}")
        h.solver.add(z3.Implies(q, z3.Or(*[self._lit(self.pre[i], not v) for i, v in cube])))
        posts = [self._post(lit) for lit in cube]
        self.calls += 1
        r = h._check(q, *posts)
        if r == z3.sat:
            m = h.solver.model()
            h.solver.add(z3.Not(q))
            return False, m
        core = {a.get_id() for a in h.solver.unsat_core()}
        h.solver.add(z3.Not(q))
        return True, tuple(lit for lit, a in zip(cube, posts) if a.get_id() in core)

    def _add(self, cube: Cube) -> None:
        clause: Clause = tuple((i, not v) for i, v in cube)
        if any(c == clause and self.h.live[k] for k, c in self.added):
            # found again: a counterexample to generalisation's clause that the CTI's cube generalised
            # to as well (it excludes both states); once is enough
            return
        row = self.reads(clause) if self.reads is not None else None
        idx = self.h.add(self.term(clause), row)
        self.added.append((idx, clause))
        if self.mirror is not None:
            self._add_mirrors(clause)

    def _add_mirrors(self, clause: Clause) -> None:
        """The clause's mirror images (the same fact about another instance), each added when it
        excludes no reached and no initial state; Houdini keeps it only if it is inductive."""
        assert self.mirror is not None
        for img in self.mirror(clause):
            if len(self.added) >= self.max_clauses or any(c == img and self.h.live[k] for k, c in self.added):
                continue
            if not self.allowed(tuple((i, not pol) for i, pol in img)):
                continue
            row = self.reads(img) if self.reads is not None else None
            self.added.append((self.h.add(self.term(img), row), img))
            self.mirrored += 1


def _value(v: z3.ExprRef) -> int:
    if z3.is_true(v) or z3.is_false(v):
        return int(z3.is_true(v))
    return v.as_long()  # type: ignore[attr-defined, no-any-return]
