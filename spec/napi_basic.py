"""napi_basic — the smallest faithful NAPI: IRQ handler, poll list, one NET_RX softirq.

What is modelled (net/core/dev.c, include/linux/netdevice.h, Linux 6.18 contract
without MISSED, i.e. the pre-2017 protocol):

* N NAPI instances, each with a device ring holding up to ``RING`` pending packets.
* The device is edge-triggered: a packet that arrives while the IRQ is unmasked raises
  the interrupt at once; one that arrives while masked is *unsignalled* and is signalled
  when the driver unmasks. Unmasking never re-signals a packet that was already signalled
  (MSI/MSI-X are edge messages; a driver re-enabling its interrupt gets a new message only
  for events after the last one it was sent).
* Per instance an IRQ-handler actor (the driver's hard-IRQ routine): ``napi_schedule_prep``
  as ONE atomic test_and_set of SCHED, then mask the device IRQ, then
  ``__napi_schedule`` (list_add_tail to the poll list + raise NET_RX).
* Optionally (``timer``) a second context per instance that calls ``napi_schedule`` without
  masking (a driver's refill timer / TX-completion path, e.g. virtio-net's refill_work).
* One CPU0 ``net_rx_action``: take the head of the poll list; the driver's poll consumes up
  to ``WEIGHT`` packets; if it used the whole weight the instance is re-queued at the tail still
  owning SCHED, otherwise ``napi_complete_done`` clears SCHED and then the driver unmasks its IRQ.

Abstractions: one CPU; the NET_RX pending bit and the local list splice of net_rx_action
are folded into "the softirq runs while the list is non-empty"; packets are counted, not
identified; the netdev budget and time limit are not modelled (see spec ``linux``).

Variants (constants), each with a configuration that expects its violation:
``requeue_head`` (requeue at the head: BoundedWait), ``unmask_first`` (unmask before
napi_complete_done: NoLostWakeup), ``split_test_set`` (test SCHED then set it as two atomic
steps, with ``timer`` as a second scheduler: NoDoubleQueue), ``poll_claims_weight`` (the driver's
poll reports its whole weight even when the ring is empty: NoBusyLoop).

Liveness (checked when a configuration names them; see checker.lang.temporal):

* fairness: the CPU0 softirq is a weakly fair process (the kernel runs pending softirqs); each
  hard-IRQ handler is strongly fair (a raised interrupt is delivered even though other handlers keep
  disabling it for a while); the timer context, once inside napi_schedule, finishes it (strong:
  softirqs and hard IRQs pre-empt it). Devices delivering packets and the timer deciding to fire are
  environment events and are not fair: they may stop for ever.
* ``PacketsPolled``: a packet pending in the ring of instance i leads to i being polled
  (``pending[i] > 0 ~> softirq at poll with cur = i``).
* ``NoBusyLoop``: no fair cycle without an external event (the steps marked progress are a packet
  arrival and the timer firing): the poll loop must not spin on its own.
* ``BoundedWait``: bounded starvation, "an instance on the poll list is taken before ``K`` other
  instances are taken" (service = leaving the poll list), compiled into a ghost counter; the explicit
  engine reports its tight bound. By hand: N-1 with FIFO requeue, unbounded with head requeue.
  With ``wait_relation`` it is stated by meaning instead, for every N at once: "while an instance
  waits on the poll list, no other instance is taken from it twice", over a ghost relation
  ``BoundedWait.served[i][j]`` (takes of j while i waits; checker.lang.temporal.compile_round_robin).
  That is the real bound of the list discipline: FIFO with re-queue at the tail puts a taken j behind
  every waiting i, so j is not taken again before i; it implies the counter's N-1 (each of the N-1
  others at most once) and the N-1 is tight (N-1 instances ahead of i, each taken once). The relation
  is a function of history, not of the state: at N >= 3 it splits states that the counter does not
  (i waiting alone after j, or after k, was taken), so it is a constant, off by default, and the
  default configurations keep their state counts.
"""

from __future__ import annotations

from types import SimpleNamespace

from checker.lang import And, Array, Bool, Constant, Flags, ForAll, Implies, Int, Min, ModelError, Not, Or, Seq, SpecDef, System

