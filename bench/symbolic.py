"""Benchmark: explicit enumeration vs k-induction vs PDR (Spacer) on napi_basic.

Proves NoDoubleQueue, SchedMatchesList and NoLostWakeup together for growing instance
counts N, then with realistic constants (ring 1024, weight 64) where enumeration is
hopeless. Prints a Markdown table (engine verdicts and wall-clock seconds).

    python bench/symbolic.py                 # the default table
    python bench/symbolic.py --quick         # N = 1, 2 only, shorter caps
    python bench/symbolic.py --cap 300       # seconds per engine run

Not a test: runs take minutes. Timings depend on the machine's load (Z3 is single-threaded).
"""

from __future__ import annotations

import argparse
import time

from checker.engines import EngineInput, load_engine
from checker.lang.pycompile import CompiledSystem
from spec.napi_basic import SPEC

PROPS = ["NoDoubleQueue", "SchedMatchesList", "NoLostWakeup"]


def run(engine: str, consts: dict, cap: float, max_states: int) -> tuple[str, float, str]:
    system = SPEC.instantiate(consts)
    c = CompiledSystem.build(system)
    props = [system.prop(p) for p in PROPS]
    limits = {"max_seconds": cap, "query_timeout": cap, "max_bound": 40, "max_states": max_states}
    t0 = time.perf_counter()
    res = load_engine(engine)(EngineInput(system, c, props, limits))
    secs = time.perf_counter() - t0
    verdicts = {p.verdict for p in res.properties}
    verdict = verdicts.pop() if len(verdicts) == 1 else "/".join(sorted(verdicts))
    extra = ""
    if engine == "explicit":
        extra = f"{res.stats.states:,} states" + (f", {res.stats.limit_hit} limit" if res.stats.limit_hit else "")
    elif engine == "kind":
        ks = [str(p.detail.get("k")) for p in res.properties if p.verdict == "holds"]
        extra = "k=" + ",".join(ks) if ks else ""
    elif engine == "pdr":
        inv = next((p.detail.get("invariant") for p in res.properties if p.detail.get("invariant")), None)
        extra = f"{len(inv)} conjuncts" if inv else ""
    return verdict, secs, extra


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cap", type=float, default=120.0, help="seconds per engine run")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--max-states", type=int, default=2_000_000)
    args = ap.parse_args()
    rows = []
    small = [{"N": n, "RING": 2, "WEIGHT": 1} for n in ((1, 2) if args.quick else (1, 2, 3))]
    big = [{"N": 1, "RING": 1024, "WEIGHT": 64}, {"N": 2, "RING": 1024, "WEIGHT": 64}]
    print("| constants | engine | verdict | seconds | notes |")
    print("|---|---|---|---|---|")
    for consts in small + big:
        for engine in ("explicit", "kind", "pdr"):
            verdict, secs, extra = run(engine, consts, args.cap, args.max_states)
            shown = ", ".join(f"{k}={v}" for k, v in consts.items())
            print(f"| {shown} | {engine} | {verdict} | {secs:.1f} | {extra} |", flush=True)
            rows.append((consts, engine, verdict, secs))


if __name__ == "__main__":
    main()
