#!/usr/bin/env python3
"""SPIN as an oracle for the explicit engine on the bundled configurations (issue 15, item 1).

    python bench/spin_agree.py                 # every configuration under models/
    python bench/spin_agree.py models/linux    # some of them
    python bench/spin_agree.py --opt=-O2       # slower pan builds, faster searches

For each configuration: its safety properties checked by the explicit engine and by SPIN on
the exported Promela model (checker.export.spin); prints both state counts and verdicts, and
whether they agree. Counts are compared when both explored everything (explicit stops early
once every property has its max_traces counterexamples; SPIN never does). Exits 1 on any disagreement, 2 when spin
or a C compiler is missing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from checker.config import find_configs, load_config
    from checker.engines import EngineInput, engine_names, load_engine
    from checker.export.spin import tools
    from checker.result import INCONCLUSIVE, VIOLATED
    from checker.verify import instantiate
    from spec import registry

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", type=Path, default=[ROOT / "models"])
    ap.add_argument("--opt", default="-O0", help="C optimisation flag for pan (default -O0: gcc -O2 on the "
                    "exported Linux models takes minutes, longer than most searches)")
    ap.add_argument("--max-seconds", type=float, default=None, help="per engine (default: the configuration's)")
    args = ap.parse_args()
    if None in tools():
        print("error: spin and a C compiler are needed (e.g. apt-get install -y spin gcc)", file=sys.stderr)
        return 2
    specs = registry()
    bad = 0
    total = time.perf_counter()
    print(f"{'configuration':<48} {'explicit':>10} {'spin':>10}  {'s expl':>6} {'s spin':>6}  agreement")
    for f in find_configs(args.paths):
        cfg = load_config(f, specs, engine_names())
        system, compiled = instantiate(cfg)
        names = cfg.properties or [p.name for p in system.properties]
        props = [p for p in system.properties if p.name in names]  # the safety ones (temporal: not exported)
        if not props:
            continue
        limits = dict(cfg.limits)
        if args.max_seconds:
            limits["max_seconds"] = args.max_seconds
        t0 = time.perf_counter()
        ex = load_engine("explicit")(EngineInput(system, compiled, props, limits, {}))
        t1 = time.perf_counter()
        sp = load_engine("spin")(EngineInput(system, compiled, props, limits, {"spin_cc_opt": args.opt}))
        t2 = time.perf_counter()
        ve = {r.name: r.verdict for r in ex.properties}
        vs = {r.name: r.verdict for r in sp.properties}
        issues = []
        for n in ve:
            if INCONCLUSIVE not in (ve[n], vs[n]) and ve[n] != vs[n]:
                issues.append(f"{n}: explicit {ve[n]}, spin {vs[n]}")
        if bool(ex.error) != bool(sp.error):
            issues.append(f"modelling error: explicit {ex.error!r}, spin {sp.error!r}")
        # explicit stops early only once every property has its counterexamples (not exhausted)
        comparable = ex.stats.exhausted and sp.stats.exhausted and not (
            ex.stats.limit_hit or sp.stats.limit_hit or ex.error or sp.error)
        if comparable and ex.stats.states != sp.stats.states:
            issues.append("state counts differ")
        if sp.stats.limit_hit or ex.stats.limit_hit:
            note = f"not compared (limit: explicit {ex.stats.limit_hit}, spin {sp.stats.limit_hit})"
        elif ex.error or sp.error:
            note = f"modelling error in both: {sp.error}" if ex.error and sp.error else ""
        else:
            viol = sorted(n for n, v in ve.items() if v == VIOLATED)
            note = ("counts and verdicts agree" if comparable else "verdicts agree (explicit stopped early)") + \
                (f"; violated: {', '.join(viol)}" if viol else "")
        if issues:
            bad += 1
            note = "DISAGREE: " + "; ".join(issues)
        rel = f.relative_to(ROOT) if f.is_relative_to(ROOT) else f
        print(f"{str(rel):<48} {ex.stats.states:>10,} {sp.stats.states:>10,}  {t1 - t0:>6.1f} {t2 - t1:>6.1f}  {note}",
              flush=True)
    print(f"\n{bad} disagreement(s); {time.perf_counter() - total:.0f} s in all")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