DEV = "drivers/net/<driver>.c"


def build(k: SimpleNamespace) -> System:
    ring, weight = k.RING, k.WEIGHT
    s = System("napi_basic", __doc__ or "")
    # the NAPI instances: range(N), or every N at once (checker.lang.family; induct's all-N proof)
    ids = s.instances("napi", k.N)
    bound = k.K if k.K >= 0 else ids.plus(-1)
    pending = s.var("pending", Array(ids.size, Int(0, ring)), doc="packets in the device ring")
    masked = s.var("irq_masked", Array(ids.size, Bool), doc="device interrupt masked by the driver")
    unsig = s.var("unsignalled", Array(ids.size, Bool), doc="a packet arrived while masked and was not signalled")
    raised = s.var("irq_raised", Array(ids.size, Bool), doc="interrupt raised, handler not yet run")
    state = s.var("napi_state", Array(ids.size, Flags("SCHED")), doc="n->state")
    plist = s.var("poll_list", Seq(ids.id_type, ids.plus(1)), doc="this CPU's softnet_data.poll_list")

    @s.action("packet_arrives", func=f"{DEV}: device DMA + interrupt logic", actor="DEV{i}", params={"i": ids})
    def arrive(t, i):
        t.mark_progress()  # an external event (NoBusyLoop)
        t.require(pending[i] < ring)
        t.set(pending[i], pending[i] + 1)
        with t.if_(masked[i]):
            t.set(unsig[i], True)
        with t.else_():
            t.set(raised[i], True)

    # ---- the driver's hard-IRQ handler, one per instance
    irq_labels = ["idle", "prep", "set", "mask", "queue"] if k.split_test_set else ["idle", "prep", "mask", "queue"]
    irq = s.actor("irq", irq_labels, instances=ids, display="IRQ{i}", fair="strong")

    def hardirq_idle(but=None):
        # Hard-IRQ handlers run with interrupts off: on CPU0 nothing else runs until one returns.
        return And(*ids.each(lambda j: irq.at(j, "idle"), but=but))

    def cpu0_free():
        # ... and a raised interrupt is taken at once (handle_edge_irq replays an edge that
        # arrived while its handler ran before returning), so softirq and process context
        # on CPU0 only step when no handler is running or raised.
        return And(hardirq_idle(), *ids.each(lambda j: Not(raised[j])))

    was = irq.local("was_sched", Bool)

    @irq.step("idle", func=f"{DEV}: <driver>_interrupt", next="prep")
    def irq_entry(t, i):
        t.require(raised[i])
        t.require(hardirq_idle(but=i))
        t.set(raised[i], False)

    if k.split_test_set:
        @irq.step("prep", func="net/core/dev.c:napi_schedule_prep (test_bit, pre-2.6.x)", next="set")
        def irq_test(t, i):
            t.set(was[i], state[i].has("SCHED"))

        @irq.step("set", func="net/core/dev.c:napi_schedule_prep (set_bit)", next="mask")
        def irq_set(t, i):
            t.set(state[i], state[i].with_bits("SCHED"))
            with t.if_(was[i]):
                t.goto("idle")
    else:
        @irq.step("prep", func="net/core/dev.c:napi_schedule_prep", next="mask")
        def irq_prep(t, i):
            # test_and_set_bit(NAPI_STATE_SCHED): one atomic read-modify-write
            t.let("old", state[i])
            t.set(state[i], state[i].with_bits("SCHED"))
            with t.if_(t.temp("old").has("SCHED")):
                t.goto("idle")

    @irq.step("mask", func=f"{DEV}: <driver>_disable_irq", next="queue")
    def irq_mask(t, i):
        t.set(masked[i], True)

    @irq.step("queue", func="net/core/dev.c:____napi_schedule", next="idle")
    def irq_queue(t, i):
        t.set(plist, plist.push_back(i))

    # ---- a second scheduling context (no masking): napi_schedule from a timer / TX completion
    tmr = s.actor("timer", ["idle", "prep", "set", "queue"], instances=ids, display="TIMER{i}",
                   guard=lambda i: cpu0_free()) if k.timer else None
    if tmr is not None:
        twas = tmr.local("was_sched", Bool)

        @tmr.step("idle", func=f"{DEV}: refill work (process context) -> napi_schedule", next="prep")
        def tmr_fire(t, i):
            t.mark_progress()  # an external event (NoBusyLoop); not fair: the timer may never fire again

        if k.split_test_set:
            @tmr.step("prep", func="net/core/dev.c:napi_schedule_prep (test_bit)", next="set", fair="strong")
            def tmr_test(t, i):
                t.set(twas[i], state[i].has("SCHED"))

            @tmr.step("set", func="net/core/dev.c:napi_schedule_prep (set_bit)", next="queue", fair="strong")
            def tmr_set(t, i):
                t.set(state[i], state[i].with_bits("SCHED"))
                with t.if_(twas[i]):
                    t.goto("idle")
        else:
            @tmr.step("prep", func="net/core/dev.c:napi_schedule_prep", next="queue", fair="strong")
            def tmr_prep(t, i):
                t.let("old", state[i])
                t.set(state[i], state[i].with_bits("SCHED"))
                with t.if_(t.temp("old").has("SCHED")):
                    t.goto("idle")

        @tmr.step("queue", func="net/core/dev.c:____napi_schedule", next="idle", fair="strong")
        def tmr_queue(t, i):
            t.set(plist, plist.push_back(i))

    # ---- net_rx_action on the CPU, calling the driver's poll
    after_poll = ["unmask", "complete"] if k.unmask_first else ["complete", "unmask"]
    rx = s.actor("softirq", ["idle", "poll", "requeue", *after_poll], display="CPU0 softirq",
                  guard=lambda c: cpu0_free(), fair="weak")
    cur = rx.local("cur", ids.id_type)

    @rx.step("idle", func="net/core/dev.c:net_rx_action", next="poll")
    def rx_take(t, c):
        t.require(plist.len() > 0)
        t.let("n", plist.head())
        t.set(cur[c], t.temp("n"))
        t.set(plist, plist.pop_front())

    @rx.step("poll", func=f"{DEV}: <driver>_poll")
    def rx_poll(t, c):
        t.let("w", Min(pending[cur[c]], weight))
        t.set(pending[cur[c]], pending[cur[c]] - t.temp("w"))
        # poll_claims_weight: the driver returns its budget whatever it found (a busy-loop bug)
        with t.if_(t.temp("w") == weight if not k.poll_claims_weight else True):
            t.goto("requeue")
        with t.else_():
            t.goto(after_poll[0])

    @rx.step("requeue", func="net/core/dev.c:napi_poll (work == weight: list_add_tail to repoll)", next="idle")
    def rx_requeue(t, c):
        t.set(plist, plist.push_front(cur[c]) if k.requeue_head else plist.push_back(cur[c]))

    @rx.step("complete", func="net/core/dev.c:napi_complete_done",
             next="idle" if after_poll[-1] == "complete" else "unmask")
    def rx_complete(t, c):
        t.set(state[cur[c]], state[cur[c]].without_bits("SCHED"))

    @rx.step("unmask", func=f"{DEV}: <driver>_enable_irq", next="idle" if after_poll[-1] == "unmask" else "complete")
    def rx_unmask(t, c):
        i = cur[c]
        t.set(masked[i], False)
        with t.if_(unsig[i]):
            t.set(unsig[i], False)
            t.set(raised[i], True)

    # ---- properties
    def polling(i):
        return And(cur[0] == i, rx.at(0, "poll", "requeue", "complete", *(["unmask"] if k.unmask_first else [])))

    def about_to_queue(i):
        ctx = [irq.at(i, "mask", "queue")]
        if tmr is not None:
            ctx.append(tmr.at(i, "queue"))
        if k.split_test_set:
            ctx.append(And(irq.at(i, "set"), Not(was[i])))
            if tmr is not None:
                ctx.append(And(tmr.at(i, "set"), Not(twas[i])))
        return Or(*ctx)

    s.invariant(
        "NoDoubleQueue",
        ForAll(ids, lambda i: And(plist.count(i) <= 1, Implies(polling(i), Not(plist.contains(i))))),
        doc="an instance is on the poll list at most once, and never while being polled",
    )
    s.invariant(
        "SchedMatchesList",
        ForAll(ids, lambda i: state[i].has("SCHED") == Or(plist.contains(i), polling(i), irq.at(i, "mask", "queue"),
                                                           *( [tmr.at(i, "queue")] if tmr is not None else []))),
        doc="SCHED is set exactly when the instance is queued, being polled, or owned by a scheduler about to queue it",
    )
    s.invariant(
        "NoLostWakeup",
        ForAll(ids, lambda i: Not(And(
            pending[i] > 0, Not(state[i].has("SCHED")), Not(raised[i]), irq.at(i, "idle"),
            Not(And(cur[0] == i, rx.at(0, "unmask"))), Not(about_to_queue(i)),
            *( [tmr.at(i, "idle")] if tmr is not None else []),
        ))),
        doc="never: packets pending, SCHED clear, no interrupt raised or being handled, and no one about to "
            "unmask (which would signal them) or to schedule the instance",
        explain="nobody will poll instance {i}: its packets wait until an unrelated event",
    )
    if k.wait_relation:
        # By meaning, for every N at once: the list is FIFO and a polled instance that used its whole
        # weight goes back at the TAIL, behind every instance already waiting; a newly scheduled one
        # is queued behind them too. So an instance j taken while i waits can only come back behind
        # i, and i is taken before j again: no j is taken twice while i waits (hence at most N-1
        # others are taken, the counter's tight bound). With requeue_head, j comes back ahead of i.
        if k.K != -1:
            raise ModelError("K bounds the ghost counter: with wait_relation BoundedWait names no number (leave K = -1)")
        s.round_robin(
            "BoundedWait", over=ids, waiting=lambda i: plist.contains(i),
            doc="while an instance waits on the poll list, no other instance is taken from it twice "
                "(ghost relation; so it is taken within N-1 takes of others)",
            explain="an instance waits on the poll list while another instance is taken from it a second time",
        )
    else:
        s.starvation(
            "BoundedWait", over=ids, waiting=lambda i: plist.contains(i), bound=bound,
            doc=f"an instance on the poll list is taken before {bound} other instances are taken (ghost counter)",
        )

    # ---- liveness (checked when a configuration names them)
    s.leads_to(
        "PacketsPolled", over=ids,
        p=lambda i: pending[i] > 0, q=lambda i: And(rx.at(0, "poll"), cur[0] == i),
        doc="a packet pending in an instance's ring leads to net_rx_action polling that instance",
    )
    s.non_progress("NoBusyLoop", doc="no fair cycle of steps without an external event (packet arrival, timer)")
    return s


