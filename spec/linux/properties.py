"""The properties of the linux spec, stated over ghost facts and predicates the parts export.

No property names a step label: a variant that adds, splits or renames steps keeps them. The facts:

* ``polling`` (per context instance): it runs n's poll as SCHED owner — inside ``n->poll()``, or in the
  napi_complete that ends it — until napi_complete_done decides its return value or ->poll returns.
  Set by the caller of ->poll, cleared by napi_complete_done and by ->poll's return.
* ``owns`` (per context instance): it holds SCHED for n outside ->poll — took n off a list, won it by
  cmpxchg or test_and_set_bit, or got it back from ->poll with the whole budget used — and has not
  handed it on (list_add_tail, __napi_schedule, clear_bit).
* ``kernel.napi_disabled[n]``: napi_disable has returned and napi_enable has not re-enabled n.
* the kthread's ``asleep``: napi_thread_wait sleeps in schedule(); ``kernel.kthreads``: kthread_stop's
  KTHREAD_SHOULD_STOP and the thread's exit (with ``stop_kthread``).
* ``kernel.on_lists(n)``: how often n is on a CPU's poll_list or net_rx_action's local lists.
* each context's ``quiescent(n)`` / ``at_end()``: it will not act for n by itself / it has stopped.
"""

from __future__ import annotations

from checker.lang import And, ForAll, Implies, Ite, Not, Or, Sum
from checker.lang.expr import Expr
from checker.lang.family import ivar

from spec.linux.contexts.disabler import calls_napi_disable
from spec.linux.fairness import add_fairness
from spec.linux.kernel import LinuxKernel


def _per_context(kn: LinuxKernel, fact: str, n: int, kinds: tuple[str, ...] | None = None) -> list[Expr]:
    """``fact`` of every context instance acting for NAPI instance n (optionally of these kinds)."""
    out = []
    for p in kn.progs.values():
        if not p.has_fact(fact) or (kinds is not None and p.kind not in kinds):
            continue
        if p.family is not None:  # an unbounded family: "some instance acting for n has the fact"
            if p.napi(probe := ivar(p.family, "acting")) is probe:  # one per NAPI instance: n's own
                out.append(getattr(p.L, fact)[n])
                continue
            out.extend(p.some(lambda a, p=p: And(p.napi(a) == n, getattr(p.L, fact)[a])))
            continue
        for a in range(p.instances):  # type: ignore[arg-type]
            same = p.napi(a) == n
            if same is False:
                continue
            cond = getattr(p.L, fact)[a]
            out.append(cond if same is True else And(same, cond))
    return out


POLLERS = ("softirq", "process")  # contexts that poll as SCHED owners (netpoll polls under NPSVC)


def polling(kn: LinuxKernel, n: int, with_netpoll: bool = True) -> list[Expr]:
    """Per context: 'runs n's poll as its owner' (with netpoll's ->poll(napi, 0) when asked)."""
    return _per_context(kn, "polling", n, POLLERS + (("netpoll",) if with_netpoll else ()))


def owned(kn: LinuxKernel, n: int) -> list[Expr]:
    """Per poller: 'holds n's SCHED as its owner' (polling it or owning it outside ->poll)."""
    return polling(kn, n, with_netpoll=False) + _per_context(kn, "owns", n, POLLERS)


