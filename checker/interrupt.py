"""Stopping a run cleanly on SIGINT (Ctrl-C) or SIGTERM (a CI job's timeout).

The first signal raises :class:`Interrupted` in the main thread — and, since a Python signal
handler runs only between bytecodes, also cancels a running Z3 query from a watcher thread woken
through :func:`signal.set_wakeup_fd`. The CLI then prints the figures reached, writes ``--out``
with the unfinished configuration's verdicts inconclusive, and exits with ``128 + signal number``
(130 for SIGINT, 143 for SIGTERM): the shell's convention for "stopped by a signal", which is also
what TLC (a JVM) reports when interrupted, and distinct from 0-3. A second signal exits at once.
Forked worker processes of the explicit engine exit at once on either signal.
"""

from __future__ import annotations

import _thread
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def exit_code(signum: int) -> int:
    """The exit status of a run stopped by ``signum``: 128 + its number."""
    return 128 + int(signum)


class Interrupted(BaseException):
    """The run was stopped by a signal (a BaseException, so that no engine's ``except Exception``
    swallows it)."""

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        self.signame = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signame}")


def _interrupt_z3() -> None:
    z3 = sys.modules.get("z3")
    if z3 is not None:
        try:
            z3.main_ctx().interrupt()
        except Exception:  # noqa: BLE001 - best effort: the Python handler still stops the run
            pass


def _cancel_solvers(r: int, state: dict[str, Any]) -> None:
    """Watcher thread: once a signal arrived, cancel whatever Z3 computes — again every 0.2 s, since a
    query may start just after a cancel (the run stops at its next check) — until the block is left.
    While the handler has not raised yet (the signal landed where an exception would be dropped), the
    signal is delivered to the main thread again every 0.2 s, until it lands where it can raise: a
    run busy building terms for minutes, with no check of its own, still stops at once."""
    signalled = False
    last = 0.0
    while True:
        ready, _, _ = select.select([r], [], [], 0.2 if signalled else None)
        if ready:
            try:
                data = os.read(r, 4096)
            except OSError:
                return
            if not data:
                return  # the block was left
            signalled = signalled or any(b in (int(s) for s in SIGNALS) for b in data)
        if signalled and time.monotonic() - last >= 0.2:
            last = time.monotonic()
            _interrupt_z3()
            if state.get("pending") is not None and not state.get("raised"):
                state["resent"] = True
                _thread.interrupt_main(state["pending"])


def _unsafe(frame: Any) -> bool:
    """Whether an exception raised in ``frame`` would be dropped: inside a ``__del__`` or a Python
    callback Z3 calls from C (its error handler, clause and user-propagator callbacks), where ctypes
    prints and drops it."""
    while frame is not None:
        name = frame.f_code.co_name
        if name == "__del__" or name in _Z3_CALLBACKS or name.startswith("user_prop_"):
            return True
        frame = frame.f_back
    return False


_Z3_CALLBACKS = frozenset({"z3_error_handler", "on_clause_eh", "_global_on_model"})


def raise_pending(state: dict[str, Any]) -> None:
    """Raise :class:`Interrupted` again if a signal arrived whose exception was swallowed — Python runs a
    signal handler wherever the main thread is, also inside a ctypes callback (Z3's error handler, called
    as the cancelled query unwinds), where ctypes prints and drops what the handler raises."""
    if state.get("pending") is not None:
        state["raised"] = True
        raise Interrupted(state["pending"])


@contextmanager
def stop_on_signals() -> Iterator[dict[str, Any]]:
    """Within this block SIGINT and SIGTERM raise :class:`Interrupted` (once; a second one exits)."""
    if threading.current_thread() is not threading.main_thread():
        yield {}
        return
    owner = os.getpid()
    state: dict[str, Any] = {"signals": 0, "pending": None}

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() != owner:  # a forked worker: its parent reports
            os._exit(exit_code(signum))
        if not state.pop("resent", False):  # a repeat by the watcher is not a second signal
            state["signals"] += 1
        state["pending"] = signum  # the raise below can be swallowed (inside a ctypes callback of Z3's)
        if state["signals"] > 1:
            sys.stderr.write(f"\n{signal.Signals(signum).name} again: stopping now\n")
            sys.stderr.flush()
            os._exit(exit_code(signum))
        if _unsafe(frame):
            return  # the exception would be dropped: the watcher cancels the query and repeats the signal
        state["raised"] = True
        raise Interrupted(signum)

    old = {s: signal.signal(s, handler) for s in SIGNALS}
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        old_fd = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except ValueError:
        old_fd = None
    watcher = threading.Thread(target=_cancel_solvers, args=(r, state), name="napi-check-signals", daemon=True)
    watcher.start()
    try:
        yield state
    finally:
        if old_fd is not None:
            signal.set_wakeup_fd(old_fd)
        for s, h in old.items():
            signal.signal(s, h)
        os.close(w)  # the watcher reads end-of-file and returns
        watcher.join(timeout=1)
        os.close(r)
