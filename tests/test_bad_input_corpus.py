"""The generated corpus of broken inputs (tests/bad_inputs.py): every case ends in exit 2 with one
``error:`` line per mistake, naming the file (or the option) and the field — printed once, no
traceback, no hang (FIFOs included), whatever the characters in values and file names."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from tests.bad_inputs import ROOT, Case, cli_cases, config_cases, spec_cases, trace_cases

TRACE_SOURCES = [ROOT / "models" / "napi_basic" / "unmask_first.toml", ROOT / "models" / "napi_basic" / "split_test_set.toml",
                 ROOT / "models" / "linux" / "v4_unmask_first.toml", ROOT / "models" / "dragonos" / "v0_busy_cycle.toml"]


def _materialise(case: Case, where: Path) -> None:
    for name, content in case.files.items():
        p = where / name
        if name.endswith("/"):
            p.mkdir(parents=True, exist_ok=True)
        elif content is None:
            os.mkfifo(p)
        else:
            p.write_bytes(content)


def run_case(case: Case, where: Path) -> str | None:
    """None if the case got a clean exit 2; else what went wrong."""
    _materialise(case, where)
    cwd = os.getcwd()
    os.chdir(where)
    try:
        res = CliRunner().invoke(main, case.argv, catch_exceptions=True)
    finally:
        os.chdir(cwd)
        for name in case.files:
            p = where / name
            if p.is_dir():
                p.rmdir()
            elif p.exists() or p.is_fifo():
                p.unlink()
    out = res.output
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        return f"exception {type(res.exception).__name__}: {res.exception}"
    if res.exit_code != 2:
        return f"exit {res.exit_code}: {out[-300:]}"
    if "Traceback" in out:
        return "traceback printed"
    errors = [ln for ln in out.splitlines() if ln.startswith("error:")]
    if not errors:
        return f"no error line: {out[-300:]}"
    if len(errors) != len(set(errors)):
        return f"an error printed twice: {errors}"
    said = "\n".join(errors)
    missing = [m for m in case.must_say if m not in said]
    if missing:
        return f"error lines do not say {missing}: {said}"
    return None


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("traces")
    res = CliRunner().invoke(main, ["verify", *map(str, TRACE_SOURCES), "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    found = sorted(out.glob("*.itf.json"))
    assert len(found) >= len(TRACE_SOURCES)
    return found


def test_corpus_of_broken_inputs_gets_clean_exit_2(tmp_path: Path, traces: list[Path]) -> None:
    cases = config_cases(stride=3) + cli_cases() + trace_cases(traces)
    failures: dict[str, str] = {}
    for case in cases:
        why = run_case(case, tmp_path)
        if why is not None:
            failures[case.name] = why
    kinds: dict[str, int] = {}
    for c in cases:
        kinds[c.name.split("/")[0]] = kinds.get(c.name.split("/")[0], 0) + 1
    print(f"\nbad-input corpus: {len(cases)} cases ({kinds}); clean exit 2: {len(cases) - len(failures)}")
    assert len(cases) >= 700
    assert not failures, "\n".join(f"{k}: {v}" for k, v in list(failures.items())[:30])


@pytest.mark.parametrize("case", spec_cases(), ids=lambda c: c.name)
def test_user_spec_mistakes_name_the_users_file_and_line(case: Case, tmp_path: Path) -> None:
    """Mistakes in a user's spec file, including those found after its build() returned (System.finish:
    no steps, a fairness rule naming no step), are one error line at the user's file:line, exit 2."""
    why = run_case(case, tmp_path)
    assert why is None, why


def test_all_errors_of_one_file_at_once(tmp_path: Path) -> None:
    cfg = tmp_path / "three.toml"
    cfg.write_text('spce = "napi_basic"\n[limits]\nmax_state = 5\nmax_seconds = nan\n')
    res = CliRunner().invoke(main, ["verify", str(cfg)])
    errors = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert res.exit_code == 2
    assert len(errors) == 4, errors  # spce, spec missing, max_state, max_seconds
    assert "did you mean 'spec'?" in errors[0] and "did you mean 'max_states'?" in res.output
    assert re.search(r"limits\.max_seconds: must be a finite number, got nan", res.output)
