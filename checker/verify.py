"""Running one configuration: build the system, run its engines, replay every trace, judge the outcome."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from checker.config import Config, ConfigError
from checker.config_semantics import select_properties
from checker.coverage import CoverageDeclarationError, check_patterns, coverage_warnings
from checker.engines import EngineInput, load_engine
from checker.lang.expr import ModelError
from checker.lang.pycompile import CompiledSystem
from checker.lang.system import System
from checker.result import ERROR, HOLDS, INCONCLUSIVE, VIOLATED, EngineResult, ProgressFn, PropertyResult
from checker.spec_loader import SpecLoadError
from checker.trace.replay import replay

PASS, FAIL, UNKNOWN = "pass", "fail", "inconclusive"


@dataclass
class Outcome:
    """What a configuration came to: per property the merged verdict, and whether that met ``expect``."""

    config: Config
    system: System
    compiled: CompiledSystem
    engine_results: list[EngineResult]
    verdicts: dict[str, PropertyResult]
    status: str
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    views: list[Any] = field(default_factory=list)  # checker.trace.views.View, from the configuration's [views]
    warnings: list[str] = field(default_factory=list)  # coverage: never-fired steps, stale declarations (checker.coverage)


def instantiate(cfg: Config) -> tuple[System, CompiledSystem]:
    """Build and compile the configuration's system; a spec's refusal becomes a ConfigError."""
    try:
        system = cfg.spec.instantiate(cfg.constants)
    except SpecLoadError as err:  # a mistake in a user's spec: point at its file and line
        if err.where:
            raise ConfigError(err.where, "", f"{err.message} ({err.doing or 'spec'} for {cfg.path})") from None
        raise ConfigError(cfg.path, "spec", str(err)) from None
    except (ModelError, ValueError) as err:
        raise ConfigError(cfg.path, "constants", f"spec {cfg.spec.name!r} rejects these constants: {err}") from None
    return system, CompiledSystem.build(system)


def _elsewhere(r: PropertyResult) -> bool:
    """A counterexample on a system built at other constants than the other results' (induct.cti_reach)."""
    return r.trace is not None and bool(r.detail.get("found_at"))


def _merge(name: str, results: list[PropertyResult], problems: list[str]) -> PropertyResult:
    """One verdict from several engines'; disagreement between decided verdicts is a problem."""
    # a violation found at other constants than the configuration's (the induct engine's every-N claim
    # refuted at N = 3) does not contradict a proof at the configuration's own constants
    decided = {r.verdict for r in results if r.verdict in (HOLDS, VIOLATED) and not _elsewhere(r)}
    if len(decided) > 1:
        engines = ", ".join(f"{r.engine}: {r.verdict}" for r in results)
        problems.append(f"{name}: engines disagree ({engines})")
        return PropertyResult(name, results[0].kind, ERROR, note=f"engines disagree ({engines})")
    for wanted in (VIOLATED, HOLDS, ERROR, INCONCLUSIVE):
        for r in results:
            if r.verdict == wanted:
                if wanted == VIOLATED and r.trace is not None:
                    # prefer the shortest replayed trace
                    best = min((x for x in results if x.verdict == VIOLATED and x.trace is not None),
                               key=lambda x: len(x.trace))  # type: ignore[arg-type]
                    return best
                return r
    return results[0]


def _suggest_symbolic(res: EngineResult, system: System, engines: list[str]) -> None:
    """The explicit engine stopped at its states or time limit: point each undecided property at an
    engine measured to decide it on this spec and size (checker.suggest), unless that engine ran."""
    from checker.suggest import engine_for

    for pr in res.properties:
        if pr.verdict != INCONCLUSIVE:
            continue
        d = engine_for(system.spec_name, system.constants, pr.name, engines)
        if d is not None:
            pr.note += (f"; too many states to enumerate (explicit stopped at its {res.stats.limit_hit} limit): "
                        f"try --engine {d.engine} for a symbolic proof ({d.evidence})")


def _pdr_invariants_on_reached(system: System, results: list[EngineResult], problems: list[str]) -> dict[str, str]:
    """When explicit (exact store) and PDR or induct ran: every such invariant evaluated on every reached
    state. A state violating one is a disagreement (a problem); returns property -> note when it held."""
    engines = {r.engine for r in results}
    if "explicit" not in engines or not engines & {"pdr", "induct"}:
        return {}
    from checker.symbolic.on_reached import check_on_reached  # no Z3: the invariant arrives compiled

    notes: dict[str, str] = {}
    for c in check_on_reached(system, results):
        if c.failure:
            problems.append(c.failure)
        elif c.skipped is None:
            who = "PDR" if c.engine == "pdr" else c.engine
            notes.update({n: f"{who} invariant holds on all {c.states:,} explicitly reached states"
                          for n in c.properties})
    return notes


def _state_counts_agree(results: list[EngineResult], problems: list[str]) -> None:
    """When the explicit engine and SPIN both explored the whole state space, they must have
    stored the same number of states (the exported model is the same model, state for state)."""
    by = {r.engine: r for r in results}
    ex, sp = by.get("explicit"), by.get("spin")
    if ex is None or sp is None or ex.error or sp.error or ex.stats.symmetry:
        return
    if ex.stats.limit_hit or sp.stats.limit_hit or not sp.stats.states:
        return
    if not ex.stats.exhausted or not sp.stats.exhausted:
        return  # explicit stops once every property has its counterexamples: it did not see every state
    if ex.stats.states != sp.stats.states:
        problems.append(f"state counts disagree: explicit {ex.stats.states:,}, spin {sp.stats.states:,}")


