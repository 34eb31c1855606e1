"""Liveness counterexamples that starve a context with no (or only weak) fairness carry a warning."""

from __future__ import annotations

import pytest

from checker.engines import EngineInput, load_engine
from checker.lang import Int, System
from checker.lang.pycompile import CompiledSystem
from checker.result import HOLDS, VIOLATED


def _softirq_and_irq(softirq_fair: str | None, irq: bool) -> System:
    s = System("starve")
    pending = s.var("pending", Int(0, 1))
    in_irq = s.var("in_irq", Int(0, 1))

    @s.action("packet_arrives", func="device DMA", actor="DEV")
    def _(t):
        t.require(pending == 0)
        t.set(pending, 1)

    rx = s.actor("rx", ["poll"], display="CPU0 softirq", guard=lambda i: in_irq == 0, fair=softirq_fair)

    @rx.step("poll", func="net/core/dev.c:net_rx_action")
    def _(t, i):
        t.require(pending > 0)
        t.set(pending, 0)

    if irq:  # a hard IRQ on the same CPU that keeps coming: the softirq runs only between handlers
        h = s.actor("irq", ["enter", "exit"], display="CPU0 hardirq", fair="weak")  # handlers return

        @h.step("enter", func="irq entry", next="exit")
        def _(t, i):
            t.set(in_irq, 1)

        @h.step("exit", func="irq exit", next="enter")
        def _(t, i):
            t.set(in_irq, 0)

    s.leads_to("PacketsPolled", pending > 0, pending == 0)
    s.finish()
    return s


def _check(s: System):  # type: ignore[no-untyped-def]
    c = CompiledSystem.build(s)
    res = load_engine("explicit")(EngineInput(s, c, [s.prop("PacketsPolled")]))
    return res.properties[0]


def test_a_run_that_stops_with_an_unfair_softirq_enabled_is_flagged() -> None:
    r = _check(_softirq_and_irq(None, irq=False))
    assert r.verdict == VIOLATED
    assert r.detail["starved"] and "CPU0 softirq is enabled where the run stops" in r.detail["starved"][0]
    assert "declare it fair" in r.note


def test_weak_fairness_starved_by_an_interrupt_storm_is_flagged() -> None:
    r = _check(_softirq_and_irq("weak", irq=True))
    assert r.verdict == VIOLATED
    assert any("CPU0 softirq is enabled now and then" in n and "weak fairness does not force it" in n
               for n in r.detail["starved"])


@pytest.mark.parametrize("fair, irq", [("weak", False), ("strong", True)])
def test_enough_fairness_makes_it_hold_without_warning(fair: str, irq: bool) -> None:
    r = _check(_softirq_and_irq(fair, irq=irq))
    assert r.verdict == HOLDS and "starved" not in r.detail


def test_a_run_that_stops_inside_an_unfair_handler_names_the_handler() -> None:
    s = _softirq_and_irq("strong", irq=True)
    s.fairness = [f for f in s.fairness if f.actor != "CPU0 hardirq"]
    r = _check(s)
    assert r.verdict == VIOLATED and [t.label for t in r.trace.steps] == ["packet_arrives", "enter"]
    assert r.detail["starved"] == [
        "CPU0 hardirq is enabled where the run stops but never runs, and has no fairness: if the kernel "
        "guarantees it runs, declare it fair (this run may be an artefact of the model)"]


def test_a_verdict_that_needs_a_fair_environment_says_so() -> None:
    s = _softirq_and_irq("weak", irq=False)
    s.always_eventually("PacketsKeepComing", s.var_named("pending").expr > 0)
    s.fair("weak", "DEV")  # a device that must keep sending: an assumption about the world
    c = CompiledSystem.build(s)
    res = load_engine("explicit")(EngineInput(s, c, [s.prop("PacketsKeepComing"), s.prop("PacketsPolled")]))
    kept, polled = res.properties
    assert kept.verdict == HOLDS and kept.detail["needs_environment_fairness"] == ["DEV"]
    assert "holds only because DEV (environment events) are assumed fair" in kept.note
    assert polled.verdict == HOLDS and "needs_environment_fairness" not in polled.detail  # the softirq's own fairness suffices


def test_no_warning_where_only_the_environment_stops() -> None:
    # a shipped lost-wakeup violation: the run stops while packets could still arrive (DEV0, an
    # environment event) and the refill timer could run again (a progress step): neither is owed a turn
    from pathlib import Path

    from checker.config import load_config
    from checker.engines import engine_names
    from checker.verify import instantiate
    from spec import registry

    cfg = load_config(Path(__file__).resolve().parent.parent / "models/napi_basic/liveness_lost_wakeup.toml",
                      registry(), engine_names())
    s, c = instantiate(cfg)
    res = load_engine("explicit")(EngineInput(s, c, [s.prop("PacketsPolled")], {}, cfg.options or {}))
    assert res.properties[0].verdict == VIOLATED and "warning" not in res.properties[0].note
