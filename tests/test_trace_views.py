"""Trace views: user views (expressions), ITF layout, Mermaid, DOT, SVG, and the simplest-trace post-pass."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.config import load_config
from checker.engines import engine_names
from checker.lang import Bool, Int, System
from checker.lang.pycompile import CompiledSystem
from checker.result import Trace
from checker.trace.dot import state_graph, state_graph_to_dot, trace_to_dot
from checker.trace.itf import trace_to_itf, write_itf
from checker.trace.mermaid import trace_to_mermaid
from checker.trace.prefer import prefer_simple, shape
from checker.trace.replay import load_trace, replay
from checker.trace.svg import trace_to_svg
from checker.trace.text import render_trace
from checker.trace.views import ViewError, compile_views, parse_view
from checker.verify import run_config
from spec import registry
from spec.napi_basic import SPEC as BASIC

ROOT = Path(__file__).resolve().parent.parent
VIEWS = {
    "queued": "poll_list.len()",
    "sched0": "napi_state[0].has('SCHED')",
    "total": "sum(pending[i] for i in range(N))",
    "polling": "softirq.pc[0] == 'poll'",
    "lost": "pending[0] > 0 and not napi_state[0].has('SCHED') and irq.at(0, 'idle')",
}


@pytest.fixture(scope="module")
def unmask_first():
    """The unmask_first configuration's outcome (49 states, NoLostWakeup violated)."""
    cfg = load_config(ROOT / "models/napi_basic/unmask_first.toml", registry(), engine_names())
    cfg.views = dict(VIEWS)
    out = run_config(cfg)
    tr = out.verdicts["NoLostWakeup"].trace
    assert tr is not None and out.verdicts["NoLostWakeup"].replayed
    return out, tr


# ---------------------------------------------------------------- user views


def test_views_evaluate_like_the_state(unmask_first) -> None:
    out, tr = unmask_first
    views = {v.name: v for v in out.views}
    system = out.system
    slot = {v.name: v.slot for v in system.vars}
    for s in tr.states:
        assert views["queued"].fn(s) == len(s[slot["poll_list"]])
        assert views["sched0"].fn(s) == bool(s[slot["napi_state"]][0] & 1)
        assert views["total"].fn(s) == sum(s[slot["pending"]])
        pc = system.var_named("softirq.pc").typ.elem
        assert views["polling"].fn(s) == (pc.show(s[slot["softirq.pc"]][0]) == "poll")
    # in the last state the lost wakeup is visible through the user's own formula
    assert views["lost"].show(tr.states[-1]) == "true"
    assert views["lost"].show(tr.states[0]) == "false"


def test_views_in_terminal_view(unmask_first) -> None:
    out, tr = unmask_first
    text = render_trace(tr, "", out.views)
    view_lines = [ln for ln in text.splitlines() if "▸" in ln]
    assert len(view_lines) == len(tr.states)
    assert "lost=true" in view_lines[-1] and "lost=false" in view_lines[0]


@pytest.mark.parametrize("src, why", [
    ("__import__('os')", "not allowed"),
    ("pending.__class__", "unknown name"),
    ("(lambda: 1)()", "not allowed"),
    ("nosuchvar + 1", "unknown name"),
    ("pending[0] +", "syntax error"),
    ("[x for x in pending]", "not allowed"),
    ("pending[0] ** 2", "not allowed"),
    ("napi_state[0].has('NOPE')", "not a bit"),
    ("sum(pending[i] for i in pending)", "range"),
])
def test_bad_views_are_refused(src: str, why: str) -> None:
    system = BASIC.instantiate({"N": 2})
    with pytest.raises(ViewError, match=why):
        parse_view(src, system)


def test_view_out_of_range_is_refused_before_running() -> None:
    system = BASIC.instantiate({"N": 2})
    with pytest.raises(ViewError, match="^bad: cannot be evaluated"):
        compile_views({"bad": "pending[5]"}, CompiledSystem.build(system))


