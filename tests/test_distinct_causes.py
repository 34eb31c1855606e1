"""Counterexamples of distinct causes (checker.cause): one bug does not hide another."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from checker.cause import cause_of, kernel_function
from checker.cli import main
from checker.config import load_config
from checker.engines import engine_names
from checker.result import INCONCLUSIVE, VIOLATED
from checker.trace.replay import replay
from checker.verify import PASS, run_config
from spec import registry

ROOT = Path(__file__).resolve().parent.parent
DIRECT = ROOT / "models" / "dragonos" / "v2_deadline_direct.toml"


def _funcs(tr) -> set[str]:  # type: ignore[no-untyped-def]
    return {kernel_function(t) for t in tr.steps}


def test_two_distinct_dragonos_deadline_races_from_one_configuration() -> None:
    cfg = load_config(DIRECT, registry(), engine_names())
    out = run_config(cfg)
    assert out.status == PASS, out.problems
    v = out.verdicts["DeadlineHonoured"]
    assert v.verdict == VIOLATED and len(v.more_traces) == 1
    first, second = v.trace, v.more_traces[0]
    assert (len(first), len(second)) == (26, 28)
    for tr in (first, second):
        assert replay(tr, out.compiled).ok
        assert tr.steps[-1].label == "tick" and "timer.rs" in kernel_function(tr.steps[-1])  # the deadline passes
    # race 1: a syscall's direct IfaceCommon::poll publishes poll_at_us after the unlock; no NAPI poll at all
    assert "mod.rs:IfaceCommon::poll" in _funcs(first)
    assert not any("NapiStruct::poll" in f for f in _funcs(first))
    # race 2: the napi_handler's poll_napi publishes the deadline; no direct poll
    assert "napi.rs:NapiStruct::poll" in _funcs(second) and "mod.rs:IfaceCommon::poll" not in _funcs(second)
    # neither runs every function of the other: distinct causes
    assert not _funcs(second) >= _funcs(first) and not _funcs(first) >= _funcs(second)
    assert "NapiStruct::poll" in second.cause


def test_a_race_plus_unrelated_activity_is_not_a_new_cause() -> None:
    # V2 without the direct poll: one race only, however many longer traces add a wake-up here or there
    cfg = load_config(ROOT / "models" / "dragonos" / "v2_deadline.toml", registry(), engine_names())
    cfg.properties = ["DeadlineHonoured"]
    out = run_config(cfg)
    v = out.verdicts["DeadlineHonoured"]
    assert v.verdict == VIOLATED and v.more_traces == [] and len(v.trace) == 28


def test_out_writes_every_counterexample(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["verify", str(DIRECT), "-q", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "result.json").read_text())
    entry = doc["configurations"][0]["properties"]["DeadlineHonoured"]
    assert entry["trace_length"] == 26
    assert [m["trace_length"] for m in entry["more_traces"]] == [28]
    second = tmp_path / entry["more_traces"][0]["trace"]
    assert second.name == "v2_deadline_direct.DeadlineHonoured.2.itf.json"
    replayed = CliRunner().invoke(main, ["replay", str(second)])
    assert replayed.exit_code == 0 and "VALID" in replayed.output


def test_max_traces_and_stop_at_first_violation_options(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["verify", str(DIRECT), "--max-traces", "1", "--out", str(tmp_path)])
    assert res.exit_code == 0 and "more of distinct causes" not in res.output
    cfg = tmp_path / "nf.toml"
    cfg.write_text('spec = "bench_nf"\nexpect = ["SchedIffQueued", "Deadlock"]\n[constants]\nN = 3\nP = 2\nB = 2\n'
                   'bug = true\n[limits]\nstop_at_first_violation = true\n')
    loaded = load_config(cfg, registry(), engine_names())
    out = run_config(loaded)
    # stopped at SchedIffQueued's violation: Deadlock (violated when the search goes on) is undecided, not "holds"
    assert out.verdicts["SchedIffQueued"].verdict == VIOLATED
    assert out.verdicts["Deadlock"].verdict == INCONCLUSIVE and "first violation" in out.verdicts["Deadlock"].note
    assert out.verdicts["NoLostWakeup"].verdict == INCONCLUSIVE
    res = CliRunner().invoke(main, ["verify", str(cfg), "-q"])
    assert res.exit_code == 3  # inconclusive


def test_cause_of_a_trace() -> None:
    cfg = load_config(DIRECT, registry(), engine_names())
    out = run_config(cfg)
    tr = out.verdicts["DeadlineHonoured"].trace
    entering, funcs = cause_of(tr.steps)
    assert entering == kernel_function(tr.steps[-1]) and "timer.rs" in entering and entering in funcs
    assert cause_of([]) == ("initial state", frozenset())
