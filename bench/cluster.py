"""The explicit engine on Ray (checker.cluster) against the single-process engine.

    PYTHONPATH=. python bench/cluster.py compare [--workers 2] [models/...]
    PYTHONPATH=. python bench/cluster.py measure [--workers 1 2] [--max-states N] bench/linux/X.toml ...

``compare``: every configuration's safety search (its properties and [limits]) in one process and on
``--workers`` local Ray workers; state and transition counts, depth, limit, coverage, every property's
verdict, counterexample steps and further distinct-cause counterexamples, modelling errors must be
identical (exit 1 if not). One Ray instance serves every configuration.

``measure``: seconds and states/s of the single-process engine and of the cluster with each number of
workers (all on this machine), the overhead ratio, bytes of successor batches moved between
partitions per stored state, bytes held per stored state (visited set + parent pointers) and the
workers' peak RSS. Run niced on a shared machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from checker.cluster.connect import importable_here, init_options
from checker.cluster.search import ClusterExplorer
from checker.config import find_configs, load_config
from checker.engines import EngineInput, engine_names
from checker.explicit.bfs import explore
from checker.explicit.engine import limits_of
from checker.verify import instantiate
from spec import registry

SAFETY = ("invariant", "transition", "deadlock")


def summary(r: Any) -> tuple:
    props = {p.name: (p.verdict, [t.key for t in p.trace.steps] if p.trace else None,
                      [[t.key for t in x.steps] for x in p.more_traces], p.note) for p in r.properties}
    err = (r.error, [t.key for t in r.error_trace.steps] if r.error_trace else None)
    return (r.stats.states, r.stats.transitions, r.stats.depth, r.stats.limit_hit, r.stats.coverage, props, err)


def _setup(path: Path, max_states: int | None = None) -> tuple[Any, list[Any], Any, str]:
    cfg = load_config(path, registry(), engine_names())
    system, compiled = instantiate(cfg)
    props = [p for p in system.properties if p.kind in SAFETY and (not cfg.properties or p.name in cfg.properties)]
    lim = dict(cfg.limits)
    lim.pop("max_seconds", None)  # both runs must explore the same states
    if max_states:
        lim["max_states"] = max_states
    return compiled, props, limits_of(EngineInput(system, compiled, props, lim)), lim.get("store", "exact")


def compare(paths: list[str], workers: int) -> int:
    bad = 0
    for path in find_configs([Path(p) for p in paths] or [Path("models")]):
        compiled, props, limits, store = _setup(path)
        if limits.symmetry:
            print(f"skip {path}: symmetry reduction (runs in one process)", flush=True)
            continue
        t0 = time.perf_counter()
        one = explore(compiled, props, limits, store)
        t1 = time.perf_counter()
        many = ClusterExplorer(compiled, props, limits, store, None, f"local:{workers}", workers).run()
        t2 = time.perf_counter()
        diff = [name for name, a, b in zip(("states", "transitions", "depth", "limit", "coverage", "properties",
                                            "error"), summary(one), summary(many)) if a != b]
        bad += bool(diff)
        print(f"{'DIFF' if diff else 'ok  '} {path}: {one.stats.states:,} states, {one.stats.transitions:,} transitions,"
              f" depth {one.stats.depth}; one process {t1 - t0:.2f} s, {workers} workers {t2 - t1:.2f} s"
              + (f"  differs in: {', '.join(diff)}" if diff else ""), flush=True)
    return 1 if bad else 0


def measure(paths: list[str], workers: list[int], max_states: int | None) -> int:
    for path in paths:
        compiled, props, limits, store = _setup(Path(path), max_states)
        t0 = time.perf_counter()
        one = explore(compiled, props, limits, store)
        base = time.perf_counter() - t0
        print(f"{path}: {one.stats.states:,} states, depth {one.stats.depth}, {one.stats.transitions:,} transitions "
              f"(limit: {one.stats.limit_hit or 'none'})", flush=True)
        print(f"  one process: {base:.1f} s, {one.stats.states / base:,.0f} states/s, peak RSS "
              f"{one.stats.peak_rss_bytes / 2**20:.0f} MiB", flush=True)
        for n in workers:
            ex = ClusterExplorer(compiled, props, limits, store, None, f"local:{n}", n)
            t0 = time.perf_counter()
            res = ex.run()
            secs = time.perf_counter() - t0
            assert summary(res) == summary(one), f"{path}: {n} workers disagree with one process"
            states = res.stats.states
            held = sum(f["held"] for f in ex.worker_figures)
            cpu = sum(f["cpu_ms"] for f in ex.worker_figures) / 1000
            print(f"  {n} worker(s): {secs:.1f} s, {states / secs:,.0f} states/s, overhead x{secs / base:.2f}; "
                  f"moved {ex.moved / states:.1f} B/state, held {held / states:.1f} B/state, "
                  f"worker peak RSS {ex.peak_rss / 2**20:.0f} MiB; workers' CPU {cpu:.1f} s "
                  f"({cpu / states * 1e6:.1f} us/state; one process {base / one.stats.states * 1e6:.1f} us/state wall)",
                  flush=True)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("paths", nargs="*")
    c.add_argument("--workers", type=int, default=2)
    m = sub.add_parser("measure")
    m.add_argument("paths", nargs="+")
    m.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    m.add_argument("--max-states", type=int, default=None)
    a = ap.parse_args()
    import ray

    importable_here()
    n = a.workers if a.cmd == "compare" else max(a.workers)
    ray.init(num_cpus=n, object_store_memory=max(80, 100 * n) << 20, **init_options())
    try:
        return compare(a.paths, a.workers) if a.cmd == "compare" else measure(a.paths, a.workers, a.max_states)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    sys.exit(main())
