"""Every-N counterexamples to induction searched at a small N (checker.symbolic.induct.cti_reach):
a reachable one is a real violation, replayed and reported (exit 1); an unreachable one is said so
only after a complete search."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from checker.cli import main
from checker.symbolic.induct import param as P
from checker.symbolic.induct.cti_reach import reach
from checker.trace.replay import replay
from spec.napi_basic import SPEC as BASIC

# A driver whose NAPI instances share one interrupt line: it masks the line when it schedules an
# instance and, after napi_complete_done, unmasks it re-signalling only the packets its *own*
# instance received while masked. Another instance's packet that arrived meanwhile is never
# signalled: a lost wakeup that needs two instances (with one, the line is masked only while that
# instance is scheduled, and its own deferred packets are re-signalled).
SHARED_LINE = '''
from checker.lang import And, Array, Bool, Constant, ForAll, Int, Not, Seq, SpecDef, System


def build(k):
    s = System("shared_line")
    ids = s.instances("napi", k.N)
    pending = s.var("pending", Array(ids.size, Int(0, k.RING)))
    raised = s.var("irq_raised", Array(ids.size, Bool))
    unsig = s.var("unsignalled", Array(ids.size, Bool))
    sched = s.var("sched", Array(ids.size, Bool))
    masked = s.var("line_masked", Bool)
    plist = s.var("poll_list", Seq(ids.id_type, ids.plus(1)))

    @s.action("packet_arrives", func="dev: DMA", actor="DEV{i}", params={"i": ids})
    def arrive(t, i):
        t.require(pending[i] < k.RING)
        t.set(pending[i], pending[i] + 1)
        with t.if_(masked):
            t.set(unsig[i], True)
        with t.else_():
            t.set(raised[i], True)

    irq = s.actor("irq", ["idle"], instances=ids, display="IRQ{i}")

    @irq.step("idle", func="drv_interrupt: napi_schedule + mask the shared line", next="idle")
    def irq_run(t, i):
        t.require(raised[i])
        t.set(raised[i], False)
        with t.if_(Not(sched[i])):
            t.set(sched[i], True)
            t.set(masked, True)
            t.set(plist, plist.push_back(i))

    rx = s.actor("softirq", ["idle", "poll"], display="CPU0 softirq")
    cur = rx.local("cur", ids.id_type)

    @rx.step("idle", func="net_rx_action", next="poll")
    def take(t, c):
        t.require(plist.len() > 0)
        t.let("n", plist.head())
        t.set(cur[c], t.temp("n"))
        t.set(plist, plist.pop_front())

    @rx.step("poll", func="drv_poll, napi_complete_done, enable_irq (own packets only)", next="idle")
    def poll(t, c):
        i = cur[c]
        t.set(pending[i], 0)
        t.set(sched[i], False)
        t.set(masked, False)
        with t.if_(unsig[i]):
            t.set(unsig[i], False)
            t.set(raised[i], True)

    s.invariant("NoLostWakeup", ForAll(ids, lambda i: Not(And(
        pending[i] > 0, Not(sched[i]), Not(raised[i]), Not(And(unsig[i], masked))))),
        doc="packets pending are always about to be signalled or polled")
    return s


SPEC = SpecDef("shared_line", "NAPI instances on one shared interrupt line (a lost wakeup for N >= 2)",
               [Constant("N", int, 1, "NAPI instances", min=1, max=6),
                Constant("RING", int, 1, "ring size", min=1, max=64)],
               build, properties=("NoLostWakeup",))
'''


def _write(tmp: Path, extra: str = "", engines: str = '"explicit", "induct"') -> Path:
    (tmp / "shared_line.py").write_text(SHARED_LINE)
    cfg = tmp / "shared_line.toml"
    cfg.write_text(f'spec = "shared_line.py"\nproperties = ["NoLostWakeup"]\nengines = [{engines}]\n'
                   '[constants]\nN = 1\nRING = 1\n[options]\ninduct_instances = "N"\n' + extra)
    return cfg


def test_a_reachable_cti_is_a_replayed_violation_exit_1(tmp_path: Path) -> None:
    """N = 1 holds (the explicit engine proves it); the every-N pass drops NoLostWakeup on a
    counterexample to induction whose pre-state the grounded search reaches at N = 2: the verdict
    is a violation at N = 2 with a trace that replays, and the exit code 1."""
    cfg = _write(tmp_path)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["verify", str(cfg), "-v", "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 1, res.output
    assert "a real violation, found for N = " in res.output
    assert "every-N claim is refuted" in res.output
    assert "IRQ1" in res.output or "DEV1" in res.output  # the second instance's lost packet
    doc = json.loads((out / "result.json").read_text())
    prop = doc["configurations"][0]["properties"]["NoLostWakeup"]
    assert prop["verdict"] == "violated"
    # the trace file is of the grounded system (not N = 1), and `napi-check replay` accepts it
    itf = next(out.glob("*.itf.json"))
    assert json.loads(itf.read_text())["#meta"]["constants"]["N"] in (2, 3)
    rep = CliRunner().invoke(main, ["replay", str(itf), "--spec", str(tmp_path / "shared_line.py")],
                             catch_exceptions=False)
    assert rep.exit_code == 0, rep.output


def test_turned_off_the_cti_stays_a_cti(tmp_path: Path) -> None:
    """``induct_cti_reach = false``: the dropped property keeps its counterexample to induction and
    the fixed-N proof (N = 1) stands: no violation is claimed."""
    cfg = _write(tmp_path, "induct_cti_reach = false\n", engines='"induct"')
    res = CliRunner().invoke(main, ["verify", str(cfg), "-v"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "not proved for every N: counterexample to induction" in res.output
    assert "real violation" not in res.output


def _alln(consts: dict, props: list[str], literals: int = 3) -> P.AllN:
    consts = {c.name: c.default for c in BASIC.constants} | consts
    system = BASIC.instantiate(consts)
    alln = P.AllN(BASIC, consts, [system.prop(p) for p in props], "N", ["RING", "WEIGHT"], float("inf"))
    alln.literals = literals
    return alln


def test_napi_basic_unmask_first_cti_is_reached_and_replayed() -> None:
    """The unmask_first variant's every-N CTI (at CPU0 softirq:complete) is asked again with small
    constants and its pre-state reached at a small N: the run ends with that step and replays."""
    alln = _alln({"N": 2, "RING": 2, "WEIGHT": 1, "unmask_first": True}, ["NoLostWakeup"])
    res = alln.run()
    assert "NoLostWakeup" in res.failed and "RING=" not in res.failed["NoLostWakeup"]
    cti = alln.cti_models["NoLostWakeup"]
    got = reach(alln.tr, cti, BASIC, alln.constants, "N", float("inf"))
    # (which CTI Z3 gives depends on what the process declared before: the pre-state may name 1 to 3 instances)
    assert got.verdict == "violation" and got.n is not None and got.n <= 3 and got.constants == {"RING": 1, "WEIGHT": 1}
    assert got.trace is not None and got.trace.steps[-1].key == "CPU0 softirq:complete"
    assert "through the counterexample's pre-state" in got.text
    assert replay(got.trace).ok
    # the model was asked again near the least constants (without it Z3 picks RING in the thousands)
    assert int(str(cti.model.eval(alln.tr.sym[0], model_completion=True))) <= 1


def test_an_unreachable_cti_is_said_so_after_a_complete_search() -> None:
    """napi_basic (correct) with one-literal candidates: too weak a language, the every-N pass
    drops a property on a CTI whose pre-state the complete search at N = M never reaches."""
    alln = _alln({"N": 2, "RING": 2, "WEIGHT": 1}, ["NoDoubleQueue", "SchedMatchesList", "NoLostWakeup"], literals=1)
    res = alln.run()
    assert res.failed and alln.cti_models
    failed = dict(res.failed)
    found = alln.reach_ctis(failed, float("inf"))
    assert found == {}  # napi_basic has no such bug
    texts = [failed[n] for n in alln.cti_models]
    assert any("unreachable at N = " in t and "a complete search" in t and "states examined" in t for t in texts), texts
    for t in texts:
        assert "not complete" not in t
    # cut short (10 states): said so, never "unreachable"
    short = dict(res.failed)
    alln.reach_ctis(short, float("inf"), states=10)
    for n in alln.cti_models:
        assert "states limit reached" in short[n] and "is unreachable" not in short[n], short[n]


def test_counts_above_a_lists_length_are_no_state_at_any_n() -> None:
    """A pre-state whose named instances have more entries in the poll list than its length (the
    counts abstraction allows it when three instances are named) is unreachable at every N, said
    without a search; with the counts within the length it is grounded and searched."""
    import z3

    from checker.lang.family import ANY
    from checker.symbolic.induct.cti_reach import CTIModel
    from checker.symbolic.induct.param_tr import PTr

    psys = BASIC.instantiate({"N": ANY, "RING": 2, "WEIGHT": 1})
    tr = PTr(psys, [], [])
    x = tr.state("")
    plist = x[psys.var_named("poll_list").slot]
    cur = x[psys.var_named("softirq.cur").slot][0]
    a, b = (z3.Const(n, tr.sort) for n in ("a", "b"))
    step = next(t for t in psys.transitions if t.key == "CPU0 softirq:complete")
    for length, verdict in ((1, "unreachable"), (2, None)):
        s = z3.Solver()
        s.add(z3.Distinct(cur, a, b), plist.cnt[cur] == 0, plist.cnt[a] == 1, plist.cnt[b] == 1, plist.length == length)
        assert s.check() == z3.sat
        cti = CTIModel("NoLostWakeup", step, s.model(), x, {}, [], [a, b], [cur, a, b])
        got = reach(tr, cti, BASIC, {"N": 2, "RING": 2, "WEIGHT": 1}, "N", float("inf"), max_states=10_000)
        if verdict:
            assert got.verdict == verdict and got.states == 0 and "no list holds that" in got.text, got.text
        else:
            assert got.n == 3 and got.states > 0 and "no list holds that" not in got.text, got.text


def test_a_fixed_n_time_limit_keeps_the_every_n_outcomes(tmp_path: Path, monkeypatch) -> None:
    """When the fixed-N pass after the every-N pass runs out of time, what the every-N pass decided
    stands (here: the violation found from its CTI), and the others say why they were not proved for
    every N: the fixed-N pass made to time out at once."""
    from checker.symbolic.induct import engine as E

    def timeout(*_a: object, **_k: object) -> None:
        raise E.Timeout

    monkeypatch.setattr(E.Run, "prove", timeout)
    cfg = _write(tmp_path, engines='"induct"')
    text = cfg.read_text().replace('properties = ["NoLostWakeup"]', 'properties = ["NoLostWakeup", "Deadlock"]')
    cfg.write_text(text)
    res = CliRunner().invoke(main, ["verify", str(cfg), "-v"], catch_exceptions=False)
    assert res.exit_code == 1, res.output
    assert "a real violation, found for N = " in res.output
