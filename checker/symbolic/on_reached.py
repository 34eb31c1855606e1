"""A PDR invariant evaluated on every state the explicit engine reached (no Z3 per state).

When both the explicit engine (with an exact store) and PDR ran on a configuration, every
inductive invariant PDR proved a property with must hold on every state the explicit engine
reached: those states are reachable, and the invariant over-approximates the reachable
states. A reached state on which the invariant is false means one of the two engines (or the
independent invariant check) is wrong: it is reported loudly, naming the property, the
conjunct and the state.

The invariant arrives compiled (``detail[CONCRETE]``, a
:class:`checker.symbolic.invariant_check.ConcreteInvariant`), so this module needs no Z3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker.lang.pycompile import flat_values
from checker.lang.system import System
from checker.result import ERROR, HOLDS, EngineResult, PropertyResult

#: detail key of a PDR property result: its invariant compiled to Python
CONCRETE = "concrete_invariant"
#: detail key set by the check: how many explicitly reached states the invariant was evaluated on
CHECKED = "explicit_states_checked"


@dataclass
class ReachedCheck:
    """One invariant checked on the explicit engine's reached states."""

    properties: list[str]  # the properties the invariant proves
    states: int  # how many states it was evaluated on (up to the first failure)
    failure: str | None = None  # the disagreement, when a state violates it
    skipped: str | None = None  # why it could not be evaluated
    engine: str = "pdr"  # the engine that proved them (pdr, induct)


def show_state(system: System, s: tuple) -> str:
    return ", ".join(f"{k}={v}" for k, v in flat_values(system, s).items())


def check_on_reached(system: System, results: list[EngineResult]) -> list[ReachedCheck]:
    """Evaluate each PDR invariant on every state of the explicit result's ``reached`` (when both
    ran and the explicit store was exact). PDR's property results are updated: ``detail[CHECKED]``
    and a note when the check passed; verdict ``error`` and the disagreement as note when not."""
    explicit = next((r for r in results if r.engine == "explicit" and r.reached is not None), None)
    if explicit is None or explicit.reached is None:
        return []
    checks: list[ReachedCheck] = []
    for res in results:
        if res.engine not in ("pdr", "induct"):
            continue
        groups: dict[int, list[PropertyResult]] = {}  # one invariant proves every open target
        for pr in res.properties:
            if pr.verdict == HOLDS and (CONCRETE in pr.detail or CONCRETE + "_error" in pr.detail):
                groups.setdefault(id(pr.detail.get(CONCRETE, pr.detail)), []).append(pr)
        for prs in groups.values():
            check = _check_group(system, prs, explicit.reached, res.engine)
            check.engine = res.engine
            checks.append(check)
    return checks


def _check_group(system: System, prs: list[PropertyResult], reached: Any, engine: str = "pdr") -> ReachedCheck:
    names = [pr.name for pr in prs]
    inv = prs[0].detail.get(CONCRETE)
    if inv is None:
        why = prs[0].detail.get(CONCRETE + "_error", "no concrete form")
        for pr in prs:
            pr.note += f"; not evaluated on the explicitly reached states: {why}"
        return ReachedCheck(names, 0, skipped=why)
    first_false = inv.first_false
    n = 0
    bad: tuple | None = None
    k = -1
    why = ""
    try:
        for s in reached():
            n += 1
            k = first_false(s)
            if k >= 0:
                bad = s
                break
    except (ArithmeticError, TypeError, IndexError) as err:  # an evaluation the compiler did not foresee
        why = f"{type(err).__name__}: {err}"
    if why:
        for pr in prs:
            pr.note += f"; evaluation on the explicitly reached states failed at state {n:,}: {why}"
        return ReachedCheck(names, n, skipped=why)
    if bad is not None:
        who = "PDR" if engine == "pdr" else engine
        msg = (f"{', '.join(names)}: the {who} inductive invariant is false on a state the explicit engine "
               f"reached — conjunct `{inv.conjuncts[k]}` fails on state {show_state(system, bad)}")
        for pr in prs:
            pr.verdict = ERROR
            pr.note = "engines disagree: " + msg
            pr.detail[CHECKED] = n
        return ReachedCheck(names, n, failure=msg)
    for pr in prs:
        pr.note += f"; the invariant holds on all {n:,} explicitly reached states"
        pr.detail[CHECKED] = n
    return ReachedCheck(names, n)
