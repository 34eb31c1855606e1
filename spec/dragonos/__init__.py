"""dragonos — DragonOS NAPI (napi.rs) and the netns timeout poller, per commit (``version``).

Versions (DragonOS-Community/DragonOS): V0 ``50a70e942``; V1 ``0ee965c8e`` (the design of the
seed document, "NAPI + NetNamespace polling"); V1.2 ``38905a75d`` (where V1 changed before V2);
V2 ``e374b4513`` (napi-state machine, fair bounded net_rx_action, virtio mask handshake);
HEAD ``f64a0d563`` (2026-08-22; PollDeadline publish / claim / restore, deadline_generation, from
``4a99bd415``). Every step's ``func`` cites ``file:function @commit``; :mod:`spec.dragonos.versions`
lists the mechanisms. Between 4a99bd415 and f64a0d563 (25 commits) the only change to a cited
function is 977b3966d's ``WaitQueue::is_empty`` (the lock-free fast path of ``wake_one`` /
``wake_all``): ``num_waiters.fetch_add(0, Acquire)`` became ``num_waiters.load(Acquire)``. Both
read the counter in one atomic access, so under the sequential consistency this spec assumes the
change is invisible (see :mod:`spec.dragonos.waitq`); every HEAD verdict is the same as at 4a99bd415.

Actors: ``napi_handler`` (net_rx_action and its wait on NapiManager.wait_queue), the
``root_netns poller`` (scan of deadlines, timeout, wait_event_timeout, hand-off by
napi_schedule), per interface a driver context (virtio hard IRQ or a generic peer's egress)
running napi_schedule, an ``app`` that queues a segment then calls wakeup_poll_thread, an
optional ``rtnl`` (link up/down) and ``sys`` (one direct unbounded iface.poll()), and the
environment (frame arrivals, the clock).

Abstractions (what and why):

* One namespace, one global NapiManager (as the code), SMP: every thread and hard IRQ may
  interleave at every atomic step. Lock-protected sections are single steps; RMWs are single
  steps; the sleeping mutexes sockets + smol_iface are one critical section = one step.
* smoltcp is three counters per interface (:mod:`spec.dragonos.iface`): frames, sendable
  segments (one per egress pass; poll_at = Now while any remain) and one retransmission timer
  (armed by a send, cleared by a poll at or after it: the retransmit is taken as acknowledged).
* Time is a discrete clock of ticks (timer jiffies) that advances only while the poller is
  Blocked (see :mod:`spec.dragonos.netns`); timers fire at the tick they expire on. Unless
  ``wake_latency``, a thread that has begun notifying the poller (condition set, wake_all,
  Waker::wake) finishes before the next tick. The napi_handler's 2 ms time budget is a
  nondeterministic choice, possible only after a poll in the round.
* NET_RX_PACKET_BUDGET / NET_RX_POLL_BUDGET / weights are scaled-down constants; runs are
  bounded by SENDS (app sends) and optionally FRAMES (frames per interface).
* Waiter/Waker identities are one ghost bit (``epoch``); two consecutive condition tests with
  nothing of the thread's own in between are merged (a write by others between them is seen
  by the later test either way); a thread's purely local bookkeeping (loop indices, the
  repoll/complete decision, the poller's loop top and timeout computation) is folded into the
  neighbouring step; locals are reset when they become dead (fewer states, same behaviours).
* DISABLE: nothing in the model sets it (napi_disable's callers — virtio poisoning, a detached
  interface — are not modelled), so HEAD's napi_is_disabled tests are elided (they always pass).
* V0/V1 ``napi_list`` is a Vec (pushed at the top, popped from the top) and grows without
  bound there; runs that would push beyond ``QCAP`` entries are cut (bounded exploration).
* Not modelled: TX completion interrupts, the bridge, netns cleanup, signals, several
  namespaces, the V0 ``lock()``-vs-hard-IRQ self-deadlock (V0's NapiManager::inner used a
  non-irqsave SpinLock that virtio's hard IRQ handler also takes via napi_schedule; 0ee965c8e
  switched to lock_irqsave and says why in a comment).

Properties (docs in :mod:`spec.dragonos.props`): NoDoubleQueue; NoLostWakeup; DeadlineHonoured
(a timer left armed by a poll of an UP interface, due at tick d: by tick d+1 that interface's
NAPI has been scheduled again or is still queued / being polled); BoundedWait (ghost count of
other polls while queued <= K); CallbacksArmedWhenIdle; NoBusyLoop (ghost count of napi_handler
rounds, and V0 poll_at spins, since the last external event or napi_schedule by another context
<= LOOP); WakerHandshake (no kthread Blocked in schedule() with its Waker already woken and no
wakeup of it still to come).
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

from checker.lang import Constant, ModelError, SpecDef, System
from checker.lang.family import ANY
from checker.lang.site import code_site
from spec.dragonos import napi
from spec.dragonos.model import Ctx, declare
from spec.dragonos.parts import DEFAULT, Parts
from spec.dragonos.versions import VERSIONS


def build(k: SimpleNamespace, parts: Parts = DEFAULT, family: bool = False) -> System:
    """The System for constants ``k``, assembled from ``parts`` (see :mod:`spec.dragonos.parts`);
    ``family``: the NICs as one instance family (:data:`FAMILY_SPEC`; ``N = ANY``: every N at once)."""
    v = VERSIONS[k.version]
    n = k.N
    if k.N is ANY and not family:
        raise ModelError("N = ANY: the dragonos spec writes its NICs out one by one; every N needs the spec "
                         "dragonos_family (the NICs as one instance family)")
    if family:
        _check_family(k, v)
    elif k.VIRTIO > n:
        raise ModelError(f"VIRTIO = {k.VIRTIO} exceeds N = {n}")
    if k.mutation == "no_cb_prepare" and not v.virtio_handshake:
        raise ModelError(f"{v.name} has no virtio callback handshake to mutate")
    if k.updown and not v.has_link_set:
        raise ModelError(f"{v.name} ({v.commit}) has no rtnetlink link-set path: updown is not available")
    if k.mutation == "no_cb_prepare":  # the shipped mutation, expressed as a replaced part
        parts = parts.replace(interrupts_prepare=napi.forget_interrupts_prepare)
    s = System("dragonos", __doc__ or "")
    ids = s.instances("nic", n) if family else None
    grounded = ids is None or not ids.symbolic
    c = Ctx(s=s, v=v, k=k, n=n, virtio=list(range(k.VIRTIO)),
            qcap=k.QCAP if v.unconditional_push else (2 * n + 1 if grounded else None), tmax=k.T + k.D,
            loop_bound=k.LOOP, wait_bound=k.K if k.K >= 0 else (n - 1 if grounded else 0), parts=parts, ids=ids)
    declare(c)
    parts.handler(c)
    parts.poller(c)
    others = parts.drivers(c)
    if k.IMM > 0 and k.SENDS > 0:
        others.append(parts.app(c))
    if k.updown:
        others.append(parts.link(c))
    if k.direct_poll:
        c.actors["sys"] = parts.direct_poll(c)
    if k.T > 0:
        parts.tick(c)  # after every actor: the tick looks at all of them
    _check_facts(c)
    parts.properties(c, others)
    if grounded:
        add_liveness(s)
    else:
        s.not_parameterised["NoBusyLoopCycle"] = "a temporal property (liveness)"
    return s


def _check_family(k: SimpleNamespace, v: Any) -> None:
    """What the family build covers: generic NICs (one kind, one driver actor over them) of a
    version with budgets (V2, HEAD), without the features still written per NIC."""
    bad = [("VIRTIO", k.VIRTIO != 0, "generic NICs only (VIRTIO = 0): virtio-net NICs stay written out one by one"),
           ("version", not v.budgets, "V2 and HEAD only (V0/V1's Vec napi_list is bounded by QCAP)"),
           ("IMM", k.IMM > 0 and k.SENDS > 0, "no app: its wakeup_poll_thread scan is not written over the family"),
           ("direct_poll", k.direct_poll, "no direct poll: it polls interface 0 by number"),
           ("mutation", k.mutation != "none", "the mutation is of the virtio driver")]
    for name, wrong, why in bad:
        if wrong:
            raise ModelError(f"dragonos_family: {name}: {why}")


def _part_of(c: Ctx, actor: str) -> Any:
    """The part that builds ``actor`` (to point an error at its code)."""
    if actor == "drv":  # the family's driver actor
        return c.parts.generic_driver
    if actor.startswith("drv"):
        return c.parts.virtio_driver if int(actor[3:]) in c.virtio else c.parts.generic_driver
    return {"napi_handler": c.parts.handler, "netns_poller": c.parts.poller, "app": c.parts.app,
            "rtnl": c.parts.link, "sys": c.parts.direct_poll}.get(actor)


def _check_facts(c: Ctx) -> None:
    """Every part exported the facts the properties read (a replaced part that forgot one would
    otherwise weaken a property silently). The error points at the part's code."""
    kthreads = {c.actors["handler"].name, c.actors["poller"].name}
    missing = [(n, "asleep", "c.facts.asleep[actor.name]; the wait queue's add_sleeper does it")
               for n in sorted(kthreads - set(c.facts.asleep))]
    missing += [(a.name, "resting", "c.facts.resting[actor.name] = when it is not part-way through anything")
                for a in c.s.actors if a.name not in kthreads and a.name not in c.facts.resting]
    for name, fact, how in missing[:1]:
        raise ModelError(f"the part building actor {name!r} exported no {fact!r} fact ({how})",
                         where=code_site(_part_of(c, name)))


