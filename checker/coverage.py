"""Step coverage that means something: every step fires, or the configuration says why it does not.

A configuration declares the steps it leaves out on purpose in its ``[coverage]`` table::

    [coverage]
    unfired = { "TX0 peer egress:*" = "no peer traffic in this configuration",
                "CPU1 softirq:*"    = "instance 0 is bound to CPU0: CPU1 never polls" }

Keys are glob patterns (:mod:`fnmatch`) over the step names ``--coverage`` prints,
``actor:label(param=value,...)``; values say why. After a complete exploration (no limit hit) of the
explicit engine, whose coverage counts each step:

* a step that never fired and no pattern declares is a warning (``never fired``): a modelling
  mistake, or a configuration that does not exercise what it claims to;
* a pattern matching a step that did fire is a stale declaration (a warning too): the reason no
  longer holds;
* a pattern matching no step of the configuration's system is a configuration error (a typo);
* louder: a checked property that mentions an undeclared never-fired step (``IRQ0 at mask`` when
  IRQ0's ``mask`` step never fired), or reads a variable only such steps assign, may hold vacuously.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from checker.lang.expr import Expr, walk
from checker.lang.system import Assign, If, Property, Stmt, System, Transition, assigned_slots

#: Keys of a configuration's ``[coverage]`` table.
COVERAGE_KEYS = {"unfired"}


class CoverageDeclarationError(ValueError):
    """A ``[coverage]`` entry that is not valid: ``field`` names it (``coverage.unfired."IRQ*:x"``)."""

    def __init__(self, fieldname: str, message: str) -> None:
        super().__init__(message)
        self.field = fieldname
        self.message = message


def parse_coverage(data: Any) -> dict[str, str]:
    """The ``unfired`` patterns of a ``[coverage]`` table (pattern -> reason); raises
    :class:`CoverageDeclarationError` naming the field at fault."""
    if not isinstance(data, dict):
        raise CoverageDeclarationError("coverage", "must be a table, e.g. [coverage] unfired = { \"IRQ1:*\" = \"why\" }")
    for k in data:
        if k not in COVERAGE_KEYS:
            raise CoverageDeclarationError(f"coverage.{k}", f"unknown key (known: {', '.join(sorted(COVERAGE_KEYS))})")
    unfired = data.get("unfired", {})
    if not isinstance(unfired, dict):
        raise CoverageDeclarationError("coverage.unfired", "must be a table of \"step pattern\" = \"why it never fires\"")
    for pattern, why in unfired.items():
        if not isinstance(why, str) or not why.strip():
            raise CoverageDeclarationError(f"coverage.unfired.{pattern!r}",
                                           "give the reason the step never fires, as a non-empty string")
    return dict(unfired)


def check_patterns(unfired: dict[str, str], system: System) -> None:
    """Every pattern must match some step of ``system`` (else it is a typo): raises the error naming it."""
    keys = [t.key for t in system.transitions]
    for pattern in unfired:
        if not fnmatch.filter(keys, pattern):
            actors = sorted({t.actor for t in system.transitions})
            raise CoverageDeclarationError(
                f"coverage.unfired.{pattern!r}",
                f"matches no step of this configuration (steps are named actor:label(params), e.g. {keys[0]!r}; "
                f"actors: {', '.join(actors)})")


@dataclass
class CoverageReport:
    """What a complete exploration's step coverage says about a configuration."""

    undeclared: list[str] = field(default_factory=list)  # never fired, not declared
    stale: dict[str, list[str]] = field(default_factory=dict)  # declared pattern -> steps of it that fired
    vacuous: dict[str, list[str]] = field(default_factory=dict)  # property -> what it mentions that never happens

    def warnings(self) -> list[str]:
        """One line each, most severe first."""
        out = []
        for prop, what in self.vacuous.items():
            shown = ", ".join(what[:6]) + (f" ... ({len(what)} in all)" if len(what) > 6 else "")
            out.append(f"{prop} may hold vacuously: it mentions what never happens in this configuration: {shown} "
                       "(declare why under [coverage] unfired, or fix the model)")
        if self.undeclared:
            shown = ", ".join(self.undeclared[:8]) + (" ..." if len(self.undeclared) > 8 else "")
            out.append(f"{len(self.undeclared)} step(s) never fired and are not declared in [coverage] unfired "
                       f"(a modelling mistake?): {shown}")
        for pattern, fired in self.stale.items():
            shown = ", ".join(fired[:4]) + (" ..." if len(fired) > 4 else "")
            out.append(f"stale [coverage] declaration {pattern!r}: {len(fired)} of its steps fired ({shown})")
        return out


