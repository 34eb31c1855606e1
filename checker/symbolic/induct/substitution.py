"""One fixed substitution applied to many Z3 terms, without re-checking its pairs each time.

``z3.substitute`` checks every pair's sorts and rebuilds the C arrays on each call: with the
symbolic constants' 99 pairs (or a state's hundreds of locations) and thousands of candidate
clauses, that Python-side work was most of the engine's set-up time. Here the pairs are checked
and packed once.
"""

from __future__ import annotations

from typing import Any, Sequence

import z3


class Substitution:
    """``apply(t)`` is ``z3.substitute(t, *pairs)``."""

    def __init__(self, pairs: Sequence[tuple[Any, Any]]) -> None:
        for a, b in pairs:
            if not a.sort().eq(b.sort()):
                raise z3.Z3Exception(f"substitution of {a} by {b}: mismatching sorts")
        self.num = len(pairs)
        self._from = (z3.Ast * self.num)()
        self._to = (z3.Ast * self.num)()
        for k, (a, b) in enumerate(pairs):
            self._from[k] = a.as_ast()
            self._to[k] = b.as_ast()
        self._keep = list(pairs)  # the terms own the ASTs the arrays point to

    def apply(self, t: Any) -> Any:
        if not self.num:
            return t
        ctx = t.ctx
        return z3.z3._to_expr_ref(z3.Z3_substitute(ctx.ref(), t.as_ast(), self.num, self._from, self._to), ctx)
