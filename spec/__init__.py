"""NAPI specs. Every module here that defines ``SPEC`` (a checker.lang.SpecDef) is registered by name."""

from __future__ import annotations

import importlib
import pkgutil

from checker.lang import SpecDef


def registry() -> dict[str, SpecDef]:
    """All specs of this package, by name."""
    out: dict[str, SpecDef] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(mod, "SPEC", None)
        if isinstance(spec, SpecDef):
            out[spec.name] = spec
        for extra in getattr(mod, "SPECS", ()):
            out[extra.name] = extra
    return out
