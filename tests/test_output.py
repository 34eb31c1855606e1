"""``verify --out DIR``: result.json, junit.xml, report.html (checked in headless Chromium), trace files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models" / "napi_basic"

# unmask_first with user views; and the same model wrongly expected to hold (a failing gate)
VIEWED = (MODELS / "unmask_first.toml").read_text() + '\n[views]\nqueued = "poll_list.len()"\n' \
    'lost = "pending[0] > 0 and not napi_state[0].has(\'SCHED\')"\n'
WRONG = re.sub(r'^expect = .*$', 'expect = "holds"\nproperties = ["NoDoubleQueue", "SchedMatchesList", "NoLostWakeup", '
               '"BoundedWait", "Deadlock"]', (MODELS / "unmask_first.toml").read_text(), flags=re.M)


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return res.exit_code, res.output


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict]:
    """One run over three configurations (one passing with an expected violation, one failing, one
    passing with a different expected violation) and one broken configuration file."""
    cfgs = tmp_path_factory.mktemp("cfgs")
    (cfgs / "viewed.toml").write_text(VIEWED)
    (cfgs / "wrong.toml").write_text(WRONG)
    shutil.copy(MODELS / "split_test_set.toml", cfgs / "split.toml")
    (cfgs / "zbroken.toml").write_text('spec = "napi_basic"\n[constants]\nN = 99\n')
    d = tmp_path_factory.mktemp("out")
    code, text = run("verify", str(cfgs), "--out", str(d))
    return d, code, json.loads((d / "result.json").read_text())


def test_files_written(out) -> None:
    d, code, res = out
    assert code == 2  # a configuration error outranks the failing gate
    names = {p.name for p in d.iterdir()}
    assert {"result.json", "junit.xml", "report.html", "command.txt"} <= names
    for stem in ("viewed.NoLostWakeup", "wrong.NoLostWakeup", "split.NoDoubleQueue", "split.SchedMatchesList"):
        assert {f"{stem}.itf.json", f"{stem}.mmd", f"{stem}.dot"} <= names, stem
    assert "viewed.NoLostWakeup.graph.dot" in names  # 49 states: small enough to draw whole
    cmd = (d / "command.txt").read_text()
    assert "verify" in cmd and "--out" in cmd


def test_result_json(out) -> None:
    d, code, res = out
    assert res["schema_version"] == 1 and res["exit_code"] == code and res["tool_version"]
    by = {c["name"]: c for c in res["configurations"]}
    assert set(by) == {"viewed", "wrong", "split"}
    assert by["viewed"]["status"] == "pass" and by["wrong"]["status"] == "fail" and by["split"]["status"] == "pass"
    nlw = by["viewed"]["properties"]["NoLostWakeup"]
    assert nlw["verdict"] == "violated" and nlw["expected"] == "violated" and nlw["met"] and nlw["replayed"]
    assert nlw["files"]["itf"] == nlw["trace"] == "viewed.NoLostWakeup.itf.json"
    assert by["viewed"]["views"] == {"queued": "poll_list.len()", "lost": "pending[0] > 0 and not napi_state[0].has('SCHED')"}
    assert by["viewed"]["engines"][0]["states"] == 49  # unmask_first's state count (tests/test_napi_basic_counts)
    s = res["summary"]
    assert (s["configurations"], s["passed"], s["failed"], s["configuration_errors"]) == (3, 2, 1, 1)
    assert s["properties"] == sum(len(c["properties"]) for c in res["configurations"])
    assert len(res["errors"]) == 1 and "zbroken.toml" in res["errors"][0]


def test_itf_files_replay_with_views(out) -> None:
    d, _, res = out
    for f in d.glob("*.itf.json"):
        code, text = run("replay", str(f))
        assert code == 0 and "VALID" in text, (f, text)
    code, text = run("replay", str(d / "viewed.NoLostWakeup.itf.json"))
    assert "▸ queued=" in text and "lost=true" in [ln for ln in text.splitlines() if "▸" in ln][-1]
    meta = json.loads((d / "viewed.NoLostWakeup.itf.json").read_text())["#meta"]
    assert meta["configuration"].endswith("viewed.toml") and meta["views"]["queued"] == "poll_list.len()"


def test_junit_counts(out) -> None:
    d, _, res = out
    n_props = sum(len(c["properties"]) for c in res["configurations"])
    root = ET.parse(d / "junit.xml").getroot()
    assert root.tag == "testsuites"
    assert int(root.get("tests")) == n_props + 1  # + the broken configuration
    # the wrong gate: NoLostWakeup and Deadlock (violated past the lost wakeup) expected to hold
    assert int(root.get("failures")) == 2 and int(root.get("errors")) == 1 and int(root.get("skipped")) == 0
    cases = {(s.get("name"), c.get("name")): c for s in root for c in s.iter("testcase")}
    path = {c["name"]: c["configuration"] for c in res["configurations"]}
    fail = cases[(path["wrong"], "NoLostWakeup")]
    f = fail.find("failure")
    assert f is not None and "violated but expected to hold" in f.get("message")
    assert "napi_complete_done" in f.text and "CPU0 softirq" in f.text  # the trace, in the kernel's words
    ok = cases[(path["viewed"], "NoLostWakeup")]
    assert ok.find("failure") is None and "napi_complete_done" in ok.find("system-out").text
    junitparser = pytest.importorskip("junitparser", reason="PyPI package junitparser not installed")
    xml = junitparser.JUnitXml.fromfile(str(d / "junit.xml"))
    suites = list(xml)
    assert sum(s.tests for s in suites) == n_props + 1
    assert sum(s.failures for s in suites) == 2 and sum(s.errors for s in suites) == 1
    results = [type(r).__name__ for s in suites for c in s for r in c.result]
    assert results.count("Failure") == 2 and results.count("Error") == 1


class _Keys(HTMLParser):
    """Collects the text of every element with a data-key attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._open: list[str | None] = []
        self.svgs = 0

    def handle_starttag(self, tag, attrs) -> None:  # type: ignore[no-untyped-def]
        a = dict(attrs)
        self.svgs += tag == "svg"
        if tag in ("br", "meta", "circle", "line", "rect", "path"):
            return
        self._open.append(a.get("data-key"))

    def handle_endtag(self, tag) -> None:  # type: ignore[no-untyped-def]
        if tag in ("br", "meta", "circle", "line", "rect", "path"):
            return
        if self._open:
            self._open.pop()

    def handle_data(self, data) -> None:  # type: ignore[no-untyped-def]
        for k in self._open:
            if k:
                self.values[k] = self.values.get(k, "") + data


