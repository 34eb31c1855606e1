"""Why a counterexample's last state is bad: the failing clause, its values, who is blocked on what,
in every view (text, Mermaid, HTML, JUnit, result.json, ITF), on hand-built systems and on bundled
counterexamples (napi_basic, Linux, DragonOS)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.config import load_config
from checker.engines import engine_names
from checker.explicit.bfs import explore
from checker.lang import And, Array, Bool, ForAll, Implies, Int, Not, Or, Seq, System
from checker.lang.explain import why_bad, why_deadlock, why_invariant
from checker.lang.pycompile import CompiledSystem
from checker.output import write_results
from checker.trace.mermaid import mm_text, trace_to_mermaid
from checker.trace.text import render_trace, step_rows, trace_why
from checker.verify import Outcome, run_config
from spec import registry

ROOT = Path(__file__).resolve().parent.parent


def _run(rel: str) -> Outcome:
    return run_config(load_config(ROOT / rel, registry(), engine_names()))


@pytest.fixture(scope="module")
def unmask_first() -> Outcome:
    return _run("models/napi_basic/unmask_first.toml")


# ---------------------------------------------------------------- hand-built systems


def _three_rings() -> tuple[System, dict]:
    s = System("t")
    pending = s.var("pending", Array(3, Int(0, 2)))
    sched = s.var("sched", Array(3, Bool))
    q = s.var("q", Seq(Int(0, 2), 3))
    s.invariant("NoLost", ForAll(range(3), lambda i: Not(And(pending[i] > 0, Not(sched[i])))),
                explain="nobody will poll ring {i}")
    s.invariant("QueuedIsSched", ForAll(range(3), lambda i: Implies(q.contains(i), sched[i])))
    s.invariant("SchedIffQueued", ForAll(range(3), lambda i: sched[i] == Or(q.contains(i), pending[i] == 2)))

    @s.action("noop", func="f")
    def _(t):
        t.require(False)

    s.finish()
    return s, {"pending": pending, "sched": sched, "q": q}


def test_forall_instance_and_forbidden_combination_are_named() -> None:
    s, _ = _three_rings()
    state = ((0, 0, 2), (False, False, False), ())  # ring 2 has packets and nobody scheduled it
    why = why_invariant(s, s.prop("NoLost"), state)
    assert why.headline == "NoLost fails for instance 2: pending[2] = 2, sched[2] = false — nobody will poll ring 2"
    assert why.failing == ["instance 2"]
    assert why.lines() == ["    instance 2:", "        ✓ pending[2] > 0   [pending[2] = 2]",
                           "        ✓ ~sched[2]   [sched[2] = false]"]


def test_implication_and_boolean_equality_show_both_sides() -> None:
    s, _ = _three_rings()
    state = ((0, 0, 0), (False, False, False), (1,))
    why = why_invariant(s, s.prop("QueuedIsSched"), state)
    assert why.headline.startswith("QueuedIsSched fails for instance 1: q = [1], sched[1] = false")
    assert [(f.text, f.holds) for f in why.findings[0].children] == [("q.contains(1)", True), ("sched[1]", False)]
    why = why_invariant(s, s.prop("SchedIffQueued"), ((0, 0, 0), (True, False, False), ()))
    inst = why.findings[0]
    assert inst.text == "instance 0:"
    lhs, rhs = inst.children
    assert (lhs.text, lhs.holds) == ("sched[0]", True)
    assert rhs.holds is False and [c.text for c in rhs.children] == ["q.contains(0)", "pending[0] == 2"]


def test_deadlock_names_blocked_actor_and_the_await_after_a_let() -> None:
    s = System("t")
    lock = s.var("lock", Int(-1, 1), init=-1)
    a = s.actor("worker", ["idle", "take", "done"], instances=2, display="W{i}")

    @a.step("idle", func="f.c:start", next="take")
    def _(t, i):
        pass

    @a.step("take", func="f.c:mutex_lock (spins)", next="done")
    def _(t, i):
        t.let("mine", lock == i)
        t.set(lock, i)  # a later await reads the new value through the substitution
        t.require(Or(t.temp("mine"), lock == -1))

    s.deadlock("NoHang", end=And(a.at(0, "done"), a.at(1, "done")))
    s.finish()
    state = (1, (1, 2))  # W0 waits in take, W1 done holding the lock
    why = why_deadlock(s, s.prop("NoHang"), state)
    assert why.failing == ["W0"]
    assert why.headline.startswith("NoHang: no step can run; blocked: W0 at take (mutex_lock) waiting for")
    stuck = next(f for f in why.findings if f.text == "stuck mid-operation:")
    wait = stuck.children[0]
    assert wait.text == "W0 at take [f.c:mutex_lock (spins)] waits for:"
    assert [(c.text, c.values) for c in wait.children] == [("mine", ["mine = false"]), ("lock == -1", ["lock = 0"])]
    assert any(f.text == "not an allowed end state:" for f in why.findings)


def test_explanations_come_from_the_engine_trace() -> None:
    s, v = _three_rings()
    c = CompiledSystem.build(s)
    res = explore(c, [s.prop("NoLost")])
    assert res.properties[0].verdict == "holds"  # the initial state is fine and nothing moves
    assert why_bad(s, s.prop("NoLost"), [((1, 0, 0), (False, False, False), ())]).failing == ["instance 0"]


# ---------------------------------------------------------------- bundled counterexamples, every view


def test_napi_basic_unmask_first_in_every_view(unmask_first: Outcome, tmp_path: Path) -> None:
    tr = unmask_first.verdicts["NoLostWakeup"].trace
    assert tr is not None
    why = trace_why(tr)
    assert why is not None and why.failing == ["instance 0"]
    head = "NoLostWakeup fails for instance 0: pending[0] = "
    assert why.headline.startswith(head) and "napi_state[0] = 0" in why.headline and "IRQ0 at idle" in why.headline
    assert why.headline.endswith("— nobody will poll instance 0: its packets wait until an unrelated event")
    text = render_trace(tr, "", unmask_first.views)
    assert "✗ why: " + head in text and "✓ ~napi_state[0].has(SCHED)   [napi_state[0] = 0]" in text
    assert "why: " + head in trace_to_mermaid(tr)
    doc = write_results(tmp_path, [unmask_first], [], 0, ["napi-check"])
    entry = doc["configurations"][0]["properties"]["NoLostWakeup"]
    assert entry["why"]["headline"] == why.headline and entry["why"]["failing"] == ["instance 0"]
    html = (tmp_path / "report.html").read_text()
    assert '<span class="why-headline">' + head in html
    assert html.count(head) >= 3  # the why block, the SVG sequence diagram, the Mermaid source
    assert head in (tmp_path / "junit.xml").read_text()
    assert head in (tmp_path / entry["files"]["mermaid"]).read_text()
    itf = json.loads((tmp_path / entry["trace"]).read_text())
    assert itf["#meta"]["why"]["headline"] == why.headline


def test_junit_failure_message_names_the_clause(unmask_first: Outcome, tmp_path: Path) -> None:
    unmask_first.config.expect = []  # as if the configuration expected NoLostWakeup to hold
    try:
        write_results(tmp_path, [unmask_first], [], 1, ["napi-check"])
    finally:
        unmask_first.config.expect = ["NoLostWakeup"]
    xml = (tmp_path / "junit.xml").read_text()
    assert 'message="NoLostWakeup: violated but expected to hold (' in xml
    assert "step counterexample): NoLostWakeup fails for instance 0: pending[0] = " in xml


def test_linux_lost_wakeup_names_instance_and_quiescence() -> None:
    out = _run("models/linux/v4_unmask_first.toml")
    why = trace_why(out.verdicts["NoLostWakeup"].trace)  # type: ignore[arg-type]
    assert why is not None and why.failing == ["instance 0"]
    for part in ("pending[0] = ", "IRQ0 at idle", "irq_raised[0] = false", "net_rx_pending[0] = false"):
        assert part in why.headline


def test_dragonos_deadline_names_the_clock_and_the_timer() -> None:
    out = _run("models/dragonos/v1_2_deadline.toml")
    tr = out.verdicts["DeadlineHonoured"].trace
    assert tr is not None
    why = trace_why(tr)
    assert why is not None and why.headline.startswith("DeadlineHonoured fails for instance 0: up[0] = true, tmr[0] = ")
    assert "now = " in why.headline
    texts = [f.text for f in why.findings[0].children]
    assert "now > (tmr[0] + 1)" in texts and "~handed[0]" in texts
    assert "why: DeadlineHonoured fails for instance 0" in render_trace(tr)


def test_nohang_names_the_blocked_actors() -> None:
    out = _run("models/linux/v6_double_disable.toml")
    tr = out.verdicts["NoHang"].trace
    assert tr is not None and tr.kind == "deadlock"
    why = trace_why(tr)
    assert why is not None and why.failing == ["DISABLE0", "DISABLE1"]
    text = render_trace(tr)
    assert "why: NoHang: no step can run; blocked: DISABLE0 at disabled" in text
    assert "DISABLE1 at sleep (napi_disable_locked) waiting for ~napi_state[0].has_any(SCHED|NPSVC)" in text
    assert mm_text("why: NoHang: no step can run; blocked: DISABLE0") in trace_to_mermaid(tr)


def test_lasso_says_who_waits_where_the_run_stops() -> None:
    out = _run("models/linux/liveness_double_disable.toml")
    tr = out.verdicts["NoHangLive0"].trace
    assert tr is not None and tr.kind == "lasso"
    why = trace_why(tr)
    assert why is not None and why.headline.startswith(
        "NoHangLive0 fails: DISABLE0 not at idle|done /\\ ~disabler.returned[0] holds in state ")
    assert "(DISABLE0 at set_dis, disabler.returned[0] = false)" in why.headline
    assert "disabler.returned[0] never holds after it: the run stops in state" in why.headline
    assert any(f.text.endswith("stuck mid-operation:") for f in why.findings)


# ---------------------------------------------------------------- the initial state


def test_initial_state_is_trimmed_with_the_rest_one_flag_away(unmask_first: Outcome, tmp_path: Path) -> None:
    tr = unmask_first.verdicts["NoLostWakeup"].trace
    assert tr is not None
    row = step_rows(tr)[0]
    assert "pending[0]=0" in row["changes"] and "poll_list=[]" in row["changes"]
    for hidden in ("irq.was_sched[0]", "softirq.cur[0]", "BoundedWait.count[0]", "irq.pc[0]"):
        assert hidden not in row["changes"] and hidden in row["full"]
    assert row["hidden"].startswith("… 5 more at their start values") and "--full-initial" in row["hidden"]
    full = step_rows(tr, full_initial=True)[0]
    assert "irq.was_sched[0]=false" in full["changes"] and not full["hidden"]
    cfg = str(ROOT / "models/napi_basic/unmask_first.toml")
    plain = CliRunner().invoke(main, ["verify", "-v", cfg]).output
    wide = CliRunner().invoke(main, ["verify", "-v", "--full-initial", cfg]).output
    assert "pending[0]=0" in plain  # the trace is shown (-v: expected violations too)
    assert "irq.was_sched[0]" not in plain and "irq.was_sched[0]=false" in wide
    write_results(tmp_path, [unmask_first], [], 0, ["napi-check"])
    html = (tmp_path / "report.html").read_text()
    assert '<details class="initial"><summary>the whole initial state' in html and "irq.was_sched[0]=false" in html


def test_deadlock_with_everyone_at_rest_names_the_full_ring(tmp_path: Path) -> None:
    cfg = tmp_path / "dl.toml"
    cfg.write_text('spec = "napi_basic"\nproperties = ["Deadlock"]\nexpect = "Deadlock"\n'
                   "[constants]\nN = 1\nRING = 2\nunmask_first = true\n")
    out = run_config(load_config(cfg, registry(), engine_names()))
    tr = out.verdicts["Deadlock"].trace
    assert tr is not None and tr.kind == "deadlock"
    why = trace_why(tr)
    assert why is not None and why.failing == []
    assert why.headline.startswith("Deadlock: no step can run; every context is at rest: IRQ0 at idle "
                                   "(<driver>_interrupt) waiting for irq_raised[0] [irq_raised[0] = false]")
    assert why.headline.endswith("DEV0: packet_arrives cannot happen (pending[0] < 2 [pending[0] = 2])")
