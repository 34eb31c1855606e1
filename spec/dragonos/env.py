"""Drivers and the world around the kernel threads: frames, IRQs, sockets, rtnetlink, the clock.

* virtio-net: a frame lands in the RX used ring; the device raises its interrupt only while
  callbacks are enabled (``used_event`` armed). ``VirtIONetDevice::handle_irq`` (hard IRQ)
  calls ``napi_schedule``.
* generic (veth, lo, e1000e-like): the producer is the peer's egress (``to_peer_owned`` /
  loopback ``submit_frame``), which queues the frame and then calls ``napi_schedule`` itself.
* an application socket send (``imm += 1``) followed by ``wakeup_poll_thread``.
* rtnetlink ``link set up/down``.
* the clock tick, which also runs expired timers (the poller's ``TimeoutWaker``).
* a syscall's direct ``iface.poll()`` (``direct_poll``).
"""

from __future__ import annotations

from typing import Any, Callable

from checker.lang import And, Array, Bool, Int, Not
from spec.dragonos import iface, napi, netns, waitq
from checker.lang.family import Family
from spec.dragonos.model import Ctx, everyone_at, external_event
from spec.dragonos.versions import NETNS, VIRTIO, WAITQ, cite

STREAM = "kernel/src/net/socket/inet/stream/mod.rs"
LINK = "kernel/src/net/socket/netlink/route/kern/link.rs"


def build_drivers(c: Ctx) -> list[Any]:
    """One driver context per interface: the first ``VIRTIO`` ones by ``c.parts.virtio_driver``, the
    rest by ``c.parts.generic_driver`` (each ``(c, j, more_frames, count_frame) -> actor``)."""
    k = c.k
    frames = c.s.var("frames", Array(c.size, Int(0, k.FRAMES)), doc="frames delivered so far (bounded runs)") \
        if k.FRAMES > 0 else None

    def more_frames(j: int) -> Any:
        return frames[j] < k.FRAMES if frames is not None else True

    def count_frame(t: Any, j: int) -> None:
        if frames is not None:
            t.set(frames[j], frames[j] + 1)

    if c.ids is not None:  # one driver actor over the family (generic NICs only)
        c.actors["drivers"] = c.parts.generic_driver(c, c.ids, more_frames, count_frame)
        return [c.actors["drivers"]]
    out = []
    for j in range(c.n):
        part = c.parts.virtio_driver if j in c.virtio else c.parts.generic_driver
        out.append(part(c, j, more_frames, count_frame))
    return out


def virtio_driver(c: Ctx, j: int, more_frames: Callable[[int], Any], count_frame: Callable[[Any, int], None]) -> Any:
    """virtio-net interface ``j``: the device DMAs a frame into the RX used ring and raises an
    interrupt if callbacks are enabled (action ``NIC{j}``); the hard IRQ handler (actor ``drv{j}``,
    shown ``IRQ{j} virtio-net``) calls napi_schedule. Interface of the part: the actor's labels are
    ``["idle"] + napi.ns_labels(c)``, its napi_schedule steps come from ``napi.add_napi_schedule``."""
    v, g, k = c.v, c.vars, c.k
    a = c.s.actor(f"drv{j}", ["idle"] + napi.ns_labels(c), display=f"IRQ{j} virtio-net")
    L = napi.ns_locals(c, a)

    @c.s.action("frame_arrives", func=cite(v, f"{VIRTIO}: device DMA into the RX used ring (+ interrupt "
                                              "if callbacks enabled)"), actor=f"NIC{j}")
    def _arrive(t: Any) -> None:
        t.require(And(g.rx[j] < k.RING, more_frames(j)))
        count_frame(t, j)
        t.set(g.rx[j], g.rx[j] + 1)
        external_event(t, c)
        with t.if_(g.cb[j]):
            t.set(g.irqp[j], True)

    @a.step("idle", func=cite(v, f"{VIRTIO}:VirtIONetDevice::handle_irq -> napi_schedule"))
    def _irq(t: Any, i: int) -> None:
        t.require(g.irqp[j])
        t.set(g.irqp[j], False)
        napi.call_napi_schedule(t, a, L, i, j, "idle")

    napi.add_napi_schedule(c, a, L)
    c.facts.resting[a.name] = a.at(0, "idle")  # no interrupt being handled
    return a


