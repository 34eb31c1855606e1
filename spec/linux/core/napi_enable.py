"""napi_enable (net/core/dev.c, 6.18): netdev_lock(dev); napi_enable_locked(n); netdev_unlock(dev).

    val = READ_ONCE(n->state);
    if (n->config) napi_restore_config(n); else napi_hash_add(n);   /* napi_by_id finds n again */
    do {
            BUG_ON(!test_bit(NAPI_STATE_SCHED, &val));
            new = val & ~(NAPIF_STATE_SCHED | NAPIF_STATE_NPSVC);
            if (n->dev->threaded && n->thread) new |= NAPIF_STATE_THREADED;
    } while (!try_cmpxchg(&n->state, &val, new));

Interface: ``fn.ret`` (void). Its first step (``disabled``) is the driver's reconfiguration ending in
netdev_lock. Ghost fact: its cmpxchg clears ``kernel.napi_disabled[n]``.
"""

from __future__ import annotations

from typing import Any

from checker.lang import And, Not

from spec.linux.kernel import DEV
from spec.linux.lines import cite
from spec.linux.prog import Call

LOCKED = "net/core/dev.c:napi_enable_locked"


def napi_enable(fn: Call, caller: str = "reconfiguration while NAPI is disabled") -> str:
    """Steps ``disabled`` (netdev_lock), ``en_read``, ``en_cas``, ``en_unlock``; ``caller``: what the
    driver was doing (``ndo_open`` for the first enable after netif_napi_add)."""
    kn, v = fn.kernel, fn.L
    state = kn.napi_state

    @fn.step("disabled", func=f"{DEV}: {caller} -> net/core/dev.c:napi_enable (netdev_lock)" + cite(kn, "en.lock"),
             next="en_read")
    def lock(t: Any, i: int) -> None:
        t.require(kn.netdev_lock == -1)
        t.set(kn.netdev_lock, i)

    @fn.step("en_read", func=LOCKED + " (val = READ_ONCE(n->state); napi_restore_config -> napi_hash_add)"
             + cite(kn, "en.read", "en.restore"),
             next="en_cas")
    def read(t: Any, i: int) -> None:
        # napi_hash_add folded into the read: only the busy poller's lookup sees it, and val is
        # re-read by the cmpxchg loop whatever happens in between
        t.set(v.val[i], state[fn.napi(i)])
        if kn.napi_hashed is not None:
            t.set(kn.napi_hashed[fn.napi(i)], True)

    @fn.step("en_cas", func=LOCKED + " (try_cmpxchg: clear SCHED|NPSVC, THREADED if dev->threaded)" + cite(kn, "en.cas"))
    def cas(t: Any, i: int) -> None:
        n = fn.napi(i)
        with t.if_(state[n] == v.val[i]):
            new = v.val[i].without_bits("SCHED", "NPSVC")
            if kn.kthreads is not None or kn.kthread_created is not None:
                # dev->threaded && n->thread: both set (napi_kthread_create) and cleared (napi_stop_kthread)
                # under netdev_lock by the threaded_store task, which this task's lock orders wholly
                # before or after: "created and not yet asked to stop" says the same
                alive = [Not(kn.kthreads.should_stop(n))] if kn.kthreads is not None else []
                if kn.kthread_created is not None:
                    alive.append(kn.kthread_created[n])
                with t.if_(And(*alive)):
                    t.set(state[n], new.with_bits("THREADED"))
                with t.else_():
                    t.set(state[n], new)
            else:
                t.set(state[n], new.with_bits("THREADED") if kn.threaded else new)
            t.set(v.val[i], 0)
            t.set(kn.napi_disabled[n], False)
            t.goto(fn.label("en_unlock"))
        with t.else_():
            t.set(v.val[i], state[n])

    @fn.step("en_unlock", func="net/core/dev.c:napi_enable (netdev_unlock(dev))" + cite(kn, "en.unlock"))
    def unlock(t: Any, i: int) -> None:
        t.set(kn.netdev_lock, -1)
        fn.ret(t, i)  # type: ignore[misc]
    return fn.label("disabled")
