"""Full state counts of every bundled configuration with ``--store exact`` and ``--store fingerprint``.

    PYTHONPATH=. python bench/fingerprint_vs_exact.py [models/...]

Prints one line per configuration (states, transitions, the fingerprint run's collision
probability) and exits 1 if any count differs. The explicit engine only; a few minutes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from checker.config import find_configs, load_config
from checker.engines import engine_names
from checker.explicit.bfs import Limits, explore
from checker.verify import instantiate
from spec import registry

SAFETY = ("invariant", "transition", "deadlock")


def main(paths: list[str]) -> int:
    bad = 0
    for path in find_configs([Path(p) for p in paths] or [Path("models")]):
        cfg = load_config(path, registry(), engine_names())
        system, compiled = instantiate(cfg)
        props = [p for p in system.properties if p.kind in SAFETY]
        t0 = time.perf_counter()
        exact, fp = (explore(compiled, props, Limits(), store=s) for s in ("exact", "fingerprint"))
        same = (exact.stats.states, exact.stats.transitions) == (fp.stats.states, fp.stats.transitions)
        bad += not same
        print(f"{'ok  ' if same else 'DIFF'} {path}: {exact.stats.states:,} / {fp.stats.states:,} states, "
              f"{fp.stats.transitions:,} transitions, p(collision) {fp.stats.collision_probability:.1e}, "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
