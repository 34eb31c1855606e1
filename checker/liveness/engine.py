"""Liveness in the explicit engine: temporal properties, non-progress cycles and starvation bounds.

:func:`run_explicit` is the explicit engine's entry (the registry's ``explicit``): it calls
:func:`run_with_liveness` when a configuration selects a temporal property or a starvation property,
else the BFS of :mod:`checker.explicit` alone. Safety properties (starvation invariants included) still go to the
BFS engine; then one state graph is built and every temporal property is decided on it, and each
starvation property gets its tight bound (merged into the BFS verdict of the same property, which it
must agree with).

Refused combinations: symmetry reduction and state constraints (``symmetry``/``constraint`` in
``[limits]`` or ``[options]``) are sound for safety only (a quotient or pruned graph has cycles the
system has not, or lacks its cycles: TLC issues #59, #644, #839); with a liveness property selected the
run stops with an error naming the option.

Configuration options: ``[options] fairness`` adds fairness rules (see checker.lang.temporal);
``[options] starvation_bound = false`` skips the tight-bound computation (it builds the state graph:
on napi_basic N=3 about 2 s on top of a 1 s safety run); ``[options.liveness]`` declares temporal
properties (checker.liveness.config).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

from checker.engines import EngineInput
from checker.cluster.engine import run_safety  # the explicit search, on a cluster if one is set
from checker.lang.system import Property
from checker.lang.temporal import TEMPORAL_KINDS
from checker.liveness.check import check_temporal, starvation_bound
from checker.liveness.cycles import FairSearch
from checker.liveness.fairness import config_rules, fairness_groups
from checker.liveness.starved import environment_groups, starved_contexts
from checker.liveness.graph import build_graph
from checker.result import ERROR, HOLDS, INCONCLUSIVE, VIOLATED, EngineResult, Progress, PropertyResult, Stats

UNSOUND_KEYS = {
    "symmetry": "symmetry reduction",
    "constraint": "a state constraint",
    "state_constraint": "a state constraint",
    "constraints": "state constraints",
}


def run_explicit(inp: EngineInput) -> EngineResult:
    """The explicit engine: safety properties by BFS; temporal properties and starvation bounds here,
    on the state graph (the safety part, starvation counters included, still by BFS)."""
    if needs_liveness(inp.properties):
        return run_with_liveness(inp, run_safety)
    return run_safety(inp)


def needs_liveness(props: list[Property]) -> bool:
    return any(p.kind in TEMPORAL_KINDS or "starvation" in p.extra for p in props)


def unsound_options(inp: EngineInput) -> list[str]:
    """The options of this run that are sound for safety only."""
    found = []
    for where, table in (("limits", inp.limits), ("options", inp.options)):
        for key, what in UNSOUND_KEYS.items():
            if table.get(key):
                found.append(f"{what} ({where}.{key})")
    return found


def run_with_liveness(inp: EngineInput, run_safety: Callable[[EngineInput], EngineResult]) -> EngineResult:
    t0 = time.perf_counter()
    c, system = inp.compiled, inp.system
    temporal = [p for p in inp.properties if p.kind in TEMPORAL_KINDS]
    safety = [p for p in inp.properties if p.kind not in TEMPORAL_KINDS]
    starving = [p for p in safety if "starvation" in p.extra]
    if inp.options.get("starvation_bound") is False:
        starving = []  # [options] starvation_bound = false: the ghost-counter invariant only
    res = run_safety(replace(inp, properties=safety)) if safety else None
    if res is not None and not temporal and not starving:
        return res
    by_name: dict[str, PropertyResult] = {r.name: r for r in res.properties} if res else {}
    stats = res.stats if res else Stats()
    error = res.error if res else None

    def finish() -> EngineResult:
        out = [by_name[p.name] for p in inp.properties]
        return EngineResult("explicit", out, stats, error, res.error_trace if res else None,
                            reached=res.reached if res else None)

    def undecided(verdict: str, note: str) -> EngineResult:
        for p in temporal:
            by_name[p.name] = PropertyResult(p.name, p.kind, verdict, engine="explicit", note=note)
        for p in starving:
            r = by_name[p.name]
            r.note = (r.note + "; " if r.note else "") + "tight bound not computed: " + note
        return finish()

    refused = unsound_options(inp)
    if refused:
        msg = (f"liveness refused: {', '.join(refused)} is sound for safety properties only (it can hide or "
               f"invent cycles); check {', '.join(p.name for p in temporal + starving)} in a configuration "
               "without it")
        error = error or msg
        return undecided(ERROR, msg)
    if error:
        return undecided(ERROR, "not checked: " + error)
    try:
        if not getattr(system, "_config_fairness", False):
            system.fairness.extend(config_rules(inp.options.get("fairness")))
            system._config_fairness = True  # type: ignore[attr-defined]
        groups = fairness_groups(system)
    except ValueError as err:
        error = f"fairness: {err}"
        return undecided(ERROR, error)

    def progress(n: int, secs: float) -> None:
        if inp.progress is not None:
            inp.progress(Progress(n, 0, 0, 0, secs))

    g = build_graph(c, inp.limits, progress)
    if g.error is not None:
        t = system.transitions[g.error_tid or 0]
        error = f"modelling error in step {t.described}: {g.error}"
        return undecided(ERROR, error)
    if not g.complete:
        if res is None:
            stats = Stats(states=len(g.states), transitions=g.n_edges, seconds=g.seconds, limit_hit=g.limit_hit)
        return undecided(INCONCLUSIVE, f"{g.limit_hit} limit reached after {len(g.states):,} states (liveness needs "
                                       "the whole state graph)")
    search = FairSearch(g, groups)
    unfair = FairSearch(g, []) if any(not p.extra["temporal"].fair for p in temporal) else search
    graph_note = {"graph_states": len(g.states), "graph_edges": g.n_edges, "graph_seconds": round(g.seconds, 3)}
    for p in temporal:
        t1 = time.perf_counter()
        r = check_temporal(c, g, p, search if p.extra["temporal"].fair else unfair)
        r.seconds = time.perf_counter() - t1
        r.detail.update(graph_note, fairness=[f"{x.name}: {x.kind}" for x in groups])
        if not groups and p.extra["temporal"].fair and p.kind != "non_progress":
            r.note = (r.note + "; " if r.note else "") + "no fairness declared: any run may stop anywhere"
        if r.verdict == VIOLATED and r.trace is not None and p.extra["temporal"].fair:
            starved = starved_contexts(c, r.trace, groups)
            if starved:
                r.note = (r.note + "; " if r.note else "") + "warning: " + "; ".join(starved)
                r.detail["starved"] = starved
        env = environment_groups(c, groups) if r.verdict == HOLDS and p.extra["temporal"].fair else []
        if env:
            alt = check_temporal(c, g, p, FairSearch(g, [x for x in groups if x not in env]))
            if alt.verdict == VIOLATED:
                names = [x.name for x in env]
                r.note = (r.note + "; " if r.note else "") + (
                    f"warning: holds only because {', '.join(names)} (environment events) are assumed fair; "
                    f"without that, {alt.note}")
                r.detail["needs_environment_fairness"] = names
        by_name[p.name] = r
    for p in starving:
        _merge_bound(c, g, p, by_name, groups)
    if res is None:
        stats = Stats(states=len(g.states), transitions=g.n_edges, seconds=time.perf_counter() - t0,
                      coverage={t.key: 0 for t in system.transitions})
        for t in system.transitions:
            stats.coverage[t.key] += g.fired[t.index]
    return finish()


def _merge_bound(c, g, p: Property, by_name: dict[str, PropertyResult], groups) -> None:  # type: ignore[no-untyped-def]
    """Compute the tight bound of starvation property ``p`` and merge it into the BFS verdict."""
    r = by_name[p.name]
    if r.verdict not in (HOLDS, VIOLATED):
        return
    st = p.extra["starvation"]
    b = starvation_bound(c, g, p, groups)  # its witness is replayed by checker.verify, like every trace
    r.detail.update(tight_bound=b.value, bound=st.bound, instance=b.instance, witness=b.trace)
    if b.value is None:
        loop = len(b.trace) - (b.trace.loop or 0)
        note = (f"unbounded starvation: instance {b.instance} waits forever while others are served "
                f"(lasso: {b.trace.loop}-step prefix, {loop}-step loop" + ("" if b.fair else ", unfair loop only") + ")")
        if r.verdict == HOLDS:
            r.verdict, r.note = ERROR, f"engines disagree: BFS finds count <= {st.bound} but {note}"
            return
        r.trace, r.note = b.trace, note
        return
    note = f"tight bound {b.value} (instance {b.instance} waits while others are served {b.value} times; " \
           f"{len(b.trace)}-step witness replayed), declared bound {st.bound}"
    if (b.value <= st.bound) != (r.verdict == HOLDS):
        r.verdict, r.note = ERROR, f"BFS verdict {r.verdict} contradicts the {note}"
        return
    r.note = note
