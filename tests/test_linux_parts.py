"""The linux spec as replaceable parts: variants go through kernel.replace exactly as a user's file
does, properties name no step labels, and the two user examples (a driver plug-in, a core patch)
give the verdicts their documentation states."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.config import load_config
from checker.engines import ENGINES
from checker.lang.printer import show_stmts
from checker.lang.system import System
from checker.result import HOLDS, VIOLATED
from checker.trace.replay import replay
from checker.verify import PASS, run_config
from spec import registry
from spec.linux import DRIVERS, SPEC, linux_spec
from spec.linux.kernel import LinuxKernel
from spec.linux.variants import double_disable, era_2006, prep_no_missed, thread_wait_sched

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _shape(sy: System) -> list[tuple]:
    return [(t.actor, t.label, t.function, t.params, show_stmts(t.body)) for t in sy.transitions]


@pytest.mark.parametrize("variant,constant,consts", [
    (prep_no_missed.apply, {"prep_no_missed": True}, dict(N=1, CPUS=1, busy_poll=True, gro_held=True)),
    (thread_wait_sched.apply, {"thread_wait_sched": True}, dict(N=1, CPUS=2, busy_poll=True, threaded=True)),
    (double_disable.apply, {"double_disable": True}, dict(N=1, CPUS=1)),
    (era_2006.apply, {"era": "2006"}, dict(N=2, CPUS=1, driver="ignore_false")),
])
def test_shipped_variant_is_a_user_style_replacement(variant, constant, consts) -> None:  # noqa: ANN001
    """The constant and a user's linux_spec(variants=[apply]) build the very same system."""
    by_constant = SPEC.instantiate({**consts, **constant})
    by_file = linux_spec("mine", variants=[variant]).instantiate(consts)
    assert _shape(by_constant) == _shape(by_file)
    assert len(_shape(by_constant)) > 0


@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_shipped_driver_is_a_user_style_plugin(name: str) -> None:
    """A shipped driver handed to linux_spec as a user's plug-in builds the same system as the constant."""
    consts = dict(N=1, CPUS=1, busy_poll=True, netpoll=True, DEFER=1)
    by_constant = SPEC.instantiate({**consts, "driver": name})
    by_plugin = linux_spec("mine", driver=DRIVERS[name]()).instantiate(consts)
    assert _shape(by_constant) == _shape(by_plugin)


def test_replacing_an_unknown_function_is_refused() -> None:
    def typo(kernel: LinuxKernel) -> None:
        kernel.replace("napi_complete", lambda fn: "cd")
    with pytest.raises(KeyError, match="napi_complete_done"):
        linux_spec("typo", variants=[typo]).instantiate({})


def test_properties_name_no_step_labels() -> None:
    src = (ROOT / "spec" / "linux" / "properties.py").read_text()
    assert ".at(" not in src and "labels" not in src


def _run_example(toml: Path):  # noqa: ANN202 - checker.verify.Outcome
    """Run an example configuration; its spec is the user file next to it (``spec = "x.py"``)."""
    out = run_config(load_config(toml, registry(), set(ENGINES)))
    assert out.status == PASS, out.problems
    return out


def test_own_driver_example_finds_the_nps_enet_bug() -> None:
    out = _run_example(EXAMPLES / "own_driver" / "nps_enet_2016.toml")
    v = out.verdicts["IrqMaskedWhileQueued"]
    assert v.verdict == VIOLATED and v.trace is not None and replay(v.trace, out.compiled).ok
    functions = [st.function for st in v.trace.steps]
    assert any("nps_enet_poll" in f for f in functions)
    assert any("napi_complete_done (try_cmpxchg)" in f for f in functions)  # the MISSED re-queue
    assert all(out.verdicts[p].verdict == HOLDS for p in ("NoLostWakeup", "NoDoubleQueue", "OwnerHoldsSched"))
    fixed = _run_example(EXAMPLES / "own_driver" / "nps_enet.toml")
    assert fixed.verdicts and all(v.verdict == HOLDS for v in fixed.verdicts.values())


def test_own_patch_example_closes_one_window_and_opens_another() -> None:
    out = _run_example(EXAMPLES / "own_patch" / "timer_before_release.toml")
    assert out.verdicts["NoTimerWhileDisabled"].verdict == HOLDS
    lost = out.verdicts["NoLostWakeup"]
    assert lost.verdict == VIOLATED and lost.trace is not None and replay(lost.trace, out.compiled).ok
    functions = [st.function for st in lost.trace.steps]
    assert any("patched: hrtimer_start before the try_cmpxchg" in f for f in functions)
    assert any("napi_watchdog (test_and_set_bit(NAPI_STATE_SCHED))" in f for f in functions)


def test_own_driver_example_finds_the_netvsc_stall() -> None:
    out = _run_example(EXAMPLES / "own_driver" / "netvsc_2017.toml")
    v = out.verdicts["NoLostWakeup"]
    assert v.verdict == VIOLATED and v.trace is not None and replay(v.trace, out.compiled).ok
    steps = v.trace.steps
    assert any("netvsc_poll" in st.function and "completions_busy=True" in st.key for st in steps)
    assert not any("napi_complete_done" in st.function for st in steps)  # returned without completing
    fixed = _run_example(EXAMPLES / "own_driver" / "netvsc.toml")
    assert fixed.verdicts and all(v.verdict == HOLDS for v in fixed.verdicts.values())


@pytest.mark.parametrize("consts", [
    dict(N=1, CPUS=1, RING=1, busy_poll=True, threaded=True, netpoll=True, disable=True, DEFER=1),
    dict(N=1, CPUS=1, RING=1, netpoll=True, DEFER=1, driver="return_budget_after_complete"),
    dict(N=1, CPUS=1, RING=1, busy_poll=True, threaded=True, double_disable=True, thread_wait_sched=True),
])
def test_ghost_facts_add_no_states(consts: dict) -> None:
    """Every ghost fact the parts keep is a function of the rest of the state: projecting them away
    merges no two reachable states, so state counts are those of the system without them."""
    from collections import deque

    from checker.lang.pycompile import CompiledSystem

    sy = SPEC.instantiate(consts)
    c = CompiledSystem.build(sy)
    facts = [v.slot for v in sy.vars if v.ghost and v.name != "wait"]
    assert facts  # the facts exist in these configurations
    keep = [v.slot for v in sy.vars if v.slot not in facts]
    init = sy.init_state()
    seen, todo = {init}, deque([init])
    while todo:
        for _, nxt in c.successors(todo.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert len({tuple(s[k] for k in keep) for s in seen}) == len(seen) > 100
