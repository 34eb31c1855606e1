"""Step coverage declarations: undeclared never-fired steps, stale declarations, typos and vacuous
properties are reported; every bundled configuration fires every step or says why it does not."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.config import ConfigError, load_config
from checker.engines import engine_names
from checker.verify import run_config
from spec import registry

ROOT = Path(__file__).resolve().parent.parent

# napi_basic with the timer context, which is declared but (as in unmask_first) never used by
# `poll_claims_weight`: the driver always claims its weight, so napi_complete_done and the unmask
# after it never run.
BASE = """spec = "napi_basic"
properties = ["NoDoubleQueue", "SchedMatchesList"]
[constants]
N = 1
RING = 1
poll_claims_weight = true
"""


def _write(tmp_path: Path, body: str, name: str = "c.toml") -> Path:
    p = tmp_path / name
    p.write_text(body)
    return p


def _warnings(path: Path) -> list[str]:
    return run_config(load_config(path, registry(), engine_names())).warnings


def test_undeclared_never_fired_steps_warn(tmp_path: Path) -> None:
    ws = _warnings(_write(tmp_path, BASE))
    assert any(w.startswith("2 step(s) never fired and are not declared in [coverage] unfired")
               and "CPU0 softirq:complete, CPU0 softirq:unmask" in w for w in ws), ws
    # SchedMatchesList reads the softirq's program counter at 'complete', which is never reached
    assert any(w.startswith("SchedMatchesList may hold vacuously") and "CPU0 softirq at complete" in w for w in ws), ws


def test_declared_steps_are_quiet(tmp_path: Path) -> None:
    body = BASE + '[coverage]\nunfired = { "CPU0 softirq:complete" = "the poll always claims its weight", ' \
                  '"CPU0 softirq:unmask" = "reached only after napi_complete_done" }\n'
    assert _warnings(_write(tmp_path, body)) == []


def test_stale_declaration_warns(tmp_path: Path) -> None:
    body = BASE + '[coverage]\nunfired = { "CPU0 softirq:*" = "wrong: the softirq does run" }\n'
    ws = _warnings(_write(tmp_path, body))
    assert ws == ["stale [coverage] declaration 'CPU0 softirq:*': 3 of its steps fired "
                  "(CPU0 softirq:idle, CPU0 softirq:poll, CPU0 softirq:requeue)"], ws


@pytest.mark.parametrize("table, field, message", [
    ('[coverage]\nunfired = { "NOPE:*" = "x" }\n', "coverage.unfired.'NOPE:*'", "matches no step"),
    ('[coverage]\nunfired = { "IRQ0:*" = "" }\n', "coverage.unfired.'IRQ0:*'", "give the reason"),
    ('[coverage]\nunfired = ["IRQ0:*"]\n', "coverage.unfired", "must be a table"),
    ('[coverage]\nskip = { "IRQ0:*" = "x" }\n', "coverage.skip", "unknown key"),
    ('coverage = 3\n', "coverage", "must be a table"),
])
def test_bad_declarations_name_file_and_field(tmp_path: Path, table: str, field: str, message: str) -> None:
    path = _write(tmp_path, BASE + table if table.startswith("[") else table + BASE)
    with pytest.raises(ConfigError) as err:
        run_config(load_config(path, registry(), engine_names()))
    assert err.value.path == str(path) and err.value.field == field and message in err.value.message
    res = CliRunner().invoke(main, ["verify", str(path)])
    assert res.exit_code == 2 and f"{path}: {field}: " in res.output


def _bundled_warnings() -> dict[str, list[str]]:
    """Coverage warnings of every bundled configuration: from the CI gate's ``out/ci/result.json``
    (``napi-check verify models/ --out out/ci``, run just before the tests) when it is newer than every
    configuration and source file, else — with NAPI_CHECK_FULL=1 — by verifying them all (minutes)."""
    ci = ROOT / "out" / "ci" / "result.json"
    sources = [*ROOT.glob("models/**/*.toml"), *ROOT.glob("checker/**/*.py"), *ROOT.glob("spec/**/*.py")]
    if ci.exists() and ci.stat().st_mtime > max(p.stat().st_mtime for p in sources):
        doc = json.loads(ci.read_text())
        assert len(doc["configurations"]) == len(list((ROOT / "models").rglob("*.toml")))
        return {c["configuration"]: c["warnings"] for c in doc["configurations"]}
    if not os.environ.get("NAPI_CHECK_FULL"):
        pytest.skip("no fresh out/ci/result.json (run `napi-check verify models/ --out out/ci`, as .ci/run does) "
                    "and NAPI_CHECK_FULL is not set")
    return {str(path): run_config(load_config(path, registry(), engine_names())).warnings
            for path in sorted((ROOT / "models").rglob("*.toml"))}


def test_bundled_configurations_fire_every_step_or_say_why() -> None:
    """`napi-check verify models/` gives no coverage warning: no undeclared never-fired step, no stale
    declaration, no vacuous property."""
    bad = {k: v for k, v in _bundled_warnings().items() if v}
    assert bad == {}


def test_compact_output_shows_each_warning(tmp_path: Path) -> None:
    """The default (compact) output, and -q, show a passing configuration's coverage warnings, one
    line each under its line; a configuration that declares its unfired steps shows none."""
    path = _write(tmp_path, BASE)
    expected = _warnings(path)  # the vacuous properties, then the undeclared steps
    assert len(expected) == 3 and "CPU0 softirq:complete, CPU0 softirq:unmask" in expected[-1], expected
    for args in ([], ["-q"]):
        res = CliRunner().invoke(main, ["verify", str(path), *args])
        assert res.exit_code == 0, res.output
        lines = res.output.splitlines()
        head = next(k for k, ln in enumerate(lines) if ln.startswith("PASS") and "c.toml" in ln)
        shown = []
        for ln in lines[head + 1:]:
            if not ln.strip().startswith("warning: "):
                break
            shown.append(ln.strip())
        assert shown == [f"warning: {w}" for w in expected], res.output
    declared = _write(tmp_path, BASE + '[coverage]\nunfired = { "CPU0 softirq:complete" = "claims its weight", '
                                       '"CPU0 softirq:unmask" = "only after napi_complete_done" }\n', "d.toml")
    res = CliRunner().invoke(main, ["verify", str(declared)])
    assert res.exit_code == 0 and "warning" not in res.output, res.output
    assert "d.toml" not in CliRunner().invoke(main, ["verify", str(declared), "-q"]).output
