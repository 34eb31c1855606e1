"""What the symbolic engines decide: targets (bad-state conditions) over one System, and Z3 settings.

The reachable states are those of the explicit engine: every state is expanded, violating
ones too (so one property's verdict never depends on another's), except one from which a
step raises a modelling error (``pre``), which ends the run. Each *target* is one question
"is a bad state reachable?":

* ``ERROR`` – some step raises a modelling error (the explicit engine's StepError) in a state
  that satisfies every checked invariant;
* ``PRUNED`` (when invariants are checked) – some step raises in a state that violates one:
  not a modelling error (the spec's bounds were sized for runs that keep the invariants) but a
  state the search cannot expand, so the properties not violated are inconclusive when it is
  reachable (the explicit engine's ``Explorer._prune``);
* an invariant ``P`` – a state where ``P`` is false;
* a transition property ``Q`` – a step from an expanded state on which ``Q`` is false;
* a deadlock property – an expanded state with no enabled step that is not an end state.

A violation found first makes every later one moot only for the ERROR target, as in the
explicit engine, where a modelling error stops the run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import z3

from checker.lang.system import Property, System
from checker.symbolic.translate import Encoder, SState, StepSem, _and, _not, _or

# Z3 would catch SIGINT itself during a query and swallow it; checker.interrupt handles SIGINT and SIGTERM
# alike (it cancels the running query and stops the run, reporting the figures reached)
z3.set_param("ctrl_c", False)

SAFETY_KINDS = ("invariant", "transition", "deadlock")
ERROR = "modelling error"
PRUNED = "step raising past a violation"

#: Z3's seed, fixed so that verdicts, traces and timings are reproducible.
SEED = 0


def configure_z3() -> None:
    z3.set_param("smt.random_seed", SEED)
    z3.set_param("sat.random_seed", SEED)


@dataclass
class Target:
    name: str
    kind: str  # "error" | "invariant" | "transition" | "deadlock"
    prop: Property | None = None

    @property
    def edge(self) -> bool:
        return self.kind == "transition"


class Problem:
    """The System's formulas shared by BMC, k-induction and PDR."""

    def __init__(self, system: System, props: list[Property], enc: Encoder | None = None) -> None:
        configure_z3()
        self.system = system
        self.enc = Encoder(system) if enc is None else enc
        self.props = props
        self.invariants = [p for p in props if p.kind == "invariant"]
        self.targets = [Target(ERROR, "error")] + [Target(p.name, p.kind, p) for p in props if p.kind in SAFETY_KINDS]
        if self.invariants:  # last: k-induction proves it with the invariants as lemmas
            self.targets.append(Target(PRUNED, "pruned"))

    def pre(self, s: SState) -> z3.BoolRef:
        """``s`` is expanded: well-formed and no step raises (a violated property does not stop the search)."""
        return _and([self.enc.wf(s), _not(self.enc.error(s))])

    def good(self, s: SState) -> z3.BoolRef:
        return _and([self.enc.holds(p.expr, s) for p in self.invariants])

    def holds(self, tg: Target, s: SState) -> z3.BoolRef:
        """An invariant target's property holds at ``s`` (k-induction's assumption on a path's prefix)."""
        assert tg.prop is not None and tg.kind == "invariant"
        return self.enc.holds(tg.prop.expr, s)

    def bad(self, tg: Target, s: SState) -> z3.BoolRef:
        """``s`` is a bad state of a state target (not for transition properties)."""
        enc = self.enc
        if tg.kind == "error":
            return _and([self.good(s), enc.error(s)])
        if tg.kind == "pruned":
            return _and([_not(self.good(s)), enc.error(s)])
        if tg.kind == "invariant":
            assert tg.prop is not None
            return _not(enc.holds(tg.prop.expr, s))
        if tg.kind == "deadlock":
            assert tg.prop is not None
            return enc.deadlocked(tg.prop, s)
        raise ValueError(f"{tg.name} is a transition property")

    def bad_edge(self, tg: Target, s: SState, s2: SState) -> z3.BoolRef:
        """The step from ``s`` to ``s2`` violates the transition property."""
        assert tg.prop is not None
        return _not(self.enc.holds(tg.prop.expr, s, s2))

    def bad_step(self, tg: Target, s: SState, sem: StepSem, post: SState) -> z3.BoolRef:
        """For a transition property: the step ``sem`` (with post-state ``post``) from ``s`` violates it."""
        return _and([sem.enabled, self.bad_edge(tg, s, post)])

    def any_bad(self, s: SState, targets: list[Target]) -> z3.BoolRef:
        return _or([self.bad(t, s) for t in targets if not t.edge])


def clip_ms(timeout: int, deadline: float) -> int:
    """A query's timeout cut to what is left of the engine's time (``deadline``, perf_counter)."""
    if deadline == float("inf"):
        return timeout
    return max(1, min(timeout, int((deadline - time.perf_counter()) * 1000)))


def timeout_ms(limits: dict[str, Any], default: float = 60.0) -> int:
    """The per-query timeout (``limits.query_timeout`` seconds) in milliseconds."""
    return max(1, int(float(limits.get("query_timeout", default)) * 1000))