def run_config(
    cfg: Config,
    engines: list[str] | None = None,
    limit_overrides: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
) -> Outcome:
    t0 = time.perf_counter()
    system, compiled = instantiate(cfg)
    views = compile_config_views(cfg, compiled)
    try:
        check_patterns(cfg.unfired, system)
    except CoverageDeclarationError as err:
        raise ConfigError(cfg.path, err.field, err.message) from None
    try:
        from checker.liveness.config import add_config_properties

        add_config_properties(cfg.options, system)  # [options.liveness] of this configuration
    except ValueError as err:
        raise ConfigError(cfg.path, "options.liveness", str(err)) from None
    names = [p.name for p in system.properties + system.liveness]
    # by default: every property the spec declares, safety and temporal, and this configuration's temporal ones
    selected = select_properties(cfg, system)
    for p in selected:
        if p not in names:
            raise ConfigError(cfg.path, "properties", f"spec {cfg.spec.name!r} has no property {p!r} (known: {', '.join(names)})")
    for p in cfg.expect:
        if p not in selected:
            raise ConfigError(cfg.path, "expect", f"{p!r} is not among the checked properties ({', '.join(selected)})")
    props = [system.prop(p) for p in selected]
    limits = dict(cfg.limits)
    limits.update({k: v for k, v in (limit_overrides or {}).items() if v is not None})
    results: list[EngineResult] = []
    problems: list[str] = []
    for name in engines or cfg.engines:
        res = load_engine(name)(EngineInput(system, compiled, props, limits, dict(cfg.options), progress))
        for pr in res.properties:
            for k, tr in enumerate([pr.trace] + pr.more_traces if pr.trace is not None else []):
                # every counterexample, the further distinct ones too; one found at other constants (an
                # every-N claim refuted at N = 3, induct.cti_reach) on the system it was found in
                rr = replay(tr, compiled if tr.system is system else None)
                pr.replayed = rr.ok if k == 0 else pr.replayed and rr.ok
                if not rr.ok:
                    which = "counterexample" if k == 0 else f"counterexample #{k + 1}"
                    problems.append(f"{pr.name}: the {name} {which} does not replay: {rr.message}")
                    pr.verdict = ERROR
                    pr.note = f"{which} did not replay: {rr.message}"
            witness = pr.detail.get("witness")  # a tight starvation bound's witness run
            if witness is not None:
                rr = replay(witness, compiled)
                if not rr.ok:
                    problems.append(f"{pr.name}: the {name} starvation-bound witness does not replay: {rr.message}")
                    pr.verdict = ERROR
                    pr.note = f"the starvation-bound witness did not replay: {rr.message}"
        if res.error_trace is not None:
            rr = replay(res.error_trace, compiled)
            res.error_trace.message = res.error_trace.message or res.error or ""
            if not rr.ok:
                problems.append(f"the modelling-error trace does not replay: {rr.message}")
        if res.error:
            problems.append(res.error)
        if name == "explicit" and res.stats.limit_hit in ("states", "time"):
            _suggest_symbolic(res, system, engines or cfg.engines)
        results.append(res)
    warnings = [w for r in results if not r.error
                for w in coverage_warnings(system, r.stats.coverage, r.stats.limit_hit is None and r.stats.exhausted,
                                           cfg.unfired, props)]
    on_reached = _pdr_invariants_on_reached(system, results, problems)
    _state_counts_agree(results, problems)
    verdicts = {p.name: _merge(p.name, [pr for r in results for pr in r.properties if pr.name == p.name], problems)
                for p in props}
    for name, note in on_reached.items():  # say so on the property's line, whichever engine's verdict it shows
        v = verdicts.get(name)
        if v is not None and v.verdict == HOLDS and v.engine not in ("pdr", "induct"):
            verdicts[name] = replace(v, note=f"{v.note}; {note}" if v.note else note)
    status = PASS
    for name, v in verdicts.items():
        want = VIOLATED if name in cfg.expect else HOLDS
        if v.verdict == want:
            continue
        if v.verdict == INCONCLUSIVE:
            if status == PASS:
                status = UNKNOWN
            continue
        status = FAIL
        if v.verdict == VIOLATED:
            problems.append(f"{name} is violated but was expected to hold")
        elif v.verdict == HOLDS:
            problems.append(f"{name} holds but the configuration expects it to be violated")
    if problems:
        status = FAIL
    return Outcome(cfg, system, compiled, results, verdicts, status, problems, time.perf_counter() - t0, views,
                   list(dict.fromkeys(warnings)))


def compile_config_views(cfg: Config, compiled: CompiledSystem) -> list[Any]:
    """The configuration's [views], parsed and compiled before any engine runs; a bad one is a ConfigError."""
    if not cfg.views:
        return []
    from checker.trace.views import ViewError, compile_views

    try:
        return compile_views(cfg.views, compiled)
    except ViewError as err:
        name, _, why = str(err).partition(": ")
        raise ConfigError(cfg.path, f"views.{name}", why) from None
