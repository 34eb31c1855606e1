"""User-defined views: named expressions evaluated at every state of a trace (TLC's ALIAS).

A configuration names them in its ``[views]`` table::

    [views]
    queued   = "poll_list.len()"
    sched0   = "napi_state[0].has('SCHED')"
    lost     = "pending[0] > 0 and not napi_state[0].has('SCHED')"
    total    = "sum(pending[i] for i in range(N))"
    polling  = "softirq.pc[0] == 'poll'"

An expression is parsed by the language's condition parser (:mod:`checker.lang.conditions`, which
lists what is allowed) and evaluated by the compiled semantics (:meth:`CompiledSystem.state_fn`), the
same code the engines run, so a view cannot disagree with the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from checker.lang.conditions import ConditionError, parse_condition
from checker.lang.expr import Expr
from checker.lang.pycompile import CompiledSystem

#: a view that does not parse (the parser is the language's condition parser)
ViewError = ConditionError
parse_view = parse_condition


@dataclass
class View:
    """A parsed view: its name, source text, IR expression and compiled evaluator."""

    name: str
    source: str
    expr: Expr
    fn: Callable[[tuple], Any]

    def show(self, state: tuple) -> str:
        """The view's value in ``state``, shown like a variable in a trace."""
        return str(self.expr.typ.show(self.fn(state)))

    def to_json(self, state: tuple) -> Any:
        """The view's value in ``state`` as an ITF JSON value."""
        return self.expr.typ.to_json(self.fn(state))

def compile_views(views: dict[str, str], compiled: CompiledSystem) -> list[View]:
    """Parse and compile a configuration's views (in their order); raises ViewError('name: why')."""
    out = []
    for name, source in views.items():
        try:
            e = parse_view(source, compiled.system)
            fn = compiled.state_fn(e)
            fn(compiled.system.init_state())  # evaluate once: an out-of-range index fails here
        except ViewError as err:
            raise ViewError(f"{name}: {err}") from None
        except (IndexError, TypeError, ValueError) as err:
            raise ViewError(f"{name}: cannot be evaluated: {err}") from None
        out.append(View(name, source, e, fn))
    return out


def view_rows(views: list[View], states: list[tuple]) -> list[dict[str, str]]:
    """Per state, each view's value as text; a value the state cannot give (e.g. the head of an
    empty sequence) is shown as ``—``."""
    rows = []
    for s in states:
        row = {}
        for v in views:
            try:
                row[v.name] = v.show(s)
            except (IndexError, TypeError, ValueError, ZeroDivisionError):
                row[v.name] = "—"
        rows.append(row)
    return rows
