"""Blocking counterexamples to induction on the every-N path: clauses ``∀ i`` / ``∀ i ≠ j`` over the
atom templates, found by the grounded engine's algorithm (:class:`.strengthen.Generaliser`).

A counterexample to induction over the instance sort is a model of one step template's VC: a
pre-state over K instance constants that satisfies every live candidate, and a step after which a
property is false for the witness instance ``w!i`` (and ``w!j``). A universally quantified clause
excludes that pre-state when it is false at *some* instances of it, so the cube of the model is
taken at the witnesses: the atom templates with ``i`` bound to ``w!i`` and ``j`` to ``w!j`` (or,
when they coincide, to another instance of the model; with none, the atoms of ``i`` alone), first
those of ``i`` alone (:meth:`ParamBlocker.cube_of`). Its
negation, generalised, is the candidate ``∀ i ≠ j. ¬cube(i, j)`` (``∀ i`` when no literal names
``j``), kept only when

* no reached state of the mining runs (N = 2, 3), at any assignment of distinct instances to
  ``i`` and ``j``, lies in the cube (the mining columns, numpy);
* no initial state does (one query, every value of the symbolic constants);
* it is inductive relative to the live candidates: for every step template that writes what it
  reads, ``live ∧ clause ∧ T ∧ cube'(w!i, w!j)`` is unsat, the clause (a ∀) instantiated at the
  VC's K constants like every candidate (so the query stays in the ∃*∀* class, complete for every
  N); the unsat cores over the post-state's literals, united over the steps, shrink the cube.

A satisfiable step gives the next counterexample (to generalisation), a model of the same kind.
Nothing is trusted: Houdini goes on with the clause live (and may drop it), and the final
invariant is re-checked on the grounded IR at N = 2, 3, 4 like every all-N proof.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import z3

from checker.symbolic.induct.mine import Clause
from checker.symbolic.induct.strengthen import MAX_CLAUSES, Cube, Generaliser

#: a step of the all-N Houdini: (transition, its solver, its StepRun, its universe, candidates it may falsify)
Step = tuple[Any, z3.Solver, Any, list[Any], set[int]]


@dataclass
class Frame:
    """What the all-N Houdini (:meth:`checker.symbolic.induct.param.AllN.run`) shares with the
    blocker: its candidates (appended to in place) and how a template is read on a state."""

    uses: list[set[str]]  # per atom template: the instance variables it names
    cands: list[tuple[str, Any]]
    live: list[bool]
    lits: list[Any]
    reads: list[set[int]]  # per candidate: the slots it reads
    steps: list[Step]
    writes: list[set[int]]  # per step: the slots it assigns
    #: (atom index, state, binding {"i": term, "j": term}) -> the atom's Z3 term
    atom: Callable[[int, dict[int, Any], dict[str, Any]], Any]
    #: (solver, state, universe, candidate index): the candidate assumed there at every tuple of the universe
    assume: Callable[[z3.Solver, dict[int, Any], list[Any], int], None]
    clause_reads: Callable[[Clause], set[int]]
    x: dict[int, Any]  # the pre-state of every step
    x0: dict[int, Any]  # the initial state
    wi: Any
    wj: Any
    init_facts: list[Any] = field(default_factory=list)  # the symbolic constants' lower bounds


class ParamBlocker(Generaliser):
    """Blocks counterexamples to induction of the all-N Houdini (its hook: :meth:`block` of
    ``(model, step index)``)."""

    def __init__(self, f: Frame, cols: np.ndarray, max_clauses: int = MAX_CLAUSES,
                 deadline: float = float("inf")) -> None:
        super().__init__(len(f.uses), cols, max_clauses, deadline)
        self.f = f
        self.init = z3.Solver()
        self.init.add(*f.init_facts)
        self._n = itertools.count()
        #: per step: the literals of the atoms at tuples of its universe (positions), and i = j
        self._lits: dict[int, dict[Any, Any]] = {}
        self._last = -1
        # one relative-induction question here is a query per step template that the cube's atoms
        # read (tens on Linux), each over thousands of candidates; on Linux the predecessor of a
        # CTI's cube is another state of the same walk back around net_rx_action's loop, and blocking
        # it first (at every "down" step) squared the walk: the cube goes down directly, and a
        # predecessor is blocked first only where going down is stuck
        self.max_depth = 0
        self.ctg_when_stuck = True
        #: start from the cube of the witness ``i`` alone (:meth:`cube_of`); False: every atom at once
        self.own = True
        #: the atom templates' texts (NAPI_INDUCT_DEBUG's reports)
        self.texts: list[str] = []

    def show(self, cube: Cube) -> str:
        """A cube in the atoms' words (for NAPI_INDUCT_DEBUG)."""
        if not self.texts:
            return str(cube)
        return " and ".join(self.texts[a] if v else f"not {self.texts[a]}" for a, v in cube)

    def _uses_j(self, cube: Cube) -> bool:
        return any("j" in self.f.uses[i] for i, _ in cube)

    def allowed(self, cube: Cube) -> bool:
        # a clause naming j alone would be ∀ j (the same as ∀ i with the variables renamed): the
        # candidates name i first, so such a cube is not taken
        if cube and not any("i" in self.f.uses[i] for i, _ in cube) and self._uses_j(cube):
            return False
        return super().allowed(cube)

    def cube_of(self, ctx: tuple[z3.ModelRef, int]) -> Cube:
        """The atom templates at the model's witnesses (``w!i``, and ``w!j`` or another instance): with
        :attr:`own`, the first of (i's atoms), (i's and those naming no instance), (all) that no
        reached or initial state lies in. The other instances' literals are what makes a cube of
        every atom hard to shrink: a predecessor differs from the CTI in what net_rx_action does for
        j, "down" sheds one such literal per query, and the cube meets a reached state long before
        it is small (Linux every N, NoLostWakeup: 220 literals, stuck at 153); and a context's own
        state (its pc) is what the predecessors walk around. A fact about one instance needs
        neither, unless the reached states say otherwise."""
        cube = self.full_cube_of(ctx)
        if self.own:
            # i's own atoms, then with those naming no instance (a context's pc ...), then all
            for keep in ({"i"}, set(), None):
                own = tuple(lit for lit in cube if keep is None or self.f.uses[lit[0]] in ({"i"}, keep))
                if own and (keep is None or self.allowed(own)):
                    return own
        return cube

    def full_cube_of(self, ctx: tuple[z3.ModelRef, int]) -> Cube:
        """Every atom template at the model's witnesses (``w!i``, and ``w!j`` or another instance)."""
        m, k = ctx
        f = self.f
        universe = f.steps[k][3]
        ei = m.eval(f.wi, model_completion=True)
        other = [u for u in [f.wj, *universe] if not z3.eq(m.eval(u, model_completion=True), ei)]
        bind = {"i": f.wi, "j": other[0]} if other else {"i": f.wi}
        out = []
        for a, used in enumerate(f.uses):
            if used <= set(bind):
                out.append((a, z3.is_true(m.eval(f.atom(a, f.x, bind), model_completion=True))))
        return tuple(out)

    def fallbacks(self, ctx: tuple[z3.ModelRef, int]) -> list[Cube]:
        """When the cube of :meth:`cube_of` cannot be generalised: the atoms naming no instance alone
        (a fact of the shared state: DragonOS every N, NoLostWakeup, needs "a popped Waker of the
        sleeping handler is owed", which names no NIC, and a CTI's own NIC state is reached), then
        every atom."""
        cube = self.full_cube_of(ctx)
        shared = tuple(lit for lit in cube if not self.f.uses[lit[0]])
        return [c for c in (shared, cube) if c]

    def _cube_term(self, cube: Cube, st: dict[int, Any]) -> list[Any]:
        lits = [self.f.atom(a, st, {"i": self.f.wi, "j": self.f.wj}) for a, _ in cube]
        out = [t if v else z3.Not(t) for t, (_, v) in zip(lits, cube)]
        return out + ([self.f.wi != self.f.wj] if self._uses_j(cube) else [])

    def initial(self, cube: Cube) -> bool:
        self.calls += 1
        return self.init.check(*self._cube_term(cube, self.f.x0)) != z3.unsat

    def relative(self, cube: Cube) -> tuple[bool, Any]:
        f = self.f
        clause: Clause = tuple((i, not v) for i, v in cube)
        reads = f.clause_reads(clause)
        live = [f.lits[k] for k in range(len(f.cands)) if f.live[k]]
        core: set[int] = set()
        # the step that gave the last counterexample first: a cube that fails often fails there again
        order = sorted(range(len(f.steps)), key=lambda n: n != self._last)
        for k in order:
            _t, s, run, _u, _touched = f.steps[k]
            if not reads & f.writes[k]:
                continue
            s.push()
            try:
                q = z3.Bool(f"blk!{next(self._n)}")
                s.add(z3.Implies(q, self._clause_at(clause, k)))
                posts = [z3.Bool(f"cube'!{next(self._n)}") for _ in cube]
                for p, t in zip(posts, self._cube_term(cube, run.st)):
                    s.add(z3.Implies(p, t))
                extra = [f.wi != f.wj] if self._uses_j(cube) else []
                s.add(*extra)
                self.calls += 1
                r = s.check(*live, q, *posts)
                if r == z3.sat:
                    if os.environ.get("NAPI_INDUCT_DEBUG") == "2":
                        print(f"[induct] relative: cube of {len(cube)} stepped into at {f.steps[k][0].key}", flush=True)
                    self._last = k
                    return False, (s.model(), k)
                if r != z3.unsat:
                    raise TimeoutError
                got = {a.get_id() for a in s.unsat_core()}
                core |= {n for n, p in enumerate(posts) if p.get_id() in got}
            finally:
                s.pop()
        if os.environ.get("NAPI_INDUCT_DEBUG") == "2":
            print(f"[induct] relative: cube of {len(cube)} -> core of {len(core)}", flush=True)
        return True, tuple(lit for n, lit in enumerate(cube) if n in core)

    def _clause_at(self, clause: Clause, k: int) -> Any:
        """``∀ i (≠ j). clause`` on the pre-state of step ``k``, instantiated at every tuple of distinct
        elements of its universe (built through the C API: this is most of blocking's Python time)."""
        f = self.f
        universe = f.steps[k][3]
        cache = self._lits.setdefault(k, {})
        used = sorted(set().union(*(f.uses[i] for i, _ in clause)))
        out = []
        for combo in itertools.permutations(range(len(universe)), len(used)):
            ls = []
            for i, pol in clause:
                key = (i, pol, combo)
                t = cache.get(key)
                if t is None:
                    t = f.atom(i, f.x, {v: universe[p] for v, p in zip(used, combo)})
                    t = cache[key] = t if pol else z3.Not(t)
                ls.append(t)
            if len(combo) == 2:  # i = j: the clause says nothing
                key2 = ("eq", combo)
                if key2 not in cache:
                    cache[key2] = universe[combo[0]] == universe[combo[1]]
                ls.append(cache[key2])
            out.append(mk_bool_app(z3.Z3_mk_or, ls))
        return mk_bool_app(z3.Z3_mk_and, out)

    def _add(self, cube: Cube) -> None:
        f = self.f
        clause: Clause = tuple((i, not v) for i, v in cube)
        if any(c == clause and f.live[k] for k, c in self.added):
            return
        k = len(f.cands)
        f.cands.append(("clause", clause))
        f.live.append(True)
        f.lits.append(z3.Bool(f"c!{k}"))
        f.reads.append(f.clause_reads(clause))
        for n, (_t, s, _run, universe, touched) in enumerate(f.steps):
            f.assume(s, f.x, universe, k)
            if f.reads[k] & f.writes[n]:
                touched.add(k)
        self.added.append((k, clause))


def mk_bool_app(fn: Any, args: list[Any]) -> Any:
    """``fn`` (Z3_mk_or / Z3_mk_and) of ``args`` through the C API (z3.Or coerces every argument)."""
    if not args:
        return z3.BoolVal(fn is z3.Z3_mk_and)
    if len(args) == 1:
        return args[0]
    ctx = args[0].ctx
    arr = (z3.Ast * len(args))()
    for k, t in enumerate(args):
        arr[k] = t.as_ast()
    return z3.BoolRef(fn(ctx.ref(), len(args), arr), ctx)
