"""Lazily instantiated hypotheses for the every-N Houdini (:meth:`checker.symbolic.induct.param.AllN.run`).

A step template's verification condition assumes every live candidate ``∀ i ≠ j. C(i, j)`` at every
tuple of distinct elements of the step's universe (its K instance constants: param_tr's ∃*∀*
argument). With thousands of candidates and K near ten that is close to a million implications per
step solver, tens of solvers (8 GB on Linux with busy poll), and Z3 takes a second and more per
question over them. Most of those instances never matter to a given question.

:class:`LazySolver` asserts a mined clause only at the tuples of a *seed* (the step's own instance
parameters, its head choices and the witnesses ``w!i``/``w!j``), then refines on demand: a model is
taken only when its pre-state satisfies every assumed candidate at *every* tuple of the universe,
checked by evaluating the atom templates on the model (:class:`Evaluator`, numpy over the clauses);
each instance the model falsifies is asserted (under the candidate's literal) and the question asked
again. So

* an unsat answer is unsat under every instance (it is unsat under a subset of them);
* a sat answer's model satisfies every instance at the universe's elements, which is all the
  complete instantiation asks of a model: the same models as before, the same answers;
* each refinement asserts at least one instance not asserted before (a falsified instance cannot be
  asserted: its candidate's literal is assumed), so it ends, at worst at the complete set.

The properties (a few conjuncts, with their own binders) are asserted completely from the start.
Unsat cores name the same candidate literals as before. Instances asserted inside a ``push`` are
asserted again at the base level after the last ``pop``: each is a fact of the VC, true in any scope.

:meth:`Evaluator.falsified` reads the same templates on a model's *post*-state: every candidate false
there at some tuple of the universe is falsified by a real counterexample to induction of the live
set (the model restricted to the universe's elements is one, param_tr), so Houdini drops all of
them from one answer, not only those false at the witnesses.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

import numpy as np
import z3


class Evaluator:
    """Truth of the mined clauses on a model's state, at every tuple of distinct elements of a universe."""

    def __init__(self, uses: list[set[str]], cands: list[tuple[str, Any]],
                 atom: Callable[[int, dict[int, Any], dict[str, Any]], Any]) -> None:
        self.uses = uses  # per atom template: the instance variables it names ({"i"}, {"i", "j"} ...)
        self.cands = cands  # shared with Houdini: blocking appends
        self.atom = atom  # (atom index, state, binding) -> Z3 term (cached by the caller)
        self.evals = 0

    def arity(self, k: int) -> int:
        return len(set().union(*(self.uses[i] for i, _ in self.cands[k][1])))

    def reps(self, m: z3.ModelRef, universe: list[Any]) -> list[int]:
        """Positions in ``universe`` of one term per distinct element of the model."""
        seen: dict[str, int] = {}
        for p, u in enumerate(universe):
            seen.setdefault(str(m.eval(u, model_completion=True)), p)
        return list(seen.values())

    def table(self, m: z3.ModelRef, st: dict[int, Any], universe: list[Any], reps: list[int],
              atoms: set[int]) -> np.ndarray:
        """``A[a, r, s]``: atom ``a`` at i = ``universe[reps[r]]``, j = ``universe[reps[s]]`` (pairs
        with r = s only for atoms that do not name both)."""
        n = len(reps)
        out = np.zeros((len(self.uses), n, n), dtype=bool)

        def val(a: int, bind: dict[str, Any]) -> bool:
            self.evals += 1
            return z3.is_true(m.eval(self.atom(a, st, bind), model_completion=True))

        for a in atoms:
            used = self.uses[a]
            if not used:
                out[a] = val(a, {})
            elif used == {"i"}:
                for r, p in enumerate(reps):
                    out[a, r, :] = val(a, {"i": universe[p]})
            elif used == {"j"}:
                for r, p in enumerate(reps):
                    out[a, :, r] = val(a, {"j": universe[p]})
            else:
                for (r, p), (s, q) in itertools.permutations(enumerate(reps), 2):
                    out[a, r, s] = val(a, {"i": universe[p], "j": universe[q]})
        return out

    def violations(self, m: z3.ModelRef, st: dict[int, Any], universe: list[Any],
                   ks: list[int]) -> list[tuple[int, tuple[int, ...]]]:
        """The (candidate, tuple of universe positions) at which the clauses ``ks`` are false on ``st``."""
        ks = [k for k in ks if self.cands[k][0] == "clause"]
        if not ks:
            return []
        reps = self.reps(m, universe)
        n = len(reps)
        width = max(len(self.cands[k][1]) for k in ks)
        lit_a = np.zeros((len(ks), width), dtype=np.int64)
        lit_p = np.zeros((len(ks), width), dtype=bool)
        for row, k in enumerate(ks):
            cl = self.cands[k][1]
            padded = list(cl) + [cl[0]] * (width - len(cl))  # a repeated literal changes nothing
            lit_a[row] = [a for a, _ in padded]
            lit_p[row] = [p for _, p in padded]
        table = self.table(m, st, universe, reps, set(lit_a.ravel().tolist()))
        true = (table[lit_a] == lit_p[:, :, None, None]).any(axis=1)  # (clause, r, s)
        arity = np.array([self.arity(k) for k in ks])
        diag = np.eye(n, dtype=bool)
        out: list[tuple[int, tuple[int, ...]]] = []
        # arity 2: i ≠ j, every off-diagonal pair; arity 1: i alone (the diagonal); arity 0: once
        bad2 = ~true & ~diag & (arity == 2)[:, None, None]
        for row, r, s in zip(*np.nonzero(bad2)):
            out.append((ks[row], (reps[r], reps[s])))
        bad1 = ~true[:, diag] & (arity == 1)[:, None]
        for row, r in zip(*np.nonzero(bad1)):
            out.append((ks[row], (reps[r],)))
        for row in np.nonzero(~true[:, 0, 0] & (arity == 0))[0]:
            out.append((ks[row], ()))
        return out

    def falsified(self, m: z3.ModelRef, st: dict[int, Any], universe: list[Any], ks: list[int]) -> set[int]:
        """The clauses among ``ks`` false on ``st`` at some tuple of distinct elements of ``universe``."""
        return {k for k, _ in self.violations(m, st, universe, ks)}