def generic_driver(c: Ctx, j: Any, more_frames: Callable[[Any], Any], count_frame: Callable[[Any, Any], None]) -> Any:
    """A generic (veth-like) interface ``j``: its peer's egress pushes a frame into the RX queue and
    calls napi_schedule (actor ``drv{j}``, shown ``TX{j} peer egress``). Same interface as
    :func:`virtio_driver`. ``j`` may be the NICs' family (:data:`spec.dragonos.FAMILY_SPEC`): then
    one actor ``drv`` over it, instance ``i`` being interface ``i``."""
    v, g, k = c.v, c.vars, c.k
    many = isinstance(j, Family)
    if many:
        a = c.s.actor("drv", ["idle"] + napi.ns_labels(c), instances=j, display="TX{i} peer egress")
    else:
        a = c.s.actor(f"drv{j}", ["idle"] + napi.ns_labels(c), display=f"TX{j} peer egress")
    L = napi.ns_locals(c, a)

    def nic(i: Any) -> Any:
        return i if many else j

    @a.step("idle", func=cite(v, "kernel/src/driver/net/veth.rs:Veth::to_peer (push the peer's rx_queue; "
                                 "napi_schedule(peer); via to_peer_owned since e374b4513)"))
    def _xmit(t: Any, i: Any) -> None:
        t.require(And(g.rx[nic(i)] < k.RING, more_frames(nic(i))))
        count_frame(t, nic(i))
        t.set(g.rx[nic(i)], g.rx[nic(i)] + 1)
        external_event(t, c)
        napi.call_napi_schedule(t, a, L, i, nic(i), "idle")

    napi.add_napi_schedule(c, a, L)
    c.facts.resting[a.name] = everyone_at(a, "idle")  # no egress in progress
    if many:
        c.facts.resting_of[a.name] = lambda n: a.at(n, "idle")
    return a


