"""A configuration's written explanation names only steps and kernel functions its counterexample shows.

The convention is stated in tests/explanations.py. Only configurations that expect a violation
have a counterexample. One whose explanation names nothing of the spec is not searched at all;
the others are explored for their expected properties alone (the search stops once they are all
violated), by the explicit engine when the configuration lists it, and the raw (engine's shortest)
trace is compared: the test takes seconds, not the minutes of the whole gate.
"""

from __future__ import annotations

import dataclasses
import json
from functools import lru_cache
from pathlib import Path

import pytest

from checker.config import find_configs, load_config
from checker.engines import engine_names
from checker.trace.itf import trace_to_itf
from checker.verify import instantiate, run_config
from spec import registry
from tests.explanations import code_words, itf_words, paragraphs, step_words, trace_words, unexplained

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = find_configs([ROOT / "models"])
GATE = ROOT / "out" / "ci" / "result.json"  # written by the CI gate (.ci/run) just before the tests


@lru_cache(maxsize=1)
def gate_traces() -> dict[Path, dict[str, list[Path]]]:
    """Per configuration, the trace files of the CI gate's run, if it is newer than every model, spec and engine file.

    These are the traces the gate showed (after the preferred-form search), so in CI the test
    compares the explanations with exactly what users see, without searching again."""
    if not GATE.is_file():
        return {}
    newest = max(f.stat().st_mtime for d in ("models", "spec", "checker") for f in (ROOT / d).rglob("*")
                 if f.suffix in (".py", ".toml"))
    if GATE.stat().st_mtime <= newest:
        return {}
    doc = json.loads(GATE.read_text(encoding="utf-8"))
    out: dict[Path, dict[str, list[Path]]] = {}
    for c in doc.get("configurations", []):  # each property's first trace and those of its further causes
        files = {name: [GATE.parent / t["trace"] for t in [e, *e.get("more_traces", [])] if t.get("trace")]
                 for name, e in c.get("properties", {}).items() if e.get("verdict") == "violated" and e.get("trace")}
        out[(Path(doc.get("cwd", ROOT)) / c["configuration"]).resolve()] = files
    return out


def _violating() -> list[Path]:
    specs = registry()
    return [f for f in CONFIGS if load_config(f, specs, engine_names()).expect]


@pytest.mark.parametrize("path", _violating(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_explanation_names_only_what_the_trace_shows(path: Path) -> None:
    cfg = load_config(path, registry(), engine_names())
    system, _ = instantiate(cfg)
    known: set[str] = set()
    for t in system.transitions:
        known |= step_words(t.actor, t.label, t.function)
    named = set().union(*[code_words(p) for p in paragraphs(path, cfg.description)]) & known
    if not named:
        return  # names nothing of the spec: nothing to compare with a trace (and no search to pay for)
    gate = gate_traces().get(path.resolve(), {})
    if all(gate.get(p) and all(f.is_file() for f in gate[p]) for p in cfg.expect):
        shown = {p: set().union(*[itf_words(system, json.loads(f.read_text(encoding="utf-8"))) for f in gate[p]])
                 for p in cfg.expect}
    else:
        engines = ["explicit"] if "explicit" in cfg.engines else list(cfg.engines)
        out = run_config(dataclasses.replace(cfg, properties=list(cfg.expect), engines=engines))
        shown = {name: set().union(*[trace_words(t) for t in [v.trace, *v.more_traces]])
                 for name, v in out.verdicts.items() if v.trace is not None}
    assert set(shown) == set(cfg.expect), f"{path}: no counterexample for {set(cfg.expect) - set(shown)}"
    every = [p.name for p in system.properties + system.liveness] + list(cfg.expect)
    problems = unexplained(path, cfg.description, cfg.expect, every, known, shown)
    assert not problems, "\n".join(problems)


def test_the_rule_catches_a_name_the_trace_does_not_show(tmp_path: Path) -> None:
    """A copy of a bundled violation whose explanation blames a step its trace never takes fails the rule."""
    src = (ROOT / "models/napi_basic/requeue_head.toml").read_text(encoding="utf-8")
    bad = tmp_path / "requeue_head.toml"
    bad.write_text("# BoundedWait: napi_complete_done re-arms the IRQ too late.\n" + src, encoding="utf-8")
    cfg = load_config(bad, registry(), engine_names())
    out = run_config(cfg)
    known: set[str] = set()
    for t in out.system.transitions:
        known |= step_words(t.actor, t.label, t.function)
    shown = {name: trace_words(v.trace) for name, v in out.verdicts.items() if v.trace is not None}
    good = unexplained(ROOT / "models/napi_basic/requeue_head.toml", cfg.description, cfg.expect,
                       list(out.verdicts), known, shown)
    assert good == []
    problems = unexplained(bad, cfg.description, cfg.expect, list(out.verdicts), known, shown)
    assert len(problems) == 1 and "'napi_complete_done'" in problems[0], problems


def test_trace_file_shows_the_same_names_as_the_trace() -> None:
    """The gate's trace files (ITF) and an in-memory trace give the same names, stuck actors' next steps included."""
    cfg = load_config(ROOT / "models/linux/v6_double_disable.toml", registry(), engine_names())
    out = run_config(cfg)
    trace = out.verdicts["NoHang"].trace
    words = trace_words(trace)
    assert "napi_enable" in words  # the first disabler's next step, blocked on netdev_lock: not a step taken
    assert not any("napi_enable" in step_words(t.actor, t.label, t.function) for t in trace.steps)
    assert itf_words(out.system, json.loads(json.dumps(trace_to_itf(trace)))) == words


def test_code_words() -> None:
    assert code_words("net_rx_action pops `poll_list.pop()`; Vec::pop and NoLostWakeup") == {
        "net_rx_action", "poll_list", "Vec::pop"}
