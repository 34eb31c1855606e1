"""net_namespace.rs: the per-namespace poller kthread (one namespace modelled).

Time: the clock ticks only while the poller is Blocked in ``schedule()`` (env ``tick``). A
poller turn (scan, hand-off, timeout computation) takes microseconds and a tick is one timer
jiffy, so a turn is taken to fit between two ticks; consequently the poller's several
``Instant::now()`` samples in one turn are equal, and a timeout expressed in µs becomes an
absolute tick ``now + max(1, deadline - now)`` (the 200 µs nap of V1/V2 is one tick).
"""

from __future__ import annotations

from typing import Any

from checker.lang import And, Array, Bool, ForAll, Int, Ite, Max, Min, Not
from spec.dragonos import iface, napi
from spec.dragonos.model import Ctx, bump_spin
from spec.dragonos.versions import NETNS, POLL_STATE, cite


def build_poller(c: Ctx) -> Any:
    v = c.v
    if v.poller == "v0":
        return _build_v0(c)
    labels = ["top", "scan"] + (["claimed"] if v.poller == "claim" else [])
    labels += c.parts.waitq.sleeper_labels(c, "w_") + ["after", "all"]
    labels += [x for x in napi.ns_labels(c) if x not in labels]
    p = c.s.actor("netns_poller", labels, display="root_netns poller")
    c.actors["poller"] = p
    g, n = c.vars, c.n
    free = c.ids is not None  # the family build: order-free scans (see free_scan)
    j = None if free else p.local("j", Int(0, n), doc="device_list scan position")
    nxt = p.local("next_us", Int(0, c.tmax), doc="earliest future deadline seen (0: none)")
    due = p.local("had_due", Bool)
    woke = p.local("woke_by_event", Bool)
    claimed = p.local("claimed", Int(0, c.tmax))
    L = napi.ns_locals(c, p)
    fn = "NetnsPoller::polling" if v.poller != "swap" else "NetNamespace::polling"
    scan_step = free_scan(c, p) if free else None

    def loop_top(t: Any, i: int) -> None:
        # the loop top has no effect of its own but HEAD's `observed = deadline_generation.load()`;
        # it is folded into the step that ends the previous turn (only thread-local work lies between)
        if v.poller == "claim":
            t.set(g.gen, False)
        for x in ([] if j is None else [j]) + [nxt, due, L.tgt, L.acc]:
            t.set(x[i], x[i].typ.default())
        t.goto("scan")

    @p.step("top", func=cite(v, f"{NETNS}:{fn} (first turn)"))
    def _top(t: Any, i: int) -> None:
        loop_top(t, i)

    def min_next(t: Any, i: int, us: Any) -> None:
        t.set(nxt[i], Ite(nxt[i] == 0, us, Min(nxt[i], us)))

    def sleep_timeout(t: Any, i: int) -> None:
        # timeout = max(1, next_us - now) (V1/V2: 200us -> one tick if something was due); the
        # clock does not move while the poller runs, so the absolute expiry is now + timeout
        rel = Ite(nxt[i] == 0, 0, g.now + Max(1, nxt[i] - g.now))
        t.set(g.ptimer, Ite(due[i], g.now + 1, rel) if v.poller != "claim" else rel)
        for x in ([] if j is None else [j]) + [nxt, due]:  # dead until the next turn
            t.set(x[i], x[i].typ.default())
        t.goto("w_check")

    def scan(label: str, func: str, visit: Any, end: Any) -> None:
        """The ``for iface in device_list`` loop at ``label``: ``visit(t, i, x)`` for each interface,
        then ``end(t, i)`` (device_list order; in the family build every order, see free_scan)."""
        if scan_step is not None:
            scan_step(label, func, visit, end)
            return
        assert j is not None

        @p.step(label, func=func)
        def _scan(t: Any, i: int) -> None:
            with t.if_(j[i] >= n):
                end(t, i)
            with t.else_():
                x = t.let("x", j[i])
                t.set(j[i], x + 1)
                visit(t, i, x)

    if v.poller == "claim":
        def visit_claim(t: Any, i: int, x: Any) -> None:
            dl = g.slot[x]
            with t.if_(And(g.up[x], dl != 0, dl <= g.now)):
                t.set(claimed[i], dl)  # Claimed: CAS v -> 0
                t.set(g.slot[x], 0)
                napi.call_napi_schedule(t, p, L, i, x, "claimed")
            with t.else_():
                with t.if_(And(g.up[x], dl != 0)):
                    min_next(t, i, dl)  # Future
                t.goto("scan")

        scan("scan", cite(v, f"{NETNS}:{fn} (for iface: UP? DISABLE? {POLL_STATE}:classify_and_claim; "
                             "then the timeout)"), visit_claim, sleep_timeout)

        @p.step("claimed", func=cite(v, f"{NETNS}:{fn} (Disabled|Detached -> {POLL_STATE}:restore_claimed_if_empty)"),
                next="scan")
        def _claimed(t: Any, i: int) -> None:
            with t.if_(And(Not(L.acc[i]), g.slot[L.tgt[i]] == 0)):
                t.set(g.slot[L.tgt[i]], claimed[i])
            for x in (claimed, L.tgt, L.acc):  # dead
                t.set(x[i], x[i].typ.default())
    else:
        def visit_due(t: Any, i: int, x: Any) -> None:
            us = g.slot[x]
            with t.if_(And(us != 0, us <= g.now)):
                t.set(due[i], True)
                napi.call_napi_schedule(t, p, L, i, x, "scan")
            with t.else_():
                with t.if_(us != 0):
                    min_next(t, i, us)
                t.goto("scan")

        scan("scan", cite(v, f"{NETNS}:{fn} (for iface: poll_at_us() <= now ? napi_schedule : min; "
                             "then the timeout)"), visit_due, sleep_timeout)

    def cond(t: Any) -> Any:
        if v.poller == "swap":
            c0 = t.let("cond", g.pending)  # || self.poll_pending.swap(false, AcqRel)
            t.set(g.pending, False)
            return c0
        if v.poller == "load":
            return g.pending
        return g.pending | g.gen

    def done(t: Any, i: int, by_event: bool) -> None:
        t.set(woke[i], by_event)
        t.set(g.ptimer, 0)
        t.goto("after")

    c.parts.waitq.add_sleeper(c, p, "w_", g.pwq, cond, done,
                      f"{NETNS}:{fn} -> wait_event_uninterruptible_timeout", timer=g.ptimer)

    @p.step("after", func=cite(v, f"{NETNS}:{fn} (" + ("woke_by_event ? schedule all" if v.poller == "swap" else
                                                      "network = poll_pending.swap(false)") + ")"))
    def _after(t: Any, i: int) -> None:
        if v.poller == "swap":
            go = t.let("network", woke[i])
        elif v.poller == "load":
            go = t.let("network", And(woke[i], g.pending))
            with t.if_(woke[i]):
                t.set(g.pending, False)
        else:
            go = t.let("network", g.pending)
            t.set(g.pending, False)
        t.set(woke[i], False)  # dead
        with t.if_(go):
            if j is not None:
                t.set(j[i], 0)
            t.goto("all")
        with t.else_():
            loop_top(t, i)

    def visit_all(t: Any, i: int, x: Any) -> None:
        if v.poller == "claim":
            with t.if_(g.up[x]):
                napi.call_napi_schedule(t, p, L, i, x, "all")
            with t.else_():
                t.goto("all")
        else:
            napi.call_napi_schedule(t, p, L, i, x, "all")

    scan("all", cite(v, f"{NETNS}:{fn} (event: for iface" + (" UP" if v.poller == "claim" else "")
                        + ": napi_schedule)"), visit_all, loop_top)

    napi.add_napi_schedule(c, p, L, keep_result=v.poller == "claim")
    return p


