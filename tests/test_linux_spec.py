"""The linux spec: every variant's violation is found with a trace that replays and reads in kernel
terms; the fixed systems hold; state counts are checked independently for a small configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.config import load_config
from checker.engines import ENGINES
from checker.explicit.bfs import Limits, explore
from checker.lang.pycompile import CompiledSystem
from checker.result import HOLDS, VIOLATED
from checker.trace.replay import replay
from checker.verify import PASS, run_config
from spec import registry
from spec.linux import SPEC

MODELS = Path(__file__).resolve().parent.parent / "models" / "linux"

# configuration -> (violated property, a kernel function its trace must show, an actor it must show)
VARIANTS = {
    "v1_prep_no_missed_busy_poll": ("NoLostWakeup", "busy_poll_stop", "BUSYPOLL"),
    "v1_prep_no_missed_watchdog": ("NoLostWakeup", "napi_watchdog", "TIMER0"),
    "v2_thread_wait_sched": ("NoDoubleQueue", "napi_thread_wait (test_bit(NAPI_STATE_SCHED))", "napi/kthread0"),
    "v3_return_budget_after_complete": ("NoDoubleQueue", "list_add_tail(repoll)", "IRQ0"),
    "v3_return_budget_after_complete_owner": ("OwnerHoldsSched", "napi_complete_done", "CPU0 softirq"),
    "v4_unmask_first": ("NoLostWakeup", "<driver>_enable_irq", "IRQ0"),
    "v5_ignore_false": ("IrqMaskedWhileQueued", "napi_watchdog", "TIMER0"),
    "v6_double_disable": ("NoHang", "napi_disable_locked", "DISABLE1"),
    "seed_igb_as_written": ("IrqMaskedWhileQueued", "napi_complete_done (try_cmpxchg)", "IRQ0"),
    "linux618_prefer": ("NoLostWakeup", "__busy_poll_stop (clear_bit(NAPI_STATE_SCHED))", "TIMER0"),
    "linux618_timer_window": ("NoTimerWhileDisabled", "hrtimer_start", "DISABLE0"),
}
HOLDING = ["linux618", "linux618_netpoll", "linux618_netpoll_softirq",
           "seed_2006_netif_rx", "seed_igb_contract", "v1_with_missed_watchdog", "v4_unmask_first_with_missed",
           "v5_contract_masked"]


def _cfg(name: str):  # noqa: ANN202 - a checker.config.Config
    return load_config(MODELS / f"{name}.toml", registry(), set(ENGINES))


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_violation_replays(name: str) -> None:
    prop, func, actor = VARIANTS[name]
    out = run_config(_cfg(name))
    assert out.status == PASS, out.problems
    v = out.verdicts[prop]
    assert v.verdict == VIOLATED and v.trace is not None and v.replayed
    tr = v.trace
    assert replay(tr, out.compiled).ok
    assert any(func in st.function for st in tr.steps), [st.function for st in tr.steps]
    assert any(st.actor == actor for st in tr.steps)
    # every step cites file:function
    assert all(":" in st.function for st in tr.steps)


@pytest.mark.parametrize("name", HOLDING)
def test_fixed_systems_hold(name: str) -> None:
    out = run_config(_cfg(name))
    assert out.status == PASS, out.problems
    assert out.verdicts and all(v.verdict == HOLDS for v in out.verdicts.values())
    if name == "linux618":  # the main 6.18 configuration: its six properties and its state count
        assert sorted(out.verdicts) == sorted(["NoDoubleQueue", "OwnerHoldsSched", "NoLostWakeup",
                                               "NoPollWhileDisabled", "BoundedWait", "NoHang"])
        assert out.engine_results[0].stats.states == 67_834


def test_variant_traces_are_short() -> None:
    """Shortest counterexamples (BFS): the lengths reported in the configurations' comments."""
    lengths = {}
    for name in ("linux618_prefer", "linux618_timer_window", "v2_thread_wait_sched"):
        out = run_config(_cfg(name))
        (prop, _, _) = VARIANTS[name]
        lengths[name] = len(out.verdicts[prop].trace.steps)  # type: ignore[union-attr]
    assert lengths == {"linux618_prefer": 20, "linux618_timer_window": 22, "v2_thread_wait_sched": 8}


