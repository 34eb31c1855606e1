"""Step-by-step comparison of the exported Promela with the compiled semantics (a test helper).

For given states, SPIN's simulator (no C compiler needed) runs every transition's d_step
branch from each state and prints the successor (or that the step is disabled); the result
must equal ``CompiledSystem.step``. Finds the step and state where the two differ, which a
state-count disagreement alone does not say.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from checker.export.promela import PromelaModel, Storage
from checker.lang.pycompile import CompiledSystem, StepError
from checker.lang.system import Property
from checker.lang.types import Seq


def cells(st: Storage, value: Any) -> list[tuple[str, int]]:
    """The globals of ``st`` and their values for the logical ``value``."""
    out: list[tuple[str, int]] = []
    leaves: list[Any] = [value]
    for _ in st.dims:
        leaves = [x for v in leaves for x in v]
    for c, v in enumerate(leaves):
        if isinstance(st.leaf, Seq):
            out.append((f"{st.len_name}[{c}]" if st.dims else st.len_name, len(v)))
            for k in range(st.leaf.capacity):
                out.append((f"{st.name}[{c * st.leaf.capacity + k}]", int(v[k]) if k < len(v) else 0))
        else:
            out.append((f"{st.name}[{c}]" if st.dims else st.name, int(v)))
    return out


def probe(compiled: CompiledSystem, props: list[Property], states: list[tuple]) -> list[str]:
    """Every (state, step) where SPIN's successor differs from the compiled one, described."""
    system = compiled.system
    from checker.export.promela import PromelaWriter

    w = PromelaWriter(system, props)
    model: PromelaModel = w.write()
    lines = model.text.splitlines()
    order = [(v, w.vars[v.slot]) for v in system.vars]
    names = [c for v, st in order for c, _ in cells(st, v.init)]
    fmt = " ".join("%d" for _ in names)
    head = ["#define ONLY 0"] + lines[: next(i for i, ln in enumerate(lines) if ln.startswith("init {"))]
    body = ["init {"]
    for si, s in enumerate(states):
        setv = [f"{c} = {x};" for v, st in order for c, x in cells(st, s[v.slot])]
        for b in model.branches:
            if b.kind != "step" or _raises(compiled, s, b.tid):
                continue
            text = lines[b.first - 1: b.last]
            first = text[0].replace(":: d_step {", "if ::", 1)
            mid = text[1:-1]
            if mid:
                mid[-1] = mid[-1].rstrip(";")
            body.append("  d_step { " + " ".join(setv) + " x_prune = 0 };")
            body.append("  " + first)
            body += ["  " + ln for ln in mid]
            body.append(f'     ; printf("S {si} {b.tid} {fmt}\\n", {", ".join(names)})')
            body.append(f'  :: else -> printf("S {si} {b.tid} off\\n") fi;')
    body.append("}")
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "probe.pml"
        p.write_text("\n".join(head + body) + "\n")
        out = subprocess.run(["spin", "-n1", "probe.pml"], cwd=tmp, capture_output=True, text=True)
    got: dict[tuple[int, int], str] = {}
    for ln in out.stdout.splitlines():
        m = re.match(r"\s*S (\d+) (\d+) (.*)$", ln)
        if m:
            got[(int(m.group(1)), int(m.group(2)))] = m.group(3).strip()
    if not got:
        return [f"spin printed nothing:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"]
    bad = []
    for si, s in enumerate(states):
        for t in system.transitions:
            if _raises(compiled, s, t.index):
                continue
            nxt = compiled.step(s, t.index)
            want = "off" if nxt is None else " ".join(str(x) for v, st in order for _, x in cells(st, nxt[v.slot]))
            have = got.get((si, t.index))
            if have != want:
                diff = ""
                if have and want != "off" and have != "off":
                    hv, wv = have.split(), want.split()
                    diff = ", ".join(f"{n}: spin {a} vs {b}" for n, a, b in zip(names, hv, wv) if a != b)
                on = "off" if nxt is None else "on"
                bad.append(f"state {s}\n  step {t.key}: spin {have if not diff else diff}, compiled {on}")
    return bad


def _raises(compiled: CompiledSystem, s: tuple, tid: int | None) -> bool:
    try:
        compiled.step(s, tid)  # type: ignore[arg-type]
    except StepError:
        return True
    return False


__all__ = ["cells", "probe"]