def _check_numbers(html: str, res: dict) -> None:
    p = _Keys()
    p.feed(html)
    v = p.values
    for k, n in res["summary"].items():
        assert v[f"summary.{k}"].replace(",", "") == str(n), k
    assert v["exit_code"] == str(res["exit_code"])
    for c in res["configurations"]:
        n = c["name"]
        assert v[f"{n}.status"] == c["status"]
        assert int(v[f"{n}.states"].replace(",", "")) == max(e["states"] for e in c["engines"])
        assert v[f"{n}.seconds"] == f"{c['seconds']:.2f}"
        for e in c["engines"]:
            assert int(v[f"{n}.engine.{e['engine']}.transitions"].replace(",", "")) == e["transitions"]
        for pname, pr in c["properties"].items():
            assert v[f"{n}.{pname}.verdict"] == pr["verdict"]
            if "trace_length" in pr:
                assert int(v[f"{n}.{pname}.trace_length"]) == pr["trace_length"]
    n_traces = sum(("trace" in pr) + len(pr.get("more_traces", [])) for c in res["configurations"]
                   for pr in c["properties"].values())
    assert p.svgs == n_traces  # one inline SVG sequence diagram per counterexample (distinct causes too)


def test_report_numbers_match_result_json(out) -> None:
    d, _, res = out
    html = (d / "report.html").read_text()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html
    assert "<script" not in html
    _check_numbers(html, res)


def test_report_renders_in_headless_chromium(out, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("chromium not installed (Debian package chromium)")
    d, _, res = out
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    url = (d / "report.html").resolve().as_uri()
    dom = subprocess.run([chromium, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "napi-check report" in dom.stdout
    _check_numbers(dom.stdout, res)  # what the browser parsed carries the same numbers as result.json


def test_bad_view_is_a_configuration_error(tmp_path: Path) -> None:
    cfg = tmp_path / "v.toml"
    cfg.write_text((MODELS / "unmask_first.toml").read_text() + '\n[views]\nbad = "pending[0] ** 2"\n')
    code, text = run("verify", str(cfg), "--out", str(tmp_path / "out"))
    assert code == 2 and "views.bad" in text and "not allowed" in text


def test_example_configuration_with_views(tmp_path: Path) -> None:
    code, text = run("verify", str(ROOT / "examples" / "views_unmask_first.toml"), "-v", "--out", str(tmp_path))
    assert code == 0, text
    assert "▸ queued=" in text and "unserved=true" in text