def build_app(c: Ctx) -> Any:
    """A socket send (data queued in smoltcp) then NetNamespace::wakeup_poll_thread."""
    v, g, k, n = c.v, c.vars, c.k, c.n
    if v.poller == "v0":
        a = c.s.actor("app", ["idle", "wakeup"], display="app send()")
        sent0 = a.local("sends", Int(0, k.SENDS), doc="send() calls so far")

        @a.step("idle", func=cite(v, f"{STREAM}:TcpSocket::send -> send_slice (segment queued)"), params={"j": range(n)},
                next="wakeup")
        def _send0(t: Any, i: int, j: int) -> None:
            t.require(And(g.imm[j] < k.IMM, sent0[i] < k.SENDS))
            t.set(sent0[i], sent0[i] + 1)
            t.set(g.imm[j], g.imm[j] + 1)
            external_event(t, c)

        @a.step("wakeup", func=cite(v, f"{NETNS}:NetNamespace::wakeup_poll_thread -> ProcessManager::wakeup"),
                next="idle")
        def _wake0(t: Any, i: int) -> None:
            t.set(g.pwq.blk, False)  # no effect on a running poller: nothing records the request
        c.facts.resting[a.name] = a.at(0, "idle")
        return a
    labels = ["idle", "notify"] + c.parts.waitq.waker_labels("pw_") + ["all", "all_next"]
    labels += [x for x in napi.ns_labels(c) if x not in labels]
    a = c.s.actor("app", labels, display="app send()")
    L = napi.ns_locals(c, a)
    ret2 = a.local("ret2", a.labels)
    wep2 = a.local("wake_epoch2", Bool)
    newly = a.local("newly_pending", Bool)
    aj = a.local("j", Int(0, n))
    sent = a.local("sends", Int(0, k.SENDS), doc="send() calls so far")

    @a.step("idle", func=cite(v, f"{STREAM}:TcpSocket::send -> send_slice (segment queued)"), params={"j": range(n)},
            next="notify")
    def _send(t: Any, i: int, j: int) -> None:
        t.require(And(g.imm[j] < k.IMM, sent[i] < k.SENDS))
        t.set(sent[i], sent[i] + 1)
        t.set(g.imm[j], g.imm[j] + 1)
        external_event(t, c)

    @a.step("notify", func=cite(v, f"{NETNS}:wakeup_poll_thread (poll_pending.swap(true)) -> wake_all"))
    def _notify(t: Any, i: int) -> None:
        t.set(newly[i], Not(g.pending))
        t.set(g.pending, True)
        t.set(aj[i], 0)
        t.set(ret2[i], a.label_value("all"))
        t.goto("pw_pop")

    c.parts.waitq.add_waker(c, a, "pw_", g.pwq, ret2, wep2, "wake_all (netns poller)")

    @a.step("all", func=cite(v, f"{NETNS}:wakeup_poll_thread (newly pending: for iface: napi_schedule)"))
    def _all(t: Any, i: int) -> None:
        with t.if_(And(newly[i], aj[i] < n)):
            napi.call_napi_schedule(t, a, L, i, aj[i], "all_next")
        with t.else_():
            t.set(newly[i], False)  # dead
            t.set(aj[i], 0)
            t.goto("idle")

    @a.step("all_next", func=cite(v, f"{NETNS}:wakeup_poll_thread (next iface)"), next="all")
    def _all_next(t: Any, i: int) -> None:
        t.set(aj[i], aj[i] + 1)

    napi.add_napi_schedule(c, a, L)
    c.facts.resting[a.name] = a.at(0, "idle")  # between send() calls
    c.facts.notifying.append(a.at(0, "notify"))
    return a


def build_link(c: Ctx) -> Any:
    """rtnetlink `ip link set dev X up|down` (link.rs set_link)."""
    v, g = c.v, c.vars
    labels = ["idle"]
    if v.link_up_schedules:
        labels += ["notify"] + c.parts.waitq.waker_labels("pw_")
        labels += [x for x in napi.ns_labels(c) if x not in labels]
    a = c.s.actor("rtnl", labels, display="rtnetlink set link")
    L = napi.ns_locals(c, a) if v.link_up_schedules else None
    ret2 = a.local("ret2", a.labels) if v.link_up_schedules else None
    wep2 = a.local("wake_epoch2", Bool) if v.link_up_schedules else None

    @a.step("idle", func=cite(v, f"{LINK}:do_set_link (update_configured_flags; UP edge"
                                 + (": napi_schedule; notify_deadline_changed)" if v.link_up_schedules else ")")),
            params={"j": c.nics})
    def _toggle(t: Any, i: int, j: int) -> None:
        external_event(t, c)
        t.set(g.handed[j], True)  # DeadlineHonoured speaks of timers armed while the link stays UP
        with t.if_(g.up[j]):
            t.set(g.up[j], False)
            if v.link_up_schedules:
                t.goto("notify")
        with t.else_():
            t.set(g.up[j], True)
            if v.link_up_schedules:
                napi.call_napi_schedule(t, a, L, i, j, "notify")

    if v.link_up_schedules:
        assert L is not None and ret2 is not None and wep2 is not None

        @a.step("notify", func=cite(v, f"{NETNS}:NetNamespace::notify_deadline_changed"))
        def _notify(t: Any, i: int) -> None:
            t.set(g.gen, True)
            t.set(ret2[i], a.label_value("idle"))
            t.goto("pw_pop")

        c.parts.waitq.add_waker(c, a, "pw_", g.pwq, ret2, wep2, "wake_all (netns poller)")
        napi.add_napi_schedule(c, a, L)
        c.facts.notifying.append(a.at(0, "notify"))
    c.facts.resting[a.name] = a.at(0, "idle")  # no link change in progress
    return a


