"""The explicit engine's safety entry: BFS over the compiled system (temporal properties are
checker.liveness's, which calls :func:`run_safety` for the safety part of a run)."""

from __future__ import annotations

from checker.engines import EngineInput
from checker.explicit.bfs import DEFAULT_MAX_TRACES, Limits, explore
from checker.result import EngineResult


def run_safety(inp: EngineInput) -> EngineResult:
    return explore(inp.compiled, inp.properties, limits_of(inp), inp.limits.get("store", "exact"), inp.progress)


def limits_of(inp: EngineInput) -> Limits:
    """The explicit search's limits from the run's ``[limits]`` (and command-line overrides)."""
    lim = inp.limits
    return Limits(lim.get("max_states"), lim.get("max_depth"), lim.get("max_seconds"),
                  symmetry=bool(lim.get("symmetry", False)), workers=int(lim.get("workers", 1)),
                  stop_at_first_violation=bool(lim.get("stop_at_first_violation", False)),
                  max_traces=int(lim.get("max_traces", DEFAULT_MAX_TRACES)),
                  memory_mb=int(lim["memory_mb"]) if lim.get("memory_mb") is not None else None)
