"""What a new user meets: compact output, progress off a terminal, clean interrupts, the bundled
configurations from any folder, an ASCII-only terminal, foreign ``checker``/``spec`` packages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.result import Progress
from checker.progress import eta

ROOT = Path(__file__).resolve().parent.parent
BASIC = ROOT / "models" / "napi_basic"
# napi_basic with 4 instances and a ring of 3: millions of states, so it is still running when signalled
BIG = 'spec = "napi_basic"\n[constants]\nN = 4\nRING = 3\n'


def cli(*args: str, cwd: Path | None = None, env: dict | None = None, **kw) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "checker.cli", *args], cwd=cwd or ROOT, env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_compact_output_one_line_per_configuration() -> None:
    files = [str(BASIC / f"{n}.toml") for n in ("n2", "unmask_first", "split_test_set")]
    res = CliRunner().invoke(main, ["verify", *files])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 4, lines  # three configurations and the closing count
    assert lines[1].startswith("PASS") and "violated as expected: NoLostWakeup (15 steps" in lines[1]
    assert "napi_complete_done" not in res.output  # expected violations are summarised, not shown
    assert lines[-1].startswith("configurations: 3 met their expectation, 0 did not")
    res = CliRunner().invoke(main, ["verify", files[1], "-v"])  # today's detail
    assert "napi_complete_done" in res.output and "napi-check verdicts" in res.output


def test_unexpected_violation_is_shown_in_full(tmp_path: Path) -> None:
    cfg = tmp_path / "wrong.toml"
    cfg.write_text('spec = "napi_basic"\nproperties = ["NoLostWakeup"]\n[constants]\nN = 1\nunmask_first = true\n')
    res = CliRunner().invoke(main, ["verify", str(cfg)])
    assert res.exit_code == 1
    assert res.output.startswith("FAIL") and "Counterexample: NoLostWakeup" in res.output
    assert "napi_complete_done" in res.output and "violated but was expected to hold" in res.output


def test_folder_skips_toml_files_that_are_not_configurations(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.ruff]\nline-length = 100\n')
    (tmp_path / "n2.toml").write_text((BASIC / "n2.toml").read_text())
    res = CliRunner().invoke(main, ["verify", str(tmp_path)])
    assert res.exit_code == 0 and "pyproject" not in res.output, res.output
    res = CliRunner().invoke(main, ["verify", str(tmp_path), "-v"])
    assert res.exit_code == 0 and "skipped" in res.output and "pyproject.toml: no spec key" in res.output


def test_eta_from_the_states_or_the_time_limit() -> None:
    p = Progress(states=1000, transitions=0, depth=5, frontier=10, seconds=10.0)  # 100 states/s
    assert eta(p, {}) == ""
    assert eta(p, {"max_states": 3000}) == "ETA ≤ 20 s (states limit)"
    assert eta(p, {"max_states": 3000, "max_seconds": 15}) == "ETA ≤ 5 s (time limit)"


def test_progress_lines_off_a_terminal(tmp_path: Path) -> None:
    cfg = tmp_path / "big.toml"
    cfg.write_text(BIG + "[limits]\nmax_seconds = 1.5\n")
    proc = cli("verify", str(cfg), "--progress-every", "0.4")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, out + err
    lines = [ln for ln in err.splitlines() if ln.startswith("progress: big: ")]
    assert len(lines) >= 2, err
    assert any("states/s" in ln and "depth" in ln and "frontier" in ln for ln in lines), lines
    assert all("ETA" in ln and "(time limit)" in ln for ln in lines), lines


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_cleanly_with_figures_and_results(tmp_path: Path, sig: int, code: int) -> None:
    cfg = tmp_path / "big.toml"
    cfg.write_text(BIG)
    done = tmp_path / "n2.toml"
    done.write_text((BASIC / "n2.toml").read_text())
    out_dir = tmp_path / "out"
    proc = cli("verify", str(done), str(cfg), "--out", str(out_dir), "--progress-every", "0.2")
    deadline = time.monotonic() + 60
    seen = ""
    line = ""
    while not ("progress: big:" in line and "states" in line) and time.monotonic() < deadline:  # the search runs
        line = proc.stderr.readline()  # type: ignore[union-attr]
        seen += line
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    err = seen + err
    assert proc.returncode == code, out + err
    assert "Traceback" not in out + err and "Aborted" not in out + err
    name = signal.Signals(sig).name
    assert f"{name}: stopped: big: " in err and "states" in err.split(f"{name}: stopped: ")[1]
    result = json.loads((out_dir / "result.json").read_text())
    assert result["exit_code"] == code
    by = {c["name"]: c for c in result["configurations"]}
    assert by["n2"]["status"] == "pass"  # finished before the signal: kept
    big = by["big"]
    assert big["status"] == "inconclusive" and big["engines"][0]["states"] > 0
    assert {p["verdict"] for p in big["properties"].values()} == {"inconclusive"}
    assert all(f"interrupted by {name}" in p["note"] for p in big["properties"].values())
    assert (out_dir / "junit.xml").exists() and (out_dir / "report.html").exists()


def test_ascii_only_terminal(tmp_path: Path) -> None:
    proc = cli("verify", str(BASIC / "unmask_first.toml"), "-v", env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "UnicodeEncodeError" not in err and "napi_complete_done" in out


def test_foreign_checker_and_spec_packages_first_on_the_path(tmp_path: Path) -> None:
    """Another project's top-level ``checker`` and ``spec`` come first on sys.path: the command
    (entry point ``napi_check:main``) still loads its own."""
    foreign = tmp_path / "foreign"
    for name in ("checker", "spec"):
        (foreign / name).mkdir(parents=True)
        (foreign / name / "__init__.py").write_text(f"raise ImportError('the foreign {name} was imported')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(foreign), str(ROOT)])}
    args = [sys.executable, "-c", "import napi_check; napi_check.main()"]
    proc = subprocess.run([*args, "verify", str(BASIC / "n2.toml")], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "foreign" not in proc.stderr and "PASS" in proc.stdout
    proc = subprocess.run([*args, "list", "napi_basic"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "NoLostWakeup" in proc.stdout, proc.stderr
    # without the entry point, the foreign package wins: the problem the entry point solves is real
    proc = subprocess.run([sys.executable, "-m", "checker.cli", "list"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0 and "the foreign checker was imported" in proc.stderr


def test_bundled_configurations_from_an_empty_folder(tmp_path: Path) -> None:
    proc = cli("verify", "--bundled", "napi_basic/n2.toml", "models/napi_basic/unmask_first.toml", cwd=tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    assert "models/napi_basic/n2.toml" in out and "models/napi_basic/unmask_first.toml" in out


def test_no_models_folder_falls_back_to_the_bundled_configurations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle" / "napi_basic"  # a small stand-in for the bundle, to stay fast
    bundle.mkdir(parents=True)
    (bundle / "n2.toml").write_text((BASIC / "n2.toml").read_text())
    monkeypatch.setattr("checker.bundled.bundled_models", lambda: tmp_path / "bundle")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    res = CliRunner().invoke(main, ["verify"])
    assert res.exit_code == 0, res.output
    assert "no models/ folder here: verifying the configurations bundled with napi-check" in res.output
    assert "PASS" in res.output and "n2.toml" in res.output


def test_temporal_properties_of_the_spec_are_checked_by_default(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('spec = "napi_basic"\n[constants]\nN = 1\nRING = 1\n')
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["verify", str(cfg), "--out", str(out)])
    assert res.exit_code == 0, res.output
    props = json.loads((out / "result.json").read_text())["configurations"][0]["properties"]
    assert props["PacketsPolled"]["kind"] == "leads_to" and props["PacketsPolled"]["verdict"] == "holds"
    assert props["NoBusyLoop"]["kind"] == "non_progress"


def test_memory_exhaustion_is_inconclusive_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*args, **kw):  # type: ignore[no-untyped-def]
        try:
            raise MemoryError()
        except MemoryError as exc:  # what the explicit engine raises when the packed kernel runs out
            raise RuntimeError(f"the packed kernel failed ({exc!r}) where the generic semantics did not") from exc

    monkeypatch.setattr("checker.verify.run_config", exhausted)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["verify", str(BASIC / "n2.toml"), "--out", str(out)])
    assert res.exit_code == 3, res.output
    assert "out of memory" in res.output and "packed kernel failed" not in res.output
    (cfg,) = json.loads((out / "result.json").read_text())["configurations"]
    assert cfg["status"] == "inconclusive" and all("out of memory" in p["note"] for p in cfg["properties"].values())


def test_sigint_during_a_solver_query(tmp_path: Path) -> None:
    """Z3 would swallow SIGINT, and a handler run inside its ctypes callback would be dropped: the
    query is cancelled and the run still stops with 130, promptly."""
    cfg = tmp_path / "lp.toml"
    cfg.write_text('spec = "linux"\nengines = ["pdr"]\nproperties = ["NoDoubleQueue"]\n[constants]\nN = 2\n'
                   '[limits]\nquery_timeout = 60\nmax_seconds = 60\n')
    proc = cli("verify", str(cfg), "--out", str(tmp_path / "out"))
    time.sleep(4)  # inside Spacer's query by now (it does not finish in 60 s: README, Engines)
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert time.monotonic() - t0 < 15
    assert "Traceback" not in err and "Exception ignored" not in err
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["configurations"][0]["properties"]["NoDoubleQueue"]["verdict"] == "inconclusive"


STOP_WHILE_BUILDING = """
import os, signal, sys, threading, time
import z3
from checker.interrupt import Interrupted, stop_on_signals
t0 = time.monotonic()
try:
    with stop_on_signals():
        threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
        xs = [z3.Bool(f"b{k}") for k in range(200)]
        while time.monotonic() - t0 < 40:
            z3.And(*[z3.Or(a, z3.Not(b)) for a, b in zip(xs, xs[1:])])
except Interrupted as e:
    print("interrupted", round(time.monotonic() - t0 - 1.0, 2), e.signame)
    sys.exit(0)
print("not interrupted")
sys.exit(1)
"""


def test_sigterm_while_building_solver_terms() -> None:
    """A run that spends minutes building Z3 terms (an engine's set-up, no solver check of its own)
    still stops on SIGTERM: the signal lands inside Z3's Python layer, where the handler defers it only
    if the exception would be dropped there, and the watcher repeats it until it raises."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", STOP_WHILE_BUILDING], capture_output=True, text=True, env=env,
                          timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _, after, name = proc.stdout.split()
    assert name == "SIGTERM" and float(after) < 5
    assert "Exception ignored" not in proc.stderr
