"""A configuration's written explanation names only steps and kernel functions its counterexample shows.

The convention is stated in tests/explanations.py. Only configurations that expect a violation
have a counterexample. One whose explanation names nothing of the spec is not searched at all;
the others are explored for their expected properties alone (the search stops once they are all
violated), by the explicit engine when the configuration lists it, and the raw (engine's shortest)
trace is compared: the test takes seconds, not the minutes of the whole gate.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from checker.config import find_configs, load_config
from checker.engines import engine_names
from checker.verify import instantiate, run_config
from spec import registry
from tests.explanations import code_words, paragraphs, step_words, trace_words, unexplained

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = find_configs([ROOT / "models"])


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
    engines = ["explicit"] if "explicit" in cfg.engines else list(cfg.engines)
    out = run_config(dataclasses.replace(cfg, properties=list(cfg.expect), engines=engines))
    shown = {name: trace_words(v.trace) for name, v in out.verdicts.items() if v.trace is not None}
    assert set(shown) == set(cfg.expect), f"{path}: no counterexample for {set(cfg.expect) - set(shown)}"
    problems = unexplained(path, cfg.description, cfg.expect, list(out.verdicts) + [p.name for p in
                           out.system.properties + out.system.liveness], known, shown)
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


def test_code_words() -> None:
    assert code_words("net_rx_action pops `poll_list.pop()`; Vec::pop and NoLostWakeup") == {
        "net_rx_action", "poll_list", "Vec::pop"}
