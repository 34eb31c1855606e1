"""The explicit engine's safety entry, on a cluster when ``[limits] cluster`` is set (:func:`run_safety`).

The cluster search needs the packed kernel (checker.explicit.packed); a run it cannot take —
symmetry reduction, transition invariants, a spec the kernel does not translate — runs in this
process as before, and every property's note says so.
"""

from __future__ import annotations

from checker.engines import EngineInput
from checker.explicit.bfs import Limits, explore
from checker.explicit.engine import limits_of
from checker.explicit.engine import run_safety as run_here
from checker.explicit.packed import Unsupported, build_kernel
from checker.lang.pycompile import CompiledSystem
from checker.lang.system import Property
from checker.result import EngineResult, ProgressFn


def run_safety(inp: EngineInput) -> EngineResult:
    """The explicit safety search: on the cluster ``inp.limits["cluster"]``, else in this process."""
    lim = inp.limits
    if not lim.get("cluster"):
        return run_here(inp)
    partitions = int(lim["workers"]) if lim.get("workers") else None
    return explore_cluster(inp.compiled, inp.properties, limits_of(inp), lim.get("store", "exact"), inp.progress,
                           str(lim["cluster"]), partitions, lim.get("memory_mb"))


def explore_cluster(compiled: CompiledSystem, props: list[Property], limits: Limits, store: str,
                    progress: ProgressFn | None, address: str, partitions: int | None,
                    memory_mb: int | None = None) -> EngineResult:
    why = None
    if limits.symmetry:
        why = "symmetry reduction"
    elif any(p.kind == "transition" for p in props):
        why = "transition invariants"
    else:
        try:
            build_kernel(compiled, [p for p in props if p.kind == "invariant"])
        except Unsupported as err:
            why = f"a spec the packed kernel does not translate ({err})"
    if why is not None:
        res = explore(compiled, props, limits, store, progress)
        for pr in res.properties:
            note = f"ran in one process: the cluster search does not support {why}"
            pr.note = f"{pr.note}; {note}" if pr.note else note
        return res
    from checker.cluster.search import explore_on_cluster

    return explore_on_cluster(compiled, props, limits, store, progress, address, partitions, memory_mb)
