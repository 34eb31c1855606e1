"""Threaded NAPI turned off at run time (napi_stop_kthread, kthread_should_stop) and the NAPI
lifecycle's start (netif_napi_add leaves an instance disabled): steps, initial state, verdicts."""

from __future__ import annotations

from pathlib import Path

from checker.config import load_config
from checker.engines import ENGINES
from checker.result import HOLDS, VIOLATED
from checker.trace.replay import replay
from checker.verify import PASS, run_config
from spec import registry
from checker.lang import Flags
from spec.linux import SPEC
from spec.linux.kernel import BITS

MODELS = Path(__file__).resolve().parent.parent / "models" / "linux"


def _run(name: str):  # noqa: ANN202 - a checker.verify outcome
    out = run_config(load_config(MODELS / f"{name}.toml", registry(), set(ENGINES)))
    assert out.status == PASS, out.problems
    return out


def _labels(**constants: object) -> set[str]:
    return {f"{t.actor}:{t.label}" for t in SPEC.instantiate(constants).transitions}


def test_should_stop_is_a_step_only_when_something_stops_the_kthread() -> None:
    plain, stopping = _labels(threaded=True), _labels(threaded=True, stop_kthread=True)
    assert "napi/kthread0:should_stop" not in plain and "napi/kthread0:should_stop" in stopping
    assert {"SYSFS:idle", "SYSFS:st_read", "SYSFS:st_sleep", "SYSFS:st_cas", "SYSFS:st_wait", "SYSFS:st_stop",
            "SYSFS:st_join"} <= stopping
    mutant = _labels(threaded=True, stop_kthread=True, stop_kthread_no_wait=True)
    assert "SYSFS:st_wait" not in mutant and "SYSFS:st_stop" in mutant


def test_delete_builds_no_napi_enable() -> None:
    teardown = _labels(disable=True, delete=True)
    assert not [lb for lb in teardown if lb.startswith("DISABLE0:") and
                lb.split(":")[1] in ("disabled", "en_read", "en_cas", "en_unlock", "prep", "prep_cas", "mask", "sched")]
    assert {"DISABLE0:del", "DISABLE0:sync"} <= teardown


def test_lifecycle_starts_disabled_and_opens_first() -> None:
    sy = SPEC.instantiate({"N": 2, "lifecycle": True, "busy_poll": True})
    labels = {f"{t.actor}:{t.label}" for t in sy.transitions}
    assert {"OPEN0:open_disabled", "OPEN0:open_en_cas", "OPEN0:open_prep", "OPEN0:open_mask"} <= labels
    assert not any(lb.startswith("OPEN0:") and ":open_" not in lb for lb in labels)  # nothing but the open
    state = sy.var_named("napi_state")
    assert list(state.init) == [Flags(*BITS).mask("SCHED", "NPSVC"), 0]  # only instance 0 is added late
    assert list(sy.var_named("napi_disabled").init) == [True, False]
    assert list(sy.var_named("napi_hashed").init) == [False, True]  # netif_napi_add does not hash it


def test_stop_kthread_holds_on_the_releases() -> None:
    for name, states in (("linux618_stop_kthread", 1_124_214), ("linux71_stop_kthread", 715_263)):
        out = _run(name)
        assert all(v.verdict == HOLDS for v in out.verdicts.values())
        assert out.engine_results[0].stats.states == states


def test_stop_kthread_on_a_disabled_instance_hangs() -> None:
    out = _run("linux618_stop_kthread_disabled")
    v = out.verdicts["NoHang"]
    assert v.verdict == VIOLATED and v.trace is not None and replay(v.trace, out.compiled).ok
    steps = [(st.actor, st.label) for st in v.trace.steps]
    assert len(steps) == 16
    # napi_disable returned before SYSFS took netdev_lock, and SYSFS ends waiting in napi_stop_kthread's msleep loop
    assert steps.index(("DISABLE0", "unlock")) < steps.index(("SYSFS", "idle")) and steps[-1] == ("SYSFS", "st_read")
    assert out.verdicts["NoPollByStoppedKthread"].verdict == HOLDS


def test_stop_without_the_wait_loses_the_instance() -> None:
    out = _run("mutant_stop_kthread_no_wait")
    for prop in ("NoLostWakeup", "NoPollByStoppedKthread"):
        v = out.verdicts[prop]
        assert v.verdict == VIOLATED and v.trace is not None and replay(v.trace, out.compiled).ok
        steps = [(st.actor, st.label) for st in v.trace.steps]
        assert len(steps) == 13 and steps[-1] == ("napi/kthread0", "should_stop")
        assert steps.index(("SYSFS", "st_stop")) < len(steps) - 1  # kthread_stop before the kthread looked
        assert ("napi/kthread0", "test") not in steps  # it never tested SCHED_THREADED


def test_threaded_turned_on_at_run_time() -> None:
    labels = _labels(start_kthread=True, stop_kthread=True)
    assert {"SYSFS:on_lock", "SYSFS:on_set", "SYSFS:idle", "napi/kthread0:run"} <= labels
    sy = SPEC.instantiate({"start_kthread": True})
    assert list(sy.var_named("napi_state").init) == [0] and list(sy.var_named("kthread_created").init) == [False]
    for name, states in (("linux71_start_stop_kthread", 30_571), ("linux618_start_kthread_disable", 356_964)):
        out = _run(name)
        assert all(v.verdict == HOLDS for v in out.verdicts.values())
        assert out.engine_results[0].stats.states == states


def test_lifecycle_configuration_holds() -> None:
    out = _run("linux619_lifecycle")
    assert all(v.verdict == HOLDS for v in out.verdicts.values())
    assert out.engine_results[0].stats.states == 136_136
