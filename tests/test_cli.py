"""The napi-check command: exit codes, messages for bad configurations, traces that replay."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def write(tmp: Path, text: str, name: str = "cfg.toml") -> Path:
    p = tmp / name
    p.write_text(text)
    return p


GOOD = 'spec = "napi_basic"\nexpect = "holds"\n[constants]\nN = 1\nRING = 1\n'


def test_bundled_basic_models_pass_and_traces_replay(tmp_path: Path) -> None:
    basic = ROOT / "models" / "napi_basic"
    files = [str(basic / f"{n}.toml") for n in ("n2", "unmask_first", "requeue_head", "split_test_set")]
    code, out = run("verify", *files, "--out", str(tmp_path))
    assert code == 0, out
    assert "unmask_first" in out and "pass" in out
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["schema_version"] == 1 and result["exit_code"] == 0
    by_name = {c["name"]: c for c in result["configurations"]}
    assert by_name["n2"]["engines"][0]["states"] == 2192
    unmask = by_name["unmask_first"]["properties"]["NoLostWakeup"]
    assert unmask["verdict"] == "violated" and unmask["replayed"] is True
    trace = tmp_path / unmask["trace"]
    code, out = run("replay", str(trace))
    assert code == 0 and "VALID" in out
    assert "napi_complete_done" in out  # the trace speaks the kernel's language


def test_tampered_trace_does_not_replay(tmp_path: Path) -> None:
    run("verify", str(ROOT / "models" / "napi_basic" / "unmask_first.toml"), "--out", str(tmp_path))
    trace = tmp_path / "unmask_first.NoLostWakeup.itf.json"
    data = json.loads(trace.read_text())
    data["states"].pop(3)  # drop a state: the run no longer follows the steps
    trace.write_text(json.dumps(data))
    code, out = run("replay", str(trace))
    assert code == 1 and "INVALID" in out


def test_violation_expected_to_hold_exits_1(tmp_path: Path) -> None:
    cfg = write(tmp_path, 'spec = "napi_basic"\nexpect = "holds"\n[constants]\nN = 1\nunmask_first = true\n')
    code, out = run("verify", str(cfg))
    assert code == 1
    assert "NoLostWakeup is violated but was expected to hold" in out


def test_expected_violation_not_found_exits_1(tmp_path: Path) -> None:
    cfg = write(tmp_path, 'spec = "napi_basic"\nexpect = "NoLostWakeup"\n[constants]\nN = 1\n')
    code, out = run("verify", str(cfg))
    assert code == 1 and "expects it to be violated" in out


def test_limit_reached_is_inconclusive_exit_3(tmp_path: Path) -> None:
    cfg = write(tmp_path, GOOD.replace("N = 1", "N = 2") + "[limits]\nmax_states = 50\n")
    code, out = run("verify", str(cfg))
    assert code == 3 and "inconclusive" in out


@pytest.mark.parametrize("text,field", [
    ("spec = 'napi_basic'\n[constants\n", "not valid TOML"),
    ("spec = 'nope'\n", "spec: unknown spec 'nope'"),
    ("spec = 'napi_basic'\nproperties = ['NoSuch']\n", "properties: spec 'napi_basic' has no property 'NoSuch'"),
    ("spec = 'napi_basic'\n[constants]\nBOGUS = 1\n", "constants.BOGUS: unknown constant"),
    ("spec = 'napi_basic'\n[constants]\nN = 'two'\n", "constants.N: must be a whole number"),
    ("spec = 'napi_basic'\n[constants]\nRING = 0\n", "constants.RING: must be at least 1"),
    ("spec = 'napi_basic'\n[constants]\nWEIGHT = -3\n", "constants.WEIGHT: must be at least 1"),
    ("spec = 'napi_basic'\n[limits]\nmax_states = -1\n", "limits.max_states: must be positive"),
    ("spec = 'napi_basic'\n[limits]\nmax_seconds = 0\n", "limits.max_seconds: must be positive"),
    ("spec = 'napi_basic'\nbudget = 3\n", "budget: unknown key"),
    ("spec = 'napi_basic'\nexpect = 'NoSuch'\n", "expect: 'NoSuch' is not among the checked properties"),
    ("spec = 'napi_basic'\nengines = ['tlc']\n", "engines: unknown engine 'tlc'"),
    ("expect = 'holds'\n", "spec: missing"),
    ("spec = 'napi_basic'\n[options]\ninduct_literals = 'x'\n", "options.induct_literals: must be a whole number"),
    ("spec = 'napi_basic'\n[options]\ninduct_cti_states = -1\n", "options.induct_cti_states: must be a whole number"),
    ("spec = 'napi_basic'\n[options]\ninduct_cone = 3\n", "options.induct_cone: must be true or false"),
    ("spec = 'napi_basic'\n[options]\ninduct_cover_work = 'yes'\n", "options.induct_cover_work: must be true or false"),
])
def test_bad_configuration_is_one_line_naming_file_and_field_exit_2(tmp_path: Path, text: str, field: str) -> None:
    cfg = write(tmp_path, text)
    proc = subprocess.run([sys.executable, "-m", "checker.cli", "verify", str(cfg)], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and str(cfg) in errors[0] and field in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_bad_command_line_values_exit_2(tmp_path: Path) -> None:
    cfg = write(tmp_path, GOOD)
    assert run("verify", str(cfg), "--max-states", "-5")[0] == 2
    assert run("verify", str(cfg), "--engine", "nope")[0] == 2
    assert run("verify", str(tmp_path / "missing.toml"))[0] == 2
    assert run("replay", str(tmp_path / "missing.itf.json"))[0] == 2


def test_list_shows_specs_constants_properties_and_configurations() -> None:
    code, out = run("list", str(ROOT / "models" / "napi_basic"))
    assert code == 0
    assert "napi_basic" in out and "unmask_first.toml" in out and "violates NoLostWakeup" in out
    code, out = run("list")
    assert code == 0 and "napi_basic" in out and "linux" in out and "dragonos" in out


def test_list_spec_is_derived_from_the_spec() -> None:
    from spec import registry

    code, out = run("list", "linux")
    assert code == 0
    system = registry()["linux"].instantiate({"disable": True})
    for p in system.properties + system.liveness:  # every property the spec declares, safety and temporal
        assert f"    {p.name} ({p.kind})" in out, p.name
    assert "temporal properties" in out and "PacketsPolled (leads_to)" in out
    assert "versions:" in out and "era = 6.18 | 2006" in out
    assert "models/linux/linux618.toml" in out and "models/napi_basic" not in out
    code, out = run("list", "linx")
    assert code == 2 and "did you mean 'linux'?" in out
