"""Replay checks for liveness traces (``checker.trace.replay`` registers them in its ``END_CHECKS``).

``lasso``: the trace is a run (checked by replay itself), the loop closes (the last state is the state
at index ``loop``; ``loop`` = last index means the run stops there), the loop is fair under the declared
fairness (for temporal properties), and the property's condition is violated along it:

* leads_to: from some state ``j <= loop`` where ``P and not Q`` holds, ``Q`` never holds again;
* eventually: ``Q`` never holds; always_eventually: ``Q`` holds in no state of the loop;
* non_progress: the loop is not empty and takes no step marked progress;
* starvation: some instance waits in every state of the loop, is never served in it, and others are.

``bound``: a starvation witness; recounting services of others while waiting along the trace (without
the ghost counter) gives, in the last state, the count the trace claims in its message.
"""

from __future__ import annotations

import re

from checker.lang.pycompile import CompiledSystem
from checker.lang.system import Property
from checker.lang.temporal import Starvation, Temporal
from checker.liveness.fairness import fairness_groups
from checker.result import Trace


def _enabled(c: CompiledSystem, s: tuple) -> set[int]:
    return {tid for tid, _ in c.successors(s)}


def loop_fairness(c: CompiledSystem, tr: Trace) -> str | None:
    """Why the loop of ``tr`` is unfair under the system's declared fairness, or None."""
    assert tr.loop is not None
    groups = fairness_groups(c.system)
    if tr.loop == len(tr.states) - 1:
        en = _enabled(c, tr.states[-1])
        for g in groups:
            if g.tids & en:
                return f"the run stops in state {tr.loop} although {g.name} ({g.kind}ly fair) is enabled there"
        return None
    loop_states = tr.states[tr.loop:-1]
    taken = {t.index for t in tr.steps[tr.loop:]}
    ens = [_enabled(c, s) for s in loop_states]
    for g in groups:
        if g.tids & taken:
            continue
        hits = [bool(g.tids & en) for en in ens]
        if g.kind == "weak" and all(hits):
            return f"{g.name} (weakly fair) is enabled in every state of the loop but never taken"
        if g.kind == "strong" and any(hits):
            return f"{g.name} (strongly fair) is enabled in the loop but never taken"
    return None


def _served_counts(c: CompiledSystem, tr: Trace, st: Starvation) -> list[int]:
    """Services of others while waiting, per instance, at the end of ``tr`` (no cap)."""
    m = len(st.instances)
    wf = [c.state_fn(w) for w in st.waiting]
    sf = [c.edge_fn(x) for x in st.served]
    count = [0] * m
    for s, t in zip(tr.states, tr.states[1:]):
        served = [f(s, t) for f in sf]
        for k in range(m):
            if wf[k](s) and wf[k](t) and not served[k]:
                count[k] += any(served[j] for j in range(m) if j != k)
            else:
                count[k] = 0
    return count


def _starving_loop(c: CompiledSystem, tr: Trace, st: Starvation) -> str | None:
    assert tr.loop is not None
    if tr.loop >= len(tr.states) - 1:
        return "a starvation lasso needs a non-empty loop"
    m = len(st.instances)
    wf = [c.state_fn(w) for w in st.waiting]
    sf = [c.edge_fn(x) for x in st.served]
    pairs = list(zip(tr.states[tr.loop:], tr.states[tr.loop + 1:]))
    for k in range(m):
        if not all(wf[k](s) for s, _ in pairs):
            continue
        if any(sf[k](s, t) for s, t in pairs):
            continue
        if any(sf[j](s, t) for s, t in pairs for j in range(m) if j != k):
            return None
    return "no instance waits through the whole loop while others are served"


def _temporal_violated(c: CompiledSystem, tr: Trace, p: Property) -> str | None:
    tmp: Temporal = p.extra["temporal"]
    loop = tr.loop
    assert loop is not None
    if p.kind == "non_progress":
        if loop >= len(tr.states) - 1:
            return "a non-progress cycle needs a non-empty loop (stopping is not a cycle)"
        bad = [t.key for t in tr.steps[loop:] if t.progress]
        return f"the loop takes progress steps: {', '.join(bad)}" if bad else None
    for pe, qe in zip(tmp.p, tmp.q):
        pf, qf = c.state_fn(pe), c.state_fn(qe)
        q = [bool(qf(s)) for s in tr.states]
        if p.kind == "eventually":
            if not any(q):
                return None
        elif p.kind == "always_eventually":
            if not any(q[loop:]):
                return None
        else:  # leads_to: P and not Q at some j <= loop, then never Q
            for j in range(loop + 1):
                if not any(q[j:]) and pf(tr.states[j]):
                    return None
    return f"{p.name}'s condition is not violated along the lasso"


def end_lasso(c: CompiledSystem, tr: Trace) -> str | None:
    if tr.loop is None or not 0 <= tr.loop < len(tr.states):
        return "a lasso needs a loop index inside the trace"
    if tr.states[-1] != tr.states[tr.loop]:
        return f"the loop does not close: the last state differs from state {tr.loop}"
    p = c.system.prop(tr.property)
    st = p.extra.get("starvation")
    if st is not None:
        return _starving_loop(c, tr, st)
    if "temporal" not in p.extra:
        return f"property {p.name} ({p.kind}) is not a liveness property"
    if p.extra["temporal"].fair:
        why = loop_fairness(c, tr)
        if why:
            return "unfair loop: " + why
    return _temporal_violated(c, tr, p)


_CLAIM = re.compile(r"served (\d+) times")


def end_bound(c: CompiledSystem, tr: Trace) -> str | None:
    p = c.system.prop(tr.property)
    st = p.extra.get("starvation")
    if st is None:
        return f"property {p.name} is not a starvation property"
    m = _CLAIM.search(tr.message)
    if m is None:
        return "the witness does not state the count it reaches"
    claimed = int(m.group(1))
    got = max(_served_counts(c, tr, st), default=0)
    return None if got == claimed else f"recounting gives {got} services of others, not {claimed}"