class LazySolver:
    """A step template's solver (the ``z3.Solver`` interface Houdini, its minimisation and the blocker
    use) whose mined-clause hypotheses are asserted at the universe's tuples on demand (module doc)."""

    def __init__(self, solver: z3.Solver, ev: Evaluator, lits: list[Any], st: dict[int, Any],
                 universe: list[Any], seed: list[int],
                 instance: Callable[[int, dict[int, Any], tuple[Any, ...], list[Any]], Any]) -> None:
        self.s = solver
        self.ev = ev
        self.lits = lits  # shared with Houdini: blocking appends
        self.st = st  # the pre-state
        self.universe = universe
        self.seed = seed  # universe positions every clause is asserted at from the start
        self.instance = instance  # (candidate, pre-state, tuple of terms, universe) -> the clause there
        self.done: dict[int, set[tuple[int, ...]]] = {}  # lazily asserted candidate -> its tuples
        self._by_id: dict[int, int] = {}
        self._later: list[Any] = []  # asserted inside a scope: again at the base level
        self.depth = 0
        self.asserted = 0
        self.refinements = 0

    # ---- what the candidates are asserted at
    def register(self, k: int) -> None:
        """Candidate ``k`` (a mined or blocking clause): asserted at the seed's tuples."""
        self.done[k] = set()
        tuples = itertools.permutations(self.seed, self.ev.arity(k))
        self._assert([(k, t) for t in tuples])

    def _assert(self, todo: list[tuple[int, tuple[int, ...]]]) -> int:
        """Assert candidate ``k`` at each tuple ``t`` of universe positions not asserted yet; how many."""
        new = 0
        for k, t in todo:
            if t in self.done[k]:
                continue
            self.done[k].add(t)
            fact = z3.Implies(self.lits[k], self.instance(k, self.st, tuple(self.universe[p] for p in t),
                                                          self.universe))
            self.s.add(fact)
            self.asserted += 1
            new += 1
            if self.depth:
                self._later.append(fact)
        return new

    # ---- the z3.Solver interface
    def check(self, *assumptions: Any) -> Any:
        ks: list[int] | None = None
        # z3.Solver.check casts each assumption again (thousands of literals, every question)
        arr = (z3.Ast * len(assumptions))()
        for n, a in enumerate(assumptions):
            arr[n] = a.as_ast()
        while True:
            r = z3.CheckSatResult(z3.Z3_solver_check_assumptions(self.s.ctx.ref(), self.s.solver, len(arr), arr))
            if r != z3.sat:
                return r
            if ks is None:  # the lazily asserted candidates among the assumptions
                if len(self._by_id) != len(self.lits):
                    self._by_id = {lit.get_id(): k for k, lit in enumerate(self.lits)}
                ks = [k for a in assumptions if (k := self._by_id.get(a.get_id())) is not None and k in self.done]
            bad = self.ev.violations(self.s.model(), self.st, self.universe, ks)
            if not bad:
                return r
            self.refinements += 1
            if not self._assert(bad):  # cannot happen: an asserted instance holds in the model
                raise RuntimeError("lazy instantiation: a model falsifies an asserted instance")

    def push(self) -> None:
        self.s.push()
        self.depth += 1

    def pop(self) -> None:
        self.s.pop()
        self.depth -= 1
        if not self.depth and self._later:
            later, self._later = self._later, []
            self.s.add(*later)

    def add(self, *facts: Any) -> None:
        self.s.add(*facts)

    def model(self) -> z3.ModelRef:
        return self.s.model()

    def unsat_core(self) -> Any:
        return self.s.unsat_core()
