"""bench_nf — NF(N, P, B), the speed benchmark model of issue 8 (not a kernel spec).

A stripped-down NAPI: N instances (ids 0..N-1), each with a ring of up to P pending
packets, an interrupt-enable bit and a SCHED bit, and one FIFO poll queue of ids:

* ``Arrive(i)``: if pending[i] < P then pending[i] += 1.
* ``Irq(i)``: if irq_on[i] and pending[i] > 0: irq_on[i] := false, and if not sched[i]
  then sched[i] := true and i is appended to the queue.
* ``Poll``: if the queue is non-empty: i := head, removed; w := min(pending[i], B);
  pending[i] -= w; if w = B, i is appended again (still scheduled), else sched[i] := false
  and irq_on[i] := true.

Every action is one atomic step. With B <= P the reachable states are exactly: any pending
vector, and any arrangement of distinct ids in the queue (the queued ids have sched set and
irq off, the others the opposite), so |NF(N,P,B)| = (P+1)^N * sum_{k=0..N} N!/(N-k)!.
The same model in Promela is bench/peers/nf.pml; bench/run.py compares the two.

Variant ``bug``: Poll, when w < B, re-enables the interrupt but forgets to clear sched[i]
(SchedIffQueued is violated). The instances are interchangeable: the spec declares the
symmetry (arrays indexed by instance, the queue holding instance ids).
"""

from __future__ import annotations

from types import SimpleNamespace

from checker.lang import Array, Bool, Constant, ForAll, Implies, Int, Min, Not, Or, Seq, SpecDef, System


def build(k: SimpleNamespace) -> System:
    n, p, b = k.N, k.P, k.B
    s = System("bench_nf", __doc__ or "")
    ids = range(n)
    pending = s.var("pending", Array(n, Int(0, p)), doc="packets waiting in instance i's ring")
    irq_on = s.var("irq_on", Array(n, Bool), init=True, doc="instance i's interrupt is enabled")
    sched = s.var("sched", Array(n, Bool), doc="instance i is scheduled (owns its queue entry)")
    queue = s.var("queue", Seq(Int(0, n - 1), n), doc="the poll queue (head first)")
    s.symmetric(n, arrays=[pending, irq_on, sched], ids=[queue])

    @s.action("Arrive", func="bench: packet arrives", actor="DEV{i}", params={"i": ids})
    def arrive(t, i):
        t.require(pending[i] < p)
        t.set(pending[i], pending[i] + 1)

    @s.action("Irq", func="bench: interrupt handler", actor="IRQ{i}", params={"i": ids})
    def irq(t, i):
        t.require(irq_on[i])
        t.require(pending[i] > 0)
        t.set(irq_on[i], False)
        with t.if_(Not(sched[i])):
            t.set(sched[i], True)
            t.set(queue, queue.push_back(i))

    @s.action("Poll", func="bench: poll loop", actor="CPU0")
    def poll(t):
        t.require(queue.len() > 0)
        i = t.let("i", queue.head())
        t.set(queue, queue.pop_front())
        w = t.let("w", Min(pending[i], b))
        t.set(pending[i], pending[i] - w)
        with t.if_(w == b):
            t.set(queue, queue.push_back(i))
        with t.else_():
            if not k.bug:
                t.set(sched[i], False)
            t.set(irq_on[i], True)

    s.invariant("NoDoubleQueue", ForAll(ids, lambda i: queue.count(i) <= 1),
                doc="an instance is in the queue at most once")
    s.invariant("SchedIffQueued", ForAll(ids, lambda i: sched[i] == queue.contains(i)),
                doc="sched[i] holds exactly when i is in the queue")
    s.invariant("NoLostWakeup", ForAll(ids, lambda i: Implies(pending[i] > 0, Or(irq_on[i], sched[i]))),
                doc="pending packets always have an enabled interrupt or a scheduled poll")
    return s


SPEC = SpecDef(
    name="bench_nf",
    doc="NF(N, P, B): the issue-8 speed benchmark (instances, rings, FIFO poll queue).",
    constants=[
        Constant("N", int, 3, "instances", min=1, max=12),
        Constant("P", int, 3, "ring capacity (pending packets)", min=1, max=64),
        Constant("B", int, 2, "poll budget", min=1, max=64),
        Constant("bug", bool, False, "variant: Poll forgets to clear sched when it completes"),
    ],
    build=build,
    properties=("NoDoubleQueue", "SchedIffQueued", "NoLostWakeup", "Deadlock"),
)
