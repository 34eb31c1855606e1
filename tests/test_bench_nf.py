"""bench_nf (issue 8's benchmark): state counts against the closed form, the bug variant, symmetry.

|NF(N,P,B)| = (P+1)^N * sum_k N!/(N-k)! for B <= P (any pending vector, any arrangement of
distinct ids in the queue); the number of orbits under renaming instances is
sum_k (P+1)^k * C(N-k+P, P) (the queue as a sequence of pending values, the rest a multiset).
Both are derived by hand, independently of the checker.
"""

from __future__ import annotations

import itertools
import math

import pytest

from checker.explicit.bfs import Explorer, Limits, explore
from checker.explicit.symmetry import canonicaliser, permute
from checker.lang.pycompile import CompiledSystem
from checker.result import HOLDS, VIOLATED
from checker.trace.replay import replay
from spec.bench_nf import SPEC


def closed_form(n: int, p: int) -> int:
    return (p + 1) ** n * sum(math.factorial(n) // math.factorial(n - k) for k in range(n + 1))


def orbits(n: int, p: int) -> int:
    return sum((p + 1) ** k * math.comb(n - k + p, p) for k in range(n + 1))


def build(**k: object) -> CompiledSystem:
    return CompiledSystem.build(SPEC.instantiate(k))


@pytest.mark.parametrize("n,p,b", [(1, 1, 1), (2, 2, 1), (2, 3, 3), (3, 3, 2), (3, 2, 2), (4, 3, 2), (4, 2, 1)])
@pytest.mark.parametrize("fast", [True, False])
def test_counts_match_closed_form(n: int, p: int, b: int, fast: bool) -> None:
    c = build(N=n, P=p, B=b)
    r = explore(c, c.system.properties, Limits(fast=fast))
    assert r.stats.states == closed_form(n, p)
    assert all(x.verdict == HOLDS for x in r.properties)


def test_reference_size_figures() -> None:
    # NF(4,3,2): the packed kernel and the generic loop agree on everything they report
    c = build(N=4, P=3, B=2)
    a = explore(c, c.system.properties, Limits(fast=True))
    g = explore(c, c.system.properties, Limits(fast=False))
    assert (a.stats.states, a.stats.transitions, a.stats.depth) == (g.stats.states, g.stats.transitions, g.stats.depth)
    assert a.stats.coverage == g.stats.coverage
    assert a.stats.depth == 16


@pytest.mark.parametrize("fast", [True, False])
def test_bug_variant_is_found_and_replays(fast: bool) -> None:
    c = build(N=3, P=3, B=2, bug=True)
    r = explore(c, c.system.properties, Limits(fast=fast))
    v = {x.name: x for x in r.properties}
    assert v["SchedIffQueued"].verdict == VIOLATED
    tr = v["SchedIffQueued"].trace
    assert tr is not None and replay(tr, c).ok
    # the shortest run: a packet, its interrupt, the poll that completes without clearing sched
    assert [t.label for t in tr.steps] == ["Arrive", "Irq", "Poll"]
    last = tr.states[-1]
    sched, queue = last[2], last[3]
    assert any(sched) and queue == ()


def test_symmetry_counts_orbits() -> None:
    for n, p, b in [(2, 2, 1), (3, 3, 2), (4, 2, 2), (4, 3, 2)]:
        c = build(N=n, P=p, B=b)
        r = explore(c, c.system.properties, Limits(symmetry=True))
        assert r.stats.symmetry and r.stats.states == orbits(n, p)
        assert all(x.verdict == HOLDS for x in r.properties)


def test_canonical_form_is_the_orbit_minimum_by_brute_force() -> None:
    # every reachable state of NF(3,2,2): canon(s) is the same for all 3! renamings of s,
    # and the number of distinct canon values is the number of orbits
    c = build(N=3, P=2, B=2)
    ex = Explorer(c, c.system.properties)
    ex.run()
    states = [ex.path_to(i)[0][-1] for i in range(len(ex.parent))]
    canon = canonicaliser(c, c.system.properties)
    sym = c.system.symmetry
    reps = set()
    for s in states:
        images = {canon(permute(sym, s, perm)) for perm in itertools.permutations(range(3))}
        assert len(images) == 1
        reps |= images
    assert len(reps) == orbits(3, 2)


def test_symmetry_bug_still_found() -> None:
    c = build(N=4, P=2, B=2, bug=True)
    r = explore(c, c.system.properties, Limits(symmetry=True))
    v = {x.name: x for x in r.properties}
    assert v["SchedIffQueued"].verdict == VIOLATED
    assert replay(v["SchedIffQueued"].trace, c).ok
