"""A small helper for specs whose actors share kernel subroutines.

The modelling language's :class:`~checker.lang.system.Actor` needs its labels up front and
its guards may refer to other actors' program counters. Kernel contexts in the linux spec
share code (``__napi_poll``, ``napi_complete_done``, ``____napi_schedule`` run inline in the
softirq, the kthread, the busy poller ...), so a :class:`Prog` first *records* labels and step
bodies (subroutines are emitted into it with a label prefix), then every actor is created
(:meth:`Prog.create`), and only then are the steps registered (:meth:`Prog.register`), each
body preceded by the context guard of its label (CPU-local exclusion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable, Sequence

from checker.lang import System
from checker.lang.system import Actor
from checker.lang.types import Type


@dataclass
class _Step:
    label: str
    func: str
    next: str | None
    params: dict[str, Sequence[Any]] | None
    body: Callable[..., None]


@dataclass
class Prog:
    """The program of one actor family, recorded before the actor exists."""

    name: str
    instances: int
    display: str
    labels: list[str] = field(default_factory=list)
    steps: list[_Step] = field(default_factory=list)
    local_decls: list[tuple[str, Type, Any]] = field(default_factory=list)
    #: label sets used by the properties and by the CPU-exclusion guards
    sets: dict[str, set[str]] = field(default_factory=dict)
    L: SimpleNamespace = field(default_factory=SimpleNamespace)
    actor: Actor | None = None
    #: guard(i, label) -> condition awaited by every step of instance i at label (None: no guard)
    guard: Callable[[int, str], Any] | None = None

    def label(self, name: str) -> str:
        if name not in self.labels:
            self.labels.append(name)
        return name

    def local(self, name: str, typ: Type, init: Any = None) -> None:
        if all(d[0] != name for d in self.local_decls):
            self.local_decls.append((name, typ, init))

    def mark(self, kind: str, *labels: str) -> None:
        self.sets.setdefault(kind, set()).update(labels)

    def in_set(self, kind: str) -> list[str]:
        return [lb for lb in self.labels if lb in self.sets.get(kind, set())]

    def step(self, label: str, func: str, next: str | None = None,
             params: dict[str, Sequence[Any]] | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
        self.label(label)
        if next is not None:
            self.label(next)

        def deco(body: Callable[..., None]) -> Callable[..., None]:
            self.steps.append(_Step(label, func, next, params, body))
            return body

        return deco

    # phase 2
    def create(self, s: System) -> Actor:
        self.actor = s.actor(self.name, self.labels, instances=self.instances, display=self.display)
        for name, typ, init in self.local_decls:
            setattr(self.L, name, self.actor.local(name, typ, init))
        return self.actor

    # phase 3
    def register(self) -> None:
        assert self.actor is not None
        for st in self.steps:
            def body(t: Any, i: int, _st: _Step = st, **kw: Any) -> None:
                if self.guard is not None:
                    g = self.guard(i, _st.label)
                    if g is not None:
                        t.require(g)
                _st.body(t, i, **kw)
            self.actor.step(st.label, st.func, next=st.next, params=st.params)(body)

    def at(self, i: int, *labels: str) -> Any:
        assert self.actor is not None
        return self.actor.at(i, *labels)
