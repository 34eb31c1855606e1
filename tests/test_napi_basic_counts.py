"""napi_basic's state counts and verdicts against an independent brute-force enumeration.

The model below is written by hand from the spec's docstring, in plain Python over
dicts, sharing no code with the modelling language or the explorer. If the compiled
IR and this enumeration disagree on the number of reachable states (or on whether a
property can fail), one of them is wrong.
"""

from __future__ import annotations

from collections import deque

import pytest

from checker.explicit.bfs import explore
from checker.lang.pycompile import CompiledSystem
from spec.napi_basic import SPEC


def brute_force(n: int, ring: int, weight: int, requeue_head: bool = False) -> tuple[int, bool, bool]:
    """(reachable states, NoLostWakeup can fail, BoundedWait(K=n-1) can fail), hand-written."""
    bound = n - 1
    init = dict(pending=(0,) * n, masked=(False,) * n, unsig=(False,) * n, raised=(False,) * n,
                sched=(False,) * n, plist=(), wait=(0,) * n, irq=("idle",) * n, rx="idle", cur=0)

    def put(t: tuple, i: int, v: object) -> tuple:
        lst = list(t)
        lst[i] = v
        return tuple(lst)

    def succ(s: dict) -> list[dict]:
        out = []
        for i in range(n):
            if s["pending"][i] < ring:
                d = dict(s, pending=put(s["pending"], i, s["pending"][i] + 1))
                if s["masked"][i]:
                    d["unsig"] = put(s["unsig"], i, True)
                else:
                    d["raised"] = put(s["raised"], i, True)
                out.append(d)
            pc = s["irq"][i]
            if pc == "idle" and s["raised"][i] and all(s["irq"][j] == "idle" for j in range(n) if j != i):
                out.append(dict(s, raised=put(s["raised"], i, False), irq=put(s["irq"], i, "prep")))
            elif pc == "prep":
                was = s["sched"][i]
                out.append(dict(s, sched=put(s["sched"], i, True), irq=put(s["irq"], i, "idle" if was else "mask")))
            elif pc == "mask":
                out.append(dict(s, masked=put(s["masked"], i, True), irq=put(s["irq"], i, "queue")))
            elif pc == "queue":
                out.append(dict(s, plist=s["plist"] + (i,), irq=put(s["irq"], i, "idle")))
        cpu_free = all(p == "idle" for p in s["irq"]) and not any(s["raised"])
        if cpu_free:
            c = s["cur"]
            if s["rx"] == "idle" and s["plist"]:
                head, rest = s["plist"][0], s["plist"][1:]
                wait = tuple(min(w + 1, bound + 1) if (j in rest and j != head) else w for j, w in enumerate(s["wait"]))
                out.append(dict(s, cur=head, plist=rest, wait=put(wait, head, 0), rx="poll"))
            elif s["rx"] == "poll":
                w = min(s["pending"][c], weight)
                out.append(dict(s, pending=put(s["pending"], c, s["pending"][c] - w),
                                rx="requeue" if w == weight else "complete"))
            elif s["rx"] == "requeue":
                out.append(dict(s, plist=((c,) + s["plist"]) if requeue_head else (s["plist"] + (c,)), rx="idle"))
            elif s["rx"] == "complete":
                out.append(dict(s, sched=put(s["sched"], c, False), rx="unmask"))
            elif s["rx"] == "unmask":
                d = dict(s, masked=put(s["masked"], c, False), rx="idle")
                if s["unsig"][c]:
                    d["unsig"] = put(s["unsig"], c, False)
                    d["raised"] = put(s["raised"], c, True)
                out.append(d)
        return out

    def lost(s: dict) -> bool:
        return any(s["pending"][i] > 0 and not s["sched"][i] and not s["raised"][i] and s["irq"][i] == "idle"
                   and not (s["cur"] == i and s["rx"] == "unmask") for i in range(n))

    def freeze(s: dict) -> tuple:
        return tuple(sorted(s.items()))

    seen = {freeze(init)}
    queue = deque([init])
    any_lost = any_starved = False
    while queue:
        s = queue.popleft()
        bad_lost, bad_wait = lost(s), max(s["wait"]) > bound
        any_lost |= bad_lost
        any_starved |= bad_wait
        for t in succ(s):  # violating states are expanded too, as by the checker
            k = freeze(t)
            if k not in seen:
                seen.add(k)
                queue.append(t)
    return len(seen), any_lost, any_starved


@pytest.mark.parametrize("n,ring,weight", [(1, 2, 1), (2, 2, 1), (2, 1, 2), (3, 1, 1), (3, 2, 1)])
def test_state_count_matches_independent_enumeration(n: int, ring: int, weight: int) -> None:
    system = SPEC.instantiate({"N": n, "RING": ring, "WEIGHT": weight})
    res = explore(CompiledSystem.build(system), system.properties)
    expected, lost, starved = brute_force(n, ring, weight)
    assert res.stats.states == expected
    verdicts = {p.name: p.verdict for p in res.properties}
    assert verdicts["NoLostWakeup"] == ("violated" if lost else "holds")
    assert verdicts["BoundedWait"] == ("violated" if starved else "holds")


def test_known_counts() -> None:
    """The figures quoted in the README, pinned."""
    assert brute_force(2, 2, 1)[0] == 2192
    assert brute_force(3, 2, 1)[0] == 108051


def test_head_requeue_matches_independent_enumeration() -> None:
    system = SPEC.instantiate({"N": 2, "RING": 2, "WEIGHT": 1, "requeue_head": True})
    res = explore(CompiledSystem.build(system), system.properties)
    expected, _, starved = brute_force(2, 2, 1, requeue_head=True)
    assert starved
    assert res.stats.states == expected
    assert {p.name: p.verdict for p in res.properties}["BoundedWait"] == "violated"
