#!/usr/bin/env python3
"""Benchmark: napi-check's explicit engine against SPIN on NF(N, P, B) (issue 8).

    python bench/run.py                      # the five sizes of the issue
    python bench/run.py --quick              # (3,3,2), (4,3,2), (5,3,2)
    python bench/run.py --sizes 5,4,2 6,3,2 --workers 2 --symmetry --repeat 3

napi-check runs spec/bench_nf.py (the modelling language, traces available) in a fresh
process per size; SPIN runs bench/peers/nf.pml as pan compiled with ``-O2 -DSAFETY``, once
with ``-DBFS`` and once depth-first. Both must store the same number of states, which must
equal the closed form (P+1)^N * sum_k N!/(N-k)!; the script exits 1 otherwise.

Seconds are search time (napi-check: exploration after building; SPIN: pan's run, the
spin/gcc build excluded); peak memory is each process's maximum resident set size. The
ratio column is napi-check's states/s over SPIN BFS's, measured in the same run. Nothing is
installed: without spin or gcc the script says how to install them and exits 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PML = ROOT / "bench" / "peers" / "nf.pml"
SIZES = [(3, 3, 2), (4, 3, 2), (5, 3, 2), (5, 4, 2), (6, 3, 2)]
QUICK = SIZES[:3]


def closed_form(n: int, p: int, b: int) -> int:
    assert b <= p
    return (p + 1) ** n * sum(math.factorial(n) // math.factorial(n - k) for k in range(n + 1))


def orbit_count(n: int, p: int) -> int:
    """Orbits under renaming the instances: the queue as a sequence of pending values, the rest as a multiset."""
    return sum((p + 1) ** k * math.comb(n - k + p, p) for k in range(n + 1))


# ---------------------------------------------------------------- napi-check (one size per process)


def one(n: int, p: int, b: int, workers: int, symmetry: bool, store: str) -> None:
    """Run in a child process: explore NF(n,p,b), print one JSON line."""
    sys.path.insert(0, str(ROOT))
    import resource

    from checker.explicit.bfs import Limits, explore
    from checker.lang.pycompile import CompiledSystem
    from spec.bench_nf import SPEC

    t0 = time.perf_counter()
    system = SPEC.instantiate({"N": n, "P": p, "B": b})
    compiled = CompiledSystem.build(system)
    build = time.perf_counter() - t0
    r = explore(compiled, system.properties, Limits(workers=workers, symmetry=symmetry), store=store)
    verdicts = {x.name: x.verdict for x in r.properties}
    print(json.dumps({
        "states": r.stats.states, "transitions": r.stats.transitions, "depth": r.stats.depth,
        "seconds": r.stats.seconds, "build": build, "verdicts": verdicts, "error": r.error,
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "peak_children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "collision": r.stats.collision_probability,
    }))


def napi_check(n: int, p: int, b: int, workers: int = 1, symmetry: bool = False, store: str = "exact") -> dict:
    cmd = [sys.executable, __file__, "--one", f"{n},{p},{b}", "--workers", str(workers), "--store", store]
    if symmetry:
        cmd.append("--symmetry")
    out = _run(cmd)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data


# ---------------------------------------------------------------- SPIN


class Pan:
    def __init__(self, work: Path, n: int, p: int, b: int, bfs: bool) -> None:
        self.dir = work / f"nf_{n}_{p}_{b}_{'bfs' if bfs else 'dfs'}"
        self.dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(PML, self.dir / "nf.pml")
        _run(["spin", f"-DN={n}", f"-DP={p}", f"-DB={b}", "-a", "nf.pml"], cwd=self.dir)
        flags = ["-O2", "-DSAFETY"] + (["-DBFS"] if bfs else [])
        _run(["gcc", *flags, "-o", "pan", "pan.c"], cwd=self.dir)
        self.bfs = bfs

    def run(self, expected: int) -> dict:
        # hash table big enough for the state count (pan's -w), DFS stack as deep as the state count
        w = max(18, math.ceil(math.log2(max(expected, 2))) + 1)
        args = ["./pan", f"-w{w}"] + ([] if self.bfs else [f"-m{expected + 10}"])
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if status != 0:
            raise RuntimeError(f"pan failed ({status}):\n{out}")
        m = re.search(r"(\d+) states, stored", out)
        e = re.search(r"errors: (\d+)", out)
        t = re.search(r"pan: elapsed time ([\d.e+-]+) seconds", out)
        if not m or not e:
            raise RuntimeError(f"cannot read pan's output:\n{out}")
        if "max search depth too small" in out:
            raise RuntimeError("pan: max search depth too small")
        secs = float(t.group(1)) if t else wall
        return {"states": int(m.group(1)), "errors": int(e.group(1)), "seconds": secs if secs > 0 else wall,
                "peak": usage.ru_maxrss * 1024}


# ---------------------------------------------------------------- the table


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    return out


def _rate(states: int, secs: float) -> float:
    return states / secs if secs > 0 else float("inf")


def _mib(x: int) -> str:
    return f"{x / 2**20:,.0f}"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    spin = subprocess.run(["spin", "-V"], capture_output=True, text=True).stdout.strip()
    gcc = subprocess.run(["gcc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, {spin}, {gcc}; "
            f"load average at start {load:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="*", help="sizes as N,P,B (default: the issue's five)")
    ap.add_argument("--quick", action="store_true", help="only the three small sizes")
    ap.add_argument("--workers", type=int, default=1, help="also run napi-check with this many processes")
    ap.add_argument("--symmetry", action="store_true", help="also run napi-check with symmetry reduction")
    ap.add_argument("--no-dfs", action="store_true", help="skip SPIN's depth-first run")
    ap.add_argument("--repeat", type=int, default=1, help="best of this many runs of each (default 1)")
    ap.add_argument("--store", default="exact", choices=["exact", "fingerprint"])
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        n, p, b = map(int, args.one.split(","))
        one(n, p, b, args.workers, args.symmetry, args.store)
        return 0
    missing = [t for t in ("spin", "gcc") if shutil.which(t) is None]
    if missing:
        print(f"error: {' and '.join(missing)} not found on PATH. Install them first, e.g. on Debian/Ubuntu:\n"
              "    sudo apt-get update && sudo apt-get install -y spin gcc", file=sys.stderr)
        return 2
    sizes = [tuple(map(int, s.split(","))) for s in args.sizes] if args.sizes else (QUICK if args.quick else SIZES)
    print(f"machine: {machine()}")
    print(f"napi-check: spec/bench_nf.py, explicit engine, store={args.store}; "
          f"SPIN: bench/peers/nf.pml, pan -O2 -DSAFETY (BFS: -DBFS), best of {args.repeat}\n")
    dfs_head = "" if args.no_dfs else f" {'SPIN DFS s':>10} {'states/s':>9} {'MiB':>5} |"
    par_head = f" | {'w=' + str(args.workers) + ' s':>7} {'ratio':>6} {'speed-up':>8}" if args.workers > 1 else ""
    head = (f"{'N,P,B':>7} {'states':>10} | {'napi-check s':>12} {'states/s':>9} {'MiB':>5} |"
            f" {'SPIN BFS s':>10} {'states/s':>9} {'MiB':>5} |{dfs_head} {'ratio':>6}{par_head}")
    print(head)
    print("-" * len(head))
    ok = True
    extra: list[str] = []
    with tempfile.TemporaryDirectory(prefix="napi-bench-") as tmp:
        for (n, p, b) in sizes:
            want = closed_form(n, p, b)
            nc = min((napi_check(n, p, b, 1, store=args.store) for _ in range(args.repeat)), key=lambda r: r["seconds"])
            bfs = Pan(Path(tmp), n, p, b, bfs=True)
            sb = min((bfs.run(want) for _ in range(args.repeat)), key=lambda r: r["seconds"])
            sd = None
            if not args.no_dfs:
                dfs = Pan(Path(tmp), n, p, b, bfs=False)
                sd = min((dfs.run(want) for _ in range(args.repeat)), key=lambda r: r["seconds"])
            counts = {nc["states"], sb["states"], want} | ({sd["states"]} if sd else set())
            holds = all(v == "holds" for v in nc["verdicts"].values()) and sb["errors"] == 0 and (sd is None or sd["errors"] == 0)
            if len(counts) != 1 or not holds:
                ok = False
            r_nc, r_sb = _rate(nc["states"], nc["seconds"]), _rate(sb["states"], sb["seconds"])
            line = (f"{n},{p},{b:>3} {nc['states']:>10,} | {nc['seconds']:>12.2f} {r_nc:>9,.0f} {_mib(nc['peak']):>5} |"
                    f" {sb['seconds']:>10.2f} {r_sb:>9,.0f} {_mib(sb['peak']):>5} |")
            if sd is not None:
                line += f" {sd['seconds']:>10.2f} {_rate(sd['states'], sd['seconds']):>9,.0f} {_mib(sd['peak']):>5} |"
            line += f" {r_nc / r_sb:>6.2f}"
            if args.workers > 1:
                par = min((napi_check(n, p, b, args.workers, store=args.store) for _ in range(args.repeat)),
                          key=lambda r: r["seconds"])
                if par["states"] != want:
                    ok = False
                line += (f" | {par['seconds']:>7.2f} {_rate(par['states'], par['seconds']) / r_sb:>6.2f}"
                         f" {nc['seconds'] / par['seconds']:>7.2f}x")
            if len(counts) != 1:
                line += f"   COUNT MISMATCH {sorted(counts)}"
            if not holds:
                line += f"   VERDICTS {nc['verdicts']} SPIN errors {sb['errors']}"
            print(line, flush=True)
            if args.symmetry:
                sym = napi_check(n, p, b, 1, symmetry=True, store=args.store)
                orbits = orbit_count(n, p)
                if sym["states"] != orbits:
                    ok = False
                extra.append(f"{n},{p},{b:>3} {want:>10,} -> {sym['states']:>7,} states with symmetry "
                             f"(expected {orbits:,} orbits; {want / sym['states']:,.1f}x fewer, {n}! = {math.factorial(n)}), "
                             f"{sym['seconds']:.2f} s")
    if extra:
        print("\nsymmetry reduction (napi-check, limits.symmetry = true):")
        print("\n".join(extra))
    print("\nstate counts match SPIN and the closed form" if ok else "\nMISMATCH: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
