"""The worked example of docs/language.md runs and gives the verdicts the page implies.

Its ```python blocks are runnable examples (each states its verdicts); fragments are fenced as ```py."""

from __future__ import annotations

import re
from pathlib import Path

from checker.explicit.bfs import explore
from checker.lang.pycompile import CompiledSystem

DOC = Path(__file__).resolve().parent.parent / "docs" / "language.md"


def test_worked_example_builds_and_checks() -> None:
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)  # type: ignore[union-attr]
    ns: dict = {}
    exec(compile(code, str(DOC), "exec"), ns)
    system = ns["SPEC"].instantiate({"RING": 2})
    res = explore(CompiledSystem.build(system), system.properties)
    verdicts = {p.name: p.verdict for p in res.properties}
    # test_and_set is atomic: the two contexts never both queue; the softirq always drains the list
    assert verdicts == {"NoDoubleQueue": "holds", "OwnerHoldsSched": "holds", "Deadlock": "holds"}
    # By hand: pending in 0..2 times four control states — idle (SCHED clear, list empty, both at prep),
    # CTX0 or CTX1 won the race and is about to queue, or queued (SCHED set, list [0]).
    assert res.stats.states == 3 * 4
    assert res.stats.never_fired() == []


def test_every_other_example_gives_the_verdicts_it_states() -> None:
    # each later ```python block defines build() (or a user spec file's SPEC) and states "# expect: Prop=verdict, ..."
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)[1:]
    assert len(blocks) >= 3
    for code in blocks:
        expect = re.search(r"# expect: (.*)", code)
        assert expect is not None, code[:80]
        want = dict(kv.split("=") for kv in re.findall(r"(\w+=\w+)", expect.group(1).split("(trace:")[0]))
        ns: dict = {}
        exec(compile(code, str(DOC), "exec"), ns)
        if "build" in ns:
            system = ns["build"]()
            system.finish()
        else:  # a user's spec file: it exports SPEC, checked with its constants' defaults
            system = ns["SPEC"].instantiate({})
        res = explore(CompiledSystem.build(system), system.properties)
        got = {p.name: p.verdict for p in res.properties}
        assert {k: got[k] for k in want} == want
        if "(trace:" in expect.group(1):
            trace = next(p.trace for p in res.properties if p.verdict == "violated")
            assert [f"{t.actor} {t.label} ({', '.join(f'{a}={b}' for a, b in t.params.items())})"
                    for t in trace.steps] == [expect.group(1).split("(trace: ")[1][:-1]]
