"""``kthread_stop`` / ``kthread_should_stop`` (kernel/kthread.c).

``kthread_stop(k)`` sets ``KTHREAD_SHOULD_STOP`` for ``k``, wakes it (``wake_up_process``) and
waits until the thread function has returned (``wait_for_completion(&kthread->exited)``).
The thread sees the request only where it calls ``kthread_should_stop()``; a thread that
sleeps without re-checking it after ``set_current_state(TASK_INTERRUPTIBLE)`` can miss the
wake-up and make ``kthread_stop`` hang: a bug this model keeps possible, because the bit, the
wake-up and the exit are separate steps of their own.

State per thread ``k``: ``should_stop[k]`` and ``exited[k]``. The thread's own sleeping state
belongs to the spec (NAPI's kthread sleeps in ``napi_thread_wait``); ``kthread_stop`` wakes it
through the ``wake`` callback the spec passes.
"""

from __future__ import annotations

from typing import Callable

from checker.lang.expr import Expr
from checker.lang.system import Actor, StepBuilder, System
from checker.lang.types import Array, Bool

KTHREAD_STOP = "kernel/kthread.c:kthread_stop"


class KThreads:
    """Stop requests and exits of ``n`` kernel threads."""

    def __init__(self, system: System, n: int, name: str = "kthread") -> None:
        self.n = n
        self.should_stop_bit = system.var(f"{name}.should_stop", Array(n, Bool),
                                          doc="KTHREAD_SHOULD_STOP of thread k")
        self.exited = system.var(f"{name}.exited", Array(n, Bool), doc="thread k's function has returned")

    def should_stop(self, k: int) -> Expr:
        """``kthread_should_stop()`` as read by thread ``k``."""
        return self.should_stop_bit[k]

    def exit(self, t: StepBuilder, k: int) -> None:
        """Thread ``k``'s function returns (``do_exit`` completes ``kthread->exited``)."""
        t.set(self.exited[k], True)

    def has_exited(self, k: int) -> Expr:
        return self.exited[k]

    def stop_steps(self, actor: Actor, label: str, wait_label: str, next: str,
                   thread: Callable[[int], int], wake: Callable[[StepBuilder, int], None] | None = None,
                   func: str = KTHREAD_STOP) -> None:
        """``kthread_stop(thread(i))`` by instance ``i`` of ``actor``: at ``label`` set the stop bit
        and wake the thread (``wake(t, k)``, the spec's ``wake_up_process``); at ``wait_label``
        wait for it to exit; then ``next``."""

        @actor.step(label, func=f"{func} (set KTHREAD_SHOULD_STOP, wake_up_process)", next=wait_label)
        def _stop(t: StepBuilder, i: int) -> None:
            k = thread(i)
            t.set(self.should_stop_bit[k], True)
            if wake is not None:
                wake(t, k)

        @actor.step(wait_label, func=f"{func} (wait_for_completion exited)", next=next)
        def _wait(t: StepBuilder, i: int) -> None:
            t.require(self.exited[thread(i)])
