"""mod.rs IfaceCommon::poll_napi / poll: smoltcp abstracted to counters, and the deadline publication.

smoltcp (a fork of upstream; see the research notes) is abstracted per interface to:

* ``rx``: frames in the device ring. ``poll_ingress_single`` takes one; poll_napi takes up to
  its budget, the unbounded ``poll`` takes all.
* ``imm``: segments a socket can send now. One ``poll_egress`` pass dispatches at most one
  per socket (one socket here): ``imm -= 1``. While ``imm > 0`` smoltcp's ``poll_at`` is Now.
* ``tmr``: the retransmission timer. Dispatching a segment arms it at ``now + D`` unless
  one is pending; a poll at or after it processes it (the retransmission is taken to be
  acknowledged at once, so the timer is then cleared: finite, and enough to exercise how a
  future deadline travels from smoltcp through ``poll_at_us`` / ``PollDeadline`` to the poller).

The whole sockets + smol_iface critical section is one atomic step: both mutexes are taken
by every poller of an interface (lock order sockets -> smol_iface), so nothing else that the
model tracks can interleave with it. Stores done after the unlock are separate steps.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from checker.lang import And, Ite, Min, Not, Or
from spec.dragonos.model import Ctx

IFACE = "kernel/src/driver/net/mod.rs"


def smoltcp_poll(t: Any, c: Ctx, j: Any, budget: Any, mode: str) -> SimpleNamespace:
    """Emit one locked poll of interface ``j``; ``mode`` is "napi" (bounded) or "poll" (unbounded).

    Returns expressions over the step's temporaries: ``consumed``, ``events`` (SocketStateChanged),
    ``again`` (NapiPollResult.poll_again / poll()'s return), ``rearm`` (HEAD: RearmRequired),
    ``spin`` (V0: the poll_at loop never ends), ``value`` (what V1/V2 store into poll_at_us).
    """
    v, g, k = c.v, c.vars, c.k
    now = g.now
    take = g.rx[j] if budget is None else Min(g.rx[j], budget)
    consumed = t.let("consumed", take)
    t.set(g.rx[j], g.rx[j] - consumed)
    sent = t.let("sent", g.imm[j] > 0)
    t.set(g.imm[j], g.imm[j] - Ite(sent, 1, 0))
    old_t = t.let("old_tmr", g.tmr[j])
    due = And(old_t != 0, old_t <= now)
    new_t = t.let("new_tmr", Ite(sent, Ite(Or(old_t == 0, due), now + k.D, old_t), Ite(due, 0, old_t)))
    t.set(g.tmr[j], new_t)
    t.set(g.handed[j], False)  # any later timer needs a fresh hand-off
    imm_now = t.let("poll_at_now", g.imm[j] > 0)  # poll_at() <= timestamp
    had_packet = consumed > 0
    out = SimpleNamespace(consumed=consumed, events=Or(had_packet, sent), rearm=Not(True), spin=Not(True),
                          value=Ite(imm_now, now, new_t))
    if mode == "napi":
        base = And(had_packet, consumed == budget)
        out.again = Or(base, imm_now) if v.poll_again_now else base
    else:
        out.again = Or(out.events, imm_now) if v.poll_again_now else out.events
    if v.poll_at_spin:
        out.spin = imm_now  # `loop { poll_at(ts) ... if instant > ts break }` never breaks
        return out
    if v.poll_deadline:
        # publish_poll_deadline under both locks: Now -> disarm (owned by this poller), future ->
        # publish_future (swap; RearmRequired if old == 0 || old <= now || new < old), None -> disarm
        old = t.let("old_deadline", g.slot[j])
        future = And(Not(imm_now), new_t != 0)
        t.set(g.slot[j], Ite(future, new_t, 0))
        out.rearm = t.let("rearm", And(future, old != new_t, Or(old == 0, old <= now, new_t < old)))
    elif mode == "napi":
        t.set(g.slot[j], out.value)  # poll_at_us.store(..., Relaxed) while holding the locks
    return out
