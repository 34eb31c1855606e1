"""KList: struct list_head as pointer stores; integrity found broken by a torn list_add_tail."""

from __future__ import annotations

import pytest
from engine_agreement import all_engines

from checker.explicit.bfs import explore
from checker.lang import And, Implies, Int, System
from checker.lang.kernel import KList
from checker.lang.pycompile import CompiledSystem
from checker.result import HOLDS, VIOLATED

N = 2  # entries 0, 1; head is 2


def _adders(split: bool, invariants: bool = True) -> tuple[System, KList]:
    """Two CPUs each list_add_tail their own entry to one list with no lock between them."""
    s = System("adders")
    lst = KList(s, "lst", nodes=N)
    labels = (KList.add_tail_labels("add") if split else ["add"]) + ["done"]
    a = s.actor("adder", labels, instances=2, display="CPU{i}")
    if split:
        lst.add_tail_steps(a, "add", new=lambda i: i, next="done")
    else:
        @a.step("add", func="include/linux/list.h:list_add_tail", next="done")
        def _(t, i):
            lst.add_tail(t, i)
    both = And(a.at(0, "done"), a.at(1, "done"))
    if invariants:
        s.invariant("ListIntegrity", Implies(both, lst.integrity(lambda x: True)),
                    doc="once both adds returned, the list is well formed and holds both entries")
    s.deadlock(end=both)
    return s, lst


def _reference_states() -> set[tuple]:
    """The split race simulated directly on Python dicts, following list.h's __list_add (independent
    of the IR): (pc0, pc1, prev0, prev1, next-pointers, prev-pointers)."""
    head = N

    def step(st: tuple, i: int) -> tuple | None:
        pcs, loc, nxt, prv = list(st[0]), list(st[1]), dict(st[2]), dict(st[3])
        pc = pcs[i]
        if pc == 5:
            return None
        if pc == 0:
            loc[i] = prv[head]
        elif pc == 1:
            prv[head] = i
        elif pc == 2:
            nxt[i] = head
        elif pc == 3:
            prv[i] = loc[i]
        elif pc == 4:
            nxt[loc[i]] = i
        pcs[i] = pc + 1
        return (tuple(pcs), tuple(loc), tuple(sorted(nxt.items())), tuple(sorted(prv.items())))

    init = ((0, 0), (0, 0), tuple((k, k) for k in range(N + 1)), tuple((k, k) for k in range(N + 1)))
    seen, todo = {init}, [init]
    while todo:
        st = todo.pop()
        for i in range(2):
            nx = step(st, i)
            if nx is not None and nx not in seen:
                seen.add(nx)
                todo.append(nx)
    return seen


def _walk_ok(nxt: dict[int, int], prv: dict[int, int]) -> tuple[bool, set[int]]:
    seen: list[int] = []
    p = nxt[N]
    while p != N:
        if p > N or p in seen:
            return False, set(seen)
        seen.append(p)
        p = nxt[p]
    chain = [N, *seen, N]
    return all(prv[chain[k + 1]] == chain[k] for k in range(len(chain) - 1)), set(seen)


def test_state_count_of_the_torn_race_matches_a_direct_simulation() -> None:
    ref = _reference_states()
    s, _ = _adders(split=True, invariants=False)
    got = all_engines(s)
    assert got.result.stats.states == len(ref)
    # and the end states the reference reaches include a lost entry (well formed, one entry missing)
    ends = [st for st in ref if st[0] == (5, 5)]
    outcomes = {(_walk_ok(dict(st[2]), dict(st[3]))[0], frozenset(_walk_ok(dict(st[2]), dict(st[3]))[1]))
                for st in ends}
    assert (True, frozenset({0, 1})) in outcomes and any(o != (True, frozenset({0, 1})) for o in outcomes)


