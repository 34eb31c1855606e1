"""napi_thread_wait (net/core/dev.c): the NAPI kthread sleeps until it is handed its instance, or told to stop.

    set_current_state(TASK_INTERRUPTIBLE);
    while (!kthread_should_stop()) {
            if (test_bit(NAPI_STATE_SCHED_THREADED, &napi->state)) {
                    WARN_ON(!list_empty(&napi->poll_list));
                    __set_current_state(TASK_RUNNING);
                    return 0;
            }
            schedule();
            set_current_state(TASK_INTERRUPTIBLE);
    }
    __set_current_state(TASK_RUNNING);
    return -1;

The same in 6.18, 6.19 and 7.1 (lines in spec/linux/lines.py). The kthread_should_stop() test is
its own step (``should_stop``) when something can ask the kthread to stop (``stop_kthread``:
napi_stop_kthread's kthread_stop); otherwise it always reads false and is left out (no state
changes, the same state space).

Interface: ``fn.ret`` (woken with work: the caller now polls as owner), ``fn.ret_false`` (return -1:
stop requested; the caller's thread function returns). Ghost fact: the kthread's ``asleep`` (in
schedule(), until wake_up_process) is set and cleared here.
"""

from __future__ import annotations

from typing import Any

from checker.lang import Not

from spec.linux.lines import cite
from spec.linux.prog import Call

FUNC = "net/core/dev.c:napi_thread_wait"


def napi_thread_wait(fn: Call, bit: str = "SCHED_THREADED") -> str:
    """Steps ``set_state``, ``should_stop`` (with a stopper), ``test`` (test_bit(NAPI_STATE_<bit>)), ``sleep``."""
    kn = fn.kernel
    stoppable = kn.kthreads is not None and fn.ret_false is not None
    loop = "should_stop" if stoppable else "test"

    @fn.step("set_state", func=FUNC + " (set_current_state(TASK_INTERRUPTIBLE))"
             + cite(kn, "tw.set_state"), next=loop)
    def set_state(t: Any, i: int) -> None:
        t.set(kn.kthread_interruptible[fn.napi(i)], True)

    if stoppable:
        assert kn.kthreads is not None

        @fn.step("should_stop", func=FUNC + " (while (!kthread_should_stop()); else __set_current_state(TASK_RUNNING); "
                                            "return -1)" + cite(kn, "tw.should_stop", "tw.stop_ret"))
        def should_stop(t: Any, i: int) -> None:
            n = fn.napi(i)
            with t.if_(kn.kthreads.should_stop(n)):
                t.set(kn.kthread_interruptible[n], False)
                fn.ret_false(t, i)  # type: ignore[misc]
            with t.else_():
                t.goto(fn.label("test"))

    @fn.step("test", func=f"{FUNC} (test_bit(NAPI_STATE_{bit}))" + cite(kn, "tw.test"))
    def test(t: Any, i: int) -> None:
        n = fn.napi(i)
        with t.if_(kn.napi_state[n].has(bit)):
            t.set(kn.kthread_interruptible[n], False)  # __set_current_state(TASK_RUNNING); return 0
            fn.ret(t, i)  # type: ignore[misc]
        with t.else_():
            fn.set_fact(t, i, "asleep", True)
            t.goto(fn.label("sleep"))

    # after schedule() the loop's set_current_state(TASK_INTERRUPTIBLE) is the step set_state again
    @fn.step("sleep", func=FUNC + " (schedule(): sleeps until wake_up_process)" + cite(kn, "tw.schedule"),
             next="set_state")
    def sleep(t: Any, i: int) -> None:
        t.require(Not(kn.kthread_interruptible[fn.napi(i)]))
        fn.set_fact(t, i, "asleep", False)
    return fn.label("set_state")
