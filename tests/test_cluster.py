"""The explicit engine on a Ray cluster gives the single-process engine's answers (checker.cluster).

Runs on a local multi-node cluster (Ray's own ``ray.cluster_utils.Cluster``: a head and one more
node, one CPU each, on this machine), with 2 and 3 partitions. Compared with the single-process
search: state and transition counts, depth, coverage, limit reached, each property's verdict,
shortest counterexample and further distinct-cause counterexamples, modelling errors — also for
runs cut short inside a level (every property decided, the states limit, a modelling error).
A killed worker ends the run as inconclusive with the figures reached.

Skipped, saying why, when Ray is not installed (``pip install 'napi-check[cluster]'``).
bench/cluster.py compares every bundled configuration and measures the overhead.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'napi-check[cluster]')")

from checker.cluster.connect import _deadline, importable_here, init_options  # noqa: E402
from checker.cluster.search import LOST, ClusterExplorer, explore_on_cluster  # noqa: E402
from checker.explicit.bfs import Limits, explore  # noqa: E402
from checker.lang.pycompile import CompiledSystem  # noqa: E402
from checker.result import INCONCLUSIVE, VIOLATED  # noqa: E402
from random_systems import past_violation_system  # noqa: E402
from spec.napi_basic import SPEC as BASIC  # noqa: E402

START_SECONDS = 120  # a cluster that does not come up fails the test run instead of hanging it


@pytest.fixture(scope="module")
def cluster():  # type: ignore[no-untyped-def]
    from ray.cluster_utils import Cluster

    saved = os.environ.get("PYTHONPATH")
    importable_here()
    tests = str(Path(__file__).resolve().parent)  # test-defined systems are pickled by reference
    os.environ["PYTHONPATH"] = os.pathsep.join([tests, os.environ["PYTHONPATH"]])
    if ray.is_initialized():
        ray.shutdown()
    try:
        with _deadline(START_SECONDS, f"the local Ray cluster did not start within {START_SECONDS} s"):
            c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": 80 << 20})
            c.add_node(num_cpus=1, object_store_memory=80 << 20)
            opts = init_options()
            ray.init(address=c.address, **opts)
            c.wait_for_nodes()
    except Exception as err:  # noqa: BLE001
        pytest.fail(f"could not start a local Ray cluster: {err}")
    yield c
    ray.shutdown()
    c.shutdown()
    if saved is None:  # later tests' subprocesses (the wheel test) see the environment as it was
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved


def summary(r):  # type: ignore[no-untyped-def]
    props = {p.name: (p.verdict, [t.key for t in p.trace.steps] if p.trace else None,
                      [[t.key for t in x.steps] for x in p.more_traces], p.note) for p in r.properties}
    err = (r.error, [t.key for t in r.error_trace.steps] if r.error_trace else None)
    return (r.stats.states, r.stats.transitions, r.stats.depth, r.stats.limit_hit, r.stats.exhausted,
            r.stats.coverage, props, err)


def same(c: CompiledSystem, partitions: int, store: str = "exact", **lim: object) -> tuple:
    one = summary(explore(c, c.system.properties, Limits(**lim), store))  # type: ignore[arg-type]
    many = summary(explore_on_cluster(c, c.system.properties, Limits(**lim), store, None,  # type: ignore[arg-type]
                                      "auto", partitions))
    assert many == one
    return one


CASES = [
    (dict(N=2), {}),  # every property holds
    (dict(N=2, unmask_first=True), {}),  # violations and a deadlock: stops inside a level, 3 causes each
    (dict(N=2, split_test_set=True), {"max_traces": 1}),
    (dict(N=2, requeue_head=True), {"stop_at_first_violation": True}),
    (dict(N=2), {"max_states": 1000}),  # the states limit falls inside a level
    (dict(N=2), {"max_depth": 7}),
]


@pytest.mark.parametrize("consts,lim", CASES)
def test_same_answers_as_one_process(cluster, consts: dict, lim: dict) -> None:  # type: ignore[no-untyped-def]
    c = CompiledSystem.build(BASIC.instantiate(consts))
    one = same(c, 3, **lim)
    assert one[0] > 1  # a real exploration


def test_known_counts_and_a_violation(cluster) -> None:  # type: ignore[no-untyped-def]
    """Counts known independently (tests/test_napi_basic_counts.py: N=2 has 2,192 states) and a
    violation's shortest counterexample, on 2 partitions and the fingerprint store."""
    c = CompiledSystem.build(BASIC.instantiate(dict(N=2)))
    assert same(c, 2, store="fingerprint")[0] == 2192
    c = CompiledSystem.build(BASIC.instantiate(dict(N=2, unmask_first=True)))
    res = explore_on_cluster(c, c.system.properties, Limits(), "exact", None, "auto", 2)
    lost = next(p for p in res.properties if p.name == "NoLostWakeup")
    assert lost.verdict == VIOLATED and len(lost.trace.steps) == 15


def test_pruned_states_and_modelling_errors(cluster) -> None:  # type: ignore[no-untyped-def]
    same(CompiledSystem.build(past_violation_system()), 2)  # a step raising past a violation: pruned
    err = same(CompiledSystem.build(past_violation_system(guarded=False)), 2)[-1]
    assert err[0] is not None and "modelling error" in err[0]


@pytest.mark.parametrize("cfg,states", [("models/napi_basic/second_scheduler_no_missed.toml", "265 states"),
                                        ("examples/own_driver/netvsc_2017.toml", "1,089 states")])  # a user's spec file
def test_configuration_through_the_cli(cluster, root: Path, cfg: str, states: str) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from checker.cli import main

    one = CliRunner().invoke(main, ["verify", str(root / cfg), "-v"])
    many = CliRunner().invoke(main, ["verify", str(root / cfg), "-v", "--cluster", "local:2"])
    assert one.exit_code == many.exit_code == 0, many.output
    assert states in many.output
    assert _timeless(many.output) == _timeless(one.output)


def _timeless(out: str) -> str:
    """The output without what depends on timing (seconds, rates, memory) and the search loop's name."""
    out = re.sub(r"\n *search loop: [^\n]*", "", out)
    out = re.sub(r"\([\d,]+ states/s\)|peak RSS [\d,.]+ \w+", "", out)
    return re.sub(r"\d[\d,]*\.\d+", "#", out)


def test_a_lost_worker_ends_the_run_inconclusive(cluster) -> None:  # type: ignore[no-untyped-def]
    c = CompiledSystem.build(BASIC.instantiate(dict(N=2)))
    ex = ClusterExplorer(c, c.system.properties, Limits(), "exact", None, "auto", 2)

    def kill_at_depth_5(p):  # type: ignore[no-untyped-def]
        if p.depth == 5:
            ray.kill(ex.workers[1])

    ex.progress = kill_at_depth_5
    res = ex.run()
    assert res.stats.limit_hit == LOST and not res.stats.exhausted
    assert 1 < res.stats.states < 2192 and res.stats.depth == 5
    assert all(p.verdict == INCONCLUSIVE and "worker was lost" in p.note for p in res.properties)


def test_an_address_nobody_answers_at_is_an_error_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import time

    from checker.cluster.connect import ClusterError, cluster_session

    with socket.socket() as s:  # a port that was free a moment ago: nobody listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    t0 = time.perf_counter()
    with pytest.raises(ClusterError, match="no Ray cluster at"):
        with cluster_session(f"127.0.0.1:{port}"):
            pass
    assert time.perf_counter() - t0 < 10
