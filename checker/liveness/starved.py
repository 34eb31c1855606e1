"""Warnings for liveness verdicts that may come from fairness too weak (or too strong) for the kernel.

A lasso that violates a temporal property is a legitimate run of the *model*; it is a run of the
*kernel* only if the kernel lets every context it starves be starved. Two cases are detectable on
the lasso itself, and each gets a note on the verdict (the verdict stands: the model allows it).
Only kernel contexts (actor instances) and their steps not marked progress are considered:
environment events (``System.action`` steps, and steps marked ``t.mark_progress()`` as external
events: packets, link changes, sends) may stop for ever by design.

* an actor instance enabled in every state of the loop (or in the state where the run stops) that
  never takes a step there and has **no fairness** at all: if the kernel guarantees it runs (a
  raised softirq, a woken kthread, an expired timer), the counterexample is invented by the model;
* an actor instance enabled in **some** loop states, never taken, that has only **weak** fairness:
  weak fairness does not force a context that other contexts keep disabling; if the kernel does
  (the scheduler eventually runs a runnable thread), it needs strong fairness.

The other direction hides bugs: fairness on an environment event (a packet arriving, a device
raising an interrupt, a timer being armed: ``System.action`` steps, which no kernel context takes)
makes runs where the event stops for ever unfair. :func:`environment_groups` finds such groups;
the liveness engine re-checks a property that holds without them and says so when it then fails.
"""

from __future__ import annotations

from checker.lang.pycompile import CompiledSystem
from checker.liveness.fairness import FairGroup
from checker.result import Trace


def starved_contexts(c: CompiledSystem, trace: Trace, groups: list[FairGroup]) -> list[str]:
    """Notes naming the contexts the lasso ``trace`` starves with no (or only weak) fairness."""
    if trace.loop is None:
        return []
    system = c.system
    states = trace.states[trace.loop:]
    taken = {t.actor for t in trace.steps[trace.loop:]}
    contexts = {a.actor_name(i) for a in system.actors for i in range(a.instances)}
    by_actor: dict[str, list[int]] = {}
    for t in system.transitions:
        # environment events (actions, and steps marked progress: a packet, a link change, a
        # send) are meant to be free to stop; only a context's own kernel work is owed a turn
        if t.actor in contexts and not t.progress:
            by_actor.setdefault(t.actor, []).append(t.index)
    notes = []
    for actor, tids in by_actor.items():
        if actor in taken:
            continue
        enabled = [any(c.step(s, tid) is not None for tid in tids) for s in states]
        if not any(enabled):
            continue
        kinds = {g.kind for g in groups if g.tids & set(tids)}
        where = "where the run stops" if trace.loop == len(trace.steps) else "throughout the loop"
        if all(enabled) and not kinds:
            notes.append(f"{actor} is enabled {where} but never runs, and has no fairness: if the kernel "
                         f"guarantees it runs, declare it fair (this run may be an artefact of the model)")
        elif not all(enabled) and "strong" not in kinds:
            notes.append(f"{actor} is enabled now and then in the loop but never runs"
                         + (" (weak fairness does not force it)" if kinds else ", and has no fairness")
                         + ": if the kernel guarantees it runs, declare it strongly fair")
    return notes


def environment_groups(c: CompiledSystem, groups: list[FairGroup]) -> list[FairGroup]:
    """The fairness groups made only of environment actions (steps of no declared actor)."""
    system = c.system
    contexts = {a.actor_name(i) for a in system.actors for i in range(a.instances)}
    env = {t.index for t in system.transitions if t.actor not in contexts}
    return [g for g in groups if g.tids and g.tids <= env]
