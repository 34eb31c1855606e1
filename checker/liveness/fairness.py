"""Fairness groups of a System: which transitions form each weakly or strongly fair group."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Mapping

from checker.lang.system import System
from checker.lang.temporal import FairRule


@dataclass(frozen=True)
class FairGroup:
    name: str  # "IRQ0" (a whole actor instance) or "TIMER0:prep" (one step)
    kind: str  # weak | strong
    tids: frozenset[int]


def config_rules(option: Any) -> list[FairRule]:
    """Rules from ``[options] fairness``: a table ``"actor[:label]" = "weak"|"strong"|"none"``,
    or the string ``"none"`` (drop every declared fairness). Raises ValueError on a bad entry."""
    if option is None:
        return []
    if option == "none":
        return [FairRule("none", "*"), FairRule("none", "*", "*")]
    if not isinstance(option, Mapping):
        raise ValueError("options.fairness must be a table of \"actor[:label]\" = \"weak\"|\"strong\"|\"none\"")
    rules = []
    for key, kind in option.items():
        if kind not in ("weak", "strong", "none"):
            raise ValueError(f"options.fairness.{key}: must be weak, strong or none, not {kind!r}")
        actor, _, label = str(key).partition(":")
        rules.append(FairRule(kind, actor, label or None))
    return rules


def fairness_groups(system: System, extra: list[FairRule] | None = None) -> list[FairGroup]:
    """The fair groups after applying the spec's rules, then ``extra`` (later rules win)."""
    pairs = {(t.actor, t.label) for t in system.transitions}
    actors = {a for a, _ in pairs}
    kinds: dict[tuple[str, str | None], str] = {}
    for r in list(system.fairness) + list(extra or []):
        if r.label is None:
            keys = [(a, None) for a in actors if fnmatchcase(a, r.actor)]
        else:
            keys = [(a, lb) for a, lb in pairs if fnmatchcase(a, r.actor) and fnmatchcase(lb, r.label)]
        if not keys and not any(ch in r.actor + (r.label or "") for ch in "*?["):
            raise ValueError(f"fairness rule names no step: {r.actor}" + (f":{r.label}" if r.label else ""))
        for k in keys:
            if r.kind == "none":
                kinds.pop(k, None)
            else:
                kinds[k] = r.kind
    groups = []
    for (actor, label), kind in sorted(kinds.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        tids = frozenset(t.index for t in system.transitions
                         if t.actor == actor and (label is None or t.label == label))
        groups.append(FairGroup(actor if label is None else f"{actor}:{label}", kind, tids))
    return groups


def group_masks(system: System, groups: list[FairGroup]) -> list[int]:
    """Per transition, the bit mask of the groups it belongs to."""
    masks = [0] * len(system.transitions)
    for b, g in enumerate(groups):
        for tid in g.tids:
            masks[tid] |= 1 << b
    return masks
