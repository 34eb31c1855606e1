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
    # Spacer takes minutes here; BMC finds the violation (checked once: the two forms differ in two stores)
    got = all_engines(s, symbolic=not init, engines=("bmc",))
    assert got.verdicts["ListIntegrity"] == VIOLATED


def _reader_and_deleter(rcu_del: bool, sync: bool) -> System:
    """An RCU reader walks head -> 0 -> 1 -> head (list_for_each_entry_rcu) while a writer deletes
    entry 0 and then frees it (after synchronize_rcu when ``sync``)."""
    from checker.lang import Bool, Not
    from checker.lang.kernel import RCU

    s = System("rcu_walk")
    lst = KList(s, "l", nodes=2, members=[0, 1])
    rcu = RCU(s, readers=1, waiters=1)
    freed = s.var("freed0", Bool)
    uaf = s.var("use_after_free", Bool, ghost=True)
    rd = s.actor("reader", ["lock", *KList.walk_labels("walk"), "unlock", "done"], display="CPU0 netpoll")

    @rd.step("lock", func="rcu_read_lock", next="walk_first")
    def _(t, i):
        rcu.read_lock(t, 0)

    def visit(t, i, cur):  # type: ignore[no-untyped-def]
        with t.if_(And(cur == 0, freed)):
            t.set(uaf, True)

    lst.walk_steps(rd, "walk", next="unlock", visit=visit)

    @rd.step("unlock", func="rcu_read_unlock", next="done")
    def _(t, i):
        rcu.read_unlock(t, 0)

    rd.step("done", func="-")(lambda t, i: t.require(False))
    labels = ["del"] + (["sync", "sync_wait"] if sync else []) + ["free", "done"]
    wr = s.actor("writer", labels, display="netif_napi_del")

    @wr.step("del", func="list_del_rcu" if rcu_del else "list_del", next=labels[1])
    def _(t, i):
        if rcu_del:
            lst.del_rcu(t, 0)
        else:
            lst.del_(t, 0)

    if sync:
        rcu.synchronize_steps(wr, "sync", "sync_wait", next="free")

    @wr.step("free", func="kfree", next="done")
    def _(t, i):
        t.set(freed, True)

    wr.step("done", func="-")(lambda t, i: t.require(False))
    s.invariant("NoUseAfterFree", Not(uaf))
    s.invariant("ListIntegrity", Implies(wr.at(0, "free", "done"), lst.integrity(lambda x: x == 1)))
    s.deadlock(end=And(rd.at(0, "done"), wr.at(0, "done")))
    return s


def test_list_del_under_an_rcu_reader_follows_poison() -> None:
    from checker.engines import EngineInput, load_engine

    s = _reader_and_deleter(rcu_del=False, sync=True)
    s.finish()
    c = CompiledSystem.build(s)
    r = explore(c, s.properties)
    # the reader stood on entry 0, list_del poisoned it, the reader loaded LIST_POISON1 and follows it
    assert r.error is not None and "walk_next" in r.error
    assert [t.label for t in r.error_trace.steps] == ["lock", "walk_first", "del", "walk_next"]
    bmc = load_engine("bmc")(EngineInput(s, c, list(s.properties), {"max_bound": 6}))
    assert bmc.error is not None and len(bmc.error_trace) == 4


@pytest.mark.parametrize("sync, verdict", [(True, HOLDS), (False, VIOLATED)])
def test_list_del_rcu_keeps_the_reader_walking_and_synchronize_rcu_guards_the_free(sync: bool, verdict: str) -> None:
    got = all_engines(_reader_and_deleter(rcu_del=True, sync=sync))
    assert got.verdicts["NoUseAfterFree"] == verdict
    assert got.verdicts["ListIntegrity"] == HOLDS


def test_split_list_add_tail_rcu_under_a_reader() -> None:
    # a writer publishes entry 1 with list_add_tail_rcu's five stores while a reader walks: the reader
    # never follows a pointer out of the list and always gets back to the head
    s = System("rcu_add")
    lst = KList(s, "l", nodes=2, members=[0])
    rd = s.actor("reader", [*KList.walk_labels("walk"), "done"], display="CPU0 reader")
    lst.walk_steps(rd, "walk", next="done")
    rd.step("done", func="-")(lambda t, i: t.require(False))
    wr = s.actor("writer", [*KList.add_tail_rcu_labels("add"), "done"], display="CPU1 writer")
    lst.add_tail_rcu_steps(wr, "add", new=lambda i: 1, next="done")
    wr.step("done", func="-")(lambda t, i: t.require(False))
    s.invariant("ListIntegrity", Implies(wr.at(0, "done"), lst.integrity(lambda x: True)))
    s.deadlock(end=And(rd.at(0, "done"), wr.at(0, "done")))
    got = all_engines(s)
    assert got.verdicts == {"ListIntegrity": HOLDS, "Deadlock": HOLDS}