def add_liveness(s: System) -> None:
    """NoBusyLoopCycle: SPIN's non-progress cycle, the unbounded form of NoBusyLoop. Progress steps
    are the external events (frame arrivals, sends, link changes, ticks). Fairness: the kernel threads
    that can run eventually run (weak); drivers, the app, rtnetlink and syscalls finish what they
    started (strong, on every label but idle); frames and the clock need not come."""
    s.fair("weak", "napi_handler")
    s.fair("weak", "root_netns poller")
    steps = {(t.actor, t.label) for t in s.transitions}
    for a in s.actors:
        if a.name.startswith(("drv", "app", "rtnl", "sys")):
            for i in range(a.instances):
                for lb in a.labels.names:
                    if lb != "idle" and (a.actor_name(i), lb) in steps:
                        s.fair("strong", a.actor_name(i), lb)
    s.non_progress("NoBusyLoopCycle", doc="no fair cycle of napi_handler/poller steps without an external event")


CONSTANTS = [
    Constant("version", str, "HEAD", "which commit", choices=tuple(VERSIONS)),
    Constant("N", int, 1, "network interfaces (each with a NapiStruct)", min=1, max=3),
    Constant("VIRTIO", int, 1, "how many of them (the first ones) are virtio-net; the rest are generic",
             min=0, max=3),
    Constant("RING", int, 1, "frames a device ring holds", min=0, max=8),
    Constant("IMM", int, 0, "segments a socket may have queued (0: no app actor)", min=0, max=4),
    Constant("SENDS", int, 1, "send() calls the app makes in a run", min=0, max=8),
    Constant("FRAMES", int, 0, "frames per interface in a run (0: unbounded)", min=0, max=8),
    Constant("WEIGHT", int, 1, "NapiStruct.weight", min=1, max=8),
    Constant("POLL_BUDGET", int, 4, "NET_RX_POLL_BUDGET (scaled)", min=1, max=16),
    Constant("PACKET_BUDGET", int, 4, "NET_RX_PACKET_BUDGET (scaled)", min=1, max=16),
    Constant("time_budget", bool, True, "NET_RX_TIME_BUDGET_US may run out after a poll (nondeterministic)"),
    Constant("T", int, 0, "clock horizon in ticks (0: no clock, no tick)", min=0, max=12),
    Constant("D", int, 1, "retransmission timeout in ticks", min=1, max=6),
    Constant("wake_latency", bool, False, "a thread inside wake_all may be preempted across ticks between "
             "taking the waiters and Waker::wake"),
    Constant("updown", bool, False, "rtnetlink may set links down and up"),
    Constant("direct_poll", bool, False, "one syscall runs a direct iface.poll() on interface 0"),
    Constant("mutation", str, "none", "a deliberate bug, not in any commit, showing a property can fail: "
             "no_cb_prepare (virtio napi_complete skips enable_interrupts_prepare)",
             choices=("none", "no_cb_prepare")),
    Constant("QCAP", int, 3, "V0/V1: napi_list entries explored (the Vec is unbounded)", min=1, max=8),
    Constant("K", int, -1, "BoundedWait bound; -1 means N-1", min=-1, max=16),
    Constant("LOOP", int, 4, "NoBusyLoop bound: handler rounds without an external event (0: not tracked)",
             min=0, max=32),
]
PROPERTIES = ("NoDoubleQueue", "NoLostWakeup", "DeadlineHonoured", "BoundedWait", "CallbacksArmedWhenIdle",
              "NoBusyLoop", "WakerHandshake")


