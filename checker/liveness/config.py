"""Temporal properties declared in a configuration (``[options.liveness]``) rather than in the spec.

::

    [options.liveness.Inst0Polled]      # checked by default, with the spec's safety properties
    leads_to = ["pending[0] > 0", "softirq.pc[0] == 'poll' and softirq.cur[0] == 0"]
    [options.liveness.QueueDrains]
    always_eventually = "poll_list.len() == 0"
    fair = true                      # default: under the declared fairness
    doc = "the poll list is empty infinitely often"

One of ``leads_to = [P, Q]``, ``eventually = Q``, ``always_eventually = Q`` or ``non_progress = true``
per property; conditions use the syntax of ``[views]`` (checker.trace.views). Fairness comes from the
spec and ``[options] fairness``. Bounded starvation changes the System (a ghost counter) and can only be
declared in the spec.
"""

from __future__ import annotations

from typing import Any

from checker.lang.conditions import ConditionError, parse_condition
from checker.lang.system import System

KINDS = ("leads_to", "eventually", "always_eventually", "non_progress")


def add_config_properties(options: dict[str, Any], system: System) -> list[str]:
    """Declare the configuration's temporal properties on ``system`` and return their names; raises
    ValueError("name: why")."""
    table = options.get("liveness")
    if table is None:
        return []
    if not isinstance(table, dict):
        raise ValueError("must be a table of property name -> { leads_to | eventually | always_eventually | "
                         "non_progress }")
    for name, decl in table.items():
        if not isinstance(decl, dict):
            raise ValueError(f"{name}: must be a table")
        unknown = set(decl) - set(KINDS) - {"fair", "doc"}
        kinds = [k for k in KINDS if k in decl]
        if unknown or len(kinds) != 1:
            raise ValueError(f"{name}: give exactly one of {', '.join(KINDS)} (and optionally fair, doc)"
                             + (f"; unknown keys {', '.join(sorted(unknown))}" if unknown else ""))
        kind = kinds[0]
        fair = decl.get("fair", True)
        doc = decl.get("doc", "")
        if not isinstance(fair, bool) or not isinstance(doc, str):
            raise ValueError(f"{name}: fair must be true/false and doc a string")
        value = decl[kind]
        try:
            if kind == "leads_to":
                if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
                    raise ValueError("leads_to must be a list of two conditions [P, Q]")
                system.leads_to(name, parse_condition(value[0], system), parse_condition(value[1], system), fair=fair, doc=doc)
            elif kind == "non_progress":
                if value is not True:
                    raise ValueError("non_progress must be true")
                system.non_progress(name, fair=fair, doc=doc)
            else:
                if not isinstance(value, str):
                    raise ValueError(f"{kind} must be a condition (a string)")
                getattr(system, kind)(name, parse_condition(value, system), fair=fair, doc=doc)
        except ConditionError as err:
            raise ValueError(f"{name}: {err}") from None
        except Exception as err:  # ModelError and friends: a mistake in the declaration
            raise ValueError(f"{name}: {err}") from None
    return list(table)
