"""Liveness: fairness, lassos, non-progress cycles and starvation bounds, on systems known by hand."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest

from checker.engines import EngineInput
from checker.explicit.bfs import Limits, explore
from checker.liveness.engine import run_explicit as run
from checker.lang import And, Int, ModelError, Next, Not, System
from checker.lang.pycompile import CompiledSystem
from checker.liveness.cycles import sccs
from checker.result import ERROR, HOLDS, INCONCLUSIVE, VIOLATED, Trace
from checker.trace.itf import write_itf
from checker.trace.replay import load_trace, replay
from spec.napi_basic import SPEC as NAPI


def check(s: System, props: list[str], options: dict | None = None, limits: dict | None = None) -> dict:
    """Run the explicit engine; every trace must replay. Returns name -> PropertyResult."""
    if not s._finished:
        s.finish()
    c = CompiledSystem.build(s)
    res = run(EngineInput(s, c, [s.prop(p) for p in props], limits or {}, options or {}))
    out = {}
    for r in res.properties:
        if r.trace is not None:
            rr = replay(r.trace, c)
            assert rr.ok, (r.name, rr.message)
        out[r.name] = r
    return out


# ---------------------------------------------------------------- SCCs


def test_sccs_match_networkx_on_random_graphs() -> None:
    rng = random.Random(7)
    for _ in range(60):
        n = rng.randint(1, 40)
        adj = [[rng.randrange(n) for _ in range(rng.randint(0, 3))] for _ in range(n)]
        ours = sccs(range(n), lambda u, adj=adj: adj[u], n)
        g = nx.DiGraph()
        g.add_nodes_from(range(n))
        g.add_edges_from((u, v) for u in range(n) for v in adj[u])
        assert sorted(map(sorted, ours)) == sorted(map(sorted, nx.strongly_connected_components(g)))
        # reverse topological order: an edge never goes to a component listed later
        pos = {u: k for k, comp in enumerate(ours) for u in comp}
        assert all(pos[v] <= pos[u] for u in range(n) for v in adj[u])


# ---------------------------------------------------------------- weak vs strong fairness


def toggler(b_fair: str | None, a_fair: str | None = "weak") -> System:
    """A flips x forever; B can fire only while x == 1 (intermittently enabled), then stops."""
    s = System("toggle")
    x = s.var("x", Int(0, 1))
    done = s.var("done", Int(0, 1))
    a = s.actor("A", ["run"], fair=a_fair)
    b = s.actor("B", ["go", "end"], fair=b_fair)

    @a.step("run", func="a.c:flip")
    def _(t, i):
        t.set(x, 1 - x)

    @b.step("go", func="b.c:go", next="end")
    def _(t, i):
        t.require(x == 1)
        t.set(done, 1)

    s.eventually("BDone", done == 1)
    s.leads_to("XLeadsToDone", x == 1, done == 1)
    s.always_eventually("XInfinitelyOften", x == 1)
    s.deadlock(end=b.at(0, "end"))
    return s


def test_weak_fairness_is_not_enough_for_an_intermittent_step() -> None:
    r = check(toggler("weak"), ["BDone", "XLeadsToDone", "XInfinitelyOften"])
    assert r["BDone"].verdict == VIOLATED
    tr = r["BDone"].trace
    # the loop only flips x: B is enabled in half of its states, so weak fairness does not force it
    assert {t.actor for t in tr.steps[tr.loop:]} == {"A"} and len(tr.steps) - tr.loop == 2
    assert r["XLeadsToDone"].verdict == VIOLATED
    assert r["XInfinitelyOften"].verdict == HOLDS  # A is weakly fair and always enabled


def test_strong_fairness_forces_an_intermittent_step() -> None:
    r = check(toggler("strong"), ["BDone", "XLeadsToDone", "XInfinitelyOften"])
    assert {k: v.verdict for k, v in r.items()} == {"BDone": HOLDS, "XLeadsToDone": HOLDS, "XInfinitelyOften": HOLDS}


def test_without_fairness_a_run_may_stop() -> None:
    r = check(toggler(None, a_fair=None), ["BDone", "XInfinitelyOften"])
    tr = r["BDone"].trace
    assert r["BDone"].verdict == VIOLATED and tr.loop == len(tr.states) - 1 == 0  # stops in the initial state
    assert "no fairness declared" in r["BDone"].note
    assert r["XInfinitelyOften"].verdict == VIOLATED


def test_weak_fairness_rules_out_a_loop_that_ignores_an_always_enabled_step() -> None:
    def build(a_fair: str | None) -> System:
        s = System("ignore")
        x = s.var("x", Int(0, 1))
        done = s.var("done", Int(0, 1))
        a = s.actor("A", ["finish", "end"], fair=a_fair)
        b = s.actor("B", ["spin"], fair="weak")

        @a.step("finish", func="a.c:finish", next="end")
        def _(t, i):
            t.set(done, 1)

        @b.step("spin", func="b.c:spin")
        def _(t, i):
            t.set(x, 1 - x)

        s.eventually("Done", done == 1)
        return s

    assert check(build("weak"), ["Done"])["Done"].verdict == HOLDS
    r = check(build(None), ["Done"])["Done"]
    assert r.verdict == VIOLATED and {t.actor for t in r.trace.steps} == {"B"}


def test_configuration_fairness_overrides_the_spec() -> None:
    r = check(toggler("weak"), ["BDone"], options={"fairness": {"B": "strong"}})
    assert r["BDone"].verdict == HOLDS
    r = check(toggler("strong"), ["XInfinitelyOften"], options={"fairness": {"A*": "none"}})
    assert r["XInfinitelyOften"].verdict == VIOLATED
    r = check(toggler("strong"), ["BDone"], options={"fairness": {"NoSuchActor": "weak"}})
    assert r["BDone"].verdict == ERROR and "names no step" in r["BDone"].note


def test_per_step_fairness() -> None:
    s = System("steps")
    x = s.var("x", Int(0, 2))
    a = s.actor("A", ["one", "two", "three"])

    @a.step("one", func="f", next="two")
    def _(t, i):
        t.set(x, 1)

    @a.step("two", func="f", next="three", fair="weak")
    def _(t, i):
        t.set(x, 2)

    @a.step("three", func="f", next="three")
    def _(t, i):
        pass

    s.leads_to("OneToTwo", x == 1, x == 2)
    s.eventually("ReachesOne", x == 1)
    r = check(s, ["OneToTwo", "ReachesOne"])
    assert r["OneToTwo"].verdict == HOLDS  # step two is fair
    assert r["ReachesOne"].verdict == VIOLATED  # step one is not: the run may stop at once


# ---------------------------------------------------------------- non-progress cycles


def spinner(mark: bool) -> System:
    s = System("spin")
    x = s.var("x", Int(0, 3))
    a = s.actor("P", ["spin"], fair="weak")

    @a.step("spin", func="p.c:loop")
    def _(t, i):
        if mark:
            t.mark_progress()
        t.set(x, (x + 1) % 4)

    s.non_progress("NoSpin")
    return s


def test_non_progress_cycle() -> None:
    r = check(spinner(False), ["NoSpin"])["NoSpin"]
    assert r.verdict == VIOLATED
    assert len(r.trace.steps) - r.trace.loop == 4 and r.trace.states[-1] == r.trace.states[r.trace.loop]
    assert check(spinner(True), ["NoSpin"])["NoSpin"].verdict == HOLDS


# ---------------------------------------------------------------- lasso replay is strict


def test_replay_rejects_broken_lassos() -> None:
    s = toggler("weak")
    s.finish()
    c = CompiledSystem.build(s)
    tr = check(s, ["BDone"])["BDone"].trace
    assert replay(tr, c).ok
    bad_loop = replace(tr, loop=tr.loop + 1)
    assert "does not close" in replay(bad_loop, c).message
    # the same run claimed under strong fairness for B: the loop is unfair
    s2 = toggler("strong")
    s2.finish()
    c2 = CompiledSystem.build(s2)
    tr2 = Trace(s2, tr.states, [s2.transitions[t.index] for t in tr.steps], "BDone", kind="lasso", loop=tr.loop)
    msg = replay(tr2, c2).message
    assert not replay(tr2, c2).ok and "strongly fair" in msg
    # a property that holds along the loop
    tr3 = replace(tr, property="XInfinitelyOften")
    assert "not violated" in replay(tr3, c).message


def test_lasso_round_trips_through_itf(tmp_path: Path) -> None:
    s = NAPI.instantiate({"N": 2, "requeue_head": True})
    r = check(s, ["PacketsPolled"])["PacketsPolled"]
    path = tmp_path / "lasso.itf.json"
    write_itf(r.trace, path)
    assert json.loads(path.read_text())["loop"] == r.trace.loop
    tr, c = load_trace(path, {"napi_basic": NAPI})
    assert tr.kind == "lasso" and tr.loop == r.trace.loop
    assert replay(tr, c).ok


# ---------------------------------------------------------------- starvation


def fifo_max_count(n: int, head: bool, cap_k: int) -> int:
    """Max of the ghost counter over reachable states, by plain BFS with a large cap (K = cap_k)."""
    s = NAPI.instantiate({"N": n, "RING": 1, "requeue_head": head, "K": cap_k})
    c = CompiledSystem.build(s)
    slot = s.var_named("BoundedWait.count").slot
    seen = {s.init_state()}
    todo = [s.init_state()]
    best = 0
    while todo:
        st = todo.pop()
        best = max(best, *st[slot])
        for _, t in c.successors(st):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return best


def test_tight_bound_of_fifo_requeue_is_n_minus_1() -> None:
    for n in (2, 3):
        r = check(NAPI.instantiate({"N": n, "RING": 1}), ["BoundedWait"])["BoundedWait"]
        assert r.verdict == HOLDS and r.detail["tight_bound"] == n - 1
        w = r.detail["witness"]
        assert replay(w, CompiledSystem.build(w.system)).ok
        assert max(w.states[-1][w.system.var_named("BoundedWait.count").slot]) == n - 1
    # independently: the ghost counter with a cap far above never exceeds N-1 = 2
    assert fifo_max_count(3, head=False, cap_k=6) == 2


def test_tight_bound_exceeds_a_smaller_declared_bound() -> None:
    r = check(NAPI.instantiate({"N": 3, "RING": 1, "K": 1}), ["BoundedWait"])["BoundedWait"]
    assert r.verdict == VIOLATED and r.detail["tight_bound"] == 2 and r.trace.kind == "safety"


def test_head_requeue_starves_without_bound() -> None:
    r = check(NAPI.instantiate({"N": 2, "requeue_head": True}), ["BoundedWait"])["BoundedWait"]
    assert r.verdict == VIOLATED and r.detail["tight_bound"] is None
    tr = r.trace
    assert tr.kind == "lasso" and "unbounded" in r.note
    # the counter saturates at any cap: with K = 6 it reaches its cap 7
    assert fifo_max_count(2, head=True, cap_k=6) == 7


def test_starvation_counter_is_a_plain_invariant_for_other_engines() -> None:
    s = NAPI.instantiate({"N": 2})
    p = s.prop("BoundedWait")
    assert p.kind == "invariant" and "starvation" in p.extra
    c = CompiledSystem.build(s)
    res = explore(c, [p], Limits(fast=False))
    assert res.properties[0].verdict == HOLDS and res.stats.states == 2192


def test_custom_served_condition() -> None:
    """Two clients queue for a server that always picks client 0 when both wait."""
    s = System("server")
    w = s.var("w", Int(0, 3))  # bit i: client i waits
    srv = s.actor("S", ["pick"], fair="weak")
    for i in range(2):
        @s.action("arrive", func="c.c:arrive", actor=f"C{i}", params={"i": [i]})
        def _(t, i):
            t.require((w // (1 << i)) % 2 == 0)
            t.set(w, w + (1 << i))

    @srv.step("pick", func="s.c:pick")
    def _(t, c):
        t.require(w > 0)
        t.set(w, w - ((w % 2) * 1 + (1 - w % 2) * 2))

    s.starvation("Fair", over=range(2), waiting=lambda i: (w // (1 << i)) % 2 == 1, bound=3,
                 served=lambda i: And((w // (1 << i)) % 2 == 1, Next((w // (1 << i)) % 2 == 0)))
    r = check(s, ["Fair"])["Fair"]
    assert r.verdict == VIOLATED and r.detail["tight_bound"] is None and r.detail["instance"] == 1


# ---------------------------------------------------------------- refusals, limits, API errors


def test_symmetry_is_refused_with_liveness() -> None:
    for where in ("limits", "options"):
        r = check(NAPI.instantiate({"N": 2}), ["PacketsPolled", "BoundedWait"], **{where: {"symmetry": True}})
        assert r["PacketsPolled"].verdict == ERROR and "symmetry" in r["PacketsPolled"].note
        assert "tight_bound" not in r["BoundedWait"].detail


def test_limits_make_liveness_inconclusive() -> None:
    r = check(NAPI.instantiate({"N": 2}), ["PacketsPolled"], limits={"max_states": 100})
    assert r["PacketsPolled"].verdict == INCONCLUSIVE and "limit" in r["PacketsPolled"].note


def test_api_errors() -> None:
    s = System("t")
    x = s.var("x", Int(0, 1))
    with pytest.raises(ModelError):
        s.actor("A", ["a"], fair="sometimes")
    with pytest.raises(ModelError):
        s.leads_to("L", lambda i: x == i, x == 1)  # a function needs over=
    s.leads_to("L", x == 0, x == 1)
    with pytest.raises(ModelError):
        s.invariant("L", x == 0)  # names are shared with safety properties
    with pytest.raises(ModelError):
        s.starvation("S", over=range(1), waiting=lambda i: x == 1, bound=-1)


def test_liveness_configurations_meet_their_expectations(root: Path) -> None:
    from checker.config import load_config
    from checker.engines import engine_names
    from checker.verify import PASS, run_config
    from spec import registry

    for name in ("liveness_n2", "liveness_requeue_head", "liveness_lost_wakeup", "liveness_unmask_first",
                 "busy_loop", "starvation_tight_k1_n3", "liveness_config_declared"):
        cfg = load_config(root / "models" / "napi_basic" / f"{name}.toml", registry(), engine_names())
        out = run_config(cfg)
        assert out.status == PASS, (name, out.problems)


def test_configuration_declared_properties_are_checked(tmp_path: Path) -> None:
    from checker.config import ConfigError, load_config
    from checker.engines import engine_names
    from checker.verify import PASS, run_config
    from spec import registry

    f = tmp_path / "c.toml"
    f.write_text('spec = "napi_basic"\nexpect = "Stops"\n[constants]\nN = 1\n'
                 '[options]\nfairness = { "CPU0 softirq" = "none" }\n'
                 '[options.liveness.Stops]\neventually = "softirq.pc[0] == \'poll\'"\n')
    out = run_config(load_config(f, registry(), engine_names()))
    # checked by default (with the spec's safety properties), and violated: nothing forces a packet
    assert out.status == PASS and out.verdicts["Stops"].verdict == VIOLATED
    assert out.verdicts["NoLostWakeup"].verdict == HOLDS
    f.write_text('spec = "napi_basic"\n[options.liveness.Bad]\nleads_to = ["pending[0] > 0"]\n')
    with pytest.raises(ConfigError, match="options.liveness"):
        run_config(load_config(f, registry(), engine_names()))
    f.write_text('spec = "napi_basic"\n[options.liveness.Bad]\neventually = "no_such_var > 0"\n')
    with pytest.raises(ConfigError, match="Bad"):
        run_config(load_config(f, registry(), engine_names()))


def test_starvation_bound_can_be_switched_off() -> None:
    r = check(NAPI.instantiate({"N": 2}), ["BoundedWait"], options={"starvation_bound": False})["BoundedWait"]
    assert r.verdict == HOLDS and "tight_bound" not in r.detail and not r.note


def test_starvation_counter_joins_a_declared_symmetry() -> None:
    from checker.lang import Array, Seq

    s = System("sym")
    q = s.var("q", Seq(Int(0, 1), 2))
    pend = s.var("pend", Array(2, Int(0, 1)))

    @s.action("join", func="f", actor="C{i}", params={"i": [0, 1]})
    def _(t, i):
        t.require(Not(q.contains(i)))
        t.set(q, q.push_back(i))
        t.set(pend[i], 1)

    s.symmetric(2, arrays=[pend], ids=[q])
    s.starvation("W", over=range(2), waiting=lambda i: q.contains(i), bound=1)
    s.finish()
    assert [v.name for v in s.symmetry.arrays] == ["pend", "W.count"]
