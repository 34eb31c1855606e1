"""Replay: re-execute a trace on the compiled semantics and check it ends in its violation.

Every counterexample, from any engine, passes through :func:`replay` before it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from checker.lang.pycompile import CompiledSystem, StepError
from checker.lang.system import SpecDef, System
from checker.liveness.lasso import end_bound, end_lasso
from checker.result import Trace
from checker.trace.itf import read_itf, state_from_json

#: Checkers for the end of a trace, by trace kind (liveness's "lasso" and "bound" come from checker.liveness).
EndCheck = Callable[[CompiledSystem, Trace], str | None]
END_CHECKS: dict[str, EndCheck] = {}


@dataclass
class ReplayResult:
    ok: bool
    message: str


def _end_safety(c: CompiledSystem, tr: Trace) -> str | None:
    p = c.system.prop(tr.property)
    if p.kind == "invariant":
        return None if not c.state_fn(p.expr)(tr.states[-1]) else f"{p.name} holds in the last state"
    if p.kind == "transition":
        if len(tr.states) < 2:
            return "a transition property needs at least one step"
        return None if not c.edge_fn(p.expr)(tr.states[-2], tr.states[-1]) else f"{p.name} holds on the last step"
    return f"property {p.name} is of kind {p.kind}, not a safety property"


def _end_deadlock(c: CompiledSystem, tr: Trace) -> str | None:
    p = c.system.prop(tr.property)
    last = tr.states[-1]
    if c.successors(last):
        return "the last state has enabled steps: not a deadlock"
    if c.state_fn(p.expr)(last):
        return "the last state is a declared end state"
    return None


def _end_error(c: CompiledSystem, tr: Trace) -> str | None:
    if tr.failing_step is None:
        return "no failing step recorded"
    try:
        c.step(tr.states[-1], tr.failing_step.index)
    except StepError:
        return None
    return f"step {tr.failing_step.key} executes without error from the last state"


END_CHECKS.update(safety=_end_safety, deadlock=_end_deadlock, error=_end_error, lasso=end_lasso, bound=end_bound)


def replay(trace: Trace, compiled: CompiledSystem | None = None) -> ReplayResult:
    """Check that ``trace`` is a run of its system that ends in the violation it claims."""
    c = compiled or CompiledSystem.build(trace.system)
    system = c.system
    if not trace.states:
        return ReplayResult(False, "empty trace")
    if trace.states[0] != system.init_state():
        return ReplayResult(False, "state 0 is not an initial state")
    for k, (t, s, nxt) in enumerate(zip(trace.steps, trace.states, trace.states[1:]), 1):
        try:
            got = c.step(s, t.index)
        except StepError as err:
            return ReplayResult(False, f"step {k} ({t.key}) fails: {err.message}")
        if got is None:
            return ReplayResult(False, f"step {k} ({t.key}) is not enabled in state {k - 1}")
        if got != nxt:
            return ReplayResult(False, f"step {k} ({t.key}) leads to a different state than the trace records")
    check = END_CHECKS.get(trace.kind)
    if check is None:
        return ReplayResult(False, f"no replay check for traces of kind {trace.kind!r}")
    why = check(c, trace)
    return ReplayResult(why is None, why or f"valid run of {len(trace.steps)} steps ending in the violation of {trace.property}")


def load_trace(path: Path, specs: dict[str, SpecDef]) -> tuple[Trace, CompiledSystem]:
    """Read an ITF file and bind it to its spec; raises ValueError naming the problem."""
    tf = read_itf(path)
    if tf.spec not in specs:
        raise ValueError(f"unknown spec {tf.spec!r}")
    system: System = specs[tf.spec].instantiate(tf.constants)
    _add_config_declared(system, tf.meta.get("options") or {})
    c = CompiledSystem.build(system)
    by_key = {t.key: t for t in system.transitions}
    steps = []
    for k, key in enumerate(tf.step_keys, 1):
        if key not in by_key:
            raise ValueError(f"state {k}: the spec has no step {key!r}")
        steps.append(by_key[key])
    states = [state_from_json(system, st) for st in tf.states]
    failing = by_key.get(tf.failing_step) if tf.failing_step else None
    names = {p.name for p in system.properties + system.liveness}
    if tf.kind != "error" and tf.property not in names:
        raise ValueError(f"the spec has no property {tf.property!r}")
    tr = Trace(system, states, steps, tf.property, kind=tf.kind, loop=tf.loop, engine=tf.engine, failing_step=failing)
    return tr, c


def _add_config_declared(system: System, options: dict) -> None:
    """Re-declare what the trace's configuration added to the spec (``#meta.options``, written by --out):
    temporal properties of ``[options.liveness]`` and fairness rules of ``[options] fairness``."""
    if not isinstance(options, dict) or not (options.get("liveness") or options.get("fairness")):
        return
    from checker.liveness.config import add_config_properties
    from checker.liveness.fairness import config_rules

    add_config_properties(options, system)
    if options.get("fairness"):
        system.fairness.extend(config_rules(options["fairness"]))

