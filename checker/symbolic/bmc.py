"""Bounded model checking: one incremental solver, unrolled one step at a time.

Depth ``k`` asserts ``Init(s0) ∧ pre(s0) ∧ T(s0,s1) ∧ … ∧ pre(s_{k-1}) ∧ T(s_{k-1},s_k)`` once and
checks each open target's bad condition at ``s_k`` inside a push/pop frame, so the first
depth at which a target is satisfiable gives its shortest counterexample. The model is turned
into a :class:`checker.result.Trace` of concrete states, which verify.py replays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import z3

from checker.lang.pycompile import CompiledSystem, StepError
from checker.result import INCONCLUSIVE, VIOLATED, Trace
from checker.symbolic.problem import Problem, Target, clip_ms
from checker.symbolic.translate import SState


@dataclass
class Outcome:
    """One target's result in one engine."""

    verdict: str
    trace: Trace | None = None
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # for the ERROR target: the message naming the step


class Unroller:
    """States ``s_0 … s_k`` and step ids ``tid_0 … tid_{k-1}`` asserted on one solver."""

    def __init__(self, prob: Problem, solver: z3.Solver, prefix: str, from_init: bool = True) -> None:
        self.prob = prob
        self.solver = solver
        self.prefix = prefix
        self.states: list[SState] = [prob.enc.state(f"@{prefix}0")]
        self.tids: list[z3.ArithRef] = []
        if from_init:
            solver.add(prob.enc.init(self.states[0]))
        else:
            solver.add(prob.enc.wf(self.states[0]))

    @property
    def depth(self) -> int:
        return len(self.tids)

    def extend(self) -> None:
        k = self.depth
        s = self.states[-1]
        s2 = self.prob.enc.state(f"@{self.prefix}{k + 1}")
        tid = z3.Int(f"tid@{self.prefix}{k}")
        self.solver.add(self.prob.pre(s))
        self.solver.add(self.prob.enc.trans(s, s2, tid))
        self.states.append(s2)
        self.tids.append(tid)

    def bad_at(self, tg: Target, k: int) -> z3.BoolRef:
        if tg.edge:
            return self.prob.bad_edge(tg, self.states[k - 1], self.states[k])
        return self.prob.bad(tg, self.states[k])


def make_trace(prob: Problem, compiled: CompiledSystem, model: z3.ModelRef, u: Unroller, k: int,
               tg: Target, engine: str) -> tuple[Trace, str | None]:
    """The trace of ``model`` up to depth ``k`` (for the ERROR target also the error message)."""
    system = prob.system
    states = [prob.enc.decode(model, s) for s in u.states[: k + 1]]
    steps = [system.transitions[model.eval(t, model_completion=True).as_long()] for t in u.tids[:k]]
    if tg.kind == "error":
        tr = Trace(system, states, steps, "modelling error", kind="error", engine=engine)
        last = u.states[k]
        for t in system.transitions:
            if z3.is_true(model.eval(prob.enc.sem(t, last).err, model_completion=True)):
                tr.failing_step = t
                try:
                    compiled.step(states[-1], t.index)
                    msg = "the Z3 model says this step raises, but it executes"
                except StepError as err:
                    msg = err.message
                tr.message = msg
                return tr, f"modelling error in step {t.described}: {msg}"
        return tr, "modelling error (no failing step identified)"
    kind = "deadlock" if tg.kind == "deadlock" else "safety"
    return Trace(system, states, steps, tg.name, kind=kind, engine=engine), None


class Bmc:
    """Incremental BMC over a set of targets; :meth:`advance` checks the next depth."""

    def __init__(self, prob: Problem, compiled: CompiledSystem, targets: list[Target], timeout_ms: int,
                 engine: str = "bmc", deadline: float = float("inf")) -> None:
        self.prob = prob
        self.compiled = compiled
        self.engine = engine
        self.timeout_ms = timeout_ms
        self.deadline = deadline  # no query runs past the engine's time (max_seconds)
        self.solver = z3.Solver()
        self.solver.set("timeout", timeout_ms)
        self.u = Unroller(prob, self.solver, "")
        self.open = list(targets)
        self.checked = -1  # deepest depth checked for every open target
        self.stopped = False  # a modelling error ends the search, as in the explicit engine

    def advance(self) -> dict[str, Outcome]:
        """Check depth ``checked + 1`` for every open target; returns the targets decided there."""
        k = self.checked + 1
        while self.u.depth < k:
            self.u.extend()
        out: dict[str, Outcome] = {}
        for tg in list(self.open):
            if tg.edge and k == 0:
                continue
            self.solver.push()
            self.solver.add(self.u.bad_at(tg, k))
            self.solver.set("timeout", clip_ms(self.timeout_ms, self.deadline))
            r = self.solver.check()
            if r == z3.sat:
                tr, err = make_trace(self.prob, self.compiled, self.solver.model(), self.u, k, tg, self.engine)
                out[tg.name] = Outcome(VIOLATED, tr, note=f"counterexample of {k} steps", error=err)
                self.open.remove(tg)
            elif r == z3.unknown:
                out[tg.name] = Outcome(INCONCLUSIVE, note=f"Z3 gave up at depth {k}: {self.solver.reason_unknown()}")
                self.open.remove(tg)
            self.solver.pop()
            if tg.kind == "error" and tg.name in out and out[tg.name].verdict == VIOLATED:
                self.stopped = True
                break
        self.checked = k
        return out


def run_bmc(prob: Problem, compiled: CompiledSystem, max_bound: int, timeout_ms: int, deadline: float,
            engine: str = "bmc") -> tuple[dict[str, Outcome], int]:
    """BMC up to ``max_bound`` steps: violated targets get shortest traces, the rest stay inconclusive."""
    bmc = Bmc(prob, compiled, prob.targets, timeout_ms, engine, deadline)
    results: dict[str, Outcome] = {}
    while bmc.open and not bmc.stopped and bmc.checked < max_bound:
        if time.perf_counter() > deadline:
            break
        results.update(bmc.advance())
    for tg in bmc.open:
        results[tg.name] = Outcome(INCONCLUSIVE, note=f"no counterexample up to depth {bmc.checked}")
    return results, bmc.checked