SPEC = SpecDef(
    name="napi_basic",
    doc="N NAPI instances, edge-triggered IRQs, one CPU's net_rx_action (pre-MISSED protocol).",
    constants=[
        Constant("N", int, 2, "NAPI instances", min=1, max=6),
        Constant("RING", int, 2, "device ring size (pending packets)", min=1, max=4096),
        Constant("WEIGHT", int, 1, "packets per ->poll (napi->weight)", min=1, max=64),
        Constant("K", int, -1, "BoundedWait bound; -1 means N-1", min=-1, max=64),
        Constant("timer", bool, False, "a second context (refill timer) calls napi_schedule"),
        Constant("requeue_head", bool, False, "variant: requeue at the head of the poll list"),
        Constant("unmask_first", bool, False, "variant: the driver unmasks before napi_complete_done"),
        Constant("split_test_set", bool, False, "variant: napi_schedule_prep as test_bit then set_bit"),
        Constant("poll_claims_weight", bool, False, "variant: the driver's poll always reports its whole weight"),
        Constant("wait_relation", bool, False, "BoundedWait by meaning over a ghost relation (no other instance "
                 "taken twice while one waits; provable for every N) instead of the ghost counter bounded by K"),
    ],
    build=build,
    properties=("NoDoubleQueue", "SchedMatchesList", "NoLostWakeup", "BoundedWait", "Deadlock",
                "PacketsPolled", "NoBusyLoop"),
)
