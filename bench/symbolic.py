"""Benchmark: explicit enumeration vs k-induction vs PDR (Spacer) on the basic and Linux specs.

Proves the three core safety properties together — NoDoubleQueue, SchedMatchesList (Linux:
OwnerHoldsSched, its 6.18 form) and NoLostWakeup — for growing instance counts N, then with
large constants (napi_basic: ring 1024, weight 64; Linux: the spec's largest RING, WEIGHT and
netdev_budget) where enumeration stops being practical. Prints a Markdown table: per engine
the verdict, wall-clock seconds and CPU seconds of the engine call, and what it did (states
enumerated, k, inductive-invariant size; for induct, the clauses and the parameters the proof
covers: with symbolic RING/WEIGHT/BUDGET one row proves every value of them).

    python bench/symbolic.py                      # both specs, the default rows, 60 s per run
    python bench/symbolic.py --spec linux         # one spec
    python bench/symbolic.py --quick              # N = 1, 2 only
    python bench/symbolic.py --cap 300            # seconds per engine run
    python bench/symbolic.py --engines induct     # one engine (invariant inference: checker.symbolic.induct)
    python bench/symbolic.py --spec napi_basic --engines induct-all --quick   # induct, every N at once
    python bench/symbolic.py --spec linux --engines induct --cap 900 --rows 0,1,2   # chosen rows
    python bench/symbolic.py --spec dragonos --engines explicit,induct --cap 1800   # DragonOS HEAD
        # N=1 virtio-net: NoDoubleQueue, NoLostWakeup proved for every RING, WEIGHT, POLL_BUDGET,
        # PACKET_BUDGET by Houdini + CTI blocking (2,476 candidates, 21 CTIs blocked; 152 clauses, 7 of
        # them blocking): 205.3 s CPU (mine 31, Houdini 104 of which blocking 61, minimise 52, check 18);
        # N=1 generic (concrete): 105.7 s CPU; N=2: not finished (docs/induct.md, "DragonOS HEAD")
    python bench/symbolic.py --spec linux --engines induct --rows 2 --cap 3000
        # Linux N=2, CPUS=2: NoDoubleQueue, OwnerHoldsSched, NoLostWakeup proved for every RING, WEIGHT,
        # BUDGET by Houdini + CTI blocking (4,347 candidates; 14 CTIs blocked by 43 clauses; 211 printed,
        # 5 of them blocking): 452.3 s CPU (mine 73, Houdini 187 of which blocking 94, minimise 173,
        # check 16), 26.5 min wall at load 5-9 (docs/induct.md, "Confirming run")
    python bench/symbolic.py --spec linux --engines induct --rows 6,10,11,12,13,14,15 --cap 600
        # the feature rows at N=1 (CPU s, load 4-7): CPUS=1 busy poll (row 6) 123.1 (every
        # 1 <= BP_BUDGET <= WEIGHT too; 174.8 at BP_BUDGET = 1 before the faster minimisation) and
        # netpoll (row 10) 40.0, NoLostWakeup included, every RING, WEIGHT, BUDGET (Houdini + CTI
        # blocking; busy poll needs the guard atom busypoll.work[0] == BP_BUDGET); CPUS=2: threaded
        # (12) 59.4, netpoll (15) 98.6, watchdog (14) 125.4 proved; busy poll (11) proved in 377.5 s of
        # CPU, 727 s wall (bench/linux/induct_busy_poll_cpus2.toml) and napi_disable (13) in 616.2 s of
        # CPU, 1,174 s wall (bench/linux/induct_disable_cpus2.toml), both over this 600 s cap: README

Every run is a child process killed at ``cap + 30`` s (a Z3 call that overruns its timeout, an
exploration that runs out of memory), so one run never holds up the table. Not a test: runs take
minutes. Timings depend on the machine's load (Z3 is single-threaded).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

PROPS = {
    "napi_basic": ["NoDoubleQueue", "SchedMatchesList", "NoLostWakeup"],
    "linux": ["NoDoubleQueue", "OwnerHoldsSched", "NoLostWakeup"],
    "dragonos": ["NoDoubleQueue", "NoLostWakeup"],
}
#: DragonOS: its data bounds (NET_RX_POLL_BUDGET, NET_RX_PACKET_BUDGET besides RING and WEIGHT)
DRAGONOS_SYMBOLIC = ["RING", "WEIGHT", "POLL_BUDGET", "PACKET_BUDGET"]
ENGINES = ("explicit", "kind", "pdr", "induct")
#: napi_basic's BoundedWait by meaning (a ghost relation, spec constant wait_relation): its own row
BOUNDED_WAIT_ROW = {"N": 2, "RING": 2, "WEIGHT": 1, "wait_relation": True}


def props_of(spec: str, consts: dict[str, Any]) -> list[str]:
    """The properties a row proves: BoundedWait alone on its row, else the three core ones."""
    return ["BoundedWait"] if consts.get("wait_relation") else PROPS[spec]


def rows(spec: str, quick: bool) -> list[dict[str, Any]]:
    """The constants of each row: growing N with small constants, then large constants."""
    ns = (1, 2) if quick else (1, 2, 3)
    if spec == "dragonos":  # HEAD: virtio-net interfaces (head_rx), then generic ones (veth-like)
        return [{"version": "HEAD", "N": n, "VIRTIO": v} for n, v in ((1, 1), (2, 2), (1, 0), (2, 0))]
    if spec == "napi_basic":
        return [{"N": n, "RING": 2, "WEIGHT": 1} for n in ns] + [
            {"N": 1, "RING": 1024, "WEIGHT": 64}, {"N": 2, "RING": 1024, "WEIGHT": 64}, BOUNDED_WAIT_ROW]
    # Linux: softirq mode first (one CPU, then both CPUs), no optional contexts; the spec bounds
    # RING <= 8, WEIGHT <= 4, BUDGET (netdev_budget) <= 8 (induct makes them symbolic: its rows at
    # small values already cover the large ones); then each optional context on its own with one
    # instance, on one CPU and then two (busy poll: __napi_busy_loop on the last CPU; threaded NAPI;
    # one napi_disable/napi_enable cycle; the napi_watchdog timer, DEFER = 1, with WEIGHT = 2: at
    # WEIGHT = 1 a poll uses its whole weight or finds nothing, never arms the timer, and the
    # system is the softirq one; netpoll's poll_napi), then all of them together
    base = {"RING": 2, "WEIGHT": 1, "BUDGET": 2}
    out = [{"N": 1, "CPUS": 1, **base}]
    out += [{"N": n, "CPUS": 2, **base} for n in ns]
    out += [{"N": 1, "CPUS": 2, "RING": 8, "WEIGHT": 4, "BUDGET": 8},
            {"N": 2, "CPUS": 2, "RING": 8, "WEIGHT": 4, "BUDGET": 8}]
    if not quick:
        features = ({"busy_poll": True}, {"threaded": True}, {"disable": True}, {"DEFER": 1, "WEIGHT": 2},
                    {"netpoll": True})
        out += [{"N": 1, "CPUS": cpus, **base, **f} for cpus in (1, 2) for f in features]
        out += [{"N": 1, "CPUS": 2, **base, "WEIGHT": 2, **{k: v for f in features for k, v in f.items()}}]
    return out


def run_one(spec: str, engine: str, consts: dict[str, Any], cap: float, max_states: int) -> dict[str, Any]:
    """One engine on one instantiation (in this process): verdict, seconds, what it did."""
    from checker.engines import EngineInput, load_engine
    from checker.lang.pycompile import CompiledSystem
    from spec import registry

    system = registry()[spec].instantiate(consts)
    c = CompiledSystem.build(system)
    props = [system.prop(p) for p in props_of(spec, consts)]
    limits = {"max_seconds": cap, "query_timeout": cap, "max_bound": 40, "max_states": max_states}
    options: dict[str, Any] = {"induct_symbolic": DRAGONOS_SYMBOLIC} if spec == "dragonos" else {}
    if engine == "induct-all":  # induct with the all-N translation (checker.symbolic.induct.param)
        engine, options = "induct", {**options, "induct_instances": "N"}
    t0, cpu0 = time.perf_counter(), time.process_time()
    res = load_engine(engine)(EngineInput(system, c, props, limits, options))
    secs, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    verdicts = {p.verdict for p in res.properties}
    verdict = verdicts.pop() if len(verdicts) == 1 else "/".join(sorted(verdicts))
    extra = ""
    if engine == "explicit":
        extra = f"{res.stats.states:,} states" + (f", {res.stats.limit_hit} limit" if res.stats.limit_hit else "")
    elif engine == "kind":
        ks = sorted({str(p.detail.get("k")) for p in res.properties if p.verdict == "holds"})
        extra = "k=" + ",".join(ks) if ks else ""
    elif engine == "pdr":
        inv = next((p.detail.get("invariant") for p in res.properties if p.detail.get("invariant")), None)
        extra = f"{len(inv)} conjuncts" if inv else ""
    elif engine in ("induct", "induct-all"):
        p0 = next((p for p in res.properties if p.verdict == "holds"), None)
        if p0 is not None:
            extra = f"{p0.detail.get('clauses')} clauses" + (" + Spacer lemmas" if "Spacer" in p0.note else "")
            st = p0.detail.get("stats", {})
            if st.get("blocked"):  # strengthening: CTIs blocked by generalised clauses (induct.strengthen)
                extra += f" ({st['block_clauses']} CTI-blocking clauses added, {st['candidates']:,} candidates)"
            extra += f", {p0.detail['parameters']}" if p0.detail.get("parameters") else ", these constants only"
    if "/" in verdict:  # mixed: each property's own verdict
        extra = (extra + "; " if extra else "") + ", ".join(f"{p.name}: {p.verdict}" for p in res.properties)
    if verdict == "inconclusive":
        note = next((p.note for p in res.properties if p.note), "")
        extra = (extra + "; " if extra else "") + note.split(";")[0][:60]
    return {"verdict": verdict, "seconds": secs, "cpu": cpu, "extra": extra}


def run_child(spec: str, engine: str, consts: dict[str, Any], cap: float, max_states: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", json.dumps([spec, engine, consts]), "--cap", str(cap),
           "--max-states", str(max_states)]
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=cap + 30, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"verdict": "killed", "seconds": time.perf_counter() - t0, "cpu": float("nan"),
                "extra": "over cap + 30 s"}
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        return {"verdict": "crashed", "seconds": time.perf_counter() - t0, "cpu": float("nan"), "extra": last[:80]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", choices=["napi_basic", "linux", "dragonos", "all"], default="all")
    ap.add_argument("--cap", type=float, default=60.0, help="seconds per engine run")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--max-states", type=int, default=2_000_000)
    ap.add_argument("--engines", default=",".join(ENGINES), help="comma-separated engines to run")
    ap.add_argument("--rows", help="comma-separated row numbers (0-based, per spec) to run; default all")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # a child: [spec, engine, constants] as JSON
    args = ap.parse_args()
    if args.one:
        spec, engine, consts = json.loads(args.one)
        print(json.dumps(run_one(spec, engine, consts, args.cap, args.max_states)))
        return
    specs = ["napi_basic", "linux"] if args.spec == "all" else [args.spec]
    print(f"cap {args.cap:.0f} s per run, max {args.max_states:,} states; properties: "
          + "; ".join(f"{s}: {', '.join(PROPS[s])}" for s in specs))
    print()
    print("| spec | constants | engine | verdict | seconds | CPU s | notes |")
    print("|---|---|---|---|---:|---:|---|")
    for spec in specs:
        chosen = {int(k) for k in args.rows.split(",")} if args.rows else None
        for row, consts in enumerate(rows(spec, args.quick)):
            if chosen is not None and row not in chosen:
                continue
            shown = ", ".join(f"{k}={v}" for k, v in consts.items())
            for engine in args.engines.split(","):
                r = run_child(spec, engine, consts, args.cap, args.max_states)
                print(f"| {spec} | {shown} | {engine} | {r['verdict']} | {r['seconds']:.1f} | {r['cpu']:.1f} "
                      f"| {r['extra']} |", flush=True)


if __name__ == "__main__":
    main()
