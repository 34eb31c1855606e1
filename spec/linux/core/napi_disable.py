"""napi_disable (net/core/dev.c, 6.18): netdev_lock(dev); napi_disable_locked(n); netdev_unlock(dev).

    set_bit(NAPI_STATE_DISABLE, &n->state);
    val = READ_ONCE(n->state);
    do {
            while (val & (NAPIF_STATE_SCHED | NAPIF_STATE_NPSVC)) { usleep_range(20, 200); val = READ_ONCE(n->state); }
            new = val | NAPIF_STATE_SCHED | NAPIF_STATE_NPSVC;
            new &= ~(NAPIF_STATE_THREADED | NAPIF_STATE_PREFER_BUSY_POLL);
    } while (!try_cmpxchg(&n->state, &val, new));
    hrtimer_cancel(&n->timer);
    if (n->config) napi_save_config(n); else napi_hash_del(n);   /* both end in napi_hash_del */
    clear_bit(NAPI_STATE_DISABLE, &n->state);

napi_hash_del (step ``hash_del``) is modelled when a busy poller runs (the only context that looks
instances up by id): from then on a new busy-poll session does not find the instance.

Interface: ``fn.ret`` (void). Its first step is labelled ``idle``: the disabler waits there before the
call. Ghost fact: ``kernel.napi_disabled[n]`` is set when it returns (napi_enable clears it).
"""

from __future__ import annotations

from typing import Any

from checker.lang import Not

from spec.linux.lines import cite
from spec.linux.prog import Call

LOCKED = "net/core/dev.c:napi_disable_locked"


def napi_disable(fn: Call) -> str:
    """Steps ``idle`` (netdev_lock), ``set_dis``, ``read``, ``sleep``, ``cas``, ``cancel``, ``clr_dis``, ``unlock``."""
    kn, v = fn.kernel, fn.L
    state = kn.napi_state
    after_cancel = "clr_dis" if kn.napi_hashed is None else "hash_del"

    @fn.step("idle", func="net/core/dev.c:napi_disable (netdev_lock(dev))" + cite(kn, "dis.lock"), next="set_dis")
    def lock(t: Any, i: int) -> None:
        t.require(kn.netdev_lock == -1)  # mutex_lock: sleeps while held
        t.set(kn.netdev_lock, i)

    @fn.step("set_dis", func=LOCKED + " (set_bit(NAPI_STATE_DISABLE))" + cite(kn, "dis.set"), next="read")
    def set_dis(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(state[n], state[n].with_bits("DISABLE"))

    @fn.step("read", func=LOCKED + " (val = READ_ONCE(n->state))" + cite(kn, "dis.read"))
    def read(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(v.val[i], state[n])
        with t.if_(state[n].has_any("SCHED", "NPSVC")):
            t.goto(fn.label("sleep"))
        with t.else_():
            t.goto(fn.label("cas"))

    @fn.step("sleep", func=LOCKED + " (while (val & (SCHED|NPSVC)) { usleep_range(20, 200); "
                                    "val = READ_ONCE(n->state); })" + cite(kn, "dis.sleep"), next="cas")
    def sleep(t: Any, i: int) -> None:
        # re-reads that still see SCHED|NPSVC leave the state unchanged (stuttering): the loop is
        # the step that finds them clear
        n = fn.napi(i)
        t.require(Not(state[n].has_any("SCHED", "NPSVC")))
        t.set(v.val[i], state[n])

    @fn.step("cas", func=LOCKED + " (try_cmpxchg: SCHED|NPSVC, clear THREADED)" + cite(kn, "dis.cas"))
    def cas(t: Any, i: int) -> None:
        n = fn.napi(i)
        with t.if_(state[n] == v.val[i]):
            t.set(state[n], v.val[i].with_bits("SCHED", "NPSVC").without_bits("THREADED", "PREFER_BUSY_POLL"))
            t.set(v.val[i], 0)
            t.goto(fn.label("cancel" if kn.tmr else after_cancel))
        with t.else_():
            t.set(v.val[i], state[n])
            with t.if_(state[n].has_any("SCHED", "NPSVC")):
                t.goto(fn.label("sleep"))

    if kn.tmr:
        @fn.step("cancel", func=LOCKED + " (hrtimer_cancel: waits for napi_watchdog)" + cite(kn, "dis.cancel"), next=after_cancel)
        def cancel(t: Any, i: int) -> None:
            n = fn.napi(i)
            watchdog = kn.ctx("watchdog")
            assert watchdog is not None
            t.require(watchdog.resting(n))
            t.set(kn.timer_cpu[n], -1)

    if kn.napi_hashed is not None:
        @fn.step("hash_del", func=LOCKED + " (napi_save_config -> napi_hash_del: hlist_del_init_rcu)" + cite(kn, "dis.hash"),
                 next="clr_dis")
        def hash_del(t: Any, i: int) -> None:
            t.set(kn.napi_hashed[fn.napi(i)], False)

    @fn.step("clr_dis", func=LOCKED + " (clear_bit(NAPI_STATE_DISABLE))" + cite(kn, "dis.clr"), next="unlock")
    def clr_dis(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(state[n], state[n].without_bits("DISABLE"))

    @fn.step("unlock", func="net/core/dev.c:napi_disable (netdev_unlock(dev))" + cite(kn, "dis.unlock"))
    def unlock(t: Any, i: int) -> None:
        t.set(kn.netdev_lock, -1)
        t.set(kn.napi_disabled[fn.napi(i)], True)
        fn.ret(t, i)  # type: ignore[misc]
    return fn.label("idle")