def test_view_types_and_enum_literals() -> None:
    system = BASIC.instantiate({"N": 2})
    c = CompiledSystem.build(system)
    s0 = system.init_state()
    got = {v.name: v.show(s0) for v in compile_views({
        "pc": "irq.pc[1]", "flags": "napi_state[0]", "cmp": "1 < pending[0] + 2 <= 2",
        "ite": "3 if poll_list.is_empty() else 4", "mx": "max(N, RING) * 10 // 3 % 7",
        "cnt": "count(pending[i] == 0 for i in range(N))", "neg": "-pending[1] - 1",
        "inq": "1 in poll_list", "notin": "0 not in poll_list and True",
    }, c)}
    assert got == {"pc": "idle", "flags": "0", "cmp": "true", "ite": "3", "mx": "6", "cnt": "2", "neg": "-1",
                   "inq": "false", "notin": "true"}


# ---------------------------------------------------------------- ITF


def _itf_value_ok(v) -> bool:
    if isinstance(v, (bool, str)):
        return True
    if isinstance(v, list):
        return all(_itf_value_ok(x) for x in v)
    if isinstance(v, dict) and len(v) == 1:
        (k, x), = v.items()
        if k == "#bigint":
            return isinstance(x, str) and re.fullmatch(r"-?\d+", x) is not None
        if k in ("#set", "#tup"):
            return all(_itf_value_ok(y) for y in x)
        return k == "#unserializable"
    return False


def test_itf_layout_follows_adr015(unmask_first, tmp_path: Path) -> None:
    out, tr = unmask_first
    doc = trace_to_itf(tr, views=out.views)
    meta = doc["#meta"]
    assert meta["format"] == "ITF" and meta["property"] == "NoLostWakeup" and meta["kind"] == "safety"
    assert meta["views"] == VIEWS and meta["actors"] == ["DEV0", "IRQ0", "CPU0 softirq"]
    assert "loop" not in doc
    assert len(doc["states"]) == len(tr) + 1
    for k, st in enumerate(doc["states"]):
        assert set(st) == set(doc["vars"]) | {"#meta"}  # only variables are state keys
        assert st["#meta"]["index"] == k
        assert all(_itf_value_ok(st[v]) for v in doc["vars"])
        assert set(st["#meta"]["views"]) == set(VIEWS)
        if k:
            step = tr.steps[k - 1]
            assert (st["#meta"]["actor"], st["#meta"]["label"], st["#meta"]["function"]) == \
                (step.actor, step.label, step.function)
    assert doc["states"][-1]["#meta"]["function"] == "net/core/dev.c:napi_complete_done"
    json.dumps(doc)  # plain JSON


def test_itf_read_by_itf_py(unmask_first, tmp_path: Path) -> None:
    itf_py = pytest.importorskip("itf_py", reason="PyPI package itf-py not installed")
    out, tr = unmask_first
    path = tmp_path / "t.itf.json"
    write_itf(tr, path, views=out.views)
    t = itf_py.trace_from_json(json.loads(path.read_text()))
    assert len(t.states) == len(tr) + 1 and t.loop is None
    assert t.states[-1].meta["actor"] == tr.steps[-1].actor
    assert t.states[0].values["pending"] == [0]
    assert t.states[-1].values["napi_state"] == [frozenset()]


def test_itf_file_replays_with_its_views(unmask_first, tmp_path: Path) -> None:
    out, tr = unmask_first
    path = tmp_path / "t.itf.json"
    write_itf(tr, path, views=out.views)
    back, c = load_trace(path, registry())
    assert replay(back, c).ok
    assert back.states == tr.states and [s.key for s in back.steps] == [s.key for s in tr.steps]


# ---------------------------------------------------------------- Mermaid

_MM_LINE = re.compile(
    r"^(%%.*|sequenceDiagram|    participant A\d+ as [^;#<>]+|"
    r" +(Note (over A\d+(,A\d+)?|right of A\d+)|A\d+-(>>|x)A\d+): ([^;<>#]|#(\d+|lt|gt|quot);|<br/>)+|"
    r"    rect rgb\(\d+, \d+, \d+\)|    loop .+|    end)$")


