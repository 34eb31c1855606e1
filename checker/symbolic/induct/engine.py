"""``--engine induct``: inductive invariants inferred from explicitly reached states.

1. **Mine.** The explicit engine explores the configuration (up to ``induct_states`` states,
   default 500,000: a cut-short exploration still gives candidates, since nothing is
   claimed from them until Z3 has proved them). A violation it finds is reported with its
   replayed trace. Atoms are read off the IR's types (:mod:`.atoms`); every clause of up to
   three literals true on every reached state is a candidate (:mod:`.mine`).
2. **Houdini** (:mod:`.houdini`) over the grounded Z3 translation keeps the largest inductive
   subset of the candidates together with the properties themselves (a property is a
   candidate like any other).
3. **Strengthen.** A property Houdini had to drop is given to Spacer with the Houdini
   invariant conjoined to every rule body (:class:`checker.symbolic.pdr.Spacer`), so Spacer
   only learns the lemmas the mined clauses lack.
4. **Minimise and check.** Unsat cores shrink the invariant to the clauses the proved
   properties need; a fresh solver then checks ``Init ⇒ J``, ``J ∧ T ⇒ J'`` per step and
   ``J ⇒ P`` (:func:`checker.symbolic.invariant_check.check_invariant`), and the invariant,
   compiled to Python, is evaluated on every state the mining run reached. Only then is a
   property reported as holding, with the invariant printed in the spec's names.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

import numpy as np
import z3

from checker.engines import EngineInput
from checker.explicit.bfs import Limits, explore
from checker.lang.expr import ModelError
from checker.lang.pycompile import StepError
from checker.result import ERROR, HOLDS, INCONCLUSIVE, VIOLATED, EngineResult
from checker.symbolic.bmc import Outcome
from checker.symbolic.engine import _deadline, _query_ms, assemble
from checker.symbolic.induct.atoms import Atom, atoms_of
from checker.symbolic.induct.houdini import Houdini, Timeout
from checker.symbolic.induct.mine import Clause, ClauseEvaluator, mine
from checker.symbolic.induct.concrete import compile_clauses
from checker.symbolic.invariant_check import check_invariant
from checker.symbolic.on_reached import CHECKED, CONCRETE
from checker.symbolic.problem import ERROR as ERROR_TARGET
from checker.symbolic.problem import SAFETY_KINDS, Problem, Target
from checker.symbolic.translate import SState, concrete_flat

ENGINE = "induct"
#: states explored forward from each counterexample to induction (``induct_forward``)
FORWARD = 2000
#: states the mining run explores at most (``limits.induct_states`` / ``options.induct_states``)
MINE_STATES = 500_000


def clause_term(atoms: list[Atom], x: SState, cl: Clause) -> z3.BoolRef:
    lits = [atoms[i].term(x) if pol else z3.Not(atoms[i].term(x)) for i, pol in cl]
    return lits[0] if len(lits) == 1 else z3.Or(*lits)


def clause_text(atoms: list[Atom], cl: Clause) -> str:
    lits = [atoms[i].text if pol else _negate(atoms[i].text) for i, pol in cl]
    return " or ".join(lits)


def _negate(text: str) -> str:
    for a, b in ((" == ", " != "), (" > ", " <= "), (" in ", " not in "), (" >= ", " < ")):
        if a in text and not text.startswith("("):
            return text.replace(a, b, 1)
    return f"not {text}"


def _state_target(prob: Problem, tg: Target, x: SState) -> z3.BoolRef:
    return z3.Not(prob.bad(tg, x))


class Run:
    """One run of the engine on one configuration."""

    def __init__(self, inp: EngineInput) -> None:
        self.inp = inp
        self.t0 = time.perf_counter()
        self.cpu0 = time.process_time()
        self.deadline = _deadline(inp, self.t0)
        self.props = [p for p in inp.properties if p.kind in SAFETY_KINDS]
        self.prob = Problem(inp.system, self.props)
        self.x = self.prob.enc.state("")
        self.stats: dict[str, Any] = {}
        self._lap = self.cpu0

    def lap(self, phase: str) -> None:
        """Record the CPU seconds of ``phase`` (since the previous lap) in the statistics."""
        now = time.process_time()
        self.stats[f"cpu_{phase}"] = round(now - self._lap, 2)
        self._lap = now

    def limit(self, key: str, default: Any) -> Any:
        return self.inp.options.get(key, self.inp.limits.get(key, default))

    # 1. mining
    def explore(self) -> EngineResult:
        secs = None
        if self.deadline != float("inf"):
            secs = max(0.5, (self.deadline - time.perf_counter()) / 3)
        lim = Limits(int(self.limit("induct_states", MINE_STATES)), None, secs)
        return explore(self.inp.compiled, self.props, lim, "exact", self.inp.progress)

    def run(self) -> EngineResult:
        res = self.explore()
        self.stats["states"] = res.stats.states
        self.stats["explored_fully"] = res.stats.limit_hit is None
        outcomes: dict[str, Outcome] = {}
        for pr in res.properties:
            if pr.verdict == VIOLATED and pr.trace is not None:
                pr.trace.engine = ENGINE
                outcomes[pr.name] = Outcome(VIOLATED, pr.trace, note="found while mining (explicit search)")
        if res.error is not None:
            out = EngineResult(ENGINE, [], res.stats, res.error, res.error_trace)
            for pr in res.properties:
                pr.engine = ENGINE
                if pr.verdict != VIOLATED:
                    pr.verdict, pr.note = ERROR, res.error
                out.properties.append(pr)
            return out
        open_ = [tg for tg in self.prob.targets if tg.name not in outcomes]
        if len(open_) > 1 or (open_ and open_[0].name != ERROR_TARGET):
            try:
                outcomes.update(self.prove(res, open_))
            except Timeout:
                for tg in open_:
                    outcomes.setdefault(tg.name, Outcome(INCONCLUSIVE, note="time limit reached"))
        out = assemble(ENGINE, self.inp, outcomes, self.t0)
        out.stats.states = res.stats.states
        out.stats.transitions = res.stats.transitions
        return out

    # 2-4
    def prove(self, res: EngineResult, targets: list[Target]) -> dict[str, Outcome]:
        system, prob, x = self.inp.system, self.prob, self.x
        reached = list(res.reached()) if res.reached is not None else []
        values = np.array([concrete_flat(system, s) for s in reached], dtype=np.int64).reshape(len(reached), -1)
        atoms = atoms_of(system, x)
        mined = mine(atoms, values, max_len=int(self.limit("induct_literals", 3)))
        clauses = mined.clauses
        self.stats.update(atoms=len(atoms), candidates=len(clauses))
        state_targets = [tg for tg in targets if not tg.edge]
        terms = [clause_term(atoms, x, c) for c in clauses] + [_state_target(prob, tg, x) for tg in state_targets]
        self.lap("mine")
        evaluate = ClauseEvaluator(atoms, clauses)
        forward = self.forward_fn(evaluate, state_targets) if int(self.limit("induct_forward", FORWARD)) > 0 else None
        h = Houdini(prob, x, terms, evaluate, self.deadline, forward)
        live = h.run()
        self.lap("houdini")
        nc = len(clauses)
        proved = [tg for k, tg in enumerate(state_targets) if live[nc + k]]
        dropped = [tg for k, tg in enumerate(state_targets) if not live[nc + k]]
        edge = [tg for tg in targets if tg.edge]
        self.stats.update(houdini_calls=h.calls, houdini_rounds=len(h.rounds), houdini_kept=int(live[:nc].sum()))
        results: dict[str, Outcome] = {}
        # a property Houdini dropped: Spacer with the Houdini invariant in every rule body
        spacer_inv = None
        if dropped or edge:
            spacer_inv, spacer_note = self.strengthen(h, dropped + edge, [terms[i] for i in np.nonzero(live)[0]])
            if spacer_inv is None:
                for tg in dropped + edge:
                    results[tg.name] = Outcome(INCONCLUSIVE, note=spacer_note, detail=self.cti_detail(h, nc, state_targets, tg))
            else:
                proved += dropped + edge
        if not proved:
            return results
        if any(tg.name == ERROR_TARGET for tg in targets) and not any(tg.name == ERROR_TARGET for tg in proved):
            for tg in proved:
                results[tg.name] = Outcome(INCONCLUSIVE, note="absence of modelling errors not shown")
            return results
        # minimise (unsat cores) over the Houdini invariant, unless Spacer's lemmas were needed
        roots = [nc + k for k, tg in enumerate(state_targets) if tg in proved]
        self.lap("spacer")
        minimize = bool(self.limit("induct_minimize", True))
        support = h.support(roots, minimize) if spacer_inv is None else [int(i) for i in np.nonzero(live)[0]]
        self.lap("minimise")
        keep = [i for i in support if i < nc]
        # the properties are conjuncts of the invariant too (each is a candidate Houdini kept)
        inv_terms = [terms[i] for i in support] + ([spacer_inv] if spacer_inv is not None else [])
        inv = z3.And(*inv_terms) if inv_terms else z3.BoolVal(True)
        lines = [clause_text(atoms, clauses[i]) for i in keep]
        if spacer_inv is not None:
            lines.append("(and the lemmas Spacer added, shown as Z3 terms:) " + str(z3.simplify(spacer_inv))[:2000])
        # independent check on fresh solvers, for the proved properties only
        check_prob = Problem(system, [tg.prop for tg in proved if tg.prop is not None])
        ok, why = check_invariant(check_prob, x, inv, check_prob.targets, _query_ms(self.inp))
        if not ok:
            for tg in proved:
                results[tg.name] = Outcome(INCONCLUSIVE, note=f"the inferred invariant failed the independent check: {why}")
            return results
        self.lap("check")
        detail: dict[str, Any] = {"invariant": lines, "clauses": len(keep)}
        on_reached = ""
        try:
            concrete = compile_clauses(system, atoms, [clauses[i] for i in keep], lines[: len(keep)])
            detail[CONCRETE] = concrete
            bad = next((s for s in reached if not concrete.holds(s)), None)
            if bad is not None:  # the mining run reached it: an engine is wrong
                for tg in proved:
                    results[tg.name] = Outcome(ERROR, note="the inferred invariant is false on a reached state")
                return results
            on_reached = f"; holds on all {len(reached):,} states the mining run reached"
            detail[CHECKED] = len(reached)
        except ValueError as err:
            detail[CONCRETE + "_error"] = str(err)
        self.lap("on_reached")
        cpu = time.process_time() - self.cpu0
        self.stats["cpu_seconds"] = round(cpu, 2)
        detail["stats"] = dict(self.stats)
        if os.environ.get("NAPI_INDUCT_DEBUG"):
            print(f"[induct] {self.stats}")
        how = "Houdini" + (" + Spacer" if spacer_inv is not None else "")
        note = (f"proved by {how}: an inductive invariant of {len(keep)} clause(s) mined from "
                f"{self.stats['states']:,} reached states ({len(clauses):,} candidates), independently checked "
                f"(Init ⇒ J, J ∧ T ⇒ J', J ⇒ P){on_reached}; {cpu:.1f} s CPU")
        for tg in proved:
            results[tg.name] = Outcome(HOLDS, note=note, detail=detail)
        return results

    def forward_fn(self, evaluate: ClauseEvaluator, state_targets: list[Target]) -> Callable[[z3.ModelRef], np.ndarray]:
        """Candidates on the states reachable from a counterexample's pre-state (explicit successors,
        breadth-first, at most ``induct_forward`` states): clauses vectorised, invariant properties
        compiled; the other targets (errors, deadlocks) count as true there (never dropping is safe)."""
        system, compiled, enc = self.inp.system, self.inp.compiled, self.prob.enc
        cap = int(self.limit("induct_forward", FORWARD))
        checks = [compiled.state_fn(tg.prop.expr) if tg.kind == "invariant" and tg.prop is not None else None
                  for tg in state_targets]

        def successors(s: tuple) -> list[tuple]:
            try:
                return [v for _, v in compiled.successors(s)]
            except (StepError, ModelError):  # a step raises here: the others, one at a time
                out = []
                for t in system.transitions:
                    try:
                        v = compiled.step(s, t.index)
                    except (StepError, ModelError):
                        continue
                    if v is not None:
                        out.append(v)
                return out

        def forward(m: z3.ModelRef) -> np.ndarray:
            start = enc.decode(m, self.x)
            seen = {start}
            frontier = [start]
            while frontier and len(seen) < cap:
                nxt = []
                for s in frontier:
                    for v in successors(s):
                        if v not in seen and len(seen) < cap:
                            seen.add(v)
                            nxt.append(v)
                frontier = nxt
            states = list(seen)
            rows = np.array([concrete_flat(system, s) for s in states], dtype=np.int64)
            props = np.ones((len(checks), len(states)), dtype=bool)
            for k, f in enumerate(checks):
                if f is not None:
                    for j, s in enumerate(states):
                        try:
                            props[k, j] = bool(f(s))
                        except (ArithmeticError, IndexError, TypeError, ValueError):
                            props[k, j] = False  # raising in the property: false, as in the explicit engine
            return np.concatenate([evaluate(rows), props])

        return forward

    def strengthen(self, h: Houdini, targets: list[Target], known: list[z3.BoolRef]) -> tuple[z3.BoolRef | None, str]:
        """Spacer on ``targets`` with the Houdini invariant assumed; (its extra invariant or None, note)."""
        from checker.symbolic.pdr import Spacer

        left = self.deadline - time.perf_counter()
        timeout = _query_ms(self.inp) if left == float("inf") else max(1, int(left * 1000))
        assume = z3.And(*known) if known else None
        sp = Spacer(self.prob, targets, timeout, restrict=False, assume=assume)
        try:
            r = sp.query()
        except z3.Z3Exception as err:
            return None, f"not implied by the mined invariant, and Spacer gave up: {err}"
        if r == z3.unsat:
            return z3.And(sp.invariant(), *(known or [z3.BoolVal(True)])), ""
        if r == z3.sat:
            return None, "not implied by the mined invariant; Spacer reports a reachable violation (run --engine bmc)"
        return None, f"not implied by the mined invariant, and Spacer gave up: {sp.fp.reason_unknown()}"

    def cti_detail(self, h: Houdini, nc: int, state_targets: list[Target], tg: Target) -> dict[str, Any]:
        """The counterexample to induction that made Houdini drop ``tg``, in the spec's names."""
        from checker.lang.pycompile import flat_values

        if tg not in state_targets:
            return {}
        m = h.ctis.get(nc + state_targets.index(tg))
        if m is None:
            return {}
        system, enc = self.inp.system, self.prob.enc
        tid = m.eval(h.tid, model_completion=True).as_long()
        pre = flat_values(system, enc.decode(m, self.x))
        post = flat_values(system, enc.decode(m, h.x2))
        return {"cti": {"transition": system.transitions[tid].key, "invariant": tg.name, "pre_state": pre,
                        "changed": {k: v for k, v in post.items() if pre.get(k) != v}}}


def run_induct(inp: EngineInput) -> EngineResult:
    return Run(inp).run()
