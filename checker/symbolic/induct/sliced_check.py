"""The independent check of a large inductive invariant, one step at a time, sliced.

The same questions as :func:`checker.symbolic.invariant_check.check_invariant` with
``split_steps=True`` — ``Init ⇒ J``, ``J ∧ pre ∧ T_t ⇒ J'`` for every step ``t``, ``J ⇒ ¬bad``
for every target, where ``J = C_1 ∧ … ∧ C_m ∧ wf`` — asked in a form that stays fast when ``J``
has thousands of conjuncts (an every-N invariant grounded at N = 4):

* the post-state is the step's own post-value terms (``J[x ↦ post_t(x)]``), not a fresh state
  tied to them by equalities (the same formula: the step's post-state is a function of ``x``);
* **slicing**: a conjunct whose post-image is the *same term* as itself (the step writes none of
  the locations it reads) is implied by the assumption ``J`` and is not asked about; every other
  conjunct is (a written location that a clause reads makes its post-image a different term, so
  no clause a step can change is ever left out);
* one solver holds ``J ∧ pre`` for all steps of a size (each step's question is pushed and
  popped), so what it learns about ``J`` is learnt once; it shares nothing with the proof that
  produced ``J``.

A query that does not answer within ``timeout`` ms is split in two halves (of the conjuncts asked
about), down to one conjunct; one conjunct that still does not answer fails the check ("unknown"),
so the check never claims more than it showed.
"""

from __future__ import annotations

import time
from typing import Any

import z3

from checker.symbolic.induct.substitution import Substitution
from checker.symbolic.invariant_check import conjuncts
from checker.symbolic.problem import Problem, Target
from checker.symbolic.translate import SState, _and, _not


def check_sliced(prob: Problem, x: SState, parts: list[z3.BoolRef], targets: list[Target], timeout: int,
                 deadline: float = float("inf"), stats: dict[str, Any] | None = None) -> tuple[bool, str]:
    """(accepted, reason if not) for ``J = ∧ parts ∧ wf(x)`` over the state ``x``; ``stats`` (when
    given) receives the number of queries and of conjuncts asked about and skipped."""
    enc = prob.enc
    st = stats if stats is not None else {}
    st.setdefault("queries", 0)
    st.setdefault("asked", 0)
    st.setdefault("sliced", 0)
    inv = [c for p in parts for c in conjuncts(p)] + conjuncts(enc.wf(x))
    whole = _and(inv)

    def unsat(s: z3.Solver, *fs: z3.BoolRef) -> z3.CheckSatResult:
        if time.perf_counter() > deadline:
            raise TimeoutError
        st["queries"] += 1
        s.push()
        s.add(*fs)
        r = s.check()
        s.pop()
        return r

    def fresh() -> z3.Solver:
        s = z3.Solver()
        s.set("timeout", timeout)
        return s

    s0 = fresh()
    s0.add(enc.init(x))
    if unsat(s0, _not(whole)) != z3.unsat:
        return False, "Init ⇒ Inv: not shown"
    # every step's question is asked of J ∧ pre (an expanded state), as check_invariant asks it
    s = fresh()
    s.add(*inv)
    s.add(prob.pre(x))
    for t in prob.system.transitions:
        post = enc.post_flat(t, x)
        sub = Substitution([(a, b) for a, b in zip(x.flat, post) if not a.eq(b)])
        images = [sub.apply(c) for c in inv]
        changed = [img for c, img in zip(inv, images) if not c.eq(img)]
        st["asked"] += len(changed)
        st["sliced"] += len(inv) - len(changed)
        if not changed:
            continue
        enabled = enc.sem(t, x).enabled
        why = _preserved(s, enabled, changed, unsat)
        if why:
            return False, f"Inv ∧ T ⇒ Inv' ({t.key}): {why}"
    b = enc.state("@sb")
    s_state = fresh()  # a state target is asked of J alone (no ``pre``), as check_invariant asks it
    s_state.add(*inv)
    for tg in targets:
        if tg.edge:
            r = unsat(s, enc.trans(x, b, z3.Int("tid@s")), prob.bad_edge(tg, x, b))
        else:
            r = unsat(s_state, prob.bad(tg, x))
        if r != z3.unsat:
            return False, f"Inv ⇒ {tg.name}: {r}"
    return True, ""


def _preserved(s: z3.Solver, enabled: z3.BoolRef, changed: list[z3.BoolRef], unsat: Any) -> str:
    """"" when no enabled step falsifies a conjunct of ``changed``; else why not."""
    todo = [changed]
    while todo:
        part = todo.pop()
        r = unsat(s, enabled, z3.Or(*[_not(c) for c in part]) if len(part) > 1 else _not(part[0]))
        if r == z3.unsat:
            continue
        if r == z3.sat:
            return "sat"
        if len(part) == 1:
            return "unknown (query timed out)"
        todo += [part[: len(part) // 2], part[len(part) // 2:]]
    return ""
