#!/usr/bin/env python3
"""What ``t.choose`` over V values costs the explicit engine (docs/language.md, "Nondeterministic choice").

    python bench/choose_cost.py          # a few seconds

A chooser actor's step picks ``work`` from ``range(V)`` and stores only ``work % 2``, so the state
space is the same for every V (a clock of 3,000 ticks times the chooser's two labels and the stored
bit) and only the cost of the V transitions shows. Two shapes: the choosing step is enabled in about
half the states (each such state expands V successors, most of them duplicates), or in 3 states of
9,006 (the other states only test its guard V times). Columns: transitions, seconds to compile the
system, seconds to explore it (the default explicit engine), microseconds per state.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checker.explicit.bfs import explore  # noqa: E402
from checker.lang import Int, System  # noqa: E402
from checker.lang.pycompile import CompiledSystem  # noqa: E402

TICKS = 3000


def build(values: int, rarely: bool) -> System:
    s = System("choose_cost")
    x = s.var("x", Int(0, 1))
    clock = s.var("clock", Int(0, TICKS))
    p = s.actor("poll", ["run", "done"], display="CPU0 softirq")

    @p.step("run", func="drivers/net/x.c:x_poll", next="done")
    def _(t, i):  # type: ignore[no-untyped-def]
        if rarely:
            t.require(clock % 1000 == 999)
        w = t.choose("work", range(values))
        t.set(x, w % 2)

    @p.step("done", func="drivers/net/x.c:x_done", next="run")
    def _(t, i):  # type: ignore[no-untyped-def]
        pass

    @s.action("tick", func="clock", actor="TIMER")
    def _(t):  # type: ignore[no-untyped-def]
        t.require(clock < TICKS)
        t.set(clock, clock + 1)

    s.invariant("Bit", x <= 1)
    s.finish()
    return s


def main() -> None:
    print("| choosing step enabled | V | transitions | compile s | explore s | states | µs/state |")
    print("|---|---|---|---|---|---|---|")
    for rarely in (False, True):
        for values in (1, 16, 64, 256):
            system = build(values, rarely)
            t0 = time.perf_counter()
            compiled = CompiledSystem.build(system)
            t1 = time.perf_counter()
            res = explore(compiled, system.properties)
            t2 = time.perf_counter()
            n = res.stats.states
            print(f"| {'in 3 states' if rarely else 'in half the states'} | {values} | {len(system.transitions)} | "
                  f"{t1 - t0:.3f} | {t2 - t1:.3f} | {n:,} | {1e6 * (t2 - t1) / n:.1f} |")


if __name__ == "__main__":
    main()