def test_atomic_list_add_tail_keeps_the_list_intact() -> None:
    s, _ = _adders(split=False)
    got = all_engines(s)
    assert got.result.stats.states == 5  # initial, one added (x2), both added in either order (x2)
    assert got.verdicts == {"ListIntegrity": HOLDS, "Deadlock": HOLDS}


def test_a_torn_list_add_tail_is_found_with_a_short_trace() -> None:
    s, lst = _adders(split=True)
    got = all_engines(s, engines=("bmc",))  # Spacer needs minutes on a loaded machine here
    assert got.verdicts["ListIntegrity"] == VIOLATED
    trace = got.result.properties[0].trace
    assert trace is not None and len(trace) == 10  # both adds must return: 5 stores each, no shorter
    # both CPUs loaded head->prev before either published: the second store of head->prev loses one
    keys = [t.key for t in trace.steps]
    assert keys.index("CPU1:add_load_prev") < keys.index("CPU0:add_next_prev")
    c = CompiledSystem.build(s)
    last = trace.states[-1]
    assert not c.state_fn(lst.integrity(lambda x: True))(last)


def test_integrity_predicates_on_hand_built_lists() -> None:
    s = System("shapes")
    lst = KList(s, "l", nodes=3, members=[2, 0])
    s.var("pad", Int(0, 1))
    s.action("noop", func="f")(lambda t: t.set(s.var_named("pad").expr, 0))
    c = CompiledSystem.build(s)
    init = s.init_state()
    wf, on = c.state_fn(lst.well_formed()), [c.state_fn(lst.on_list(x)) for x in range(3)]
    assert wf(init) and [f(init) for f in on] == [True, False, True]
    nslot, pslot = lst.next.value.slot, lst.prev.value.slot

    def with_ptrs(nxt: tuple, prv: tuple) -> tuple:
        st = list(init)
        st[nslot], st[pslot] = nxt, prv
        return tuple(st)

    # head -> 2 -> 0 -> head, with 0->prev wrong
    assert not wf(with_ptrs(init[nslot], (0, 1, 3, 0)))
    # head -> 2 -> poison
    assert not wf(with_ptrs((0, 1, lst.POISON1, 2), init[pslot]))
    # empty
    assert wf(with_ptrs((0, 1, 2, 3), (0, 1, 2, 3)))


def test_list_del_twice_dereferences_poison() -> None:
    s = System("deldel")
    lst = KList(s, "l", nodes=1, members=[0])
    d = s.actor("d", ["del1", "del2", "done"])

    @d.step("del1", func="include/linux/list.h:list_del", next="del2")
    def _(t, i):
        lst.del_(t, 0)

    @d.step("del2", func="include/linux/list.h:list_del", next="done")
    def _(t, i):
        lst.del_(t, 0)

    s.deadlock(end=d.at(0, "done"))
    r = explore(CompiledSystem.build(s), s.properties)
    assert r.error is not None and "out of" in r.error
    assert "del2" in r.error  # the step that dereferences LIST_POISON, from the state after del1
    assert [t.label for t in r.error_trace.steps] == ["del1"]


@pytest.mark.parametrize("init", [False, True])
def test_split_list_del_of_neighbours_tears_the_list(init: bool) -> None:
    # two CPUs list_del adjacent entries 0 and 1 of head -> 0 -> 1 -> head without a lock
    s = System("dels")
    lst = KList(s, "l", nodes=2, members=[0, 1])
    d = s.actor("del", KList.del_labels("del") + ["done"], instances=2, display="CPU{i}")
    lst.del_steps(d, "del", entry=lambda i: i, next="done", init=init)
    both = And(d.at(0, "done"), d.at(1, "done"))
    s.invariant("ListIntegrity", Implies(both, lst.integrity(lambda x: False)))
    s.deadlock(end=both)
    got = all_engines(s, engines=("bmc",))  # Spacer takes minutes here; BMC finds the violation
    assert got.verdicts["ListIntegrity"] == VIOLATED
