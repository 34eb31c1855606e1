"""napi_threaded_poll / napi_threaded_poll_loop (net/core/dev.c, 6.18): the NAPI kthread of each
instance ("napi/kthread{i}", on CPU 0) with threaded NAPI (dev->threaded).

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

from spec.linux.kernel import LinuxKernel
from spec.linux.prog import Call, Prog

CPU = 0  # the kthreads' CPU


def napi_threaded_poll(kn: LinuxKernel) -> Prog | None:
    if not kn.threaded:
        return None
    state = kn.napi_state
    kt = kn.context("kthread", kn.n_inst, "napi/kthread{i}", "process", lambda i: CPU, lambda i: i)
    kt.fact("asleep")
    kt.fact("polling")
    kt.fact("owns")
    fn = Call(kn, kt, "", kt.napi, kt.cpu)

    def woken(t: Any, i: int) -> None:
        kt.set_fact(t, i, "owns", True)
        t.goto("tp_read" if kn.busy else poll)
    fn.call("napi_thread_wait", ret=woken)

    if kn.busy:
        @kt.step("tp_read", func="net/core/dev.c:napi_threaded_poll (val = READ_ONCE(napi->state); "
                                 "in_busy_poll = val & IN_BUSY_POLL)")
        def tp_read(t: Any, i: int) -> None:
            with t.if_(state[i].has("IN_BUSY_POLL")):
                t.goto("tp_clr")
            with t.else_():
                t.goto(poll)

        @kt.step("tp_clr", func="net/core/dev.c:napi_threaded_poll (assign_bit(NAPI_STATE_IN_BUSY_POLL, false))")
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

    poll = fn.call("__napi_poll", pre="k_", ret_true=polled("k_again"), ret_false=polled(kt.labels[0]))
    kt.mark("bh", *[lb for lb in kt.labels if lb.startswith("k_")])

    @kt.step("k_again", func="net/core/dev.c:napi_threaded_poll_loop (local_bh_enable; repoll: cond_resched(); "
                             "local_bh_disable)")
    def again(t: Any, i: int) -> None:
        kt.set_fact(t, i, "owns", True)
        t.goto(poll)
    kt.mark("nopre", *kt.in_set("bh"))
    kt.quiescent = lambda n: [kt.L.asleep[n], kn.kthread_interruptible[n]]
    kt.at_end = lambda: [kt.L.asleep[i] for i in range(kn.n_inst)]
    return kt
