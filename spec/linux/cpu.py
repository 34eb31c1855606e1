"""CPU-local exclusion: which context may step on a CPU, decided by the execution context.

A hard-IRQ handler (device IRQ, napi_watchdog) and netpoll (IRQs off) run with interrupts off:
nothing else on their CPU steps until they return (labels marked ``hard``); a signalled device IRQ
is taken at once unless interrupts are off there. The softirq runs with IRQs on, cannot start while
a task on its CPU has bottom halves disabled (``bh``), and is not preempted by tasks. Tasks are
preemptible except where marked ``nopre`` (local_bh_disable sections, the busy poller's loop).
"""

from __future__ import annotations

from typing import Any

from checker.lang import And, Not, Or
from checker.lang.expr import Expr

from spec.linux.kernel import LinuxKernel
from spec.linux.prog import Prog


def _on_cpu(p: Prog, i: int, c: int) -> Any:
    return p.cpu(i) == c


def ctx_on(kn: LinuxKernel, c: int, kind: str, skip: tuple[str, int] | None = None,
           kinds: tuple[str, ...] | None = None) -> Expr:
    """Some context instance on CPU ``c`` is at a label marked ``kind``."""
    terms = []
    for p in kn.progs.values():
        labels = p.in_set(kind)
        if not labels or (kinds is not None and p.kind not in kinds):
            continue
        if p.family is not None:  # an unbounded family: "some instance j (but the skipped one) placed on c"
            but = skip[1] if skip is not None and skip[0] == p.name else None
            terms.extend(p.some(lambda j, p=p, labels=labels: _there(p, j, c, labels), but))
            continue
        for i in range(p.instances):  # type: ignore[arg-type]
            if skip == (p.name, i):
                continue
            oc = _on_cpu(p, i, c)
            if oc is False:
                continue
            terms.append(And(p.at(i, *labels)) if oc is True else And(oc, p.at(i, *labels)))
    return Or(*terms)


def _there(p: Prog, j: Any, c: Any, labels: list[str]) -> Expr:
    oc = _on_cpu(p, j, c)
    if oc is False:
        return Or()
    return p.at(j, *labels) if oc is True else And(oc, p.at(j, *labels))


def hard_on(kn: LinuxKernel, c: int, skip: tuple[str, int] | None = None) -> Expr:
    """Some context on CPU c runs with interrupts off (a hard-IRQ handler, netpoll)."""
    return ctx_on(kn, c, "hard", skip)


def due(kn: LinuxKernel, c: int) -> Expr:
    """A device interrupt is signalled to CPU c: it is taken at once unless interrupts are off there."""
    if kn.ids.symbolic:  # some instance placed on c has its interrupt signalled
        return Or(kn.ids.forall(lambda i: And(kn.irq_cpu(i) == c, kn.irq_raised[i]), op="exists"))
    return Or(*[kn.irq_raised[i] for i in range(kn.n_inst) if kn.irq_cpu(i) == c])


def bh_off(kn: LinuxKernel, c: int) -> Expr:
    """A process context on CPU c has bottom halves disabled (the softirq cannot start there)."""
    return ctx_on(kn, c, "bh", kinds=("process",))


def process_guard(kn: LinuxKernel, name: str, i: int, c: int) -> Expr:
    """A task on CPU c runs only when no interrupt, softirq or non-preemptible task holds the CPU."""
    sirq = kn.progs["softirq"]
    return And(Not(hard_on(kn, c)), Not(due(kn, c)), sirq.resting(c), Not(ctx_on(kn, c, "nopre", skip=(name, i))))


def install_guards(kn: LinuxKernel) -> None:
    """Task contexts get the process guard on every step, netpoll on its entry (then IRQs are off);
    the IRQ, softirq and watchdog contexts set their own guards."""
    for p in kn.progs.values():
        if p.kind == "process":
            p.guard = (lambda pp: (lambda i, lb: process_guard(kn, pp.name, i, pp.cpu(i))))(p)
        elif p.kind == "netpoll":
            p.guard = (lambda pp: (lambda i, lb: process_guard(kn, pp.name, i, pp.cpu(i))
                                   if lb == pp.labels[0] else None))(p)
