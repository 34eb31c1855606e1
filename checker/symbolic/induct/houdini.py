"""Houdini: the largest inductive subset of the candidates, and a small sufficient subset of it.

One solver holds ``wf(x) ∧ T(x, x')`` and, per candidate ``c``, ``a_c ⇒ c(x)`` with a fresh
assumption literal ``a_c``. A round asks for a step from a state satisfying every live
candidate to one falsifying some live candidate (``q ⇒ ⋁ ¬c(x')`` under a fresh literal
``q``); every candidate false in the post-state of the answer (a counterexample to
induction) is dropped. When the answer is unsat, the live candidates are inductive. Each
round drops at least one candidate, so the number of solver calls is at most linear in the
number of candidates (in practice a few dozen).

:func:`Houdini.support` then shrinks the invariant to what the properties need: starting from
the properties, each kept candidate's preservation is asked under the live candidates'
literals and the unsat core names the candidates it relies on; their closure is inductive
and implies the properties.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import z3

from checker.symbolic.induct.substitution import Substitution
from checker.symbolic.problem import Problem
from checker.symbolic.translate import SState, _not

#: every candidate on states reachable from a counterexample's pre-state: bool matrix (candidates, rows),
#: and for each row the path to it from the pre-state (a list of (transition index, state))
Forward = Callable[[z3.ModelRef], tuple[np.ndarray, Callable[[int], list[tuple[int, tuple]]]]]
#: evaluates the first candidates (the mined clauses) on concrete flat state vectors (rows) of a
#: model's post-state: bool matrix (clauses, rows); candidates after those are evaluated by Z3
Evaluate = Callable[[z3.ModelRef, np.ndarray], np.ndarray]


class Timeout(Exception):
    """The engine's time ran out during a solver call."""


@dataclass
class Candidate:
    name: str
    term: z3.BoolRef  # over the state ``x`` of the Houdini instance
    post: z3.BoolRef  # the same over ``x'``


