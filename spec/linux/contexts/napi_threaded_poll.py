"""napi_threaded_poll / napi_threaded_poll_loop (net/core/dev.c): the NAPI kthread of each instance
("napi/kthread{i}", on CPU 0) with threaded NAPI (dev->threaded).

Two releases: :func:`napi_threaded_poll` is 6.19 and later (c18d4b190a46, threaded busy poll: after
napi_thread_wait it reads the state word and makes IN_BUSY_POLL agree with THREADED_BUSY_POLL,
steps ``tp_read`` / ``tp_clr``); :func:`napi_threaded_poll_618` is vanilla 6.18, which never reads
the state word (``while (!napi_thread_wait(napi)) napi_threaded_poll_loop(napi);``, the lines
c18d4b190a46 removes). THREADED_BUSY_POLL itself is never set (dev->threaded is
NETDEV_NAPI_THREADED_ENABLED), so 6.19's ``want_busy_poll`` is false and ``tp_clr`` clears
IN_BUSY_POLL only if it is set; the kthread's busy-poll mode is not modelled.

napi_threaded_poll_loop (both releases, without the 6.19 busy-poll branch):

    while (!napi_thread_wait(napi)) {
            unsigned long last_qs = jiffies;
            bool repoll = false; void *have;
            local_bh_disable();
            have = netpoll_poll_lock(napi);
            __napi_poll(napi, &repoll);
            netpoll_poll_unlock(have);
            local_bh_enable();
            if (!repoll) break;
            rcu_softirq_qs_periodic(last_qs);
            cond_resched();
    }

Ghost facts kept: ``asleep`` (by napi_thread_wait), ``owns`` and ``polling``.
"""

from __future__ import annotations

from typing import Any

from checker.lang import And, Not, Or

from spec.linux.kernel import LinuxKernel
from spec.linux.lines import cite
from spec.linux.prog import Call, Prog

CPU = 0  # the kthreads' CPU


def napi_threaded_poll(kn: LinuxKernel) -> Prog | None:
    """6.19 and later: napi_threaded_poll reads the state word after napi_thread_wait (c18d4b190a46)."""
    return _kthread(kn, reads_state=kn.busy)


def napi_threaded_poll_618(kn: LinuxKernel) -> Prog | None:
    """Vanilla 6.18: ``while (!napi_thread_wait(napi)) napi_threaded_poll_loop(napi);``."""
    return _kthread(kn, reads_state=False)


def _kthread(kn: LinuxKernel, reads_state: bool) -> Prog | None:
    # reads_state: 6.19's READ_ONCE/assign_bit(IN_BUSY_POLL) after napi_thread_wait; its steps are left
    # out when nothing can set IN_BUSY_POLL (no busy poller), where they change nothing
    if not kn.kthreaded:
        return None
    state = kn.napi_state
    kt = kn.context("kthread", kn.ids, "napi/kthread{i}", "process", lambda i: CPU, lambda i: i)
    kt.fact("asleep")
    kt.fact("polling")
    kt.fact("owns")
    fn = Call(kn, kt, "", kt.napi, kt.cpu)

    if kn.kthread_created is not None:  # turned on at run time: the thread starts when kthread_run creates it
        @kt.step("run", func="net/core/dev.c:napi_kthread_create -> kernel/kthread.c:kthread_run: "
                 "napi_threaded_poll starts" + cite(kn, "kc.run"))
        def run(t: Any, i: int) -> None:
            assert kn.kthread_created is not None
            t.require(kn.kthread_created[i])
            t.goto(wait)

    def woken(t: Any, i: int) -> None:
        kt.set_fact(t, i, "owns", True)
        t.goto("tp_read" if reads_state else poll)

    def stopped(t: Any, i: int) -> None:
        # napi_thread_wait returned -1: napi_threaded_poll returns 0, the thread exits (kthread->exited)
        assert kn.kthreads is not None
        kn.kthreads.exit(t, i)
        t.goto("exited")
    wait = fn.call("napi_thread_wait", ret=woken, ret_false=stopped if kn.kthreads is not None else None)

    if reads_state:
        @kt.step("tp_read", func="net/core/dev.c:napi_threaded_poll (6.19; val = READ_ONCE(napi->state); "
                                 "in_busy_poll = val & IN_BUSY_POLL)" + cite(kn, "tp.read"))
        def tp_read(t: Any, i: int) -> None:
            with t.if_(state[i].has("IN_BUSY_POLL")):
                t.goto("tp_clr")
            with t.else_():
                t.goto(poll)

        @kt.step("tp_clr", func="net/core/dev.c:napi_threaded_poll (6.19; assign_bit(NAPI_STATE_IN_BUSY_POLL, false))"
                 + cite(kn, "tp.assign"))
        def tp_clr(t: Any, i: int) -> None:
            t.set(state[i], state[i].without_bits("IN_BUSY_POLL"))
            t.goto(poll)

    def polled(label: str) -> Any:
        def after(t: Any, i: int) -> None:
            if kn.netpoll:
                t.set(kn.poll_owner_held[i], False)
            t.set(kt.L.work[i], 0)
            kt.set_fact(t, i, "owns", False)
            t.goto(label)
        return after

    poll = fn.call("__napi_poll", pre="k_", ret_true=polled("k_again"), ret_false=polled(wait))
    kt.mark("bh", *[lb for lb in kt.labels if lb.startswith("k_")])

    @kt.step("k_again", func="net/core/dev.c:napi_threaded_poll_loop (local_bh_enable; repoll: cond_resched(); "
                             "local_bh_disable)" + cite(kn, "tpl.bh_on", "tpl.resched", "tpl.bh"))
    def again(t: Any, i: int) -> None:
        kt.set_fact(t, i, "owns", True)
        t.goto(poll)
    kt.mark("nopre", *kt.in_set("bh"))
    if kn.kthreads is None and kn.kthread_created is None:
        kt.quiescent = lambda n: [kt.L.asleep[n], kn.kthread_interruptible[n]]
        kt.at_end = lambda: kt.each(lambda i: kt.L.asleep[i])
    else:  # an exited kthread (napi_stop_kthread) or one not yet created acts for nothing either
        if kn.kthreads is not None:
            kt.label("exited")  # terminal: the thread function has returned (no step)
            kt.terminal = ("exited",)
        created = kn.kthread_created

        def gone(n: int) -> Any:  # not created yet (kthread_run wakes it once created), or exited
            return Or(*([And(kt.at(n, "run"), Not(created[n]))] if created is not None else []),
                      *([kt.at(n, *kt.terminal)] if kt.terminal else []))
        kt.quiescent = lambda n: [Or(gone(n), And(kt.L.asleep[n], kn.kthread_interruptible[n]))]
        kt.at_end = lambda: kt.each(lambda i: Or(kt.L.asleep[i], gone(i)))
    return kt
