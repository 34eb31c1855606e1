"""The explicit engine's entry point for the registry."""

from __future__ import annotations

from checker.engines import EngineInput
from checker.explicit.bfs import Limits, explore
from checker.result import EngineResult


def run(inp: EngineInput) -> EngineResult:
    lim = inp.limits
    limits = Limits(lim.get("max_states"), lim.get("max_depth"), lim.get("max_seconds"))
    return explore(inp.compiled, inp.properties, limits, lim.get("store", "exact"), inp.progress)
