"""The wide "flag(i) ⇒ held somewhere" candidates of the every-N engine
(checker.symbolic.induct.param_cover, AllN.cover): the greedy cover on small columns, and the family
whose NoLostWakeup needs "SCHED ⇒ queued, polled or claimed" (five literals) proved with the cover
alone (no property sub-term atoms), not without it."""

from __future__ import annotations

import time

import numpy as np

from checker.symbolic.induct import param as P
from checker.symbolic.induct.param_cover import _greedy, cover_clauses
from tests.test_induct_param_subterms import OWNERS, PROPS


def _cols(*rows: str) -> np.ndarray:
    return np.array([[c == "1" for c in r] for r in rows])


def test_the_cover_takes_where_atoms_first_and_labels_only_for_what_they_leave() -> None:
    cols = _cols("111100",   # 0 premise
                 "110000",   # 1 where: on a list
                 "011000",   # 2 where: held by a context
                 "000100",   # 3 label: the handler between prep and list_add
                 "111111")   # 4 label: covers everything (the handler idle, say)
    got = _greedy(cols[0], cols, [[1, 2], [3, 4], []])
    # 4 alone covers every row but is only taken for what 1 and 2 leave, then ties go to the
    # narrower label; nothing earlier is dropped for a later pick
    assert got == [1, 2, 3]
    assert _greedy(cols[0], cols, [[1, 2], [], []]) is None  # row 3 uncovered: no clause


def test_a_pick_the_others_of_its_group_cover_is_dropped() -> None:
    cols = _cols("1110",
                 "1100",   # taken first (largest), then made redundant by 2 and 3
                 "1000",
                 "0110")
    assert sorted(_greedy(cols[0], cols, [[1, 2, 3]]) or []) in ([1, 3], [2, 3])


def _run(cover: bool) -> tuple[P.AllN, P.PResult]:
    system = OWNERS.instantiate({"N": 2})
    alln = P.AllN(OWNERS, {"N": 2}, [system.prop(p) for p in PROPS], "N", [], time.perf_counter() + 120)
    alln.generalise = False  # Houdini alone: the candidates decide
    alln.property_atoms = False
    alln.cover = cover
    return alln, alln.run()


def test_no_lost_wakeup_for_every_n_with_the_held_somewhere_clause() -> None:
    _, without = _run(False)
    assert without.proved == ["OwnerHoldsSched"], without.failed
    alln, res = _run(True)
    assert res.proved == PROPS, res.failed
    assert res.stats["cover_clauses"] >= 1 and res.stats["cover_live"] >= 1
    # SCHED ⇒ on the list, or the poller's cur (at busy), or the IRQ handler / timer between
    # test_and_set and list_add: five literals, more than mining's three
    wide = [ln for ln in res.lines if "not sched[i]" in ln and "i in poll_list" in ln]
    assert wide and all(w in wide[0] for w in ("irq.pc[i] == claimed", "timer.pc[i] == claimed")), res.lines
    assert alln.ground_check(res.proved, 60_000) == (True, "")


def test_covers_are_split_by_the_distinguished_instance_and_wider_than_mining() -> None:
    from types import SimpleNamespace as NS

    atoms = [NS(kind="bool", path=("i",), who="", var="sched", uses=lambda: {"i"}),
             NS(kind="in", path=(), who="i", var="poll_list", uses=lambda: {"i"}),
             NS(kind="eq", path=(0,), who="", var="dis.pc", uses=lambda: set()),
             NS(kind="named", path=(), who="i", var="target", uses=lambda: {"i"})]
    # rows: sched on the list; sched held by the disabler (only the target); not sched
    cols = _cols("110", "100", "010", "010")
    got = cover_clauses(atoms, cols, {"dis.pc"}, min_width=2)
    # every instance: on the list or the disabler mid-cycle; the others: on the list; the target:
    # the disabler mid-cycle (the disabler's label implies SCHED only of the target)
    assert got == [((0, False), (1, True), (2, True)), ((0, False), (1, True), (3, True)),
                   ((0, False), (2, True), (3, False))]
    assert cover_clauses(atoms, cols, {"dis.pc"}, min_width=3) == []  # mining's width or narrower: left to mining


def test_holders_are_places_then_labels_and_context_facts_then_facts_of_i() -> None:
    from types import SimpleNamespace as NS

    from checker.symbolic.induct.param_cover import holders

    def atom(kind: str, var: str, path: tuple, who: str = "", uses: set | None = None) -> NS:
        u = {"i"} if uses is None else uses
        return NS(kind=kind, var=var, path=path, who=who, uses=lambda: u)

    atoms = [atom("bool", "sched", ("i",)),                        # 0 a fact of i (premise)
             atom("in", "poll_list", (0,), "i"),                   # 1 where i is
             atom("ideq", "softirq.cur", (0,), "i"),               # 2 where i is
             atom("eq", "irq.pc", ("i",)),                         # 3 i's own context's label
             atom("eq", "busypoll.pc", (0,), uses=set()),          # 4 a single context's label
             atom("bool", "busypoll.owns", (0,), uses=set()),      # 5 a single context's fact
             atom("bool", "net_rx_pending", (0,), uses=set()),     # 6 not a context's: never a holder
             atom("in", "poll_list", (0,), "j", uses={"j"}),       # 7 about j: never
             atom("eq", "rx", ("i",))]                             # 8 data, not a label: never
    assert holders(atoms, {"irq.pc", "busypoll.pc"}) == [[1, 2], [3, 4, 5], [0]]


def test_data_covers_say_where_waiting_work_is_owned() -> None:
    from types import SimpleNamespace as NS

    from checker.symbolic.induct.param_cover import data_cover_clauses

    def atom(kind: str, var: str, path: tuple, who: str = "") -> NS:
        uses = {p for p in path if isinstance(p, str)} | ({who} if who else set())
        return NS(kind=kind, var=var, path=path, who=who, uses=lambda: uses)

    atoms = [atom("gt", "rx", ("i",)),                 # 0 a frame of i waits
             atom("bool", "sched", ("i",)),            # 1
             atom("bool", "missed", ("i",)),           # 2
             atom("both", "h.pc", (0,), who="i"),      # 3 the handler at complete with cur == i
             atom("eq", "drv.pc", ("i",)),             # 4 i's driver between rx push and napi_schedule
             atom("eq", "app.pc", (0,)),               # 5 true on every row: never a holder
             atom("bool", "scanned", ("i",))]          # 6 true on one row the driver's label covers too
    # rows: waits, queued | waits, driver mid-way | at complete, missed | at complete, driver mid-way
    #       | at complete, drained | idle | waits, driver mid-way
    cols = _cols("1111001",
                 "1011100",
                 "0010000",
                 "0011100",
                 "0101001",
                 "1111111",
                 "0100000")
    got = data_cover_clauses(atoms, cols, {"h.pc", "drv.pc", "app.pc"}, min_width=2)
    # rx > 0 ⇒ SCHED or the driver mid-way (scanned, taken first for row 1 as a flag, is dropped:
    # the label covers its row); at complete (SCHED holds there whatever waits, so not a holder):
    # rx > 0 ⇒ MISSED or the driver mid-way
    assert got == [((0, False), (1, True), (4, True)), ((0, False), (3, False), (2, True), (4, True))]
    assert data_cover_clauses(atoms, cols, {"h.pc", "drv.pc", "app.pc"}, min_width=3) == [got[1]]
