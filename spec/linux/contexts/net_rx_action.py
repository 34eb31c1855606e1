"""net_rx_action (net/core/dev.c, 6.18), the NET_RX softirq of each CPU ("CPU{c} softirq").

Splices sd->poll_list to its local ``list``, polls each instance with napi_poll (__napi_poll, then
list_add_tail to ``repoll`` when asked), within ``BUDGET`` and a time limit (a nondeterministic
choice), and splices what is left back, re-raising NET_RX. Runs with IRQs on, not preempted by tasks,
and cannot start on a CPU where a task has bottom halves disabled.
Ghost facts kept: ``owns`` (took n off its list and holds SCHED outside ->poll), ``polling``.
"""

from __future__ import annotations

from typing import Any

from checker.lang import And, Bool, Int, Max, Min, Not, Or, Seq, Sum

from spec.linux.kernel import LinuxKernel
from spec.linux.lines import cite
from spec.linux.prog import Call, Prog


def net_rx_action(kn: LinuxKernel) -> Prog:
    ids, k = kn.ids, kn.k
    many = ids.symbolic or len(ids) > 1
    # with one instance, cur is always 0: a constant index (also keeps the packed kernel off dynamic
    # indexing of one-element arrays, which it mis-compiles)
    cur_napi = (lambda c: sirq.L.cur[c]) if many else (lambda c: 0)
    sirq = kn.context("softirq", kn.ncpu, "CPU{i} softirq", "softirq", lambda c: c, cur_napi)
    sirq.local("lst", Seq(kn.napi_id, kn.list_cap))
    sirq.local("rep", Seq(kn.napi_id, kn.list_cap))
    sirq.local("cur", ids.id_type)
    sirq.local("budget", Int(0, k.BUDGET))
    sirq.local("rpl", Bool)
    sirq.fact("polling")
    sirq.fact("owns")
    L = sirq.L
    plist, state_wait = kn.poll_list, kn.wait
    kn.list_holders.append(lambda n: Sum(range(kn.ncpu), lambda c: L.lst[c].count(n) + L.rep[c].count(n)))

    @sirq.step("idle", func="net/core/dev.c:net_rx_action (entry: in_net_rx_action = true; list_splice_init)"
               + cite(kn, "rx.in_action", "rx.splice"),
               next="loop")
    def rx_start(t: Any, c: int) -> None:
        t.require(kn.net_rx_pending[c])
        t.require(Not(kn.bh_off(c)))
        t.set(kn.net_rx_pending[c], False)  # handle_softirqs clears the pending bits before running the handlers
        t.set(kn.in_net_rx_action[c], True)
        t.set(L.lst[c], plist[c])
        t.set(plist[c], [])
        t.set(L.budget[c], k.BUDGET)

    @sirq.step("loop", func="net/core/dev.c:net_rx_action (n = list_first_entry; napi_poll: list_del_init)"
               + cite(kn, "rx.first", "rx.napi_poll"))
    def rx_loop(t: Any, c: int) -> None:
        with t.if_(L.lst[c].len() == 0):
            with t.if_(L.rep[c].len() == 0):
                t.set(kn.in_net_rx_action[c], False)
                t.goto("recheck")
            with t.else_():
                t.goto("end")
        with t.else_():
            t.let("n", L.lst[c].head())
            t.set(L.cur[c], t.temp("n"))
            t.set(L.lst[c], L.lst[c].pop_front())
            if state_wait is not None:  # BoundedWait's ghost (grounded builds only: a loop of statements)
                for j in ids:  # ghost: every other instance queued on this CPU waits one more poll
                    with t.if_(And(t.temp("n") != j, Or(plist[c].contains(j), L.lst[c].contains(j),
                                                        L.rep[c].contains(j)))):
                        t.set(state_wait[j], Min(state_wait[j] + 1, kn.bound + 1))
                t.set(state_wait[t.temp("n") if many else 0], 0)
            sirq.set_fact(t, c, "owns", True)
            t.goto(first)

    def repoll(t: Any, c: int) -> None:
        t.set(L.rpl[c], True)  # still owned until list_add_tail(repoll)
        t.goto("after")

    def done(t: Any, c: int) -> None:
        sirq.set_fact(t, c, "owns", False)
        t.goto("after")

    first = Call(kn, sirq, "", cur_napi, lambda c: c).call("__napi_poll", ret_true=repoll, ret_false=done)

    @sirq.step("after", func="net/core/dev.c:napi_poll (list_add_tail(repoll); netpoll_poll_unlock) + "
                             "net_rx_action (budget, time_limit)" + cite(kn, "poll.repoll", "poll.unlock", "rx.budget"),
               params={"time_up": [False, True]})
    def rx_after(t: Any, c: int, time_up: bool) -> None:
        with t.if_(L.rpl[c]):
            t.set(L.rep[c], L.rep[c].push_back(cur_napi(c)))
        if kn.netpoll:
            t.set(kn.poll_owner_held[cur_napi(c)], False)
        t.set(L.rpl[c], False)
        sirq.set_fact(t, c, "owns", False)
        t.set(L.budget[c], Max(L.budget[c] - L.work[c], 0))
        t.set(L.work[c], 0)
        t.set(L.cur[c], ids.first)  # (0 when grounded)
        if time_up:  # time_after_eq(jiffies, time_limit): a nondeterministic choice
            t.goto("end")
        else:
            with t.if_(L.budget[c] <= 0):
                t.goto("end")
            with t.else_():
                t.goto("loop")

    @sirq.step("recheck", func="net/core/dev.c:net_rx_action (barrier(); if !list_empty(&sd->poll_list) goto start)"
               + cite(kn, "rx.recheck"))
    def rx_recheck(t: Any, c: int) -> None:
        with t.if_(plist[c].len() > 0):
            t.set(kn.in_net_rx_action[c], True)
            t.set(L.lst[c], plist[c])
            t.set(plist[c], [])
            t.goto("loop")
        with t.else_():
            t.set(L.budget[c], 0)
            t.goto("idle")

    @sirq.step("end", func="net/core/dev.c:net_rx_action (local_irq_disable; splice poll_list, repoll to the "
                           "tail; __raise_softirq_irqoff or in_net_rx_action = false)" + cite(kn, "rx.end", "rx.raise"),
               next="idle")
    def rx_end(t: Any, c: int) -> None:
        t.let("all", L.lst[c].concat(plist[c]).concat(L.rep[c]))
        t.set(plist[c], t.temp("all"))
        t.set(L.lst[c], [])
        t.set(L.rep[c], [])
        t.set(L.budget[c], 0)
        with t.if_(t.temp("all").len() > 0):
            t.set(kn.net_rx_pending[c], True)
        with t.else_():
            t.set(kn.in_net_rx_action[c], False)

    sirq.guard = lambda c, lb: And(Not(kn.hard_on(c)), Not(kn.due(c)))
    sirq.quiescent = lambda n: ([sirq.resting(c) for c in range(kn.ncpu)]
                                + [Not(kn.net_rx_pending[c]) for c in range(kn.ncpu)])
    sirq.at_end = lambda: [sirq.resting(c) for c in range(kn.ncpu)]
    return sirq
