"""Progress of a running configuration: a live status line on a terminal; off a terminal (CI logs,
pipes) a plain line every ``interval`` seconds, as TLC prints its progress report every minute.

The reporter also keeps the last figures the engine reported, so that an interrupted run can still
say how far it got (:mod:`checker.interrupt`).
"""

from __future__ import annotations

import time
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

from checker.result import Progress

DEFAULT_INTERVAL = 60.0  # seconds between plain progress lines off a terminal (TLC's default report interval)


def fmt_duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``2 h 10 min``."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def eta(p: Progress, limits: dict[str, Any]) -> str:
    """Time left before a limit stops the search, where a limit gives one ("" otherwise): the states limit
    at the current rate, or the time limit — whichever comes first."""
    left: list[tuple[float, str]] = []
    max_states = limits.get("max_states")
    if max_states and p.seconds > 0 and p.states:
        rate = p.states / p.seconds
        left.append((max(0.0, (max_states - p.states) / rate), "states limit"))
    max_seconds = limits.get("max_seconds")
    if max_seconds:
        left.append((max(0.0, max_seconds - p.seconds), "time limit"))
    if not left:
        return ""
    secs, which = min(left)
    return f"ETA ≤ {fmt_duration(secs)} ({which})"


def describe(p: Progress, limits: dict[str, Any]) -> str:
    """``12,345 states (4,100 states/s), depth 17, frontier 1,024, 3 s, ETA ...``."""
    rate = p.states / p.seconds if p.seconds > 0 else 0.0
    parts = [f"{p.states:,} states ({rate:,.0f} states/s)"]
    if p.depth:
        parts.append(f"depth {p.depth}")
    if p.frontier:
        parts.append(f"frontier {p.frontier:,}")
    parts.append(fmt_duration(p.seconds))
    left = eta(p, limits)
    if left:
        parts.append(left)
    return ", ".join(parts)


class Reporter:
    """The progress callback of one configuration's run (``reporter(progress)``), and its last figures.

    Off a terminal a heartbeat thread prints the last figures every ``interval`` seconds, so that a
    run inside a solver call (which reports nothing) still shows it is alive."""

    def __init__(self, con: Console, name: str, limits: dict[str, Any], interval: float = DEFAULT_INTERVAL,
                 live: bool | None = None, on_report: Callable[[], None] | None = None) -> None:
        self.con = con
        self.name = name
        self.limits = limits
        self.interval = interval
        self.live = con.is_terminal if live is None else live
        self.last: Progress | None = None
        self._status: Any = None
        self._t0 = time.perf_counter()
        self.on_report = on_report  # called at every report (the CLI raises a pending interrupt there)

    def __call__(self, p: Progress) -> None:
        self.last = p
        if self.on_report is not None:
            self.on_report()
        if self._status is not None:
            self._status.update(f"{self.name}: {describe(p, self.limits)}")

    def elapsed(self) -> float:
        """Seconds since this configuration's run started."""
        return time.perf_counter() - self._t0

    def line(self) -> str:
        """The current figures as one line."""
        if self.last is None:  # nothing reported yet (building, or inside a solver query)
            secs = time.perf_counter() - self._t0
            left = eta(Progress(0, 0, 0, 0, secs), self.limits)
            return f"{self.name}: running, {fmt_duration(secs)}" + (f", {left}" if left else "")
        return f"{self.name}: {describe(self.last, self.limits)}"

    @contextmanager
    def session(self) -> Iterator[Reporter]:
        """Wrap the run: the live status line on a terminal, the heartbeat off one."""
        self._t0 = time.perf_counter()
        if self.live:
            with self.con.status(f"{self.name}: building ...") as status:
                self._status = status
                try:
                    yield self
                finally:
                    self._status = None
            return
        if self.interval <= 0:
            yield self
            return
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.interval):
                self.con.print(f"progress: {self.line()}", markup=False, highlight=False)

        thread = threading.Thread(target=beat, name="napi-check-progress", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()
