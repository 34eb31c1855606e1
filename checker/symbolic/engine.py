"""Registry entry points of the Z3 engines: ``bmc``, ``kind`` and ``pdr``.

Each turns per-target :class:`~checker.symbolic.bmc.Outcome` s into an
:class:`~checker.result.EngineResult`. A reachable modelling error is reported like the
explicit engine does: as the result's ``error`` with its trace, every property not already
violated getting the verdict ``error``.

Limits read from the configuration: ``query_timeout`` (seconds per Z3 query, default 60, or
the whole ``max_seconds`` when only that is given), ``max_bound`` (deepest BMC depth / largest
k, default 12; with ``max_seconds`` and no ``max_bound``, k-induction runs until the time is up),
``max_seconds`` (whole engine; Spacer's single query gets all of it).
"""

from __future__ import annotations

import time

from checker.engines import EngineInput
from checker.result import ERROR, HOLDS, INCONCLUSIVE, VIOLATED, EngineResult, PropertyResult, Stats
from checker.symbolic.bmc import Outcome
from checker.symbolic.problem import ERROR as ERROR_TARGET
from checker.symbolic.problem import PRUNED
from checker.symbolic.problem import SAFETY_KINDS, Problem, timeout_ms


def _query_ms(inp: EngineInput) -> int:
    """The per-query timeout: ``query_timeout`` when given; else, with ``max_seconds``, the whole
    time (each query is still cut to what is left, see ``clip_ms``); else 60 s."""
    secs = inp.limits.get("max_seconds")
    if secs and inp.limits.get("query_timeout") is None:
        return max(1, int(float(secs) * 1000))
    ms = timeout_ms(inp.limits)
    return min(ms, max(1, int(float(secs) * 1000))) if secs else ms


def _deadline(inp: EngineInput, t0: float) -> float:
    secs = inp.limits.get("max_seconds")
    return t0 + float(secs) if secs else float("inf")


def assemble(engine: str, inp: EngineInput, outcomes: dict[str, Outcome], t0: float, depth: int = 0) -> EngineResult:
    """One EngineResult from the targets' outcomes."""
    err = outcomes.get(ERROR_TARGET)
    error = err.error if err is not None and err.verdict == VIOLATED else None
    results = []
    for p in inp.properties:
        if p.kind not in SAFETY_KINDS:
            results.append(PropertyResult(p.name, p.kind, INCONCLUSIVE, engine=engine,
                                          note=f"the {engine} engine checks safety properties only"))
            continue
        o = outcomes.get(p.name)
        if o is not None and o.verdict == VIOLATED:
            results.append(PropertyResult(p.name, p.kind, VIOLATED, o.trace, engine=engine, note=o.note,
                                          detail=o.detail))
        elif error is not None:
            results.append(PropertyResult(p.name, p.kind, ERROR, engine=engine, note=error))
        elif o is None:
            results.append(PropertyResult(p.name, p.kind, INCONCLUSIVE, engine=engine, note="not decided"))
        else:
            note = o.note
            pruned = outcomes.get(PRUNED)
            if err is not None and err.verdict == INCONCLUSIVE:
                note = (note + "; " if note else "") + "absence of modelling errors not shown: " + err.note
                verdict = INCONCLUSIVE
            elif pruned is not None and pruned.verdict != HOLDS:
                why = ("a step raises past a violation, where the search cannot go on" if pruned.verdict == VIOLATED
                       else "not shown that no step raises past a violation: " + pruned.note)
                note = (note + "; " if note else "") + "not fully examined: " + why
                verdict = INCONCLUSIVE
            else:
                verdict = o.verdict
            results.append(PropertyResult(p.name, p.kind, verdict, engine=engine, note=note, detail=o.detail))
    elapsed = time.perf_counter() - t0
    for r in results:
        r.seconds = elapsed
    stats = Stats(states=0, transitions=0, depth=depth, seconds=elapsed, store="symbolic")
    return EngineResult(engine, results, stats, error, err.trace if error is not None and err is not None else None)


def run_bmc(inp: EngineInput) -> EngineResult:
    from checker.symbolic.bmc import run_bmc as search

    t0 = time.perf_counter()
    prob = Problem(inp.system, inp.properties)
    bound = int(inp.limits.get("max_bound", inp.limits.get("max_depth", 12)))
    outcomes, depth = search(prob, inp.compiled, bound, _query_ms(inp), _deadline(inp, t0))
    return assemble("bmc", inp, outcomes, t0, depth)


def run_kind(inp: EngineInput) -> EngineResult:
    from checker.symbolic.kind import run_kind as search

    t0 = time.perf_counter()
    prob = Problem(inp.system, inp.properties)
    outcomes, depth = search(prob, inp.compiled, kind_bound(inp.limits), _query_ms(inp), _deadline(inp, t0))
    return assemble("kind", inp, outcomes, t0, depth)


#: the largest k when neither max_bound nor max_seconds bounds k-induction
KIND_BOUND = 12


def kind_bound(limits: dict) -> int:
    """The largest k: ``max_bound`` when given; else unbounded when ``max_seconds`` is given (the
    time is the user's bound: asking for 120 s gets 120 s of induction, not k = 12); else 12."""
    if limits.get("max_bound") is not None:
        return int(limits["max_bound"])
    return 1 << 30 if limits.get("max_seconds") else KIND_BOUND


def run_pdr(inp: EngineInput) -> EngineResult:
    from checker.symbolic.pdr import run_pdr as search

    t0 = time.perf_counter()
    prob = Problem(inp.system, inp.properties)
    outcomes = search(prob, inp.compiled, inp.limits, _deadline(inp, t0))
    return assemble("pdr", inp, outcomes, t0)
