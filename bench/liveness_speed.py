"""Liveness (fair cycles) against safety on the same configuration: states per CPU second.

    PYTHONPATH=. python bench/liveness_speed.py [CONFIG ...]

Default: models/linux/liveness_*.toml, models/dragonos/*_cycle.toml and bench/linux/liveness_prefer.toml
(1.7 M states, about 40 s of CPU). Per configuration: the whole liveness run of the explicit engine
(checker.verify.run_config: compile, state graph, fair-cycle search, lasso replay) and a safety BFS of the
same constants over the spec's safety properties (compile and BFS, default limits; the counts printed
show both explored the same reachable states). CPU time of this process (time.process_time), so the
figures hold on a loaded machine; the target of issue 15 is a ratio of at most 3.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

from checker.config import load_config
from checker.engines import engine_names
from checker.explicit.bfs import Limits, explore
from checker.verify import instantiate, run_config
from spec import registry

SAFETY = ("invariant", "transition", "deadlock")
DEFAULT = sorted(Path("models/linux").glob("liveness_*.toml")) + sorted(Path("models/dragonos").glob("*_cycle.toml")) \
    + [Path("bench/linux/liveness_prefer.toml")]


def measure(path: Path) -> tuple[int, float, int, float]:
    cfg = load_config(path, registry(), engine_names())
    gc.collect()
    t = time.process_time()
    out = run_config(cfg, ["explicit"])
    live_cpu = time.process_time() - t
    live_states = out.engine_results[0].stats.states
    del out
    gc.collect()
    t = time.process_time()
    system, compiled = instantiate(cfg)
    props = [p for p in system.properties if p.kind in SAFETY]
    res = explore(compiled, props, Limits())
    safe_cpu = time.process_time() - t
    return live_states, live_cpu, res.stats.states, safe_cpu


def main(paths: list[str]) -> int:
    print(f"{'configuration':34} {'liveness':>24} {'safety BFS':>24}  ratio")
    for path in [Path(p) for p in paths] or DEFAULT:
        ls, lc, ss, sc = measure(path)
        lr, sr = ls / lc, ss / sc
        print(f"{path.name:34} {ls:>9,} st {lc:6.2f} s {lr:>9,.0f}/s {ss:>9,} st {sc:6.2f} s {sr:>9,.0f}/s  "
              f"{sr / lr:4.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