def make_spec(name: str, doc: str, parts: Parts = DEFAULT, family: bool = False) -> SpecDef:
    """A DragonOS spec assembled from ``parts`` (the shipped ones, or some replaced by a user's file:
    see :mod:`spec.dragonos.parts`). It takes the same constants as ``dragonos`` (``family``: the
    NICs as one instance family, :data:`FAMILY_SPEC`; VIRTIO then defaults to 0)."""
    def build_with(k: SimpleNamespace) -> System:
        return build(k, parts, family)

    consts = [dataclasses.replace(x, default=0) if family and x.name == "VIRTIO" else x for x in CONSTANTS]
    if family:
        consts.append(Constant("owed", bool, False, "dragonos_family: two ghost flags, set while a context owes "
                               "the napi_handler Waker::wake (it popped the Waker) or ProcessManager::wakeup "
                               "(its Waker::wake found the handler SLEEPING); NoLostWakeup is then stated per NIC, "
                               "with both clear in its premise (a ∀, which every N needs; it implies the form "
                               "over every NIC)"))
    return SpecDef(name=name, doc=doc, constants=consts, build=build_with, properties=PROPERTIES)


SPEC = make_spec("dragonos", "DragonOS NAPI + netns deadline poller at V0, V1 (seed design), V1.2, V2 and HEAD.")
#: DragonOS (V2, HEAD) with its NICs as one instance family (checker.lang.family): generic NICs only,
#: one driver actor ``drv`` over them, and order-free device_list scans (the netns poller visits the
#: NICs in any order: every order of device_list is one of its runs). Grounded at N it has the
#: behaviours of ``dragonos`` at N (and more orders of the scan); built with ``N = ANY`` it is the
#: IR of the every-N proofs (``options.induct_instances = "N"``). A separate spec so that the
#: grounded IR of every ``dragonos`` configuration stays as pinned (tests/test_dragonos_family.py).
FAMILY_SPEC = make_spec("dragonos_family", "DragonOS (V2, HEAD) with its generic NICs as one instance family "
                        "(every N; order-free scans).", family=True)
SPECS = [FAMILY_SPEC]
