"""k-induction with simple-path constraints, interleaved with BMC for the base case.

For k = 1, 2, …: the base case is BMC at depth k-1 (no bad state within k-1 steps); the step
case asks for a path ``y_0 … y_k`` of pairwise distinct, expanded (``pre``) states whose last
state (or last step, for transition properties) is bad and whose earlier states (steps) are not
bad *for the same property*, with no constraint on ``y_0``. When it is unsatisfiable, no
reachable state is bad: the shortest path to a bad state is loop-free and bad only at its end,
its first k-1 steps are covered by the base case, and any later bad state ends such a path.

The step case assumes nothing of the *other* properties except those already proved (lemmas,
true in every reachable state): assuming a property that is violated, or not yet proved, would
"prove" a property that fails when checked alone (issue 14: a napi_basic mutant's
SchedMatchesList). A property's verdict is therefore the same whatever else is checked with it.
When the largest k fails, the step case's model is a counterexample to induction: the step,
the property and the pre-state that breaks it, reported in the result.
"""

from __future__ import annotations

import time

import z3

from checker.lang.pycompile import CompiledSystem, flat_values
from checker.result import HOLDS, INCONCLUSIVE, VIOLATED
from checker.symbolic.bmc import Bmc, Outcome, Unroller
from checker.symbolic.problem import Problem, Target, clip_ms
from checker.symbolic.translate import SState, _or


def _distinct(a: SState, b: SState) -> z3.BoolRef:
    return _or([x != y for x, y in zip(a.flat, b.flat)])


class StepCase:
    """Incremental step-case solver: ``pre`` on every state but the last, simple path."""

    def __init__(self, prob: Problem, timeout_ms: int, deadline: float = float("inf")) -> None:
        self.prob = prob
        self.timeout_ms = timeout_ms
        self.deadline = deadline  # no query runs past the engine's time (max_seconds)
        self.solver = z3.Solver()
        self.solver.set("timeout", timeout_ms)
        self.u = Unroller(prob, self.solver, "y", from_init=False)

    def extend(self) -> None:
        k = self.u.depth
        self.u.extend()
        # states y_0..y_k (all but the new last one) are pairwise distinct from now on
        for j in range(k):
            self.solver.add(_distinct(self.u.states[k], self.u.states[j]))

    def check(self, tg: Target, lemmas: list[Target] = ()) -> z3.CheckSatResult:  # type: ignore[assignment]
        """Is there a path of ``depth`` steps, bad for ``tg`` only at its end? ``lemmas``: proved
        invariants, assumed in every state of the path."""
        k = self.u.depth
        self.solver.push()
        self.solver.add(self.u.bad_at(tg, k))
        for j in range(k):  # the property holds before the end (the shortest path to a bad state)
            if tg.kind == "invariant":
                self.solver.add(self.prob.holds(tg, self.u.states[j]))
            elif tg.kind == "transition" and j >= 1:
                self.solver.add(z3.Not(self.prob.bad_edge(tg, self.u.states[j - 1], self.u.states[j])))
        for lem in lemmas:
            for s in self.u.states[: k + 1]:
                self.solver.add(self.prob.holds(lem, s))
        if not tg.edge:  # the bad state itself is new on a loop-free path to it
            for j in range(k):
                self.solver.add(_distinct(self.u.states[k], self.u.states[j]))
        self.solver.set("timeout", clip_ms(self.timeout_ms, self.deadline))
        r = self.solver.check()
        self.model = self.solver.model() if r == z3.sat else None
        self.solver.pop()
        return r

    def cti(self, tg: Target) -> dict:
        """The counterexample to induction of the last sat check."""
        assert self.model is not None
        m, k = self.model, self.u.depth
        system = self.prob.system
        tid = m.eval(self.u.tids[k - 1], model_completion=True).as_long()
        pre = self.prob.enc.decode(m, self.u.states[k - 1])
        post = self.prob.enc.decode(m, self.u.states[k])
        return {"k": k, "transition": system.transitions[tid].key, "invariant": tg.name,
                "pre_state": flat_values(system, pre), "pre_state_tuple": pre, "post_state_tuple": post}


def run_kind(prob: Problem, compiled: CompiledSystem, max_k: int, timeout_ms: int,
             deadline: float) -> tuple[dict[str, Outcome], int]:
    bmc = Bmc(prob, compiled, prob.targets, timeout_ms, engine="kind", deadline=deadline)
    step = StepCase(prob, timeout_ms, deadline)
    results: dict[str, Outcome] = {}
    open_ = list(prob.targets)
    last_cti: dict[str, dict] = {}
    k = 0
    while open_ and k < max_k and time.perf_counter() < deadline:
        k += 1
        # base case: depth k-1
        for name, o in bmc.advance().items():
            results[name] = o
            open_ = [t for t in open_ if t.name != name]
        if bmc.stopped:
            break
        # step case: k steps
        step.extend()
        for tg in list(open_):
            if tg not in bmc.open:
                continue
            lemmas = [t for t in prob.targets if t.kind == "invariant" and t is not tg
                      and results.get(t.name) is not None and results[t.name].verdict == HOLDS]
            r = step.check(tg, lemmas)
            if r == z3.unsat:
                results[tg.name] = Outcome(HOLDS, note=f"proved by {k}-induction", detail={"k": k})
                open_.remove(tg)
                bmc.open.remove(tg)
            elif r == z3.sat:
                last_cti[tg.name] = step.cti(tg)
            else:
                results[tg.name] = Outcome(INCONCLUSIVE, note=f"Z3 gave up on the step case at k={k}: "
                                           f"{step.solver.reason_unknown()}")
                open_.remove(tg)
                bmc.open.remove(tg)
            if time.perf_counter() > deadline:
                break
    if open_ and not bmc.stopped and time.perf_counter() < deadline:
        # the last base case: BMC at depth k, so that kind sees every violation BMC does at this bound
        for name, o in bmc.advance().items():
            results[name] = o
        open_ = [t for t in open_ if t.name not in results]
    for tg in open_:
        if tg.name in results:
            continue
        cti = last_cti.get(tg.name)
        if cti is None:
            results[tg.name] = Outcome(INCONCLUSIVE, note=f"undecided at k={k}")
            continue
        shown = ", ".join(f"{n}={v}" for n, v in cti["pre_state"].items())
        note = (f"not {cti['k']}-inductive: step {cti['transition']} from the pre-state {{{shown}}} "
                f"breaks {tg.name} (no counterexample from the initial state within {bmc.checked} steps)")
        detail = {k2: v for k2, v in cti.items() if not k2.endswith("_tuple")}
        results[tg.name] = Outcome(INCONCLUSIVE, note=note, detail={"cti": detail, "k": cti["k"]})
    return results, k


__all__ = ["run_kind", "StepCase", "VIOLATED"]
