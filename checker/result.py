"""Engine-neutral results: verdicts, statistics and traces.

Every engine (explicit, BMC, k-induction, PDR, liveness) reports through these types,
so output, trace files and the CLI never depend on which engine ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from checker.lang.system import System, Transition

HOLDS = "holds"
VIOLATED = "violated"
INCONCLUSIVE = "inconclusive"
ERROR = "error"


@dataclass
class Trace:
    """A run of the system: ``states[0]`` is initial, ``steps[k]`` leads from ``states[k]`` to ``states[k+1]``.

    ``loop`` is the index of the state a lasso's last step returns to (liveness), else None.
    ``failing_step`` is set for modelling errors: the step that could not be executed from the last state.
    """

    system: System
    states: list[tuple]
    steps: list[Transition]
    property: str
    kind: str = "safety"  # safety | deadlock | lasso | error
    loop: int | None = None
    engine: str = "explicit"
    failing_step: Transition | None = None
    message: str = ""
    cause: str = ""  # for a further distinct counterexample: how its cause differs (checker.cause)

    def __len__(self) -> int:
        return len(self.steps)


@dataclass
class PropertyResult:
    name: str
    kind: str
    verdict: str
    trace: Trace | None = None
    engine: str = "explicit"
    note: str = ""
    seconds: float = 0.0
    replayed: bool | None = None  # the trace was re-executed on the compiled semantics
    detail: dict[str, Any] = field(default_factory=dict)
    # further counterexamples of distinct causes (checker.cause), shortest first; ``trace`` is the first
    more_traces: list[Trace] = field(default_factory=list)


@dataclass
class Stats:
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    peak_rss_bytes: int = 0
    limit_hit: str | None = None  # "states", "depth" or "time" when exploration stopped early
    coverage: dict[str, int] = field(default_factory=dict)  # step key -> times fired
    exhausted: bool = True  # every reachable state was expanded (False: cut short), so coverage is complete
    store: str = "exact"
    collision_probability: float = 0.0
    spilled_bytes: int = 0  # fingerprint store: fingerprints and parent entries on disk (checker.explicit.store)
    symmetry: bool = False  # states are orbits under the spec's declared symmetry (safety only)
    loop: str = ""  # explicit engine: which search loop ran (packed kernel, numpy frontiers, native C kernel ...)

    @property
    def states_per_second(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else 0.0

    def never_fired(self) -> list[str]:
        return [k for k, n in self.coverage.items() if n == 0]


@dataclass
class EngineResult:
    """What one engine found for one configuration."""

    engine: str
    properties: list[PropertyResult]
    stats: Stats
    error: str | None = None  # a modelling error stops the run
    error_trace: Trace | None = None
    # explicit engine, exact store: every reached state (logical tuples), for cross-checks such as
    # evaluating a PDR invariant on them; None when the engine kept no exact set
    reached: Callable[[], Iterable[tuple]] | None = None


@dataclass
class Progress:
    """How far a running engine has got (reported periodically through a :data:`ProgressFn`)."""

    states: int
    transitions: int
    depth: int
    frontier: int
    seconds: float


ProgressFn = Callable[[Progress], None]