def free_scan(c: Ctx, p: Any) -> Any:
    """The family build's ``for iface in device_list`` loops of the poller, order-free: a ghost
    ``scanned[x]`` per NIC ("visited in this scan" when equal to the poller's ``phase``), the next
    NIC any unvisited one (a step parameter), the scan over when every NIC is visited (a ``∀`` in
    the guard), and then ``phase`` flips so that every NIC is unvisited again (one step, no loop
    over the NICs). Every concrete order of device_list is one of these runs, so a property that
    does not mention the order, proved for all of them, holds for device_list's. The poller's two
    loops (the deadline scan and the event's schedule-all) never overlap, so they share the ghost.
    Returns ``scan(label, func, visit, end)``, which emits the two steps at ``label``."""
    ids = c.ids
    assert ids is not None
    seen = c.s.var("scanned", Array(ids.size, Bool), ghost=True,
                   doc="device_list scan (netns poller): visited this scan when equal to netns_poller.phase")
    phase = p.local("phase", Bool, init=True, doc="which value of scanned[x] means visited (flips per scan)")

    def scan(label: str, func: str, visit: Any, end: Any) -> None:
        @p.step(label, func=func + " [next: any unvisited iface]", params={"x": ids})
        def _next(t: Any, i: int, x: Any) -> None:
            t.require(seen[x] != phase[i])
            t.set(seen[x], phase[i])
            visit(t, i, x)

        @p.step(label, func=func + " [every iface visited]")
        def _end(t: Any, i: int) -> None:
            t.require(ForAll(ids, lambda y: seen[y] == phase[i]))
            t.set(phase[i], Not(phase[i]))
            end(t, i)

    return scan


