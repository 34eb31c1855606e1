"""Build the ``linux`` System (see the package docstring for what is modelled and why)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable

from checker.lang import And, Array, Bool, Flags, ForAll, Implies, Int, Ite, Max, Min, Not, Or, Seq, Sum, System
from checker.lang.expr import Expr

from spec.linux.prog import Prog

DEV = "drivers/net/<driver>.c"
BITS = ("SCHED", "MISSED", "DISABLE", "NPSVC", "IN_BUSY_POLL", "PREFER_BUSY_POLL", "THREADED", "SCHED_THREADED")
DRIVERS = ("contract", "return_budget_after_complete", "unmask_first", "ignore_false", "igb", "igb_contract")

NapiFn = Callable[[int], Any]  # actor instance -> NAPI instance (int or Expr)
CpuFn = Callable[[int], Any]  # actor instance -> CPU (int or Expr)
Emit = Callable[[Any, int], None]  # (t, i) -> statements (usually a goto)


def _goto(label: str) -> Emit:
    return lambda t, i: t.goto(label)


def build(k: SimpleNamespace) -> System:  # noqa: C901 - one builder, sections below
    n_inst, ncpu, ring, weight = k.N, k.CPUS, k.RING, k.WEIGHT
    if k.driver not in DRIVERS:
        raise ValueError(f"driver must be one of {DRIVERS}")
    era2006 = k.era == "2006"
    no_missed = k.prep_no_missed or era2006
    busy, threaded, netpoll = k.busy_poll and not era2006, k.threaded and not era2006, k.netpoll and not era2006
    defer = 0 if era2006 else k.DEFER
    gro = k.gro_held and not era2006
    tmr = defer > 0 or gro  # gro_flush_timeout > 0: the napi_watchdog hrtimer exists
    ndis = 2 if k.double_disable else (1 if k.disable else 0)
    prefer = busy and k.bp_prefer
    bound = k.K if k.K >= 0 else n_inst - 1
    bp_budget = k.BP_BUDGET
    maxw = max(weight, bp_budget)
    ids = range(n_inst)
    cpus = range(ncpu)
    proc_cpu = ncpu - 1
    bp_napi, np_napi = 0, 0

    def irq_cpu(i: int) -> int:
        return i % ncpu

    F = {
        "prep": "include/linux/netdevice.h:netif_rx_schedule_prep (2.6.19)" if era2006
        else ("net/core/dev.c:napi_schedule_prep (4.9: test_bit DISABLE)" if no_missed else "net/core/dev.c:napi_schedule_prep"),
        "prep2": "include/linux/netdevice.h:netif_rx_schedule_prep (test_and_set_bit __LINK_STATE_RX_SCHED)" if era2006
        else "net/core/dev.c:napi_schedule_prep (4.9: test_and_set_bit SCHED)",
        "sched": "include/linux/netdevice.h:__netif_rx_schedule" if era2006 else "net/core/dev.c:____napi_schedule",
        "complete": "include/linux/netdevice.h:netif_rx_complete" if era2006 else "net/core/dev.c:napi_complete_done",
        "clear": "include/linux/netdevice.h:netif_rx_complete (list_del; clear_bit __LINK_STATE_RX_SCHED)" if era2006
        else "net/core/dev.c:__napi_complete (4.9: list_del_init; clear_bit SCHED)",
        "poll": f"{DEV}: <driver>_poll (dev->poll(dev, &quota), 2.6.19)" if era2006 else f"{DEV}: <driver>_poll",
    }

    s = System("linux", "")
    # ------------------------------------------------------------------ shared state
    state = s.var("napi_state", Array(n_inst, Flags(*BITS)),
                  init=[Flags(*BITS).mask("THREADED") if threaded else 0] * n_inst,
                  doc="n->state (include/linux/netdevice.h NAPI_STATE_*)")
    pending = s.var("pending", Array(n_inst, Int(0, ring)), doc="packets in the device ring")
    masked = s.var("irq_masked", Array(n_inst, Bool), doc="device interrupt masked by the driver")
    unsig = s.var("unsignalled", Array(n_inst, Bool), doc="a packet arrived while masked and was not signalled")
    raised = s.var("irq_raised", Array(n_inst, Bool), doc="interrupt signalled to its CPU, handler not yet entered")
    cap = n_inst + 2
    elem = Int(0, n_inst - 1)
    plist = s.var("poll_list", Array(ncpu, Seq(elem, cap)), doc="softnet_data.poll_list per CPU")
    rx_pending = s.var("net_rx_pending", Array(ncpu, Bool), doc="NET_RX_SOFTIRQ pending bit per CPU")
    in_rx = s.var("in_net_rx_action", Array(ncpu, Bool), doc="softnet_data.in_net_rx_action per CPU")
    timer = s.var("timer_cpu", Array(n_inst, Int(-1, ncpu - 1)), init=[-1] * n_inst,
                  doc="n->timer (napi_watchdog hrtimer): -1 idle, else the CPU it is pinned to") if tmr else None
    dcnt = s.var("defer_count", Array(n_inst, Int(0, defer)), doc="n->defer_hard_irqs_count") if defer or prefer else None
    plock = s.var("poll_owner_held", Array(n_inst, Bool), doc="n->poll_owner != -1 (netpoll_poll_lock)") if netpoll else None
    kt_intr = s.var("kthread_interruptible", Array(n_inst, Bool),
                    doc="napi kthread's __state == TASK_INTERRUPTIBLE (set_current_state; wake_up_process clears)") \
        if threaded else None
    ndlock = s.var("netdev_lock", Int(-1, max(ndis, 1) - 1), init=-1, doc="netdev_lock(dev) holder") if ndis else None
    wait = s.var("wait", Array(n_inst, Int(0, bound + 1)), ghost=True, doc="polls of others on its CPU while queued (ghost)")

    @s.action("packet_arrives", func=f"{DEV}: device DMA + MSI-X interrupt logic", actor="DEV{i}", params={"i": ids})
    def arrive(t: Any, i: int) -> None:
        t.require(pending[i] < ring)
        t.mark_progress()  # an external event: cycles through it are not livelocks
        t.set(pending[i], pending[i] + 1)
        with t.if_(masked[i]):
            t.set(unsig[i], True)
        with t.else_():
            t.set(raised[i], True)

    progs: list[Prog] = []
    cpu_of: dict[str, CpuFn] = {}
    napi_of: dict[str, NapiFn] = {}
    kind_of: dict[str, str] = {}

    def new_prog(name: str, instances: int, display: str, kind: str, cpu: CpuFn, napi: NapiFn) -> Prog:
        p = Prog(name, instances, display)
        progs.append(p)
        cpu_of[name], napi_of[name], kind_of[name] = cpu, napi, kind
        p.local("val", Flags(*BITS))
        p.local("work", Int(0, maxw))
        p.local("ret", Bool)
        p.local("timeout", Bool)
        return p

    # ------------------------------------------------------------------ subroutines (emitted inline per context)
    def on_lists(n: Any) -> Expr:
        return Sum(cpus, lambda c: plist[c].count(n)) + Sum(cpus, lambda c: sirq.L.lst[c].count(n) + sirq.L.rep[c].count(n))

    def emit_sched(p: Prog, pre: str, napi: NapiFn, cpu: CpuFn, nxt: Emit) -> str:
        """____napi_schedule (caller owns SCHED, IRQs off): kthread wakeup or list_add_tail + raise."""
        lb = pre + "sched"

        @p.step(lb, func=F["sched"])
        def sched(t: Any, i: int) -> None:
            n, c = napi(i), cpu(i)

            def local() -> None:
                t.set(plist[c], plist[c].push_back(n))
                with t.if_(Not(in_rx[c])):
                    t.set(rx_pending[c], True)
                nxt(t, i)

            if threaded:
                # test_bit(THREADED) and set_bit(SCHED_THREADED) in one step: THREADED only changes under
                # napi_enable/napi_disable's CAS, which needs SCHED clear, and the caller owns SCHED.
                with t.if_(state[n].has("THREADED")):
                    t.set(state[n], state[n].with_bits("SCHED_THREADED"))
                    t.goto(pre + "wake")
                with t.else_():
                    local()
            else:
                local()

        if threaded:
            @p.step(pre + "wake", func="kernel/sched/core.c:wake_up_process (____napi_schedule)")
            def wake(t: Any, i: int) -> None:
                t.set(kt_intr[napi(i)], False)
                nxt(t, i)
        return lb

    def emit_prep(p: Prog, pre: str, napi: NapiFn, on_true: Emit, on_false: Emit) -> str:
        """napi_schedule_prep: READ_ONCE then a try_cmpxchg loop (6.18), or test_bit + test_and_set_bit (pre-2017)."""
        v = p.L
        if no_missed:
            @p.step(pre + "prep", func=F["prep"])
            def prep_dis(t: Any, i: int) -> None:
                n = napi(i)
                if era2006:
                    t.goto(pre + "prep_tas")  # netif_running(dev): the device is up throughout
                else:
                    with t.if_(state[n].has("DISABLE")):
                        on_false(t, i)
                    with t.else_():
                        t.goto(pre + "prep_tas")

            @p.step(pre + "prep_tas", func=F["prep2"])
            def prep_tas(t: Any, i: int) -> None:
                n = napi(i)
                t.let("old", state[n])
                t.set(state[n], state[n].with_bits("SCHED"))
                with t.if_(t.temp("old").has("SCHED")):
                    on_false(t, i)
                with t.else_():
                    on_true(t, i)
            return pre + "prep"

        @p.step(pre + "prep", func=F["prep"] + " (val = READ_ONCE(n->state))", next=pre + "prep_cas")
        def prep_read(t: Any, i: int) -> None:
            t.set(v.val[i], state[napi(i)])

        @p.step(pre + "prep_cas", func=F["prep"] + " (try_cmpxchg)")
        def prep_cas(t: Any, i: int) -> None:
            n, val = napi(i), v.val[i]
            with t.if_(val.has("DISABLE")):
                t.set(v.val[i], 0)
                on_false(t, i)
            with t.else_():
                with t.if_(state[n] == val):
                    with t.if_(val.has("SCHED")):
                        t.set(state[n], val.with_bits("SCHED", "MISSED"))
                        t.set(v.val[i], 0)
                        on_false(t, i)
                    with t.else_():
                        t.set(state[n], val.with_bits("SCHED"))
                        t.set(v.val[i], 0)
                        on_true(t, i)
                with t.else_():
                    t.set(v.val[i], state[n])  # failed: val reloaded, loop
        return pre + "prep"

    def emit_complete(p: Prog, pre: str, napi: NapiFn, cpu: CpuFn, work0: bool,
                      on_true: Emit, on_false: Emit) -> str:
        """napi_complete_done(n, work) (napi_complete when work0): returns through on_true/on_false."""
        v = p.L
        def ret_emit(t: Any, i: int) -> None:
            dispatch(t, i, v.ret[i], on_true, on_false)
            t.set(v.ret[i], False)  # dead after the return: reset so equal states merge

        gro_choice = {"gro_held": [False, True]} if gro and not work0 else None

        @p.step(pre + "cd", func=F["complete"] + ("" if not era2006 else " (local_irq_save)"), params=gro_choice)
        def cd(t: Any, i: int, gro_held: bool = False) -> None:
            n = napi(i)
            if era2006:
                t.goto(pre + "cd_clear")
                return
            t.set(v.timeout[i], False)  # "unsigned long ... timeout = 0": a fresh local per call
            with t.if_(state[n].has_any("NPSVC", "IN_BUSY_POLL")):
                t.set(v.ret[i], False)
                on_false(t, i)
            with t.else_():
                t.set(v.ret[i], True)
                if gro_held:
                    # work_done && n->gro.bitmask: timeout = gro_flush_timeout (ret stays true)
                    with t.if_(v.work[i] > 0):
                        t.set(v.timeout[i], True)
                if defer:
                    # defer_hard_irqs_count is only touched by the SCHED owner: folded into this step
                    if not work0:
                        with t.if_(v.work[i] > 0):
                            t.set(dcnt[n], defer)
                    with t.if_(dcnt[n] > 0):
                        t.set(dcnt[n], dcnt[n] - 1)
                        t.set(v.timeout[i], True)  # gro_flush_timeout > 0 is configured with defer_hard_irqs
                        t.set(v.ret[i], False)
                t.goto(pre + ("cd_clear" if no_missed else "cd_read"))
        p.mark("poll", pre + "cd")

        if no_missed:
            @p.step(pre + "cd_clear", func=F["clear"])
            def cd_clear(t: Any, i: int) -> None:
                n = napi(i)
                t.set(state[n], state[n].without_bits("SCHED", "PREFER_BUSY_POLL"))
                if era2006:
                    t.set(v.ret[i], True)
                if tmr:
                    with t.if_(v.timeout[i]):
                        t.goto(pre + "cd_timer")
                    with t.else_():
                        ret_emit(t, i)
                else:
                    ret_emit(t, i)
            p.mark("poll", pre + "cd_clear")
        else:
            @p.step(pre + "cd_read", func=F["complete"] + " (val = READ_ONCE(n->state))", next=pre + "cd_cas")
            def cd_read(t: Any, i: int) -> None:
                t.set(v.val[i], state[napi(i)])

            after_missed = pre + "cd_m"

            @p.step(pre + "cd_cas", func=F["complete"] + " (try_cmpxchg)")
            def cd_cas(t: Any, i: int) -> None:
                n, val = napi(i), v.val[i]
                with t.if_(state[n] == val):
                    cleared = val.without_bits("MISSED", "SCHED", "SCHED_THREADED", "PREFER_BUSY_POLL")
                    with t.if_(val.has("MISSED")):
                        t.set(state[n], cleared.with_bits("SCHED"))
                        t.set(v.val[i], 0)
                        t.set(v.ret[i], False)
                        t.set(v.timeout[i], False)  # returns before hrtimer_start
                        t.goto(after_missed + "sched")
                    with t.else_():
                        t.set(state[n], cleared)
                        t.set(v.val[i], 0)
                        if tmr:
                            with t.if_(v.timeout[i]):
                                t.goto(pre + "cd_timer")
                            with t.else_():
                                ret_emit(t, i)
                        else:
                            ret_emit(t, i)
                with t.else_():
                    t.set(v.val[i], state[n])
            p.mark("poll", pre + "cd_read", pre + "cd_cas")
            # MISSED: __napi_schedule(n) then return false
            emit_sched(p, after_missed, napi, cpu, on_false)

        if tmr:
            @p.step(pre + "cd_timer", func=F["complete"] + " (hrtimer_start(&n->timer, REL_PINNED))")
            def cd_timer(t: Any, i: int) -> None:
                t.set(timer[napi(i)], cpu(i))
                t.set(v.timeout[i], False)
                ret_emit(t, i)
        return pre + "cd"

    def dispatch(t: Any, i: int, cond: Any, a: Emit, b: Emit) -> None:
        with t.if_(cond):
            a(t, i)
        with t.else_():
            b(t, i)

    def emit_unmask(p: Prog, lb: str, napi: NapiFn, nxt: Emit) -> str:
        @p.step(lb, func=f"{DEV}: <driver>_enable_irq (unmask; edge: only unsignalled packets raise)")
        def unmask(t: Any, i: int) -> None:
            n = napi(i)
            t.set(masked[n], False)
            with t.if_(unsig[n]):
                t.set(unsig[n], False)
                t.set(raised[n], True)
            nxt(t, i)
        return lb

    def emit_driver_poll(p: Prog, pre: str, napi: NapiFn, cpu: CpuFn, budget: int, ret: Emit) -> str:
        """The driver's ->poll(n, budget): Rx up to budget, then per ``driver`` the contract or its violation.

        ``work`` holds the return value when ``ret`` runs."""
        v = p.L
        drv = k.driver
        rx = pre + "rx"
        txc = {"txc": [True, False]} if drv in ("igb", "igb_contract") and budget > 0 else None

        @p.step(rx, func=F["poll"] + (" (igb_clean_tx_irq + igb_clean_rx_irq)" if txc else " (clean Rx ring)"),
                params=txc)
        def poll_rx(t: Any, i: int, txc: bool = True) -> None:
            n = napi(i)
            t.let("w", Min(pending[n], budget))
            t.set(pending[n], pending[n] - t.temp("w"))
            t.set(v.work[i], t.temp("w"))
            full = t.temp("w") == budget
            if drv in ("igb", "igb_contract"):
                # "If all work not completed, return budget and keep polling"
                if not txc:
                    t.set(v.work[i], budget)
                    ret(t, i)
                    return
                with t.if_(full):
                    ret(t, i)
                with t.else_():
                    t.goto(pre + "cd")
                return
            if drv == "return_budget_after_complete":
                # completes whatever it consumed, then returns work (the full budget when it used it)
                t.goto(pre + ("cd" if budget > 0 else "ret0"))
                return
            with t.if_(full):
                ret(t, i)  # "return exactly budget and do not touch NAPI state"
            with t.else_():
                t.goto(pre + ("unmask" if drv == "unmask_first" else "cd"))
        p.mark("poll", rx)

        if drv == "return_budget_after_complete" and budget == 0:
            @p.step(pre + "ret0", func=F["poll"])
            def ret0(t: Any, i: int) -> None:
                ret(t, i)
            return rx

        if drv == "igb":
            # napi_complete(napi); igb_ring_irq_enable(q_vector); return 0;
            emit_complete(p, pre, napi, cpu, True, _goto(pre + "unmask"), _goto(pre + "unmask"))

            def ret_zero(t: Any, i: int) -> None:
                t.set(v.work[i], 0)
                ret(t, i)
            emit_unmask(p, pre + "unmask", napi, ret_zero)
        elif drv == "igb_contract":
            # if (napi_complete_done(napi, work_done)) igb_ring_irq_enable(q_vector); return min(work_done, budget - 1);
            emit_complete(p, pre, napi, cpu, False, _goto(pre + "unmask"), ret)
            emit_unmask(p, pre + "unmask", napi, ret)
        elif drv == "unmask_first":
            # xen-netback before 2014: enable the event channel, then napi_complete()
            emit_unmask(p, pre + "unmask", napi, _goto(pre + "cd"))
            p.mark("poll", pre + "unmask")
            emit_complete(p, pre, napi, cpu, False, ret, ret)
        elif drv == "ignore_false":
            emit_complete(p, pre, napi, cpu, False, _goto(pre + "unmask"), _goto(pre + "unmask"))
            emit_unmask(p, pre + "unmask", napi, ret)
        else:  # contract / return_budget_after_complete: unmask only when napi_complete_done returns true
            emit_complete(p, pre, napi, cpu, False, _goto(pre + "unmask"), ret)
            emit_unmask(p, pre + "unmask", napi, ret)
        return rx

    def emit_napi_poll(p: Prog, pre: str, napi: NapiFn, cpu: CpuFn, on_repoll: Emit, on_done: Emit) -> str:
        """netpoll_poll_lock + __napi_poll(n, &repoll); the caller does list_add_tail/unlock."""
        v = p.L
        first = pre + ("np_lock" if netpoll else "test")
        if netpoll:
            @p.step(pre + "np_lock", func="include/linux/netpoll.h:netpoll_poll_lock (cmpxchg poll_owner; spins)",
                    next=pre + "test")
            def np_lock(t: Any, i: int) -> None:
                t.require(Not(plock[napi(i)]))
                t.set(plock[napi(i)], True)
            p.mark("owned", pre + "np_lock")

        def after_poll(t: Any, i: int) -> None:
            with t.if_(v.work[i] < weight):
                on_done(t, i)  # "driver has called (or should have) napi_complete_done"
            with t.else_():
                t.goto(pre + ("dis" if ndis else ("pref" if prefer else "empty")))

        @p.step(pre + "test", func="net/core/dev.c:__napi_poll (test_bit(NAPI_STATE_SCHED))")
        def test(t: Any, i: int) -> None:
            with t.if_(state[napi(i)].has("SCHED")):
                t.goto(pre + "rx")
            with t.else_():
                t.set(v.work[i], 0)
                on_done(t, i)
        p.mark("owned", pre + "test")
        emit_driver_poll(p, pre, napi, cpu, weight, after_poll)
        if ndis:
            @p.step(pre + "dis", func="net/core/dev.c:__napi_poll (test_bit(NAPI_STATE_DISABLE))")
            def dis(t: Any, i: int) -> None:
                with t.if_(state[napi(i)].has("DISABLE")):
                    t.goto(pre + "dc_cd")
                with t.else_():
                    t.goto(pre + ("pref" if prefer else "empty"))
            p.mark("owned", pre + "dis")
            emit_complete(p, pre + "dc_", napi, cpu, True, on_done, on_done)  # napi_complete(n); return work
        if prefer:
            @p.step(pre + "pref", func="net/core/dev.c:__napi_poll (napi_prefer_busy_poll)")
            def pref(t: Any, i: int) -> None:
                with t.if_(state[napi(i)].has("PREFER_BUSY_POLL")):
                    t.goto(pre + "pc_cd")
                with t.else_():
                    t.goto(pre + "empty")
            p.mark("owned", pre + "pref")
            # if (napi_complete_done(n, work)) napi_schedule(n);
            emit_complete(p, pre + "pc_", napi, cpu, False, _goto(pre + "ps_prep"), on_done)
            emit_prep(p, pre + "ps_", napi, _goto(pre + "ps_sched"), on_done)
            emit_sched(p, pre + "ps_", napi, cpu, on_done)

        @p.step(pre + "empty", func="net/core/dev.c:__napi_poll (list_empty(&n->poll_list), else pr_warn "
                                    "'Budget exhausted after napi rescheduled')")
        def empty(t: Any, i: int) -> None:
            with t.if_(on_lists(napi(i)) > 0):
                on_done(t, i)
            with t.else_():
                on_repoll(t, i)
        p.mark("owned", pre + "empty")
        return first

    # ------------------------------------------------------------------ device IRQ handler (one per instance)
    irq = new_prog("irq", n_inst, "IRQ{i}", "hardirq", irq_cpu, lambda i: i)

    @irq.step("idle", func=f"{DEV}: <driver>_msix_irq (hard IRQ entry)")
    def irq_entry(t: Any, i: int) -> None:
        t.set(raised[i], False)
        t.goto("prep")

    emit_prep(irq, "", lambda i: i, _goto("mask"), _goto("idle"))

    @irq.step("mask", func=f"{DEV}: <driver>_disable_irq (\"schedule after masking to avoid races\")", next="sched")
    def irq_mask(t: Any, i: int) -> None:
        t.set(masked[i], True)

    emit_sched(irq, "", lambda i: i, irq_cpu, _goto("idle"))
    irq.mark("hard", *[lb for lb in irq.labels if lb != "idle"])

    # ------------------------------------------------------------------ net_rx_action, one per CPU
    # with one instance, cur is always 0: a constant index (also keeps the packed kernel off dynamic
    # indexing of one-element arrays, which it mis-compiles)
    cur_napi: NapiFn = (lambda c: sirq.L.cur[c]) if n_inst > 1 else (lambda c: 0)
    sirq = new_prog("softirq", ncpu, "CPU{i} softirq", "softirq", lambda c: c, cur_napi)
    sirq.local("lst", Seq(elem, cap))
    sirq.local("rep", Seq(elem, cap))
    sirq.local("cur", Int(0, n_inst - 1))
    sirq.local("budget", Int(0, k.BUDGET))
    sirq.local("rpl", Bool)
    L = sirq.L

    @sirq.step("idle", func="net/core/dev.c:net_rx_action (entry: in_net_rx_action = true; list_splice_init)",
               next="loop")
    def rx_start(t: Any, c: int) -> None:
        t.require(rx_pending[c])
        t.require(Not(bh_off(c)))
        t.set(rx_pending[c], False)  # handle_softirqs clears the pending bits before running the handlers
        t.set(in_rx[c], True)
        t.set(L.lst[c], plist[c])
        t.set(plist[c], [])
        t.set(L.budget[c], k.BUDGET)

    @sirq.step("loop", func="net/core/dev.c:net_rx_action (n = list_first_entry; napi_poll: list_del_init)")
    def rx_loop(t: Any, c: int) -> None:
        with t.if_(L.lst[c].len() == 0):
            with t.if_(L.rep[c].len() == 0):
                t.set(in_rx[c], False)
                t.goto("recheck")
            with t.else_():
                t.goto("end")
        with t.else_():
            t.let("n", L.lst[c].head())
            t.set(L.cur[c], t.temp("n"))
            t.set(L.lst[c], L.lst[c].pop_front())
            for j in ids:  # ghost: every other instance queued on this CPU waits one more poll
                with t.if_(And(t.temp("n") != j, Or(plist[c].contains(j), L.lst[c].contains(j),
                                                    L.rep[c].contains(j)))):
                    t.set(wait[j], Min(wait[j] + 1, bound + 1))
            t.set(wait[t.temp("n") if n_inst > 1 else 0], 0)
            t.goto(first_sirq)

    def rx_repoll(t: Any, c: int) -> None:
        t.set(L.rpl[c], True)
        t.goto("after")

    first_sirq = emit_napi_poll(sirq, "", cur_napi, lambda c: c, rx_repoll, _goto("after"))

    @sirq.step("after", func="net/core/dev.c:napi_poll (list_add_tail(repoll); netpoll_poll_unlock) + "
                             "net_rx_action (budget, time_limit)", params={"time_up": [False, True]})
    def rx_after(t: Any, c: int, time_up: bool) -> None:
        with t.if_(L.rpl[c]):
            t.set(L.rep[c], L.rep[c].push_back(cur_napi(c)))
        if netpoll:
            t.set(plock[cur_napi(c)], False)
        t.set(L.rpl[c], False)
        t.set(L.budget[c], Max(L.budget[c] - sirq.L.work[c], 0))
        t.set(sirq.L.work[c], 0)
        t.set(L.cur[c], 0)
        if time_up:  # time_after_eq(jiffies, time_limit): a nondeterministic choice
            t.goto("end")
        else:
            with t.if_(L.budget[c] <= 0):
                t.goto("end")
            with t.else_():
                t.goto("loop")
    sirq.mark("owned_rpl", "after")

    @sirq.step("recheck", func="net/core/dev.c:net_rx_action (barrier(); if !list_empty(&sd->poll_list) goto start)")
    def rx_recheck(t: Any, c: int) -> None:
        with t.if_(plist[c].len() > 0):
            t.set(in_rx[c], True)
            t.set(L.lst[c], plist[c])
            t.set(plist[c], [])
            t.goto("loop")
        with t.else_():
            t.set(L.budget[c], 0)
            t.goto("idle")

    @sirq.step("end", func="net/core/dev.c:net_rx_action (local_irq_disable; splice poll_list, repoll to the "
                           "tail; __raise_softirq_irqoff or in_net_rx_action = false)", next="idle")
    def rx_end(t: Any, c: int) -> None:
        t.let("all", L.lst[c].concat(plist[c]).concat(L.rep[c]))
        t.set(plist[c], t.temp("all"))
        t.set(L.lst[c], [])
        t.set(L.rep[c], [])
        t.set(L.budget[c], 0)
        with t.if_(t.temp("all").len() > 0):
            t.set(rx_pending[c], True)
        with t.else_():
            t.set(in_rx[c], False)

    # ------------------------------------------------------------------ napi_watchdog hrtimer (defer_hard_irqs)
    wd: Prog | None = None
    if tmr:
        wd_cpu: CpuFn = (lambda i: wd.L.cpu[i]) if ncpu > 1 else (lambda i: 0)  # type: ignore[union-attr]
        wd = new_prog("watchdog", n_inst, "TIMER{i}", "hardirq", wd_cpu, lambda i: i)
        wd.local("cpu", Int(0, ncpu - 1))

        @wd.step("idle", func="kernel/time/hrtimer.c:__hrtimer_run_queues -> net/core/dev.c:napi_watchdog",
                 params={"c": cpus})
        def wd_fire(t: Any, i: int, c: int) -> None:
            t.require(timer[i] == c)
            t.require(Not(hard_on(c)))
            t.set(timer[i], -1)
            t.set(wd.L.cpu[i], c)
            t.goto("dis")

        @wd.step("dis", func="net/core/dev.c:napi_watchdog (!napi_disable_pending)")
        def wd_dis(t: Any, i: int) -> None:
            with t.if_(state[i].has("DISABLE")):
                t.set(wd.L.cpu[i], 0)
                t.goto("idle")
            with t.else_():
                t.goto("tas")

        @wd.step("tas", func="net/core/dev.c:napi_watchdog (test_and_set_bit(NAPI_STATE_SCHED))")
        def wd_tas(t: Any, i: int) -> None:
            t.let("old", state[i])
            t.set(state[i], state[i].with_bits("SCHED"))
            with t.if_(t.temp("old").has("SCHED")):
                t.set(wd.L.cpu[i], 0)
                t.goto("idle")
            with t.else_():
                t.goto("clrpref" if prefer else "sched")

        if prefer:
            @wd.step("clrpref", func="net/core/dev.c:napi_watchdog (clear_bit(NAPI_STATE_PREFER_BUSY_POLL))",
                     next="sched")
            def wd_clrpref(t: Any, i: int) -> None:
                t.set(state[i], state[i].without_bits("PREFER_BUSY_POLL"))

        def wd_done(t: Any, i: int) -> None:
            t.set(wd.L.cpu[i], 0)  # type: ignore[union-attr]
            t.goto("idle")
        emit_sched(wd, "", lambda i: i, wd_cpu, wd_done)
        wd.mark("hard", *[lb for lb in wd.labels if lb != "idle"])

    # ------------------------------------------------------------------ busy poller (__napi_busy_loop)
    bp: Prog | None = None
    if busy:
        bp = new_prog("busypoll", 1, "BUSYPOLL", "process", lambda i: proc_cpu, lambda i: bp_napi)
        bp.local("rounds", Int(0, k.BP_ROUNDS))
        bp.local("owner", Bool)
        bp.local("skip", Bool)
        B = bp.L
        n0 = bp_napi

        @bp.step("idle", func="net/core/dev.c:__napi_busy_loop (preempt_disable; local_bh_disable)", next="read")
        def bp_enter(t: Any, i: int) -> None:
            t.require(B.rounds[i] < k.BP_ROUNDS)
            t.set(B.rounds[i], B.rounds[i] + 1)

        @bp.step("read", func="net/core/dev.c:__napi_busy_loop (val = READ_ONCE(napi->state))")
        def bp_read(t: Any, i: int) -> None:
            t.set(B.val[i], state[n0])
            with t.if_(state[n0].has_any("DISABLE", "SCHED", "IN_BUSY_POLL")):
                t.set(B.val[i], 0)
                t.goto("setpref" if prefer else "count")
            with t.else_():
                t.goto("cas")

        @bp.step("cas", func="net/core/dev.c:__napi_busy_loop (cmpxchg(state, val, val|IN_BUSY_POLL|SCHED))")
        def bp_cas(t: Any, i: int) -> None:
            with t.if_(state[n0] == B.val[i]):
                t.set(state[n0], B.val[i].with_bits("IN_BUSY_POLL", "SCHED"))
                t.set(B.owner[i], True)
                t.goto("lock" if netpoll else "rx")
            with t.else_():
                t.goto("setpref" if prefer else "count")
            t.set(B.val[i], 0)

        if prefer:
            @bp.step("setpref", func="net/core/dev.c:__napi_busy_loop (set_bit(NAPI_STATE_PREFER_BUSY_POLL))",
                     next="count")
            def bp_setpref(t: Any, i: int) -> None:
                t.set(state[n0], state[n0].with_bits("PREFER_BUSY_POLL"))

        if netpoll:
            @bp.step("lock", func="include/linux/netpoll.h:netpoll_poll_lock", next="rx")
            def bp_lock(t: Any, i: int) -> None:
                t.require(Not(plock[n0]))
                t.set(plock[n0], True)
            bp.mark("owned", "lock")

        emit_driver_poll(bp, "", lambda i: n0, lambda i: proc_cpu, bp_budget, _goto("count"))

        @bp.step("count", func="net/core/dev.c:__napi_busy_loop (local_bh_enable; loop_end(); local_bh_disable)",
                 params={"end": [False, True]})
        def bp_count(t: Any, i: int, end: bool) -> None:
            t.set(B.work[i], 0)
            if not end:
                with t.if_(B.owner[i]):
                    t.goto("rx")
                with t.else_():
                    t.goto("read")
            else:
                with t.if_(B.owner[i]):
                    t.goto("stop_missed")
                with t.else_():
                    t.goto("idle")
        bp.mark("owned_if_owner", "count")

        @bp.step("stop_missed", func="net/core/dev.c:busy_poll_stop (clear_bit(NAPI_STATE_MISSED))",
                 next="stop_inbp")
        def bp_stop_missed(t: Any, i: int) -> None:
            t.set(state[n0], state[n0].without_bits("MISSED"))

        @bp.step("stop_inbp", func="net/core/dev.c:busy_poll_stop (clear_bit(NAPI_STATE_IN_BUSY_POLL))",
                 next="stop_bh")
        def bp_stop_inbp(t: Any, i: int) -> None:
            t.set(state[n0], state[n0].without_bits("IN_BUSY_POLL"))

        @bp.step("stop_bh", func="net/core/dev.c:busy_poll_stop (local_bh_disable; PREFER: defer count, "
                                 "hrtimer_start)", next="stop_rx")
        def bp_stop_bh(t: Any, i: int) -> None:
            t.set(B.owner[i], False)
            if prefer and defer:
                t.set(dcnt[n0], defer)
                t.set(timer[n0], proc_cpu)  # type: ignore[index]
                t.set(B.skip[i], True)
        bp.mark("owned", "stop_missed", "stop_inbp", "stop_bh")

        def bp_after_final(t: Any, i: int) -> None:
            t.goto("stop_unlock")
        emit_driver_poll(bp, "stop_", lambda i: n0, lambda i: proc_cpu, bp_budget, bp_after_final)

        @bp.step("stop_unlock", func="net/core/dev.c:busy_poll_stop (netpoll_poll_unlock; if rc == budget "
                                     "__busy_poll_stop)")
        def bp_stop_unlock(t: Any, i: int) -> None:
            if netpoll:
                t.set(plock[n0], False)
            with t.if_(B.work[i] == bp_budget):
                with t.if_(B.skip[i]):
                    t.goto("stop_clr")
                with t.else_():
                    t.goto("stop_sched")
            with t.else_():
                t.goto("idle")
            t.set(B.work[i], 0)
            t.set(B.skip[i], False)
        bp.mark("owned_if_full", "stop_unlock")

        @bp.step("stop_clr", func="net/core/dev.c:__busy_poll_stop (clear_bit(NAPI_STATE_SCHED))", next="idle")
        def bp_stop_clr(t: Any, i: int) -> None:
            t.set(state[n0], state[n0].without_bits("SCHED"))
        bp.mark("owned", "stop_clr")

        emit_sched(bp, "stop_", lambda i: n0, lambda i: proc_cpu, _goto("idle"))
        bp.mark("nopre", *[lb for lb in bp.labels if lb != "idle"])
        bp.mark("bh", *[lb for lb in bp.labels if lb not in ("idle", "count", "stop_missed", "stop_inbp")])

    # ------------------------------------------------------------------ threaded NAPI kthread
    kt: Prog | None = None
    kt_cpu = 0
    if threaded:
        kt = new_prog("kthread", n_inst, "napi/kthread{i}", "process", lambda i: kt_cpu, lambda i: i)
        bit = "SCHED" if k.thread_wait_sched else "SCHED_THREADED"

        @kt.step("set_state", func="net/core/dev.c:napi_thread_wait (set_current_state(TASK_INTERRUPTIBLE))",
                 next="test")
        def kt_set(t: Any, i: int) -> None:
            t.set(kt_intr[i], True)

        @kt.step("test", func=f"net/core/dev.c:napi_thread_wait (test_bit(NAPI_STATE_{bit}))")
        def kt_test(t: Any, i: int) -> None:
            with t.if_(state[i].has(bit)):
                t.set(kt_intr[i], False)  # __set_current_state(TASK_RUNNING); return 0
                t.goto("tp_read" if busy else kt_first)
            with t.else_():
                t.goto("sleep")

        @kt.step("sleep", func="net/core/dev.c:napi_thread_wait (schedule(): sleeps until wake_up_process)",
                 next="set_state")
        def kt_sleep(t: Any, i: int) -> None:
            t.require(Not(kt_intr[i]))

        if busy:
            @kt.step("tp_read", func="net/core/dev.c:napi_threaded_poll (val = READ_ONCE(napi->state); "
                                     "in_busy_poll = val & IN_BUSY_POLL)")
            def kt_tp_read(t: Any, i: int) -> None:
                with t.if_(state[i].has("IN_BUSY_POLL")):
                    t.goto("tp_clr")
                with t.else_():
                    t.goto(kt_first)

            @kt.step("tp_clr", func="net/core/dev.c:napi_threaded_poll (assign_bit(NAPI_STATE_IN_BUSY_POLL, false))")
            def kt_tp_clr(t: Any, i: int) -> None:
                t.set(state[i], state[i].without_bits("IN_BUSY_POLL"))
                t.goto(kt_first)
            kt.mark("owned", "tp_read", "tp_clr")

        def kt_repoll(t: Any, i: int) -> None:
            if netpoll:
                t.set(plock[i], False)
            t.set(kt.L.work[i], 0)  # type: ignore[union-attr]
            t.goto("k_again")

        def kt_done(t: Any, i: int) -> None:
            if netpoll:
                t.set(plock[i], False)
            t.set(kt.L.work[i], 0)  # type: ignore[union-attr]
            t.goto("set_state")

        kt_first = "k_" + ("np_lock" if netpoll else "test")
        emit_napi_poll(kt, "k_", lambda i: i, lambda i: kt_cpu, kt_repoll, kt_done)
        kt.mark("bh", *[lb for lb in kt.labels if lb.startswith("k_")])

        @kt.step("k_again", func="net/core/dev.c:napi_threaded_poll_loop (local_bh_enable; repoll: cond_resched(); "
                                 "local_bh_disable)")
        def kt_again(t: Any, i: int) -> None:
            t.goto(kt_first)
        kt.mark("nopre", *kt.in_set("bh"))

    # ------------------------------------------------------------------ napi_disable / napi_enable (+ reschedule)
    dis: Prog | None = None
    if ndis:
        dis = new_prog("disabler", ndis, "DISABLE{i}", "process", lambda i: proc_cpu, lambda i: 0)
        D = dis.L

        @dis.step("idle", func="net/core/dev.c:napi_disable (netdev_lock(dev))", next="set_dis")
        def d_lock(t: Any, i: int) -> None:
            t.require(ndlock == -1)  # mutex_lock: sleeps while held
            t.set(ndlock, i)

        @dis.step("set_dis", func="net/core/dev.c:napi_disable_locked (set_bit(NAPI_STATE_DISABLE))", next="read")
        def d_set(t: Any, i: int) -> None:
            t.set(state[0], state[0].with_bits("DISABLE"))

        @dis.step("read", func="net/core/dev.c:napi_disable_locked (val = READ_ONCE(n->state))")
        def d_read(t: Any, i: int) -> None:
            t.set(D.val[i], state[0])
            with t.if_(state[0].has_any("SCHED", "NPSVC")):
                t.goto("sleep")
            with t.else_():
                t.goto("cas")

        @dis.step("sleep", func="net/core/dev.c:napi_disable_locked (while (val & (SCHED|NPSVC)) "
                                "{ usleep_range(20, 200); val = READ_ONCE(n->state); })", next="cas")
        def d_sleep(t: Any, i: int) -> None:
            # re-reads that still see SCHED|NPSVC leave the state unchanged (stuttering): the loop is
            # the step that finds them clear
            t.require(Not(state[0].has_any("SCHED", "NPSVC")))
            t.set(D.val[i], state[0])

        @dis.step("cas", func="net/core/dev.c:napi_disable_locked (try_cmpxchg: SCHED|NPSVC, clear THREADED)")
        def d_cas(t: Any, i: int) -> None:
            with t.if_(state[0] == D.val[i]):
                t.set(state[0], D.val[i].with_bits("SCHED", "NPSVC").without_bits("THREADED", "PREFER_BUSY_POLL"))
                t.set(D.val[i], 0)
                t.goto("cancel" if tmr else "clr_dis")
            with t.else_():
                t.set(D.val[i], state[0])
                with t.if_(state[0].has_any("SCHED", "NPSVC")):
                    t.goto("sleep")

        if tmr:
            @dis.step("cancel", func="net/core/dev.c:napi_disable_locked (hrtimer_cancel: waits for napi_watchdog)",
                      next="clr_dis")
            def d_cancel(t: Any, i: int) -> None:
                t.require(wd.at(0, "idle"))  # type: ignore[union-attr]
                t.set(timer[0], -1)  # type: ignore[index]

        @dis.step("clr_dis", func="net/core/dev.c:napi_disable_locked (clear_bit(NAPI_STATE_DISABLE))",
                  next="unlock")
        def d_clr(t: Any, i: int) -> None:
            t.set(state[0], state[0].without_bits("DISABLE"))

        @dis.step("unlock", func="net/core/dev.c:napi_disable (netdev_unlock(dev))", next="disabled")
        def d_unlock(t: Any, i: int) -> None:
            t.set(ndlock, -1)

        @dis.step("disabled", func=f"{DEV}: reconfiguration while NAPI is disabled -> napi_enable (netdev_lock)",
                  next="en_read")
        def d_elock(t: Any, i: int) -> None:
            t.require(ndlock == -1)
            t.set(ndlock, i)

        @dis.step("en_read", func="net/core/dev.c:napi_enable_locked (val = READ_ONCE(n->state))", next="en_cas")
        def d_en_read(t: Any, i: int) -> None:
            t.set(D.val[i], state[0])

        @dis.step("en_cas", func="net/core/dev.c:napi_enable_locked (try_cmpxchg: clear SCHED|NPSVC, "
                                 "THREADED if dev->threaded)")
        def d_en_cas(t: Any, i: int) -> None:
            with t.if_(state[0] == D.val[i]):
                new = D.val[i].without_bits("SCHED", "NPSVC")
                t.set(state[0], new.with_bits("THREADED") if threaded else new)
                t.set(D.val[i], 0)
                t.goto("en_unlock")
            with t.else_():
                t.set(D.val[i], state[0])

        @dis.step("en_unlock", func="net/core/dev.c:napi_enable (netdev_unlock(dev))", next="prep")
        def d_en_unlock(t: Any, i: int) -> None:
            t.set(ndlock, -1)

        # drivers/net/virtio_net.c:virtnet_napi_do_enable: "If all buffers were filled by other side before we
        # napi_enabled, we won't get another interrupt, so process any outstanding packets now."
        emit_prep(dis, "", lambda i: 0, _goto("mask"), _goto("done"))

        @dis.step("mask", func="drivers/net/virtio_net.c:virtqueue_napi_schedule (virtqueue_disable_cb)",
                  next="sched")
        def d_mask(t: Any, i: int) -> None:
            t.set(masked[0], True)

        emit_sched(dis, "", lambda i: 0, lambda i: proc_cpu, _goto("done"))

        dis.label("done")  # terminal: the cycle is over (no step)
        dis.mark("bh", "prep", "prep_cas", "prep_tas", "mask", "sched", "wake")  # local_bh_disable() around it
        dis.mark("nopre", *dis.in_set("bh"))

    # ------------------------------------------------------------------ netpoll (poll_napi -> poll_one_napi)
    np_: Prog | None = None
    if netpoll:
        np_ = new_prog("netpoll", 1, "NETPOLL", "netpoll", lambda i: 0, lambda i: np_napi)
        np_.local("rounds", Int(0, 1))
        m = np_napi

        @np_.step("idle", func="net/core/netpoll.c:netpoll_poll_dev (IRQs off: netpoll_send_skb local_irq_save)",
                  next="lock")
        def np_enter(t: Any, i: int) -> None:
            t.require(np_.L.rounds[i] < 1)  # type: ignore[union-attr]
            t.set(np_.L.rounds[i], 1)  # type: ignore[union-attr]

        @np_.step("lock", func="net/core/netpoll.c:poll_napi (cmpxchg(&napi->poll_owner, -1, cpu))")
        def np_lock(t: Any, i: int) -> None:
            with t.if_(plock[m]):
                t.goto("idle")
            with t.else_():
                t.set(plock[m], True)
                t.goto("npsvc")

        @np_.step("npsvc", func="net/core/netpoll.c:poll_one_napi (test_and_set_bit(NAPI_STATE_NPSVC))")
        def np_npsvc(t: Any, i: int) -> None:
            t.let("old", state[m])
            t.set(state[m], state[m].with_bits("NPSVC"))
            with t.if_(t.temp("old").has("NPSVC")):
                t.goto("unlock")
            with t.else_():
                t.goto("rx")

        def np_ret(t: Any, i: int) -> None:
            t.set(np_.L.work[i], 0)  # type: ignore[union-attr]
            t.goto("clr")
        emit_driver_poll(np_, "", lambda i: m, lambda i: 0, 0, np_ret)  # napi->poll(napi, 0)
        np_.sets["netpoll_poll"] = set(np_.sets.pop("poll", set()))

        @np_.step("clr", func="net/core/netpoll.c:poll_one_napi (clear_bit(NAPI_STATE_NPSVC))", next="unlock")
        def np_clr(t: Any, i: int) -> None:
            t.set(state[m], state[m].without_bits("NPSVC"))

        @np_.step("unlock", func="net/core/netpoll.c:poll_napi (smp_store_release(&napi->poll_owner, -1))",
                  next="idle")
        def np_unlock(t: Any, i: int) -> None:
            t.set(plock[m], False)
        np_.mark("hard", *[lb for lb in np_.labels if lb != "idle"])

    # ------------------------------------------------------------------ create actors, then CPU-exclusion guards
    for p in progs:
        p.create(s)

    def on_cpu(p: Prog, i: int, c: int) -> Any:
        cpu = cpu_of[p.name](i)
        return (cpu == c) if isinstance(cpu, Expr) else (cpu == c)

    def ctx_on(c: int, kind: str, skip: tuple[str, int] | None = None, kinds: tuple[str, ...] | None = None) -> Expr:
        terms = []
        for p in progs:
            labels = p.in_set(kind)
            if not labels or (kinds is not None and kind_of[p.name] not in kinds):
                continue
            for i in range(p.instances):
                if skip == (p.name, i):
                    continue
                oc = on_cpu(p, i, c)
                if oc is False:
                    continue
                terms.append(And(p.at(i, *labels)) if oc is True else And(oc, p.at(i, *labels)))
        return Or(*terms)

    def hard_on(c: int, skip: tuple[str, int] | None = None) -> Expr:
        """Some context on CPU c runs with interrupts off (a hard-IRQ handler, netpoll)."""
        return ctx_on(c, "hard", skip)

    def due(c: int) -> Expr:
        """A device interrupt is signalled to CPU c: it is taken at once unless interrupts are off there."""
        return Or(*[raised[i] for i in ids if irq_cpu(i) == c])

    def bh_off(c: int) -> Expr:
        """A process context on CPU c has bottom halves disabled (the softirq cannot start there)."""
        return ctx_on(c, "bh", kinds=("process",))

    def process_guard(name: str, i: int, c: int) -> Expr:
        """A task on CPU c runs only when no interrupt, softirq or non-preemptible task holds the CPU."""
        return And(Not(hard_on(c)), Not(due(c)), sirq.at(c, "idle"), Not(ctx_on(c, "nopre", skip=(name, i))))

    irq.guard = lambda i, lb: And(raised[i], Not(hard_on(irq_cpu(i)))) if lb == "idle" else None
    sirq.guard = lambda c, lb: And(Not(hard_on(c)), Not(due(c)))
    if wd is not None:
        wd.guard = lambda i, lb: None  # entry awaits its CPU in the step itself
    for p in (bp, kt, dis):
        if p is not None:
            p.guard = (lambda pp: (lambda i, lb: process_guard(pp.name, i, cpu_of[pp.name](i))))(p)
    if np_ is not None:
        np_.guard = lambda i, lb: process_guard("netpoll", i, 0) if lb == "idle" else None

    for p in progs:
        p.register()

    # ------------------------------------------------------------------ properties
    def in_poll(i: int, with_netpoll: bool = True) -> list[Expr]:
        """Per context instance: 'inside ->poll of i, before its napi_complete_done released it'."""
        out = []
        for p in progs:
            kinds = ["poll"] + (["netpoll_poll"] if with_netpoll else [])
            labels = [lb for kd in kinds for lb in p.in_set(kd)]
            if not labels:
                continue
            for a in range(p.instances):
                nap = napi_of[p.name](a)
                same = (nap == i) if isinstance(nap, Expr) else (nap == i)
                if same is False:
                    continue
                cond = p.at(a, *labels)
                out.append(cond if same is True else And(same, cond))
        return out

    def owned(i: int) -> list[Expr]:
        out = in_poll(i, with_netpoll=False)
        for p in progs:
            for a in range(p.instances):
                nap = napi_of[p.name](a)
                same = (nap == i) if isinstance(nap, Expr) else (nap == i)
                if same is False:
                    continue
                conds = []
                if p.in_set("owned"):
                    conds.append(p.at(a, *p.in_set("owned")))
                if p.in_set("owned_rpl"):
                    conds.append(And(p.at(a, *p.in_set("owned_rpl")), p.L.rpl[a]))
                if p.in_set("owned_if_owner"):
                    conds.append(And(p.at(a, *p.in_set("owned_if_owner")), p.L.owner[a]))
                if p.in_set("owned_if_full"):
                    conds.append(And(p.at(a, *p.in_set("owned_if_full")), p.L.work[a] == bp_budget))
                for cnd in conds:
                    out.append(cnd if same is True else And(same, cnd))
        return out

    def polling_count(i: int) -> Expr:
        conds = in_poll(i)
        return Sum(range(len(conds)), lambda j: Ite(conds[j], 1, 0))

    s.invariant(
        "NoDoubleQueue",
        ForAll(ids, lambda i: And(on_lists(i) <= 1, polling_count(i) <= 1,
                                  Implies(Or(*in_poll(i, with_netpoll=False)), on_lists(i) == 0))),
        doc="an instance is on at most one list (a CPU's poll_list, net_rx_action's local list or repoll), at "
            "most once, never while an owner polls it, and at most one context is inside its ->poll (from entry "
            "to the napi_complete_done cmpxchg that releases it). netpoll's poll(napi, 0) counts for 'at most "
            "one inside ->poll' but may run while the instance is queued: since 2015 poll_one_napi calls ->poll "
            "regardless of SCHED, excluded from softirq/kthread/busy poll by netpoll_poll_lock only",
    )
    s.invariant(
        "OwnerHoldsSched",
        ForAll(ids, lambda i: Implies(Or(on_lists(i) > 0, *owned(i)), state[i].has("SCHED"))),
        doc="on a list, or owned by a poller (softirq/kthread/busy poller inside ->poll or deciding to repoll), "
            "implies NAPI_STATE_SCHED (netpoll polls under NPSVC instead and is not an owner)",
    )

    def rest(i: int) -> Expr:
        """Every context that can act for instance i is at rest (see NoLostWakeup)."""
        conds: list[Any] = [irq.at(i, "idle"), Not(raised[i])]
        conds += [sirq.at(c, "idle") for c in cpus] + [Not(rx_pending[c]) for c in cpus]
        if wd is not None:
            conds += [wd.at(i, "idle"), timer[i] == -1]  # type: ignore[index]
        if kt is not None:
            conds += [kt.at(i, "sleep"), kt_intr[i]]  # type: ignore[index]
        if bp is not None and i == bp_napi:
            conds.append(bp.at(0, "idle"))
        if np_ is not None and i == np_napi:
            conds.append(np_.at(0, "idle"))
        if dis is not None and i == 0:
            conds += [dis.at(d, "idle", "done") for d in range(ndis)]
        return And(*conds)

    s.invariant(
        "NoLostWakeup",
        ForAll(ids, lambda i: Not(And(pending[i] > 0, rest(i)))),
        doc="never quiescent with packets pending. Quiescent for instance i: its IRQ handler idle and no IRQ "
            "signalled for it; every CPU's net_rx_action idle with NET_RX not pending; its napi_watchdog idle and "
            "its hrtimer not armed; its kthread asleep in schedule() (TASK_INTERRUPTIBLE); the busy poller and "
            "netpoll outside their loops; no napi_disable/napi_enable cycle in progress (so the instance is "
            "enabled). In such a state nothing will poll the ring until an unrelated event.",
    )

    def disabled_region() -> Expr:
        if dis is None:
            return Or()
        return Or(*[dis.at(d, "disabled", "en_read", "en_cas") for d in range(ndis)])

    wd_owns = [wd.at(0, *[lb for lb in wd.labels if lb not in ("idle", "dis", "tas")])] if wd is not None else []
    s.invariant(
        "NoPollWhileDisabled",
        Implies(disabled_region(), Not(Or(*in_poll(0), *wd_owns))),
        doc="between napi_disable returning and napi_enable's cmpxchg, no context is inside instance 0's ->poll "
            "and napi_watchdog cannot schedule it (it never gets past test_and_set_bit(SCHED))",
    )
    s.invariant(
        "NoTimerWhileDisabled",
        Implies(disabled_region(), timer[0] == -1) if timer is not None else Implies(disabled_region(), True),
        doc="between napi_disable returning and napi_enable's cmpxchg, instance 0's napi_watchdog hrtimer is not "
            "armed (napi_disable_locked's hrtimer_cancel is meant to leave it idle)",
    )
    s.invariant(
        "IrqMaskedWhileQueued",
        ForAll(ids, lambda i: Implies(Or(on_lists(i) > 0, state[i].has("SCHED_THREADED")), masked[i])),
        doc="an instance queued for polling (on a list, or handed to its kthread) has its device interrupt "
            "masked: the contract 'drivers should keep the interrupts masked after scheduling the NAPI instance "
            "until NAPI polling finishes' (Documentation/networking/napi.rst). Meaningful for IRQ-driven "
            "ownership; a busy poller legitimately hands the instance to the softirq with the IRQ armed "
            "(busy_poll_stop -> __busy_poll_stop -> __napi_schedule)",
    )
    s.invariant(
        "BoundedWait",
        ForAll(ids, lambda i: wait[i] <= bound),
        doc=f"an instance queued on a CPU is polled before {bound} polls of other instances by that CPU's "
            "net_rx_action (ghost counter)",
    )

    def all_rest() -> Expr:
        conds: list[Any] = [And(*[irq.at(i, "idle") for i in ids])]
        conds += [sirq.at(c, "idle") for c in cpus]
        if wd is not None:
            conds += [wd.at(i, "idle") for i in ids]
        if kt is not None:
            conds += [kt.at(i, "sleep") for i in ids]
        if bp is not None:
            conds.append(bp.at(0, "idle"))
        if np_ is not None:
            conds.append(np_.at(0, "idle"))
        if dis is not None:
            conds += [dis.at(d, "done") for d in range(ndis)]
        return And(*conds)

    # ------------------------------------------------------------------ liveness (checked when selected)
    # Fairness: a softirq, timer or kthread that can run eventually runs (weak); an IRQ handler and the
    # process contexts mid-operation are only intermittently enabled (CPU-local exclusion), so strong;
    # a disabled instance is eventually re-enabled (the reconfiguration between napi_disable and
    # napi_enable finishes). Starting a busy poll, netpoll or disable is not forced, and devices are
    # not fair: packets need not keep arriving.
    s.fair("weak", "CPU* softirq")
    s.fair("strong", "IRQ*")
    if wd is not None:
        s.fair("weak", "TIMER*")
    if kt is not None:
        s.fair("weak", "napi/kthread*")
    for p in (dis, bp, np_):
        if p is not None:
            for a in range(p.instances):
                for lb in p.labels:
                    if lb not in ("idle", "done"):
                        s.fair("strong", p.display.format(i=a) if "{i}" in p.display else p.display, lb)
    for d in range(ndis):
        s.leads_to(f"NoHangLive{d}", dis.at(d, "set_dis"), dis.at(d, "disabled"),  # type: ignore[union-attr]
                   doc=f"napi_disable called by DISABLE{d} returns (leads-to under fairness)")
    s.leads_to("PacketsPolled", over=ids, p=lambda i: pending[i] > 0, q=lambda i: Or(*in_poll(i)),
               doc="a packet pending on an instance leads to a context polling it (under fairness)")
    s.non_progress("NoBusyLoop", doc="no fair cycle of steps without a packet arriving (a poller spinning)")

    s.deadlock(
        "NoHang", end=all_rest(),
        doc="no reachable state where nothing can step while some context is stuck mid-operation (napi_disable "
            "waiting for SCHED/NPSVC, napi_enable waiting for netdev_lock, ...): napi_disable can complete",
    )
    return s
