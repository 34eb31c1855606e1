"""The DragonOS spec as replaceable parts: a user's file swaps one and gets the shipped variant's result."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import SimpleNamespace

import pytest

from checker.explicit.bfs import explore
from checker.lang.pycompile import CompiledSystem
from spec.dragonos import SPEC, make_spec, napi, netns
from spec.dragonos.parts import DEFAULT, waitq_with

ROOT = Path(__file__).resolve().parent.parent


def _example(name: str):  # type: ignore[no-untyped-def]
    path = ROOT / "examples" / f"{name}.py"
    mod_spec = importlib.util.spec_from_file_location(name, path)
    assert mod_spec is not None and mod_spec.loader is not None
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    return mod


def _check(spec, consts):  # type: ignore[no-untyped-def]
    system = spec.instantiate(consts)
    props = [p for p in system.properties if p.name == "CallbacksArmedWhenIdle"]
    c = CompiledSystem.build(system)
    return c, explore(c, props)


def test_the_mutation_as_a_user_file_equals_the_shipped_mutation() -> None:
    user = _example("dragonos_no_cb_prepare").SPEC
    c1, shipped = _check(SPEC, {"version": "HEAD", "mutation": "no_cb_prepare"})
    c2, mine = _check(user, {"version": "HEAD"})
    assert c1.source == c2.source  # the same System, step for step
    assert shipped.properties[0].verdict == mine.properties[0].verdict == "violated"
    assert len(mine.properties[0].trace) == 15
    _, correct = _check(SPEC, {"version": "HEAD"})
    assert correct.properties[0].verdict == "holds"


def test_replacing_the_wait_queue_reaches_every_sleeper_and_waker() -> None:
    calls = SimpleNamespace(sleepers=[], wakers=[])
    real = DEFAULT.waitq

    def add_sleeper(c, actor, prefix, *a, **kw):  # type: ignore[no-untyped-def]
        calls.sleepers.append(actor.name)
        real.add_sleeper(c, actor, prefix, *a, **kw)

    def add_waker(c, actor, prefix, *a, **kw):  # type: ignore[no-untyped-def]
        calls.wakers.append(actor.name)
        real.add_waker(c, actor, prefix, *a, **kw)

    spec = make_spec("dragonos_traced_waitq", "", DEFAULT.replace(waitq=waitq_with(add_sleeper=add_sleeper,
                                                                                   add_waker=add_waker)))
    a = CompiledSystem.build(spec.instantiate({"version": "HEAD", "IMM": 1, "T": 2}))
    b = CompiledSystem.build(SPEC.instantiate({"version": "HEAD", "IMM": 1, "T": 2}))
    assert a.source == b.source
    assert sorted(set(calls.sleepers)) == ["napi_handler", "netns_poller"]
    assert {"napi_handler", "drv0", "app"} <= set(calls.wakers)


def test_unknown_parts_are_refused() -> None:
    with pytest.raises(TypeError, match="no DragonOS part named 'driver'"):
        DEFAULT.replace(driver=None)
    with pytest.raises(TypeError, match="no function 'sleep'"):
        waitq_with(sleep=None)


def test_each_interface_gets_its_driver_part() -> None:
    from spec.dragonos import env

    seen: list[tuple[str, int]] = []

    def virtio(c, j, *a):  # type: ignore[no-untyped-def]
        seen.append(("virtio", j))
        return env.virtio_driver(c, j, *a)

    def generic(c, j, *a):  # type: ignore[no-untyped-def]
        seen.append(("generic", j))
        return env.generic_driver(c, j, *a)

    spec = make_spec("dragonos_drivers", "", DEFAULT.replace(virtio_driver=virtio, generic_driver=generic))
    system = spec.instantiate({"version": "V2", "N": 2, "VIRTIO": 1})
    assert seen == [("virtio", 0), ("generic", 1)]
    assert CompiledSystem.build(system).source == CompiledSystem.build(
        SPEC.instantiate({"version": "V2", "N": 2, "VIRTIO": 1})).source


def test_properties_name_no_step_labels() -> None:
    """The properties read the facts the parts export (spec.dragonos.model.Facts), never a label."""
    src = (ROOT / "spec" / "dragonos" / "props.py").read_text()
    assert ".at(" not in src and "labels" not in src and "sleep_label" not in src
    assert ".at(" not in inspect.getsource(napi.handler_polling)
    assert ".at(" not in inspect.getsource(netns.poller_asleep)


def _verdicts(spec, consts):  # type: ignore[no-untyped-def]
    system = spec.instantiate(consts)
    res = explore(CompiledSystem.build(system), system.properties)
    return {p.name: p.verdict for p in res.properties}, res.stats.states


def test_a_variant_that_splits_a_step_keeps_the_properties() -> None:
    """A user's virtio napi_complete with one more step (the lock taken on its own) and its own label:
    it exports that the handler still holds the instance there, and every verdict stays."""
    def split(c, h, L):  # type: ignore[no-untyped-def]
        @h.step("vc_lock", func="my virtio napi_complete (lock)", next="vc_prep")
        def _lock(t, i):  # type: ignore[no-untyped-def]
            pass

        c.facts.handler_holds.append(h.at(0, "vc_lock"))
        napi.add_virtio_complete(c, h, L)

    mine = make_spec("dragonos_split", "", DEFAULT.replace(
        virtio_complete=split, virtio_complete_labels=("vc_lock", *DEFAULT.virtio_complete_labels)))
    for consts in ({"version": "V2"}, {"version": "HEAD", "mutation": "no_cb_prepare"}):
        shipped, n_shipped = _verdicts(SPEC, consts)
        split_v, n_split = _verdicts(mine, consts)
        assert split_v == shipped
        assert n_split > n_shipped  # the extra step is really there
    assert shipped["CallbacksArmedWhenIdle"] == "violated"


def test_a_part_that_exports_no_resting_fact_is_refused() -> None:
    from checker.lang import ModelError
    from spec.dragonos import env

    def quiet(c, j, *a):  # type: ignore[no-untyped-def]
        actor = env.virtio_driver(c, j, *a)
        del c.facts.resting[actor.name]
        return actor

    spec = make_spec("dragonos_quiet", "", DEFAULT.replace(virtio_driver=quiet))
    with pytest.raises(ModelError, match="'drv0' exported no 'resting' fact") as err:
        spec.instantiate({"version": "V2"})
    assert err.value.where == f"{__file__}:{quiet.__code__.co_firstlineno}"  # the part's code
