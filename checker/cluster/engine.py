"""The explicit engine on a cluster: what ``run_safety`` calls when ``[limits] cluster`` is set.

The cluster search needs the packed kernel (checker.explicit.packed); a run it cannot take —
symmetry reduction, transition invariants, a spec the kernel does not translate — runs in this
process as before, and every property's note says so.
"""

from __future__ import annotations

from checker.explicit.bfs import Limits, explore
from checker.explicit.packed import Unsupported, build_kernel
from checker.lang.pycompile import CompiledSystem
from checker.lang.system import Property
from checker.result import EngineResult, ProgressFn


def explore_cluster(compiled: CompiledSystem, props: list[Property], limits: Limits, store: str,
                    progress: ProgressFn | None, address: str, partitions: int | None) -> EngineResult:
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

    return explore_on_cluster(compiled, props, limits, store, progress, address, partitions)
