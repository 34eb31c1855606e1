"""napi_thread_wait (net/core/dev.c, 6.18): the NAPI kthread sleeps until it is handed its instance.

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

Interface: ``fn.ret`` (woken with work: the caller now polls as owner). Ghost fact: the kthread's
``asleep`` (in schedule(), until wake_up_process) is set and cleared here.
"""

from __future__ import annotations

from typing import Any

from checker.lang import Not

from spec.linux.prog import Call


def napi_thread_wait(fn: Call, bit: str = "SCHED_THREADED") -> str:
    """Steps ``set_state``, ``test`` (test_bit(NAPI_STATE_<bit>)), ``sleep``."""
    kn = fn.kernel

    @fn.step("set_state", func="net/core/dev.c:napi_thread_wait (set_current_state(TASK_INTERRUPTIBLE))",
             next="test")
    def set_state(t: Any, i: int) -> None:
        t.set(kn.kthread_interruptible[fn.napi(i)], True)

    @fn.step("test", func=f"net/core/dev.c:napi_thread_wait (test_bit(NAPI_STATE_{bit}))")
    def test(t: Any, i: int) -> None:
        n = fn.napi(i)
        with t.if_(kn.napi_state[n].has(bit)):
            t.set(kn.kthread_interruptible[n], False)  # __set_current_state(TASK_RUNNING); return 0
            fn.ret(t, i)  # type: ignore[misc]
        with t.else_():
            fn.set_fact(t, i, "asleep", True)
            t.goto(fn.label("sleep"))

    @fn.step("sleep", func="net/core/dev.c:napi_thread_wait (schedule(): sleeps until wake_up_process)",
             next="set_state")
    def sleep(t: Any, i: int) -> None:
        t.require(Not(kn.kthread_interruptible[fn.napi(i)]))
        fn.set_fact(t, i, "asleep", False)
    return fn.label("set_state")