def test_thread_wait_fix_removes_double_poll() -> None:
    """The v2 system with the 6.18 napi_thread_wait (SCHED_THREADED): NoDoubleQueue holds."""
    sy = SPEC.instantiate(dict(N=1, CPUS=2, RING=2, busy_poll=True, threaded=True))
    c = CompiledSystem.build(sy)
    res = explore(c, [sy.prop("NoDoubleQueue"), sy.prop("OwnerHoldsSched")], Limits())
    assert [p.verdict for p in res.properties] == [HOLDS, HOLDS]


def test_bounded_wait_tight_bound() -> None:
    """Two instances on one CPU: K = 1 is violated, K = 2 holds (re-queued instances overtake repolled ones)."""
    verdicts = []
    for k in (1, 2):
        sy = SPEC.instantiate(dict(N=2, CPUS=1, RING=2, K=k))
        c = CompiledSystem.build(sy)
        verdicts.append(explore(c, [sy.prop("BoundedWait")], Limits()).properties[0].verdict)
    assert verdicts == [VIOLATED, HOLDS]


def _brute_force_irq_softirq(ring: int) -> int:
    """Reachable states of N=1, CPUS=1, WEIGHT=1, contract driver, written by hand from the source order.

    Steps: packet arrival; IRQ entry; napi_schedule_prep READ_ONCE; its cmpxchg; mask; ____napi_schedule;
    net_rx_action entry (splice); loop (take head / leave); __napi_poll test_bit(SCHED); poll (Rx up to 1);
    list_empty check; after (repoll add, budget/time choice); end (splice back, re-raise); recheck;
    napi_complete_done check, READ_ONCE, cmpxchg (MISSED: reschedule); unmask. BUDGET = 2.
    """
    from collections import deque

    SCHED, MISSED = 1, 2
    # state: (pending, masked, unsig, raised, st, plist, rxp, inrx, irq_pc, irq_val, rx_pc, lst, rep, budget,
    #         work, rpl, cd_val)
    init = (0, False, False, False, 0, 0, False, False, "idle", 0, "idle", 0, 0, 0, 0, False, 0)

    def succ(s: tuple) -> list[tuple]:
        (p, m, u, r, st, pl, rxp, inrx, ipc, iv, rpc, lst, rep, bud, work, rpl, cv) = s
        out = []
        if p < ring:
            out.append((p + 1, m, u or m, r or not m, st, pl, rxp, inrx, ipc, iv, rpc, lst, rep, bud, work, rpl, cv))
        # IRQ handler (hard IRQ: nothing else on the CPU steps while it runs or is raised)
        if ipc == "idle" and r:
            out.append((p, m, u, False, st, pl, rxp, inrx, "prep", iv, rpc, lst, rep, bud, work, rpl, cv))
        elif ipc == "prep":
            out.append((p, m, u, r, st, pl, rxp, inrx, "cas", st, rpc, lst, rep, bud, work, rpl, cv))
        elif ipc == "cas":
            if st != iv:
                out.append((p, m, u, r, st, pl, rxp, inrx, "cas", st, rpc, lst, rep, bud, work, rpl, cv))
            elif iv & SCHED:
                out.append((p, m, u, r, iv | SCHED | MISSED, pl, rxp, inrx, "idle", 0, rpc, lst, rep, bud, work, rpl,
                            cv))
            else:
                out.append((p, m, u, r, iv | SCHED, pl, rxp, inrx, "mask", 0, rpc, lst, rep, bud, work, rpl, cv))
        elif ipc == "mask":
            out.append((p, True, u, r, st, pl, rxp, inrx, "sched", iv, rpc, lst, rep, bud, work, rpl, cv))
        elif ipc == "sched":
            out.append((p, m, u, r, st, pl + 1, rxp or not inrx, inrx, "idle", iv, rpc, lst, rep, bud, work, rpl, cv))
        if ipc != "idle" or r:
            return out
        # softirq (list lengths suffice: one instance)
        base = (p, m, u, r, st, pl, rxp, inrx, ipc, iv)
        if rpc == "idle" and rxp:
            out.append((p, m, u, r, st, 0, False, True, ipc, iv, "loop", pl, rep, 2, work, rpl, cv))
        elif rpc == "loop":
            if lst == 0:
                if rep == 0:
                    out.append((p, m, u, r, st, pl, rxp, False, ipc, iv, "recheck", lst, rep, bud, work, rpl, cv))
                else:
                    out.append(base + ("end", lst, rep, bud, work, rpl, cv))
            else:
                out.append(base + ("test", lst - 1, rep, bud, work, rpl, cv))
        elif rpc == "test":
            out.append(base + (("rx", lst, rep, bud, work, rpl, cv) if st & SCHED
                               else ("after", lst, rep, bud, 0, rpl, cv)))
        elif rpc == "rx":
            w = min(p, 1)
            out.append((p - w, m, u, r, st, pl, rxp, inrx, ipc, iv, "empty" if w == 1 else "cd", lst, rep, bud, w,
                        rpl, cv))
        elif rpc == "empty":
            out.append(base + ("after", lst, rep, bud, work, pl == 0 and lst == 0 and rep == 0, cv))
        elif rpc == "after":
            nb = max(bud - work, 0)
            nrep = rep + (1 if rpl else 0)
            out.append(base + ("end", lst, nrep, nb, 0, False, cv))
            if nb > 0:
                out.append(base + ("loop", lst, nrep, nb, 0, False, cv))
        elif rpc == "recheck":
            if pl > 0:
                out.append((p, m, u, r, st, 0, rxp, True, ipc, iv, "loop", pl, rep, bud, work, rpl, cv))
            else:
                out.append(base + ("idle", lst, rep, 0, work, rpl, cv))
        elif rpc == "end":
            tot = lst + pl + rep
            out.append((p, m, u, r, st, tot, rxp or tot > 0, inrx and tot > 0, ipc, iv, "idle", 0, 0, 0, work, rpl,
                        cv))
        elif rpc == "cd":
            out.append(base + ("cd_read", lst, rep, bud, work, rpl, cv))
        elif rpc == "cd_read":
            out.append(base + ("cd_cas", lst, rep, bud, work, rpl, st))
        elif rpc == "cd_cas":
            if st != cv:
                out.append(base + ("cd_cas", lst, rep, bud, work, rpl, st))
            elif cv & MISSED:
                out.append((p, m, u, r, SCHED, pl, rxp, inrx, ipc, iv, "cd_msched", lst, rep, bud, work, rpl, 0))
            else:
                out.append((p, m, u, r, 0, pl, rxp, inrx, ipc, iv, "unmask", lst, rep, bud, work, rpl, 0))
        elif rpc == "cd_msched":
            out.append((p, m, u, r, st, pl + 1, rxp or not inrx, inrx, ipc, iv, "after", lst, rep, bud, work, rpl, cv))
        elif rpc == "unmask":
            out.append((p, False, False, r or u, st, pl, rxp, inrx, ipc, iv, "after", lst, rep, bud, work, rpl, cv))
        return out

    seen = {init}
    todo = deque([init])
    while todo:
        for s2 in succ(todo.popleft()):
            if s2 not in seen:
                seen.add(s2)
                todo.append(s2)
    return len(seen)


@pytest.mark.parametrize("ring", [1, 2, 3])
def test_state_count_matches_hand_enumeration(ring: int) -> None:
    sy = SPEC.instantiate(dict(N=1, CPUS=1, RING=ring, WEIGHT=1, BUDGET=2))
    res = explore(CompiledSystem.build(sy), [sy.prop("NoDoubleQueue")], Limits())
    assert res.stats.states == _brute_force_irq_softirq(ring)


@pytest.mark.parametrize("name,prop", [("v2_thread_wait_sched_disable", "NoPollWhileDisabled"),
                                       ("bounded_wait_k1", "BoundedWait")])
def test_every_property_has_a_breaking_configuration(name: str, prop: str) -> None:
    out = run_config(_cfg(name))
    assert out.status == PASS, out.problems
    assert out.verdicts[prop].verdict == VIOLATED and out.verdicts[prop].replayed
