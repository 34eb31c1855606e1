"""napi_stop_kthread (net/core/dev.c, 6.17+: 689883de94dd), called by napi_set_threaded(n, DISABLED)
under netdev_lock: the instance goes back to softirq polling and its kthread is stopped.

    while (true) {                                             /* wait until STATE_THREADED is unset */
            val = READ_ONCE(napi->state);
            if ((val & NAPIF_STATE_SCHED_THREADED) || !(val & NAPIF_STATE_SCHED)) {
                    new = val & ~NAPIF_STATE_THREADED;         /* 6.19+: also THREADED_BUSY_POLL */
            } else {
                    msleep(20);
                    continue;
            }
            if (try_cmpxchg(&napi->state, &val, new))
                    break;
    }
    while (true) {                                             /* then for SCHED_THREADED to be unset by the kthread */
            if (!test_bit(NAPI_STATE_SCHED_THREADED, &napi->state))
                    break;
            msleep(20);
    }
    kthread_stop(napi->thread);
    napi->thread = NULL;

Identical in 6.18, 6.19 and 7.1 apart from the THREADED_BUSY_POLL bit (never set in the model). The
msleep loops are blocking steps (a re-read that sees the same value changes nothing); kthread_stop
(kernel/kthread.c) is two steps: set KTHREAD_SHOULD_STOP and wake_up_process, then
wait_for_completion(&kthread->exited) — napi->thread = NULL and netdev_unlock are folded into the
latter (only netdev_lock holders read napi->thread while THREADED is clear).

The first loop waits while SCHED is held by anyone but the kthread: by net_rx_action, the busy
poller — or napi_disable, which holds SCHED until napi_enable. Called on a disabled instance it
never returns, with netdev_lock held (models/linux/*_stop_kthread_disabled.toml).

Option ``wait_sched_threaded=False`` leaves the second loop out (what the second loop is for: a
mutation, not a release; variants/stop_kthread_no_wait.py).

Interface: ``fn.ret`` (void); the caller holds netdev_lock and releases it in ``st_join``.
"""

from __future__ import annotations

from typing import Any

from checker.lang import Not, Or

from spec.linux.lines import cite
from spec.linux.prog import Call

FUNC = "net/core/dev.c:napi_stop_kthread"
KTHREAD = "kernel/kthread.c:kthread_stop"


def napi_stop_kthread(fn: Call, wait_sched_threaded: bool = True) -> str:
    """Steps ``st_read``, ``st_sleep``, ``st_cas``, ``st_wait``, ``st_stop``, ``st_join``."""
    kn, v = fn.kernel, fn.L
    state, kt = kn.napi_state, kn.kthreads
    assert kt is not None

    def may_clear(val: Any) -> Any:
        return Or(val.has("SCHED_THREADED"), Not(val.has("SCHED")))

    @fn.step("st_read", func=FUNC + " (val = READ_ONCE(napi->state); SCHED_THREADED or !SCHED?)"
             + cite(kn, "st.read"))
    def read(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(v.val[i], state[n])
        with t.if_(may_clear(state[n])):
            t.goto(fn.label("st_cas"))
        with t.else_():
            t.goto(fn.label("st_sleep"))

    @fn.step("st_sleep", func=FUNC + " (msleep(20); continue: re-read until the kthread owns it or it is idle)"
             + cite(kn, "st.sleep", "st.read"), next="st_cas")
    def sleep(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.require(may_clear(state[n]))  # re-reads that still see another owner change nothing
        t.set(v.val[i], state[n])

    after_cas = "st_wait" if wait_sched_threaded else "st_stop"

    @fn.step("st_cas", func=FUNC + " (try_cmpxchg: clear NAPI_STATE_THREADED)" + cite(kn, "st.cas"))
    def cas(t: Any, i: int) -> None:
        n = fn.napi(i)
        with t.if_(state[n] == v.val[i]):
            t.set(state[n], v.val[i].without_bits("THREADED"))
            t.set(v.val[i], 0)
            t.goto(fn.label(after_cas))
        with t.else_():  # failed: back to READ_ONCE
            t.set(v.val[i], 0)
            t.goto(fn.label("st_read"))

    if wait_sched_threaded:
        @fn.step("st_wait", func=FUNC + " (while (test_bit(NAPI_STATE_SCHED_THREADED)) msleep(20))"
                 + cite(kn, "st.wait"), next="st_stop")
        def wait(t: Any, i: int) -> None:
            t.require(Not(state[fn.napi(i)].has("SCHED_THREADED")))

    @fn.step("st_stop", func=FUNC + " -> " + KTHREAD + " (set KTHREAD_SHOULD_STOP; wake_up_process)"
             + cite(kn, "st.kthread_stop"), next="st_join")
    def stop(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(kt.should_stop_bit[n], True)
        t.set(kn.kthread_interruptible[n], False)  # wake_up_process: TASK_INTERRUPTIBLE -> running

    @fn.step("st_join", func=FUNC + " -> " + KTHREAD + " (wait_for_completion(exited)); napi->thread = NULL"
             + cite(kn, "st.kthread_stop", "st.null"))
    def join(t: Any, i: int) -> None:
        t.require(kt.has_exited(fn.napi(i)))
        fn.ret(t, i)  # type: ignore[misc]

    return fn.label("st_read")