def add_properties(kn: LinuxKernel) -> None:
    s, state, ids = kn.s, kn.napi_state, kn.ids

    def polling_count(i: int) -> Expr:
        conds = polling(kn, i)
        return Sum(range(len(conds)), lambda j: Ite(conds[j], 1, 0))

    s.invariant(
        "NoDoubleQueue",
        ForAll(ids, lambda i: And(kn.on_lists(i) <= 1, polling_count(i) <= 1,
                                  Implies(Or(*polling(kn, i, with_netpoll=False)), kn.on_lists(i) == 0))),
        doc="an instance is on at most one list (a CPU's poll_list, net_rx_action's local list or repoll), at "
            "most once, never while an owner polls it, and at most one context runs its ->poll (from entry "
            "to the napi_complete_done that releases it). netpoll's poll(napi, 0) counts for 'at most "
            "one inside ->poll' but may run while the instance is queued: since 2015 poll_one_napi calls ->poll "
            "regardless of SCHED, excluded from softirq/kthread/busy poll by netpoll_poll_lock only",
    )
    s.invariant(
        "OwnerHoldsSched",
        ForAll(ids, lambda i: Implies(Or(kn.on_lists(i) > 0, *owned(kn, i)), state[i].has("SCHED"))),
        doc="on a list, or owned by a poller (net_rx_action, the kthread or the busy poller polling it or "
            "deciding to repoll it), implies NAPI_STATE_SCHED (netpoll polls under NPSVC instead and is not "
            "an owner)",
    )

    def quiescent(i: int) -> Expr:
        return And(*[c for p in kn.progs.values() if p.quiescent is not None for c in p.quiescent(i)])

    s.invariant(
        "NoLostWakeup",
        ForAll(ids, lambda i: Not(And(kn.pending[i] > 0, quiescent(i)))),
        doc="never quiescent with packets pending. Quiescent for instance i: its IRQ handler idle and no IRQ "
            "signalled for it; every CPU's net_rx_action idle with NET_RX not pending; its napi_watchdog idle and "
            "its hrtimer not armed; its kthread asleep in schedule() (TASK_INTERRUPTIBLE); the busy poller and "
            "netpoll outside their loops; no napi_disable/napi_enable cycle in progress (so the instance is "
            "enabled). In such a state nothing will poll the ring until an unrelated event.",
    )

    # the disabled / deleted instance is the driver task's (instance 0 when grounded)
    tgt = kn.dis_target if kn.drivers else kn.ids.first
    disabled = kn.napi_disabled[tgt] if kn.napi_disabled is not None else Or()
    watchdog_owns = _per_context(kn, "owns", tgt, ("hardirq",))
    s.invariant(
        "NoPollWhileDisabled",
        Implies(disabled, Not(Or(*polling(kn, tgt), *watchdog_owns))),
        doc="between napi_disable returning and napi_enable re-enabling, no context runs instance 0's ->poll "
            "and napi_watchdog cannot schedule it (it never wins test_and_set_bit(SCHED))",
    )
    s.invariant(
        "NoTimerWhileDisabled",
        Implies(disabled, kn.timer_cpu[tgt] == -1) if kn.timer_cpu is not None else Implies(disabled, True),
        doc="between napi_disable returning and napi_enable re-enabling, instance 0's napi_watchdog hrtimer is "
            "not armed (napi_disable_locked's hrtimer_cancel is meant to leave it idle)",
    )
    deleted = kn.napi_deleted[tgt] if kn.napi_deleted is not None else Or()
    watchdog = kn.ctx("watchdog")
    s.invariant(
        "NothingRunsOnDeleted",
        Implies(deleted, And(Not(Or(*polling(kn, tgt), *owned(kn, tgt))),
                             kn.timer_cpu[tgt] == -1 if kn.timer_cpu is not None else True,
                             watchdog.resting(tgt) if watchdog is not None else True)),
        doc="after netif_napi_del returned and the driver freed instance 0, no context polls or owns it, its "
            "napi_watchdog hrtimer is not armed and its callback is not running (a timer armed then fires on "
            "freed memory)",
    )
    kthread, kts = kn.ctx("kthread"), kn.kthreads

    def stopped_clean(i: int) -> Expr:
        assert kthread is not None and kts is not None
        return And(Implies(kts.should_stop(i), Not(Or(kthread.L.polling[i], kthread.L.owns[i]))),
                   Implies(kts.has_exited(i), Not(state[i].has("SCHED_THREADED"))))
    s.invariant(
        "NoPollByStoppedKthread",
        ForAll(ids, stopped_clean) if kthread is not None and kts is not None else And(),
        doc="once kthread_stop has asked an instance's NAPI kthread to stop (napi_stop_kthread), the kthread "
            "neither polls the instance nor owns it, and once it has exited the instance is never handed to it "
            "(NAPI_STATE_SCHED_THREADED clear): the handshake of napi_stop_kthread (clear THREADED, wait for "
            "SCHED_THREADED to clear) before kthread_stop",
    )
    s.invariant(
        "IrqMaskedWhileQueued",
        ForAll(ids, lambda i: Implies(Or(kn.on_lists(i) > 0, state[i].has("SCHED_THREADED")), kn.irq_masked[i])),
        doc="an instance queued for polling (on a list, or handed to its kthread) has its device interrupt "
            "masked: the contract 'drivers should keep the interrupts masked after scheduling the NAPI instance "
            "until NAPI polling finishes' (Documentation/networking/napi.rst). Meaningful for IRQ-driven "
            "ownership; a busy poller legitimately hands the instance to the softirq with the IRQ armed "
            "(busy_poll_stop -> __busy_poll_stop -> __napi_schedule)",
    )
    if kn.wait is None:  # an unbounded build: the ghost counter is updated by a loop over instances
        s.not_parameterised["BoundedWait"] = ("its ghost counter is updated for every other instance by a "
                                              "loop of statements (grounded builds only)")
    s.invariant(
        "BoundedWait",
        ForAll(ids, lambda i: kn.wait[i] <= kn.bound) if kn.wait is not None else And(),
        doc=f"an instance queued on a CPU is polled before {kn.bound} polls of other instances by that CPU's "
            "net_rx_action (ghost counter)",
    )
    if not ids.symbolic:  # temporal properties are for the explicit engine (grounded)
        add_liveness(kn)

    def at_end() -> Expr:
        return And(*[c for p in kn.progs.values() if p.at_end is not None for c in p.at_end()])

    s.deadlock(
        "NoHang", end=at_end(),
        doc="no reachable state where nothing can step while some context is stuck mid-operation (napi_disable "
            "waiting for SCHED/NPSVC, napi_enable waiting for netdev_lock, ...): napi_disable can complete",
    )


def add_liveness(kn: LinuxKernel) -> None:
    """The temporal properties (checked when a configuration selects them), under spec/linux/fairness.py."""
    s = kn.s
    add_fairness(kn)
    dis = kn.ctx("disabler")
    for d in range(kn.disablers):
        assert dis is not None
        s.leads_to(f"NoHangLive{d}", calls_napi_disable(dis, d), dis.L.returned[d],
                   doc=f"napi_disable called by DISABLE{d} returns (leads-to under fairness)")
    s.leads_to("PacketsPolled", over=range(kn.n_inst), p=lambda i: kn.pending[i] > 0,
               q=lambda i: Or(*polling(kn, i)),
               doc="a packet pending on an instance leads to a context polling it (under fairness)")
    s.non_progress("NoBusyLoop", doc="no fair cycle of steps without a packet arriving (a poller spinning)")


__all__ = ["add_properties", "owned", "polling"]
