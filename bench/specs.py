#!/usr/bin/env python3
"""Benchmark: napi-check against SPIN on the real specs, on the same model (issue 15).

    python bench/specs.py                      # the two Linux bench configurations + NF(5,4,2), NF(6,3,2)
    python bench/specs.py bench/linux/linux618_n2_threaded.toml --no-nf
    python bench/specs.py --quick              # models/napi_basic/n3.toml and NF(5,3,2) only (a smoke run)

SPIN runs the model exported from the IR (`napi-check export --promela`, checker.export.promela):
one d_step branch per step, one SPIN state per model state (+1, the state before the first
d_step), built with ``spin -o2 -a`` and ``gcc -O2 -DBFS -DSAFETY -DNOREDUCE``, run with a
hash table sized to the state count. napi-check runs the explicit engine in a fresh process.
Both must store the same number of states and give the same verdicts (exit 1 otherwise).

Columns: states; napi-check search seconds (exploration after building) and whole-process
seconds (interpreter start, imports, building the spec and its kernels, search); SPIN's pan
"elapsed time" and its whole run (pan only: spin -a and gcc are reported as "build");
states/s of each (whole process); peak resident set sizes; ratio = napi-check states/s over
SPIN BFS states/s, whole process against pan's whole run. On a machine shared with other work
the wall clock measures the load as much as the tools: cpu / pan cpu are the user + system
seconds of each whole process, and the second ratio is the states/s ratio by CPU time. cc s = the one-off C compile of
napi-check's native kernel (checker.explicit.native; 0 when it was cached, absent for states of
<= 62 bits, which run on numpy), paid before the timed run as SPIN's build is.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

CONFIGS = ["bench/linux/linux618_softirq_full.toml", "bench/linux/linux618_n2_threaded.toml"]
NF = [(5, 4, 2), (6, 3, 2)]


def _system(target: str):  # type: ignore[no-untyped-def]
    """The System and the safety properties checked for a configuration path or ``nf:N,P,B``."""
    from checker.config import load_config
    from checker.engines import engine_names
    from checker.verify import instantiate
    from spec import registry

    if target.startswith("nf:"):
        from spec.bench_nf import SPEC

        n, p, b = map(int, target[3:].split(","))
        system = SPEC.instantiate({"N": n, "P": p, "B": b})
        return system, list(system.properties)
    cfg = load_config(ROOT / target, registry(), engine_names())
    system, _ = instantiate(cfg)
    names = cfg.properties or [p.name for p in system.properties]
    return system, [p for p in system.properties if p.name in names]


def one(target: str) -> None:
    """In a child process: explore, print one JSON line."""
    import resource

    from checker.explicit.bfs import Explorer, Limits
    from checker.lang.pycompile import CompiledSystem

    system, props = _system(target)
    compiled = CompiledSystem.build(system)
    ex = Explorer(compiled, props, Limits())
    r = ex.run()
    print(json.dumps({
        "loop": r.stats.loop, "compile": ex.native_compile_seconds,
        "states": r.stats.states, "seconds": r.stats.seconds, "limit": r.stats.limit_hit, "error": r.error,
        "verdicts": {x.name: x.verdict for x in r.properties},
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "cpu_self": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),  # user + system seconds, whole process
    }))


def build(target: str) -> None:
    """In a child process: build the native kernel (into the cache), print its compile seconds."""
    from checker.explicit.native import NativeUnavailable, build_native
    from checker.lang.pycompile import CompiledSystem

    from checker.explicit.packed import Layout

    system, props = _system(target)
    if Layout(system).bits <= 62:  # runs on numpy frontiers: no native kernel
        print(json.dumps({"compile": 0.0}))
        return
    try:
        nk = build_native(CompiledSystem.build(system), [p for p in props if p.kind == "invariant"])
        print(json.dumps({"compile": nk.info.compile_seconds}))
    except NativeUnavailable as err:
        print(json.dumps({"compile": 0.0, "note": str(err)}))


def compile_native(target: str) -> float:
    out = subprocess.run([sys.executable, __file__, "--build", target], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return float(json.loads(out.stdout.strip().splitlines()[-1])["compile"])


def napi_check(target: str) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--one", target], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    _, status, usage = os.wait4(proc.pid, 0) if proc.returncode is None else (0, proc.returncode, None)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(err[-3000:])
    data = json.loads(out.strip().splitlines()[-1])
    data["wall"] = wall
    data["cpu"] = data.pop("cpu_self")
    return data


def spin(target: str, work: Path, expected: int) -> dict:
    from checker.export.promela import STATE_OFFSET, to_promela

    system, props = _system(target)
    model = to_promela(system, props)
    d = work / re.sub(r"\W", "_", target)
    d.mkdir(parents=True)
    (d / "model.pml").write_text(model.text)
    t0 = time.perf_counter()
    subprocess.run(["spin", "-o2", "-a", "model.pml"], cwd=d, check=True, capture_output=True)
    vec = max(1024, 2 * model.vector_bytes)
    subprocess.run(["gcc", "-O2", "-DBFS", "-DSAFETY", "-DNOREDUCE", f"-DVECTORSZ={vec}", "-DMEMLIM=20000",
                    "-o", "pan", "pan.c"], cwd=d, check=True, capture_output=True)
    build = time.perf_counter() - t0
    w = max(18, math.ceil(math.log2(max(expected, 2))) + 1)
    t0 = time.perf_counter()
    proc = subprocess.Popen(["./pan", f"-w{w}"], cwd=d, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    m = re.search(r"(\d+) states, stored", out)
    am = re.search(r"(\d+) atomic steps", out)  # stored inside a d_step split under MAXDSTEP: not model states
    e = re.search(r"errors: (\d+)", out)
    t = re.search(r"pan: elapsed time ([\d.e+-]+) seconds", out)
    v = re.search(r"State-vector (\d+) byte", out)
    if status != 0 or not m or not e:
        raise RuntimeError(f"pan failed:\n{out[-3000:]}")
    nominal = int(m.group(1)) - (int(am.group(1)) if am else 0)  # as checker.export.spin counts
    return {"states": nominal - STATE_OFFSET, "errors": int(e.group(1)), "build": build, "wall": wall,
            "cpu": usage.ru_utime + usage.ru_stime,
            "seconds": float(t.group(1)) if t else wall, "peak": usage.ru_maxrss * 1024,
            "vector": int(v.group(1)) if v else 0}


def main() -> int:
    from run import _mib, _rate, machine  # bench/run.py: the NF benchmark's helpers

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("configs", nargs="*", help="configurations (default: the two Linux bench ones)")
    ap.add_argument("--no-nf", action="store_true", help="leave out NF(5,4,2) and NF(6,3,2)")
    ap.add_argument("--quick", action="store_true", help="a smoke run on small models")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--build", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one)
        return 0
    if args.build:
        build(args.build)
        return 0
    if args.quick:
        targets = ["models/napi_basic/n3.toml", "nf:5,3,2"]
    else:
        targets = (args.configs or CONFIGS) + ([] if args.no_nf else [f"nf:{n},{p},{b}" for n, p, b in NF])
    print(f"machine: {machine()}")
    print("napi-check: explicit engine, exact store, fresh process; SPIN: exported model, "
          "spin -o2 -a, gcc -O2 -DBFS -DSAFETY -DNOREDUCE\n")
    head = (f"{'model':<40} {'states':>10} | {'napi s':>7} {'whole':>7} {'states/s':>9} {'MiB':>6} |"
            f" {'pan s':>7} {'whole':>7} {'states/s':>9} {'MiB':>6} {'vec':>4} {'build':>5} | {'ratio':>5} |"
            f" {'cpu':>6} {'pan cpu':>7} {'ratio':>5} | {'cc s':>5}")
    print(head)
    print("-" * len(head))
    ok = True
    with tempfile.TemporaryDirectory(prefix="napi-specs-") as tmp:
        for target in targets:
            cc = compile_native(target)  # the native kernel's one-off compile (cached for the timed run)
            nc = napi_check(target)
            sp = spin(target, Path(tmp), nc["states"])
            holds = all(v == "holds" for v in nc["verdicts"].values())
            agree = nc["states"] == sp["states"] and holds == (sp["errors"] == 0) and not nc["limit"]
            ok &= agree
            r_nc, r_sp = _rate(nc["states"], nc["wall"]), _rate(sp["states"], sp["wall"])
            name = target if not target.startswith("nf:") else f"NF({target[3:]})"
            print(f"{Path(name).name if '/' in name else name:<40} {nc['states']:>10,} |"
                  f" {nc['seconds']:>7.1f} {nc['wall']:>7.1f} {r_nc:>9,.0f} {_mib(nc['peak']):>6} |"
                  f" {sp['seconds']:>7.1f} {sp['wall']:>7.1f} {r_sp:>9,.0f} {_mib(sp['peak']):>6} {sp['vector']:>4}"
                  f" {sp['build']:>5.1f} | {r_nc / r_sp:>5.2f} |"
                  f" {nc['cpu']:>6.1f} {sp['cpu']:>7.1f} {sp['cpu'] / max(nc['cpu'], 1e-9):>5.2f} | {cc:>5.1f}"
                  + ("" if agree else f"   MISMATCH: SPIN {sp['states']:,} states, {sp['errors']} errors; "
                                      f"napi-check {nc['verdicts']} {nc['limit'] or ''}"), flush=True)
    print("\nstate counts and verdicts agree" if ok else "\nMISMATCH: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