def _pc_targets(body: list[Stmt], pc_slots: set[int], acc: set[tuple[int, int, int]]) -> None:
    """(pc slot, instance, label value) of every literal program-counter assignment in ``body``."""
    for s in body:
        if isinstance(s, Assign) and s.var.slot in pc_slots and len(s.path) == 1 and s.path[0].op == "lit" \
                and s.value.op == "lit":
            acc.add((s.var.slot, s.path[0].value, s.value.value))
        elif isinstance(s, If):  # both branches may run, unless the condition is a constant
            if not (s.cond.op == "lit" and s.cond.value is False):
                _pc_targets(s.then, pc_slots, acc)
            if not (s.cond.op == "lit" and s.cond.value is True):
                _pc_targets(s.orelse, pc_slots, acc)


def _mentions(system: System, e: Expr, dead: list[Transition], fired: list[Transition]) -> list[str]:
    """What ``e`` reads that only undeclared never-fired steps could make true or change."""
    pcs = {a.pc.value.slot: a for a in system.actors}
    reached: set[tuple[int, int, int]] = set()
    for t in fired:
        _pc_targets(t.body, set(pcs), reached)
    dead_writes: set[int] = set()
    for t in dead:
        assigned_slots(t.body, dead_writes)
    live_writes: set[int] = set()
    for t in fired:
        assigned_slots(t.body, live_writes)
    dead_keys = {(t.actor, t.label) for t in dead}
    out: list[str] = []
    for n in walk(e):
        if n.op == "==" and n.args[1].op == "lit" and n.args[0].op == "index" and n.args[0].args[0].op == "var":
            slot = n.args[0].args[0].value.slot
            ix = n.args[0].args[1]
            if slot in pcs and ix.op == "lit":
                a = pcs[slot]
                who, label = a.actor_name(ix.value), a.labels.names[n.args[1].value]
                if n.args[1].value != 0 and (slot, ix.value, n.args[1].value) not in reached \
                        and (who, label) in dead_keys:
                    text = f"{who} at {label}"
                    if text not in out:
                        out.append(text)
        elif n.op == "var" and n.value.slot in dead_writes and n.value.slot not in live_writes \
                and n.value.slot not in pcs:
            text = f"{n.value.name} (only never-fired steps change it)"
            if text not in out:
                out.append(text)
    return out


def coverage_report(system: System, coverage: dict[str, int], unfired: dict[str, str],
                    props: list[Property]) -> CoverageReport:
    """Compare a complete exploration's ``coverage`` (step key -> times fired) with the declarations."""
    rep = CoverageReport()
    never = [k for k, n in coverage.items() if n == 0]
    rep.undeclared = [k for k in never if not any(fnmatch.fnmatchcase(k, p) for p in unfired)]
    for p in unfired:
        fired = [k for k, n in coverage.items() if n > 0 and fnmatch.fnmatchcase(k, p)]
        if fired:
            rep.stale[p] = fired
    if rep.undeclared:
        undeclared = set(rep.undeclared)
        dead = [t for t in system.transitions if t.key in undeclared]
        fired_ts = [t for t in system.transitions if coverage.get(t.key, 0) > 0]
        for prop in props:
            what = _mentions(system, prop.expr, dead, fired_ts)
            if what:
                rep.vacuous[prop.name] = what
    return rep


def coverage_warnings(system: System, coverage: dict[str, int], complete: bool,
                      unfired: dict[str, str], props: list[Property]) -> list[str]:
    """The warnings of one engine's coverage (none when the exploration was cut short or counted nothing)."""
    if not coverage or not complete:
        return []
    return coverage_report(system, coverage, unfired, props).warnings()
