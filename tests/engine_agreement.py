"""Run one System on every engine that accepts it and check they agree (shared by tests)."""

from __future__ import annotations

from dataclasses import dataclass

from checker.engines import EngineInput, load_engine
from checker.explicit.bfs import Explorer, Limits
from checker.lang.pycompile import CompiledSystem
from checker.lang.system import System
from checker.result import EngineResult, HOLDS, VIOLATED
from checker.trace.replay import replay

SAFETY = ("invariant", "transition", "deadlock")


@dataclass
class Agreed:
    """What every engine agreed on: the explicit result and the verdict per property."""

    result: EngineResult
    verdicts: dict[str, str]
    engines: list[str]


def all_engines(system: System, symbolic: bool = True, engines: tuple[str, ...] = ("bmc", "pdr")) -> Agreed:
    """The generic loop, the packed kernel and the numpy loop give the same counts, verdicts and
    shortest trace lengths; BMC (bounded past the explicit depth) and PDR give the same verdicts
    with replayable traces of the same length."""
    if not system._finished:
        system.finish()  # as SpecDef.instantiate does: adds the default Deadlock property
    c = CompiledSystem.build(system)
    props = [p for p in system.properties if p.kind in SAFETY]
    runs = []
    for lim in (Limits(fast=False), Limits(vector=False), Limits(handoff=0)):
        ex = Explorer(c, props, lim)
        r = ex.run()
        runs.append((ex.engine_note, r))
    notes = [n for n, _ in runs]
    assert notes[0] == "generic" and notes[1] == "packed kernel", notes
    assert notes[2] == "packed kernel + numpy frontiers", notes  # the numpy loop took it (small states)
    generic = runs[0][1]
    assert generic.error is None, generic.error
    for _, r in runs[1:]:
        assert (r.stats.states, r.stats.transitions, r.stats.depth) == (
            generic.stats.states, generic.stats.transitions, generic.stats.depth)
        assert [(p.name, p.verdict, len(p.trace) if p.trace else 0) for p in r.properties] == [
            (p.name, p.verdict, len(p.trace) if p.trace else 0) for p in generic.properties]
    verdicts = {p.name: p.verdict for p in generic.properties}
    ran = notes
    if symbolic:
        for engine in engines:
            res = load_engine(engine)(EngineInput(system, c, props, {"query_timeout": 30,
                                                                     "max_bound": generic.stats.depth + 2}))
            assert res.error is None, (engine, res.error)
            for p, q in zip(generic.properties, res.properties):
                if engine == "bmc" and p.verdict == HOLDS:
                    assert q.verdict != VIOLATED, (engine, p.name)
                    continue
                assert q.verdict == p.verdict, (engine, p.name, q.verdict, q.note)
                if q.verdict == VIOLATED and p.kind != "deadlock":
                    assert q.trace is not None and replay(q.trace, c).ok
                    assert len(q.trace) == len(p.trace), (engine, p.name)
            ran.append(engine)
    return Agreed(generic, verdicts, ran)