def build_direct_poll(c: Ctx) -> Any:
    """A syscall's direct, unbounded ``iface.poll()`` on interface 0 (TCP connect/accept/recv paths)."""
    v, g = c.v, c.vars
    late_store = not v.poll_deadline and v.poller != "v0"
    labels = ["idle", "store", "done"] if late_store else ["idle", "done"]
    if v.poll_deadline:
        labels += ["notify"] + c.parts.waitq.waker_labels("pw_")
    a = c.s.actor("sys", labels, display="syscall iface.poll()")
    value = a.local("poll_at", Int(0, c.tmax), doc="poll_at computed under the locks")
    ret2 = a.local("ret2", a.labels)
    wep2 = a.local("wake_epoch2", Bool)
    j = 0

    @a.step("idle", func=cite(v, f"{iface.IFACE}:IfaceCommon::poll (locks; iface.poll; poll_at)"))
    def _poll(t: Any, i: int) -> None:
        t.require(Not(g.locked[j]))
        r = iface.smoltcp_poll(t, c, j, None, "poll")
        t.set(value[i], r.value)
        if v.poll_at_spin:
            with t.if_(r.spin):
                t.set(g.locked[j], True)
        if late_store:
            t.goto("store")
        elif v.poll_deadline:
            with t.if_(r.rearm):
                t.set(ret2[i], a.label_value("done"))
                t.goto("notify")
            with t.else_():
                t.goto("done")
        else:
            t.goto("done")

    if late_store:
        @a.step("store", func=cite(v, f"{iface.IFACE}:IfaceCommon::poll (after unlock: poll_at_us.store)"),
                next="done")
        def _store(t: Any, i: int) -> None:
            t.set(g.slot[j], value[i])
            t.set(value[i], 0)

    # "done": the syscall has returned; no step leaves it (one direct poll per run)

    if v.poll_deadline:
        @a.step("notify", func=cite(v, f"{NETNS}:NetnsPoller::notify_deadline_changed (after the unlock)"),
                next="pw_pop")
        def _notify(t: Any, i: int) -> None:
            t.set(g.gen, True)

        c.parts.waitq.add_waker(c, a, "pw_", g.pwq, ret2, wep2, "wake_all (netns poller)")
        c.facts.notifying.append(a.at(0, "notify"))
    if late_store:
        c.facts.notifying.append(a.at(0, "store"))
    c.facts.resting[a.name] = a.at(0, "idle", "done")  # not started, or returned
    return a


def build_tick(c: Ctx) -> None:
    """The clock advances one tick while the poller sleeps; expired timers run (TimeoutWaker)."""
    v, g, k = c.v, c.vars, c.k
    asleep = netns.poller_asleep(c)
    wq = g.pwq
    # unless wake_latency: a thread part-way through publishing a deadline or notifying the poller
    # (poll_at_us store after the unlock, notify, wake_all, Waker::wake) finishes before the next tick
    busy = c.facts.notifying + c.facts.of(c.facts.waking, wq)
    in_flight = [] if k.wake_latency else [Not(x) for x in busy]

    @c.s.action("tick", func=cite(v, "kernel/src/time/timer.rs:DoTimerSoftirq::run (run expired timers: "
                                     f"{WAITQ}:TimeoutWaker -> Waker::wake)"), actor="clock")
    def _tick(t: Any) -> None:
        t.require(And(g.now < k.T, asleep, *in_flight))
        t.set(g.now, g.now + 1)
        external_event(t, c)
        if v.poller == "v0":
            return
        fire = And(g.ptimer != 0, g.ptimer <= g.now)
        if v.waitq == "flag":
            with t.if_(And(fire, wq.wk == waitq.IDLE)):  # has_woken.swap(true) was false
                t.set(wq.wk, waitq.NOTIFIED)
                t.set(wq.blk, False)
        else:
            with t.if_(And(fire, wq.wk == waitq.SLEEPING)):
                t.set(wq.wk, waitq.NOTIFIED)
                t.set(wq.blk, False)