class Houdini:
    def __init__(self, prob: Problem, x: SState, terms: list[z3.BoolRef], evaluate: Evaluate,
                 deadline: float = float("inf"), forward: Forward | None = None,
                 depends: np.ndarray | None = None, watch_from: int | None = None) -> None:
        """``depends``: optional bool matrix (candidates, flat locations), the locations each
        candidate reads; with it Houdini asks step by step (:meth:`_run_per_step`). ``watch_from``:
        the candidates from this index on (the properties) keep the model that dropped them."""
        enc = prob.enc
        self.prob = prob
        self.x = x
        self.x2 = enc.state("'")
        self.deadline = deadline
        self.evaluate = evaluate
        self.forward = forward
        self.depends = depends
        self.solver = z3.SolverFor("QF_LIA")
        s = self.solver
        self.trans = enc.trans(x, self.x2, z3.Int("tid'"))
        s.set("unsat_core", True)
        s.add(enc.wf(x), enc.wf(self.x2))
        self.tid = z3.Int("tid'")
        s.add(self.trans)
        self._to_post = Substitution(list(zip(x.flat, self.x2.flat)))
        self.pre = terms
        self.post = [self._to_post.apply(t) for t in terms]
        self.lits = [z3.Bool(f"cand!{k}") for k in range(len(terms))]
        for a, t in zip(self.lits, terms):
            s.add(z3.Implies(a, t))
        self.live = np.ones(len(terms), dtype=bool)
        self.calls = 0
        self.watch_from = len(terms) if watch_from is None else watch_from
        self.ctis: dict[int, z3.ModelRef] = {}
        #: for a watched candidate dropped on a state reached forward from the CTI's pre-state: the
        #: steps from the pre-state to it (empty when the CTI's own post-state falsifies it)
        self.cti_paths: dict[int, list[tuple[int, tuple]]] = {}
        self.rounds: list[int] = []  # candidates dropped per round
        #: the watched candidates are ``watch_from <= k < watch_to`` (candidates added later are not)
        self.watch_to = len(terms)
        #: called with a counterexample to induction that would drop a watched candidate; True when it
        #: added candidates that exclude its pre-state instead (:mod:`.strengthen`), so nothing is dropped
        self.block: Callable[[z3.ModelRef], bool] | None = None
        self.blocked = 0
        #: step-by-step mode: first the fixpoint of the other candidates, the watched ones assumed but not
        #: asked about (so not blocked), then the watched ones too (``options.induct_block_late``): the
        #: blocking then works against a frame the mined candidates false beyond the mining prefix have
        #: already left, instead of generalising clauses that lean on them and go with them
        self.block_late = False

    def to_post(self, t: z3.BoolRef) -> z3.BoolRef:
        """A term over the pre-state ``x`` read over the post-state ``x'``."""
        return self._to_post.apply(t)

    def add(self, term: z3.BoolRef, reads: np.ndarray | None = None) -> int:
        """A new live candidate (a strengthening clause); its index. ``reads``: the flat locations it
        reads, for the step-by-step mode (default: all)."""
        k = len(self.pre)
        self.pre.append(term)
        self.post.append(self.to_post(term))
        self.lits.append(z3.Bool(f"cand!{k}"))
        self.solver.add(z3.Implies(self.lits[k], term))
        self.live = np.append(self.live, True)
        if self.depends is not None:
            row = np.ones(self.depends.shape[1], dtype=bool) if reads is None else reads
            self.depends = np.vstack([self.depends, row[None, :]])
        return k

    def _check(self, *extra: z3.BoolRef, live: np.ndarray | None = None,
               solver: z3.Solver | None = None) -> z3.CheckSatResult:
        s = self.solver if solver is None else solver
        left = self.deadline - time.perf_counter()
        if left <= 0:
            raise Timeout()
        if left != float("inf"):
            s.set("timeout", max(1, int(left * 1000)))
        mask = self.live if live is None else live
        self.calls += 1
        r = s.check(*[self.lits[k] for k in np.nonzero(mask)[0]], *extra)
        if r == z3.unknown:
            raise Timeout()
        return r

    def post_values(self, model: z3.ModelRef) -> np.ndarray:
        return np.array([[_int(model.eval(c, model_completion=True)) for c in self.x2.flat]], dtype=np.int64)

    def initial(self) -> None:
        """Drop the candidates false in some initial state (mined candidates hold in the initial
        state of every mining run, but with symbolic constants there are initial states for
        every value of them)."""
        s = z3.Solver()
        s.add(self.prob.enc.init(self.x), self.prob.enc.wf(self.x))
        while True:
            idx = np.nonzero(self.live)[0]
            if not len(idx):
                return
            self.calls += 1
            if s.check(z3.Or(*[_not(self.pre[i]) for i in idx])) != z3.sat:
                return
            m = s.model()
            for i in idx:
                if z3.is_false(m.eval(self.pre[i], model_completion=True)):
                    self.live[i] = False

    def run(self) -> np.ndarray:
        """Drop candidates until the live ones are inductive; returns the live mask."""
        self.initial()
        if self.depends is not None:
            return self._run_per_step()
        k = 0
        while True:
            idx = np.nonzero(self.live)[0]
            if not len(idx):
                return self.live
            q = z3.Bool(f"houdini!{k}")
            k += 1
            self.solver.add(z3.Implies(q, z3.Or(*[_not(self.post[i]) for i in idx])))
            r = self._check(q)
            m = self.solver.model() if r == z3.sat else None
            self.solver.add(z3.Not(q))  # retire the question (after reading the model: adding drops it)
            if m is None:
                return self.live
            self._drop(m)

    def _run_per_step(self) -> np.ndarray:
        """The same fixpoint asked one step at a time (``tid == t``), each time only about the live
        candidates that read a location the step writes (the others cannot change): many small
        queries instead of few huge ones, for systems with thousands of candidates."""
        enc = self.prob.enc
        writes = []
        for t in self.prob.system.transitions:
            post = enc.post_flat(t, self.x)
            writes.append(np.array([not z3.eq(a, b) for a, b in zip(post, self.x.flat)], dtype=bool))
        k = 0
        for ask_watched in ([False, True] if self.block is not None and self.block_late else [True]):
            progress = True
            while progress:
                progress = False
                for t, w in zip(self.prob.system.transitions, writes):
                    while True:
                        assert self.depends is not None  # grows when a strengthening clause is added
                        ask = self.live & self.depends[:, w].any(axis=1)
                        if not ask_watched:
                            ask[self.watch_from: self.watch_to] = False
                        idx = np.nonzero(ask)[0]
                        if not len(idx):
                            break
                        q = z3.Bool(f"houdini!{k}")
                        k += 1
                        self.solver.add(z3.Implies(q, z3.Or(*[_not(self.post[i]) for i in idx])))
                        r = self._check(q, self.tid == t.index)
                        m = self.solver.model() if r == z3.sat else None
                        self.solver.add(z3.Not(q))
                        if m is None:
                            break
                        self._drop(m, keep_watched=not ask_watched)
                        progress = True
        return self.live

    def _drop(self, m: z3.ModelRef, keep_watched: bool = False) -> None:
        """Drop every live candidate false after the counterexample to induction ``m`` (with
        ``keep_watched``, every one but the watched: they are neither dropped nor blocked yet)."""
        holds = np.ones(len(self.post), dtype=bool)
        fast = self.evaluate(m, self.post_values(m))[:, 0]  # the mined clauses, vectorised
        holds[: len(fast)] = fast
        for i in range(len(fast), len(self.post)):  # the properties: few, evaluated by Z3
            holds[i] = not z3.is_false(m.eval(self.post[i], model_completion=True))
        direct = holds.copy()
        fwd = None
        if self.forward is not None:
            # Every state reachable from the pre-state (which satisfies every live candidate)
            # satisfies every inductive subset of the live candidates: a candidate false on one
            # of them is dropped now rather than one solver call at a time.
            fwd, path = self.forward(m)
            holds[: len(fwd)] &= fwd.all(axis=1)  # candidates added since (strengthening clauses): by Z3 only
        dropped = self.live & ~holds
        if keep_watched:
            dropped[self.watch_from: self.watch_to] = False
        if not dropped.any():  # the evaluator disagrees with the solver: fall back on Z3's own evaluation
            dropped = np.array([bool(self.live[i]) and z3.is_false(m.eval(self.post[i], model_completion=True))
                                for i in range(len(self.post))])
            if keep_watched:
                dropped[self.watch_from: self.watch_to] = False
            if not dropped.any():
                raise RuntimeError("Houdini: a counterexample to induction that falsifies no candidate")
        watched = dropped[self.watch_from: self.watch_to]
        if self.block is not None and watched.any():
            if self.block(m):
                self.blocked += 1  # its pre-state is excluded by a new candidate: ask again
                return
            # not blocked, but candidates may have been added on the way (they stay live)
            dropped = np.concatenate([dropped, np.zeros(len(self.live) - len(dropped), dtype=bool)])
        self.live &= ~dropped
        self.rounds.append(int(dropped.sum()))
        for i in np.nonzero(watched)[0]:
            k = self.watch_from + int(i)
            self.ctis[k] = m
            if fwd is not None and direct[k]:
                self.cti_paths[k] = path(int(np.nonzero(~fwd[k])[0][0]))

    def support(self, roots: list[int], minimize: bool = True) -> list[int]:
        """A subset of the live candidates containing ``roots`` that is inductive on its own: grown
        from the roots by unsat cores of "some member is falsified by a step" until it is closed
        (one solver call per round, a handful of rounds). With ``minimize`` the closure is then
        recomputed on a solver holding only that subset, with Z3's core minimisation (slower per
        call, on far fewer candidates: the printed invariant is several times smaller)."""
        need = _closure(self, self.solver, roots)
        if not minimize:
            return need
        small = z3.SolverFor("QF_LIA")
        small.set("unsat_core", True)
        small.set("core.minimize", True)
        small.add(self.prob.enc.wf(self.x), self.prob.enc.wf(self.x2), self.trans)
        for i in need:
            small.add(z3.Implies(self.lits[i], self.pre[i]))
        mask = np.zeros(len(self.live), dtype=bool)
        mask[need] = True
        return _closure(self, small, roots, mask)


def _closure(h: Houdini, solver: z3.Solver, roots: list[int], mask: np.ndarray | None = None) -> list[int]:
    live = h.live if mask is None else mask
    need = {r for r in roots if live[r]}
    k = 0
    while True:
        q = z3.Bool(f"support!{id(solver)}!{k}")
        k += 1
        solver.add(z3.Implies(q, z3.Or(*[_not(h.post[c]) for c in sorted(need)])))
        r = h._check(q, live=live, solver=solver)
        if r != z3.unsat:
            raise RuntimeError("Houdini.support: a live candidate is not preserved")
        core = {a.get_id() for a in solver.unsat_core()}
        solver.add(z3.Not(q))
        grown = {int(i) for i in np.nonzero(live)[0] if h.lits[i].get_id() in core} - need
        if not grown:
            return sorted(need)
        need |= grown


def _int(v: z3.ExprRef) -> int:
    if z3.is_true(v):
        return 1
    if z3.is_false(v):
        return 0
    return v.as_long()  # type: ignore[attr-defined, no-any-return]
