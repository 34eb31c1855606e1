"""napi_schedule_prep (net/core/dev.c, 6.18): try to take NAPI_STATE_SCHED.

    val = READ_ONCE(n->state);
    do {
            if (unlikely(val & NAPIF_STATE_DISABLE))
                    return false;
            new = val | NAPIF_STATE_SCHED;
            /* Sets STATE_MISSED bit if STATE_SCHED was already set ... */
            new |= (val & NAPIF_STATE_SCHED) / NAPIF_STATE_SCHED * NAPIF_STATE_MISSED;
    } while (!try_cmpxchg(&n->state, &val, new));
    return !(val & NAPIF_STATE_SCHED);

Interface: ``fn.ret_true`` (the caller now owns SCHED), ``fn.ret_false``.
"""

from __future__ import annotations

from typing import Any

from spec.linux.lines import cite
from spec.linux.prog import Call

FUNC = "net/core/dev.c:napi_schedule_prep"


def napi_schedule_prep(fn: Call) -> str:
    """Steps ``prep`` (READ_ONCE) and ``prep_cas`` (one try_cmpxchg; a failed one reloads val and loops)."""
    kn, v = fn.kernel, fn.L

    @fn.step("prep", func=FUNC + " (val = READ_ONCE(n->state))" + cite(fn.kernel, "prep.read"), next="prep_cas")
    def prep_read(t: Any, i: int) -> None:
        t.set(v.val[i], kn.napi_state[fn.napi(i)])

    @fn.step("prep_cas", func=FUNC + " (try_cmpxchg)" + cite(fn.kernel, "prep.cas"))
    def prep_cas(t: Any, i: int) -> None:
        n, val, state = fn.napi(i), v.val[i], kn.napi_state
        with t.if_(val.has("DISABLE")):
            t.set(v.val[i], 0)
            fn.ret_false(t, i)  # type: ignore[misc]
        with t.else_():
            with t.if_(state[n] == val):
                with t.if_(val.has("SCHED")):
                    t.set(state[n], val.with_bits("SCHED", "MISSED"))
                    t.set(v.val[i], 0)
                    fn.ret_false(t, i)  # type: ignore[misc]
                with t.else_():
                    t.set(state[n], val.with_bits("SCHED"))
                    t.set(v.val[i], 0)
                    fn.ret_true(t, i)  # type: ignore[misc]
            with t.else_():
                t.set(v.val[i], state[n])  # failed: val reloaded, loop
    return fn.label("prep")
