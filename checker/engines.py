"""The engine registry: each engine takes one instantiated configuration and returns an EngineResult.

Engines are loaded lazily (``module:function``) so that, e.g., Z3 is imported only when a
symbolic engine is asked for. Every engine reads the same System / CompiledSystem.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from checker.lang.pycompile import CompiledSystem
from checker.lang.system import Property, System
from checker.result import EngineResult, ProgressFn


@dataclass
class EngineInput:
    system: System
    compiled: CompiledSystem
    properties: list[Property]
    limits: dict[str, Any] = field(default_factory=dict)  # max_states, max_depth, max_seconds, store, ...
    options: dict[str, Any] = field(default_factory=dict)  # engine-specific ([options] of the configuration)
    progress: ProgressFn | None = None


EngineFn = Callable[[EngineInput], EngineResult]

#: name -> "module:function"
ENGINES: dict[str, str] = {
    "explicit": "checker.liveness.engine:run_explicit",
    "bmc": "checker.symbolic.engine:run_bmc",
    "kind": "checker.symbolic.engine:run_kind",
    "pdr": "checker.symbolic.engine:run_pdr",
}


def engine_names() -> set[str]:
    return set(ENGINES)


def load_engine(name: str) -> EngineFn:
    module, func = ENGINES[name].split(":")
    return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]