def _build_v0(c: Ctx) -> Any:
    """50a70e942 NetNamespace::polling: poll every iface directly, then mark_sleep + schedule."""
    v, g, n = c.v, c.vars, c.n
    p = c.s.actor("netns_poller", ["poll", "spin", "mark", "sleep"], display="root_netns poller")
    c.actors["poller"] = p
    j = p.local("j", Int(0, n), doc="device_list position")

    @p.step("poll", func=cite(v, f"{NETNS}:NetNamespace::polling (for iface: iface.poll()) -> "
                                 f"{iface.IFACE}:IfaceCommon::poll"))
    def _poll(t: Any, i: int) -> None:
        x = j[i]
        with t.if_(x >= n):
            t.set(j[i], 0)
            t.goto("mark")
        with t.else_():
            t.require(Not(g.locked[x]))
            r = iface.smoltcp_poll(t, c, x, None, "poll")
            with t.if_(r.spin):
                t.set(g.locked[x], True)
                t.goto("spin")
            with t.else_():
                t.set(j[i], x + 1)

    @p.step("spin", func=cite(v, f"{iface.IFACE}:IfaceCommon::poll (loop {{ poll_at(ts) <= ts }}: spins, "
                                 "sockets+smol_iface locked with IRQs off)"))
    def _spin(t: Any, i: int) -> None:
        bump_spin(t, c)

    @p.step("mark", func=cite(v, f"{NETNS}:NetNamespace::polling (irq off; mark_sleep(true))"), next="sleep")
    def _mark(t: Any, i: int) -> None:
        t.set(g.pwq.blk, True)

    @p.step("sleep", func=cite(v, "kernel/src/sched/mod.rs:schedule (sleeps while Blocked)"), next="poll")
    def _sleep(t: Any, i: int) -> None:
        t.require(Not(g.pwq.blk))

    c.facts.asleep[p.name] = And(p.at(0, "sleep"), g.pwq.blk)


def poller_asleep(c: Ctx) -> Any:
    """The fact the poller part exports: it is Blocked in schedule() in its wait."""
    return c.facts.asleep[c.actors["poller"].name]
