"""The outcome of a configuration whose run did not finish (interrupted, out of memory): every
selected property inconclusive, with the figures the engine last reported, so that the summary,
result.json, junit.xml and the report still say how far it got."""

from __future__ import annotations

from checker.config import Config
from checker.config_semantics import select_properties
from checker.result import Progress
from checker.result import INCONCLUSIVE, EngineResult, PropertyResult, Stats
from checker.verify import UNKNOWN, Outcome, instantiate


def unfinished_outcome(cfg: Config, last: Progress | None, reason: str, engines: list[str] | None = None,
                       elapsed: float = 0.0) -> Outcome:
    from checker.liveness.config import add_config_properties

    system, compiled = instantiate(cfg)
    add_config_properties(cfg.options, system)
    engine = (engines or cfg.engines)[0]
    stats = Stats(limit_hit="interrupted" if reason.startswith("interrupted") else "memory")
    if last is not None:
        stats.states, stats.transitions, stats.depth, stats.seconds = last.states, last.transitions, last.depth, last.seconds
    props = [PropertyResult(n, system.prop(n).kind, INCONCLUSIVE, engine=engine, note=reason)
             for n in select_properties(cfg, system)]
    return Outcome(cfg, system, compiled, [EngineResult(engine, props, stats)], {p.name: p for p in props}, UNKNOWN,
                   [], max(elapsed, stats.seconds))
