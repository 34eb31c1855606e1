"""napi.rs: napi_schedule / __napi_schedule as an inlined sub-machine, and the napi_handler kthread.

``napi_schedule`` runs in whatever context calls it (hard IRQ, the netns poller, a syscall,
rtnetlink); each such actor inlines its steps (labels ``ns_*``, then the NapiManager wake
``wk_*``) and returns to the label in its local ``ret``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from checker.lang import And, Bool, Int, Min, Not, Or, Seq
from spec.dragonos import iface
from spec.dragonos.model import Ctx, bump_spin, external_event
from spec.dragonos.versions import NAPI, NAPI_STATE, VIRTIO, cite

SCHED, MISSED, DISABLE = "SCHED", "MISSED", "DISABLE"


# ---------------------------------------------------------------- napi_schedule sub-machine


def ns_labels(c: Ctx) -> list[str]:
    v = c.v
    if v.unconditional_push:
        names = ["ns_prep", "ns_store", "ns_push"]
    else:
        # HEAD's napi_is_disabled tests (after napi_poll_begin, in __napi_schedule) are elided:
        # nothing in the model sets DISABLE (napi_disable's callers are not modelled)
        names = ["ns_prep", "ns_begin", "ns_push"]
    return names + c.parts.waitq.waker_labels("wk_")


def ns_locals(c: Ctx, actor: Any) -> SimpleNamespace:
    return SimpleNamespace(
        tgt=actor.local("tgt", c.nic_type, doc="the NapiStruct being scheduled"),
        ret=actor.local("ret", actor.labels, doc="where napi_schedule returns"),
        acc=actor.local("accepted", Bool, doc="napi_schedule's result (HEAD: Accepted)"),
        wep=actor.local("wake_epoch", Bool, doc="identity of the Waker popped (ghost)"),
    )


def call_napi_schedule(t: Any, actor: Any, L: SimpleNamespace, i: int, target: Any, ret: str) -> None:
    t.set(L.tgt[i], target)
    t.set(L.ret[i], actor.label_value(ret))
    t.goto("ns_prep")


def call_dunder_schedule(t: Any, c: Ctx, actor: Any, L: SimpleNamespace, i: int, target: Any, ret: str) -> None:
    """``__napi_schedule(napi)`` by an owner of SCHED (napi_complete's Missed path, virtio re-arm)."""
    t.set(L.tgt[i], target)
    t.set(L.ret[i], actor.label_value(ret))
    t.goto("ns_push")


def add_napi_schedule(c: Ctx, actor: Any, L: SimpleNamespace, with_entry: bool = True,
                      keep_result: bool = False) -> None:
    """The steps of napi_schedule for ``actor`` (with_entry=False: only the __napi_schedule tail).

    On return its locals are reset (dead), except ``tgt``/``accepted`` when ``keep_result``."""
    v, g = c.v, c.vars
    tgt = L.tgt
    dead = [] if keep_result else [L.tgt, L.acc]

    def back(t: Any, i: int) -> None:
        t.set(actor.pc[i], L.ret[i])
        for x in [L.ret, L.wep, *dead]:
            t.set(x[i], x[i].typ.default())

    def handed(t: Any, i: int) -> None:
        t.set(g.handed[tgt[i]], True)
        request(t)  # any napi_schedule by another context is a request (even one that only sets MISSED)

    def request(t: Any) -> None:
        if actor.name != "napi_handler":
            external_event(t, c)  # a request from another context is new work, not the handler cycling

    if v.unconditional_push:
        @actor.step("ns_prep", func=cite(v, f"{NAPI}:napi_schedule (state.fetch_or(SCHED))"))
        def _prep(t: Any, i: int) -> None:
            if not with_entry:
                t.require(False)
            t.let("old", g.st[tgt[i]])
            t.set(g.st[tgt[i]], g.st[tgt[i]].with_bits(SCHED))
            handed(t, i)
            with t.if_(t.temp("old").has(SCHED)):
                t.goto("ns_push")
            with t.else_():
                t.goto("ns_store")

        @actor.step("ns_store", func=cite(v, f"{NAPI}:napi_schedule (state.store(current_state | SCHED))"),
                    next="ns_push")
        def _store(t: Any, i: int) -> None:
            # current_state was read without SCHED; the plain store writes SCHED back (MISSED/DISABLE unused)
            t.set(g.st[tgt[i]], g.st[tgt[i]].with_bits(SCHED))

        @actor.step("ns_push", func=cite(v, f"{NAPI}:napi_schedule (lock; napi_list.push; has_pending_signal = true)"),
                    next="wk_pop")
        def _push(t: Any, i: int) -> None:
            t.require(g.plist.len() < c.qcap)  # bounded exploration: the Vec is unbounded in the code
            # Vec::push, shown top first (vec_list=False: a FIFO what-if, used by tests only)
            t.set(g.plist, g.plist.push_front(tgt[i]) if v.vec_list else g.plist.push_back(tgt[i]))
            t.set(g.flag, True)
            request(t)
    else:
        @actor.step("ns_prep", func=cite(v, f"{NAPI_STATE}:schedule_prep (CAS: DISABLE? SCHED -> MISSED)"))
        def _prep(t: Any, i: int) -> None:
            if not with_entry:
                t.require(False)
            t.let("old", g.st[tgt[i]])
            with t.if_(t.temp("old").has(DISABLE)):
                t.set(L.acc[i], False)
                back(t, i)
            with t.else_():
                t.set(L.acc[i], True)
                handed(t, i)
                with t.if_(t.temp("old").has(SCHED)):
                    t.set(g.st[tgt[i]], t.temp("old").with_bits(SCHED, MISSED))
                    back(t, i)  # Missed: the current owner polls again
                with t.else_():
                    t.set(g.st[tgt[i]], t.temp("old").with_bits(SCHED))
                    # Iface::napi_poll_begin is a no-op for veth/lo/e1000e: no step for them
                    with t.if_(c.is_virtio(tgt[i])):
                        t.goto("ns_begin")
                    with t.else_():
                        t.goto("ns_push")

        @actor.step("ns_begin", func=cite(v, f"{VIRTIO}:VirtioInterface::napi_poll_begin (lock; disable_interrupts)"),
                    next="ns_push")
        def _begin(t: Any, i: int) -> None:
            t.set(g.cb[tgt[i]], False)

        @actor.step("ns_push", func=cite(v, f"{NAPI}:__napi_schedule (lock_irqsave; push_back; has_pending_signal)"),
                    next="wk_pop")
        def _push(t: Any, i: int) -> None:
            t.set(g.plist, g.plist.push_back(tgt[i]))
            t.set(g.flag, True)
            request(t)

    c.parts.waitq.add_waker(c, actor, "wk_", g.hwq, L.ret, L.wep, "wakeup -> wake_one (NapiManager::wakeup)", dead)


# ---------------------------------------------------------------- the napi_handler kthread


def handler_labels(c: Ctx) -> list[str]:
    v = c.v
    if not v.budgets:
        names = ["take"] + (["clear"] if v.clear_flag_race else []) + ["pop", "poll"]
        names += (["spin"] if v.poll_at_spin else []) + ["decide"]
        names += ["after"] if v.recheck_before_sleep else []
        return names + c.parts.waitq.sleeper_labels(c, "w_")
    names = ["take", "pop", "poll"]
    names += (["notify"] + c.parts.waitq.waker_labels("pw_")) if v.poll_deadline else []
    names += (["decide"] if v.poll_deadline else []) + ["complete", *c.parts.virtio_complete_labels, "merge"]
    labels = names + c.parts.waitq.sleeper_labels(c, "w_")
    return labels + [x for x in ns_labels(c) if x not in labels]


def build_handler(c: Ctx) -> Any:
    v, g, k = c.v, c.vars, c.k
    s = c.s
    h = s.actor("napi_handler", handler_labels(c), display="napi_handler")
    c.actors["handler"] = h
    idx = c.nic_type
    active = h.local("active", Seq(idx, c.qcap), doc="poll_list / active: the list taken this round")
    cur = h.local("cur", idx, doc="the NapiStruct being polled")
    again = h.local("poll_again", Bool, doc="the poll's verdict: keep polling this instance")
    h.vars = SimpleNamespace(active=active, cur=cur, again=again)
    take_f = "net_rx_action (lock; take napi_list)"

    def count_polls(t: Any, j: Any, extra: list[Any]) -> None:
        # ghost for BoundedWait: every other queued instance waits one more poll (grounded builds only)
        if g.wait is None:
            return
        for x in c.nics:
            queued = Or(g.plist.contains(x), active[0].contains(x), *[e.contains(x) for e in extra])
            with t.if_(And(j != x, queued)):
                t.set(g.wait[x], Min(g.wait[x] + 1, c.wait_bound + 1))
        t.set(g.wait[j], 0)

    if not v.budgets:
        # ------------------------------------------------ V0 / V1: Vec, LIFO pop, SCHED write-only
        k_loop = h.local("k", Int(0, k.WEIGHT), doc="V0 NapiStruct::poll: iface.poll() calls so far")

        @h.step("take", func=cite(v, f"{NAPI}:{take_f}"))
        def _take(t: Any, i: int) -> None:
            bump_spin(t, c)
            t.set(active[i], g.plist)
            t.set(g.plist, ())
            if v.clear_flag_race:
                with t.if_(active[i].len() == 0):
                    t.goto("clear")
                with t.else_():
                    t.goto("pop")
            else:
                t.goto("pop")

        if v.clear_flag_race:
            @h.step("clear", func=cite(v, f"{NAPI}:net_rx_action (poll_list empty: lock; has_pending_signal = false)"),
                    next="pop")
            def _clear(t: Any, i: int) -> None:
                t.set(g.flag, False)

        end_round = "after" if v.recheck_before_sleep else "w_check"

        @h.step("pop", func=cite(v, f"{NAPI}:net_rx_action (poll_list.pop(): the last pushed)"))
        def _pop(t: Any, i: int) -> None:
            with t.if_(active[i].len() == 0):
                t.goto(end_round)
            with t.else_():
                t.set(cur[i], active[i].head())
                t.set(active[i], active[i].pop_front())
                t.set(k_loop[i], 0)
                t.goto("poll")

        if v.poll_loop:
            @h.step("poll", func=cite(v, f"{NAPI}:NapiStruct::poll (for _ in 0..weight: iface.poll()) "
                                         f"-> {iface.IFACE}:IfaceCommon::poll"))
            def _poll(t: Any, i: int) -> None:
                j = cur[i]
                t.require(Not(g.locked[j]))
                with t.if_(k_loop[i] == 0):
                    count_polls(t, j, [])
                r = iface.smoltcp_poll(t, c, j, None, "poll")
                with t.if_(r.spin):
                    t.set(g.locked[j], True)
                    t.goto("spin")
                with t.else_():
                    with t.if_(Not(r.events)):
                        t.set(again[i], False)
                        t.goto("decide")
                    with t.else_():
                        with t.if_(k_loop[i] + 1 >= k.WEIGHT):
                            t.set(again[i], True)
                            t.goto("decide")
                        with t.else_():
                            t.set(k_loop[i], k_loop[i] + 1)

            @h.step("spin", func=cite(v, f"{iface.IFACE}:IfaceCommon::poll (loop {{ poll_at(ts) <= ts }}: spins, "
                                         "sockets+smol_iface locked, IRQs off)"))
            def _spin(t: Any, i: int) -> None:
                bump_spin(t, c)
        else:
            @h.step("poll", func=cite(v, f"{NAPI}:NapiStruct::poll -> {iface.IFACE}:IfaceCommon::poll_napi(weight)"),
                    next="decide")
            def _poll(t: Any, i: int) -> None:
                j = cur[i]
                count_polls(t, j, [])
                r = iface.smoltcp_poll(t, c, j, k.WEIGHT, "napi")
                t.set(again[i], r.again)

        @h.step("decide", func=cite(v, f"{NAPI}:net_rx_action (has_work_left ? poll_list.push : napi_complete "
                                       "= state.fetch_and(!SCHED))"), next="pop")
        def _decide(t: Any, i: int) -> None:
            with t.if_(again[i]):
                # Vec::push: popped again next (vec_list=False: FIFO, a what-if for the tests)
                t.set(active[i], active[i].push_front(cur[i]) if v.vec_list else active[i].push_back(cur[i]))
            with t.else_():
                t.set(g.st[cur[i]], g.st[cur[i]].without_bits(SCHED))
            t.set(again[i], False)
            t.set(cur[i], 0)
            t.set(k_loop[i], 0)

        if v.recheck_before_sleep:
            @h.step("after", func=cite(v, f"{NAPI}:net_rx_action (lock; napi_list non-empty? flag = true; continue)"))
            def _after(t: Any, i: int) -> None:
                with t.if_(g.plist.len() > 0):
                    t.set(g.flag, True)
                    t.goto("take")
                with t.else_():
                    t.set(g.flag, False)
                    t.goto("w_check")

        _add_wait(c, h)
        _export_holds(c, h)
        return h

    # ---------------------------------------------------- V2 / HEAD: budgets, fair merge, state machine
    repoll = h.local("repoll", Seq(idx, c.qcap), doc="busy instances polled this round")
    budget = h.local("budget", Int(0, k.WEIGHT), doc="min(weight, packets_left)")
    polls = h.local("polls_left", Int(0, k.POLL_BUDGET), doc="NET_RX_POLL_BUDGET left (scaled)")
    pkts = h.local("packets_left", Int(0, k.PACKET_BUDGET), doc="NET_RX_PACKET_BUDGET left (scaled)")
    done = h.local("work_done", Int(0, k.WEIGHT), doc="NapiPollResult.work_done")
    L = ns_locals(c, h)
    wake2 = h.local("ret2", h.labels, doc="where wake_all returns")
    wep2 = h.local("wake_epoch2", Bool)
    h.vars.repoll = repoll

    @h.step("take", func=cite(v, f"{NAPI}:{take_f} (mem::take)"), next="pop")
    def _take2(t: Any, i: int) -> None:
        bump_spin(t, c)
        t.set(active[i], g.plist)
        t.set(g.plist, ())
        t.set(repoll[i], ())
        t.set(polls[i], k.POLL_BUDGET)
        t.set(pkts[i], k.PACKET_BUDGET)

    after_pop = "poll"  # HEAD's napi_is_disabled test is elided (nothing sets DISABLE)
    late_choices = [False, True] if k.time_budget else [False]

    @h.step("pop", func=cite(v, f"{NAPI}:net_rx_action (pop_front; packet/poll/time budgets)"),
            params={"time_up": late_choices})
    def _pop2(t: Any, i: int, time_up: bool) -> None:
        if time_up:
            # elapsed >= NET_RX_TIME_BUDGET_US: only possible once this round has polled something
            t.require(And(active[i].len() > 0, polls[i] < k.POLL_BUDGET))
            t.goto("merge")  # active.push_front(napi); break
            return
        with t.if_(Or(active[i].len() == 0, polls[i] == 0, pkts[i] == 0)):
            t.goto("merge")
        with t.else_():
            t.set(cur[i], active[i].head())
            t.set(active[i], active[i].pop_front())
            t.set(budget[i], Min(k.WEIGHT, pkts[i]))
            t.set(polls[i], polls[i] - 1)
            t.goto(after_pop)

    def decide(t: Any, i: int) -> None:
        # net_rx_action: poll_again || work_done >= budget ? repoll : iface.napi_complete
        # (handler-local: folded into the step that produced the result)
        with t.if_(Or(again[i], done[i] >= budget[i])):
            t.set(repoll[i], repoll[i].push_back(cur[i]))
            t.goto("pop")
        with t.else_():
            with t.if_(c.is_virtio(cur[i])):
                t.goto(c.parts.virtio_complete_labels[0])  # the virtio driver's napi_complete part
            with t.else_():
                t.goto("complete")
        for x in (again, done, budget):  # dead from here on
            t.set(x[i], x[i].typ.default())

    @h.step("poll", func=cite(v, f"{NAPI}:NapiStruct::poll (UP?) -> {iface.IFACE}:IfaceCommon::poll_napi(budget)"))
    def _poll2(t: Any, i: int) -> None:
        j = cur[i]
        with t.if_(Not(g.up[j])):
            t.set(done[i], 0)
            t.set(again[i], False)  # NapiPollResult::idle()
            decide(t, i)
        with t.else_():
            count_polls(t, j, [repoll[i]])
            r = iface.smoltcp_poll(t, c, j, budget[i], "napi")
            t.set(done[i], r.consumed)
            t.set(again[i], r.again)
            if v.poll_deadline:
                with t.if_(r.rearm):
                    t.goto("notify")  # notify_deadline_rearm after the unlock
                with t.else_():
                    decide(t, i)
            else:
                decide(t, i)

    if v.poll_deadline:
        @h.step("notify", func=cite(v, "kernel/src/process/namespace/net_namespace.rs:"
                                       "NetnsPoller::notify_deadline_changed (deadline_generation.fetch_add)"))
        def _notify(t: Any, i: int) -> None:
            t.set(g.gen, True)
            t.set(wake2[i], h.label_value("decide"))
            t.goto("pw_pop")

        c.parts.waitq.add_waker(c, h, "pw_", g.pwq, wake2, wep2, "wake_all (netns poller)")  # returns to decide
        c.facts.notifying.append(h.at(0, "notify"))

    if v.poll_deadline:
        @h.step("decide", func=cite(v, f"{NAPI}:net_rx_action (poll_again || work_done >= budget ? repoll : "
                                       "iface.napi_complete)"))
        def _decide2(t: Any, i: int) -> None:
            decide(t, i)

    @h.step("complete", func=cite(v, f"{NAPI}:napi_complete -> {NAPI_STATE}:complete (CAS)"))
    def _complete(t: Any, i: int) -> None:
        st = g.st[cur[i]]
        with t.if_(And(Not(st.has(DISABLE)) if v.poll_deadline else True, st.has(MISSED))):
            t.set(g.st[cur[i]], st.without_bits(MISSED))  # ownership retained
            call_dunder_schedule(t, c, h, L, i, cur[i], "pop")
        with t.else_():
            with t.if_(Not(st.has(DISABLE)) if v.poll_deadline else True):
                t.set(g.st[cur[i]], st.without_bits(SCHED, MISSED))
            t.goto("pop")

    c.parts.virtio_complete(c, h, L)

    @h.step("merge", func=cite(v, f"{NAPI}:net_rx_action (lock; napi_list = active ++ napi_list ++ repoll)"))
    def _merge(t: Any, i: int) -> None:
        t.let("all", active[i].concat(g.plist).concat(repoll[i]))
        t.set(g.plist, t.temp("all"))
        t.set(active[i], ())
        t.set(repoll[i], ())
        for x in (cur, polls, pkts):  # dead between rounds
            t.set(x[i], x[i].typ.default())
        with t.if_(t.temp("all").len() > 0):
            t.set(g.flag, True)
            t.goto("take")  # sched_yield(); continue
        with t.else_():
            t.set(g.flag, False)
            t.goto("w_check")

    add_napi_schedule(c, h, L, with_entry=False)
    _add_wait(c, h)
    _export_holds(c, h)
    return h


def add_virtio_complete(c: Ctx, h: Any, L: SimpleNamespace) -> None:
    """The virtio-net driver's ``VirtioInterface::napi_complete``, run by the handler for a virtio
    interface that completes (V2 and later). Interface of the part: entered at ``vc_prep`` with the
    interface in ``h.vars.cur``; labels ``vc_prep``, ``vc_complete``, ``vc_mask``, ``vc_recheck``;
    leaves through ``call_dunder_schedule(..., "pop")`` or ``goto("pop")``. Exports the fact
    ``c.facts.handler_holds`` for its steps at which the handler still holds the instance."""
    v, g = c.v, c.vars
    cur = h.vars.cur

    @h.step("vc_prep", func=cite(v, f"{VIRTIO}:VirtioInterface::napi_complete (lock; enable_interrupts_prepare)"),
            next="vc_complete")
    def _vc_prep(t: Any, i: int) -> None:
        c.parts.interrupts_prepare(t, c, cur[i])

    @h.step("vc_complete", func=cite(v, f"{VIRTIO}:VirtioInterface::napi_complete -> {NAPI_STATE}:complete"))
    def _vc_complete(t: Any, i: int) -> None:
        st = g.st[cur[i]]
        with t.if_(And(Not(st.has(DISABLE)) if v.poll_deadline else True, st.has(MISSED))):
            t.set(g.st[cur[i]], st.without_bits(MISSED))
            t.goto("vc_mask")
        with t.else_():
            with t.if_(st.has(DISABLE) if v.poll_deadline else False):
                t.goto("pop")
            with t.else_():
                t.set(g.st[cur[i]], st.without_bits(SCHED, MISSED))
                t.goto("vc_recheck")

    @h.step("vc_mask", func=cite(v, f"{VIRTIO}:VirtioInterface::napi_complete (Missed: disable_interrupts)"))
    def _vc_mask(t: Any, i: int) -> None:
        t.set(g.cb[cur[i]], False)
        call_dunder_schedule(t, c, h, L, i, cur[i], "pop")

    # the handler still holds cur (SCHED not yet given back) until vc_complete releases it
    c.facts.handler_holds.append(h.at(0, "vc_prep", "vc_complete", "vc_mask"))

    @h.step("vc_recheck", func=cite(v, f"{VIRTIO}:VirtioInterface::napi_complete (Completed: lock; has_rx_completion"
                                       " || interrupt_pending; schedule_prep; disable_interrupts)"))
    def _vc_recheck(t: Any, i: int) -> None:
        j = cur[i]
        st = g.st[j]
        # has_rx_completion peeks the used ring; interrupt_pending sees completions since prepare:
        # both are "the RX ring holds frames" here (TX completions are not modelled)
        acquired = And(g.rx[j] > 0, Not(st.has_any(SCHED, DISABLE)))
        with t.if_(And(g.rx[j] > 0, Not(st.has(DISABLE)), st.has(SCHED))):
            t.set(g.st[j], st.with_bits(MISSED))
        with t.if_(acquired):
            t.set(g.st[j], st.with_bits(SCHED))
            t.set(g.handed[j], True)
            t.set(g.cb[j], False)
            call_dunder_schedule(t, c, h, L, i, j, "pop")
        with t.else_():
            t.goto("pop")


def enable_interrupts_prepare(t: Any, c: Ctx, j: Any) -> None:
    """virtio_drivers ``enable_interrupts_prepare`` on interface ``j`` (inside ``vc_prep``): the
    used-ring callbacks are enabled again, so a frame arriving from now on raises an interrupt."""
    t.set(c.vars.cb[j], True)


def forget_interrupts_prepare(t: Any, c: Ctx, j: Any) -> None:
    """The ``no_cb_prepare`` mutation: napi_complete forgets ``enable_interrupts_prepare``."""


def _add_wait(c: Ctx, h: Any) -> None:
    g = c.vars

    def cond(t: Any) -> Any:
        return g.flag  # read under NapiManager's lock

    def done(t: Any, i: int, by_event: bool) -> None:
        t.goto("take")

    c.parts.waitq.add_sleeper(c, h, "w_", g.hwq, cond, done,
                      f"{NAPI}:net_rx_action -> wq_wait_event_interruptible!(has_pending_signal)")


def _export_holds(c: Ctx, h: Any) -> None:
    """The fact ``handler_holds`` for the handler's own steps: from the poll of the popped instance
    (and a poll_deadline notify inside it) to its napi_complete, or the __napi_schedule of its
    Missed path (the virtio_complete part exports its own steps)."""
    mine = [x for x in ("poll", "spin", "notify", *c.parts.waitq.waker_labels("pw_"), "decide", "complete",
                        "ns_push")
            if x in h.labels.names]
    c.facts.handler_holds.append(h.at(0, *mine))


def handler_polling(c: Ctx, j: int) -> Any:
    """The handler holds instance ``j`` between popping it and completing / requeueing it (the
    ``handler_holds`` facts its parts export)."""
    return And(c.actors["handler"].vars.cur[0] == j, Or(*c.facts.handler_holds))