def _check_mermaid(src: str) -> None:
    """A grammar check of the subset of Mermaid's sequenceDiagram syntax the writer emits."""
    lines = src.splitlines()
    assert lines[1] == "sequenceDiagram"
    depth = 0
    for ln in lines:
        assert _MM_LINE.match(ln), f"not valid sequenceDiagram syntax: {ln!r}"
        depth += ln.strip().startswith(("rect ", "loop ")) - (ln.strip() == "end")
        assert depth >= 0
    assert depth == 0


def test_mermaid_structure(unmask_first) -> None:
    out, tr = unmask_first
    src = trace_to_mermaid(tr, out.views, doc="never lose a wakeup")
    _check_mermaid(src)
    messages = [ln for ln in src.splitlines() if "->>" in ln]
    assert len(messages) == len(tr)
    assert "rect rgb(255, 225, 225)" in src and "✗ NoLostWakeup violated" in src
    assert "#lt;driver#gt;" in src and "<driver>" not in src  # HTML-ish text escaped


def test_mermaid_cli_accepts_the_diagram(unmask_first, tmp_path: Path) -> None:
    mmdc, chromium = shutil.which("mmdc"), shutil.which("chromium")
    if not mmdc or not chromium:
        pytest.skip("mermaid CLI (npm @mermaid-js/mermaid-cli) or chromium not installed")
    out, tr = unmask_first
    (tmp_path / "t.mmd").write_text(trace_to_mermaid(tr, out.views))
    (tmp_path / "pp.json").write_text(json.dumps({"executablePath": chromium,
                                                  "args": ["--no-sandbox", "--disable-gpu"]}))
    proc = subprocess.run([mmdc, "-q", "-p", str(tmp_path / "pp.json"), "-i", str(tmp_path / "t.mmd"),
                           "-o", str(tmp_path / "t.svg")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    svg = (tmp_path / "t.svg").read_text()
    assert "CPU0 softirq" in svg and "napi_complete_done" in svg


# ---------------------------------------------------------------- DOT and SVG


def _independent_count(c: CompiledSystem) -> tuple[int, int]:
    seen = {c.system.init_state()}
    todo = [c.system.init_state()]
    edges = set()
    while todo:
        s = todo.pop()
        for _, t in c.successors(s):
            edges.add((s, t))
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return len(seen), len(edges)


def test_dot_of_trace_and_state_graph(unmask_first, tmp_path: Path) -> None:
    out, tr = unmask_first
    src = trace_to_dot(tr, out.views)
    assert src.count(" -> ") == len(tr)
    g = state_graph(out.compiled)
    assert g is not None and (g.number_of_nodes(), g.number_of_edges()) == _independent_count(out.compiled)
    graph = state_graph_to_dot(out.compiled, tr)
    assert graph is not None and graph.count("penwidth=\"2.5\"") == len(tr)  # the path, highlighted
    assert state_graph_to_dot(out.compiled, tr, max_states=10) is None  # capped
    dot = shutil.which("dot")
    if not dot:
        pytest.skip("graphviz (dot) not installed")
    for name, text in (("trace", src), ("graph", graph)):
        (tmp_path / f"{name}.dot").write_text(text)
        proc = subprocess.run([dot, "-Tsvg", str(tmp_path / f"{name}.dot")], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0 and "<svg" in proc.stdout, proc.stderr


def test_svg_sequence_diagram(unmask_first) -> None:
    out, tr = unmask_first
    svg = trace_to_svg(tr, out.views, "t")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}circle")) == len(tr)  # one marker per step
    texts = ["".join(t.itertext()) for t in root.iter(f"{ns}text")]
    assert any(t.endswith("CPU0 softirq") for t in texts) and any("napi_complete_done" in t for t in texts)
    assert len(root.findall(f"{ns}rect[@class='bad']")) == 1


# ---------------------------------------------------------------- fewest actors / context switches


def _race_system() -> System:
    """Two actors each bump their own counter twice; the 'bug' is both counters at 2.
    A third actor C can bump counter a as well (so a 2-actor-only trace exists)."""
    s = System("race")
    a = s.var("a", Int(0, 2))
    b = s.var("b", Int(0, 2))
    s.var("flag", Bool)

    @s.action("inc_a", func="a.c:inc", actor="A")
    def inc_a(t):
        t.require(a < 2)
        t.set(a, a + 1)

    @s.action("inc_a_too", func="c.c:inc", actor="C")
    def inc_c(t):
        t.require(a < 2)
        t.set(a, a + 1)

    @s.action("inc_b", func="b.c:inc", actor="B")
    def inc_b(t):
        t.require(b < 2)
        t.set(b, b + 1)

    s.invariant("NotBoth", (a < 2) | (b < 2))
    s.finish()
    s.spec_name = "race"
    return s


def _trace(c: CompiledSystem, keys: list[str], prop: str) -> Trace:
    by_key = {t.key: t for t in c.system.transitions}
    states = [c.system.init_state()]
    steps = []
    for k in keys:
        t = by_key[k]
        nxt = c.step(states[-1], t.index)
        assert nxt is not None
        states.append(nxt)
        steps.append(t)
    return Trace(c.system, states, steps, prop)


def test_prefer_fewest_actors_then_switches() -> None:
    c = CompiledSystem.build(_race_system())
    messy = _trace(c, ["A:inc_a", "B:inc_b", "C:inc_a_too", "B:inc_b"], "NotBoth")
    assert replay(messy, c).ok and shape(messy) == (3, 3)
    best = prefer_simple(messy, c, ["NotBoth"])
    assert replay(best, c).ok and len(best) == len(messy)
    assert shape(best) == (2, 1)  # e.g. A, A, B, B
    assert prefer_simple(best, c, ["NotBoth"]) is best  # nothing better: unchanged
    # over budget: the engine's trace is kept
    assert prefer_simple(messy, c, ["NotBoth"], max_nodes=2) is messy


def test_prefer_on_a_real_trace(unmask_first) -> None:
    out, tr = unmask_first
    best = prefer_simple(tr, out.compiled, list(out.verdicts))
    assert replay(best, out.compiled).ok
    assert len(best) == len(tr) and shape(best) <= shape(tr)


def test_lasso_rendering(unmask_first) -> None:
    """A lasso (liveness) trace: the cycle is a Mermaid loop block, a dashed DOT back edge, an SVG bracket."""
    import dataclasses

    out, tr = unmask_first
    lasso = dataclasses.replace(tr, kind="lasso", loop=5, property="SomeLiveness")
    src = trace_to_mermaid(lasso)
    _check_mermaid(src)
    body = src.split("    loop repeats forever\n", 1)[1]
    assert body.count("->>") == len(tr) - 5 and "rect" not in body  # the cycle: steps 6.. inside the loop
    assert 'style="dashed"' in trace_to_dot(lasso)
    assert 'class="loop"' in trace_to_svg(lasso)
    assert trace_to_itf(lasso)["loop"] == 5


def test_lasso_itf_follows_adr015_and_round_trips(tmp_path: Path) -> None:
    """ADR-015 lassos: states[loop..last] repeat; napi-check's closing copy of states[loop] is left out
    of the file (the closing step is in #meta.loop_step) and restored when read back."""
    cfg = load_config(ROOT / "models/napi_basic/liveness_requeue_head.toml", registry(), engine_names())
    out = run_config(cfg)  # 651 states; the busy instance is re-polled for ever
    tr = next(v.trace for v in out.verdicts.values() if v.trace is not None and v.trace.kind == "lasso")
    assert tr.loop is not None and tr.loop < len(tr.states) - 1 and tr.states[-1] == tr.states[tr.loop]
    path = tmp_path / "lasso.itf.json"
    write_itf(tr, path)
    doc = json.loads(path.read_text())
    assert doc["loop"] == tr.loop and len(doc["states"]) == len(tr.states) - 1
    assert doc["#meta"]["loop_step"]["step"] == tr.steps[-1].key
    back, c = load_trace(path, registry())
    assert back.states == tr.states and [s.key for s in back.steps] == [s.key for s in tr.steps]
    assert replay(back, c).ok
    itf_py = pytest.importorskip("itf_py", reason="PyPI package itf-py not installed")
    t = itf_py.trace_from_json(doc)
    assert t.loop == tr.loop and len(t.states) == len(tr.states) - 1
