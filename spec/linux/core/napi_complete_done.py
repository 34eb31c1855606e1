"""napi_complete_done (net/core/dev.c, 6.18): the poller gives SCHED back.

    if (unlikely(n->state & (NAPIF_STATE_NPSVC | NAPIF_STATE_IN_BUSY_POLL)))
            return false;
    if (work_done) { if (n->gro.bitmask) timeout = gro_flush_timeout;
                     n->defer_hard_irqs_count = napi_get_defer_hard_irqs(n); }
    if (n->defer_hard_irqs_count > 0) { n->defer_hard_irqs_count--; timeout = ...; if (timeout) ret = false; }
    ...
    val = READ_ONCE(n->state);
    do {
            new = val & ~(NAPIF_STATE_MISSED | NAPIF_STATE_SCHED | NAPIF_STATE_SCHED_THREADED |
                          NAPIF_STATE_PREFER_BUSY_POLL);
            /* If STATE_MISSED was set, leave STATE_SCHED set, because we will call napi->poll() one more time. */
            new |= (val & NAPIF_STATE_MISSED) / NAPIF_STATE_MISSED * NAPIF_STATE_SCHED;
    } while (!try_cmpxchg(&n->state, &val, new));
    if (unlikely(val & NAPIF_STATE_MISSED)) { __napi_schedule(n); return false; }
    if (timeout) hrtimer_start(&n->timer, ns_to_ktime(timeout), HRTIMER_MODE_REL_PINNED);
    return ret;

Interface: ``fn.ret_true`` / ``fn.ret_false`` (the driver may re-arm its IRQ only on true); option
``work0``: napi_complete(n), i.e. napi_complete_done(n, 0). Ghost fact: the caller's ``polling``
(it runs n's poll as SCHED owner) ends at the step that decides the return value.

The building blocks :func:`checks`, :func:`release`, :func:`arm_timer` and :func:`finish` are
exported so that another napi_complete_done (spec/linux/variants/prep_no_missed.py, a patch in
examples/own_patch/) replaces only what it changes.
"""

from __future__ import annotations

from typing import Any

from spec.linux.lines import cite
from spec.linux.prog import Call, Emit

FUNC = "net/core/dev.c:napi_complete_done"


def finish(fn: Call, t: Any, i: int) -> None:
    """``return ret;``: to ``fn.ret_true`` or ``fn.ret_false`` by the local ``ret``."""
    v = fn.L
    with t.if_(v.ret[i]):
        fn.ret_true(t, i)  # type: ignore[misc]
    with t.else_():
        fn.ret_false(t, i)  # type: ignore[misc]
    t.set(v.ret[i], False)  # dead after the return: reset so equal states merge


def after_release(fn: Call, t: Any, i: int) -> None:
    """SCHED released: arm the watchdog if a timeout was chosen, then return."""
    if fn.kernel.tmr:
        with t.if_(fn.L.timeout[i]):
            t.goto(fn.label("cd_timer"))
        with t.else_():
            finish(fn, t, i)
    else:
        finish(fn, t, i)


def checks(fn: Call, work0: bool, release: str, func: str = FUNC) -> None:
    """Step ``cd``: the NPSVC/IN_BUSY_POLL early return, GRO's flush timeout and defer_hard_irqs;
    then on to this call's step ``release``."""
    kn, v = fn.kernel, fn.L
    gro_choice = {"gro_held": [False, True]} if kn.gro and not work0 else None

    where = cite(kn, "cd.checks") if func == FUNC else ""

    @fn.step("cd", func=func + where, params=gro_choice)
    def cd(t: Any, i: int, gro_held: bool = False) -> None:
        n = fn.napi(i)
        t.set(v.timeout[i], False)  # "unsigned long ... timeout = 0": a fresh local per call
        with t.if_(kn.napi_state[n].has_any("NPSVC", "IN_BUSY_POLL")):
            t.set(v.ret[i], False)
            fn.set_fact(t, i, "polling", False)
            fn.ret_false(t, i)  # type: ignore[misc]
        with t.else_():
            t.set(v.ret[i], True)
            if gro_held:
                # work_done && n->gro.bitmask: timeout = gro_flush_timeout (ret stays true)
                with t.if_(v.work[i] > 0):
                    t.set(v.timeout[i], True)
            if kn.defer:
                # defer_hard_irqs_count is only touched by the SCHED owner: folded into this step
                if not work0:
                    with t.if_(v.work[i] > 0):
                        t.set(kn.defer_count[n], kn.defer)
                with t.if_(kn.defer_count[n] > 0):
                    t.set(kn.defer_count[n], kn.defer_count[n] - 1)
                    t.set(v.timeout[i], True)  # gro_flush_timeout > 0 is configured with defer_hard_irqs
                    t.set(v.ret[i], False)
            t.goto(fn.label(release))


def arm_timer(fn: Call, func: str = FUNC) -> None:
    """Step ``cd_timer`` (when the watchdog exists): hrtimer_start after SCHED was released."""
    kn, v = fn.kernel, fn.L
    if not kn.tmr:
        return

    @fn.step("cd_timer", func=func + " (hrtimer_start(&n->timer, REL_PINNED))" + (cite(kn, "cd.timer") if func == FUNC else ""))
    def cd_timer(t: Any, i: int) -> None:
        t.set(kn.timer_cpu[fn.napi(i)], fn.cpu(i))
        t.set(v.timeout[i], False)
        finish(fn, t, i)


def release(fn: Call, after: Emit) -> None:
    """Steps ``cd_read`` and ``cd_cas``: the try_cmpxchg loop that clears SCHED (keeps it and re-queues the
    instance through ____napi_schedule at ``cd_msched`` when MISSED was set, returning false); ``after``
    runs once SCHED is released."""
    kn, v = fn.kernel, fn.L

    @fn.step("cd_read", func=FUNC + " (val = READ_ONCE(n->state))" + cite(kn, "cd.read"), next="cd_cas")
    def cd_read(t: Any, i: int) -> None:
        t.set(v.val[i], kn.napi_state[fn.napi(i)])

    @fn.step("cd_cas", func=FUNC + " (try_cmpxchg)" + cite(kn, "cd.cas"))
    def cd_cas(t: Any, i: int) -> None:
        n, val, state = fn.napi(i), v.val[i], kn.napi_state
        with t.if_(state[n] == val):
            cleared = val.without_bits("MISSED", "SCHED", "SCHED_THREADED", "PREFER_BUSY_POLL")
            fn.set_fact(t, i, "polling", False)
            with t.if_(val.has("MISSED")):
                t.set(state[n], cleared.with_bits("SCHED"))
                t.set(v.val[i], 0)
                t.set(v.ret[i], False)
                t.set(v.timeout[i], False)  # returns before hrtimer_start
                t.goto(fn.label("cd_msched"))
            with t.else_():
                t.set(state[n], cleared)
                t.set(v.val[i], 0)
                after(t, i)
        with t.else_():
            t.set(v.val[i], state[n])

    # MISSED: __napi_schedule(n); return false;
    fn.call("____napi_schedule", pre="cd_m", ret=fn.ret_false)


def napi_complete_done(fn: Call, work0: bool = False) -> str:
    """Steps ``cd``, ``cd_read``, ``cd_cas`` (MISSED: ____napi_schedule at ``cd_msched``), ``cd_timer``."""
    checks(fn, work0, "cd_read")
    release(fn, lambda t, i: after_release(fn, t, i))
    arm_timer(fn)
    return fn.label("cd")
