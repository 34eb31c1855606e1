"""``--workers N``: expanding large BFS frontiers in several processes.

Each BFS level with at least :data:`MIN_PARALLEL` frontier states is cut into contiguous
slices. The process forks ``N - 1`` children (copy-on-write: each sees the visited set as it
was at the fork); child ``w`` runs the packed kernel on slice ``w`` with a private visited set
and returns, in generation order, every successor it found new (key, parent index, step,
whether it violates an invariant) plus its step counts and the positions where the kernel
stopped (a violation, a state without successors, a modelling error). Meanwhile the parent
expands slice 0 itself. It then merges the children's successors slice by slice, in order,
against its own visited set: a successor is new exactly when the one-process search would
have found it new, so state indices, parents, traces, counts and verdicts are identical to
the one-process run (the children only ever over-report: their visited sets are older).

Memory: children share the parent's pages until they write; their own output is a few
bytes per new successor. Needs ``os.fork`` (Linux, macOS); elsewhere one process is used.
"""

from __future__ import annotations

import gc
import os
import pickle
from array import array
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checker.explicit.bfs import Explorer
    from checker.explicit.packed import Kernel

MIN_PARALLEL = 20_000  # smaller frontiers are not worth a fork


def packed_loop_parallel(ex: Explorer, kernel: Kernel, workers: int) -> str | None:
    """The explorer's packed loop, with large levels expanded by ``workers`` processes."""
    if not hasattr(os, "fork"):
        return ex._packed_loop(kernel)
    return ex._packed_loop(kernel, level_hook=lambda fk, fi, seen: _fork_children(ex, kernel, fk, fi, workers))


def _fork_children(ex: Explorer, kernel: Kernel, fk: list[int], fi: Any, workers: int) -> list[Any] | None:
    """Fork the children for this level. Returns [(start, stop) of the parent's slice, child handles...]."""
    n = len(fk)
    if workers < 2 or n < MIN_PARALLEL:
        return None
    if len(ex.parent) + n * len(ex.system.transitions) >= ex._max_n:
        return None  # the states limit may fall inside this level: keep the one-process order of work
    # the parent also merges: give it a slightly smaller slice
    share = [0.8] + [1.0] * (workers - 1)
    total = sum(share)
    bounds = [0]
    for w in range(workers):
        bounds.append(n if w == workers - 1 else bounds[-1] + int(n * share[w] / total))
    children = []
    gc.freeze()  # the collector must not walk (and so copy) the shared heap in the children
    for w in range(1, workers):
        r, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: expand its slice, send the result, exit without cleanup
            os.close(r)
            try:
                payload = pickle.dumps(_expand(ex, kernel, fk, fi, bounds[w], bounds[w + 1]), protocol=5)
            except BaseException as err:  # noqa: BLE001 - reported to the parent
                payload = pickle.dumps({"crash": repr(err)})
            with os.fdopen(wfd, "wb") as f:
                f.write(payload)
            os._exit(0)
        os.close(wfd)
        children.append((pid, r, bounds[w], bounds[w + 1]))
    gc.unfreeze()
    return [(bounds[0], bounds[1]), children]


def collect(child: tuple[int, int, int, int]) -> dict[str, Any]:
    pid, r, _, _ = child
    with os.fdopen(r, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    out: dict[str, Any] = pickle.loads(data)
    if "crash" in out:
        raise RuntimeError(f"a worker process failed: {out['crash']}")
    return out


def _expand(ex: Explorer, kernel: Kernel, fk: list[int], fi: Any, start: int, stop: int) -> dict[str, Any]:
    """In a child: run the kernel over ``fk[start:stop]`` and list the candidates in order."""
    seen = ex._seen  # the parent's visited set as of the fork (copy-on-write)
    parent = array(ex.parent.typecode)
    via = array(ex.via.typecode)
    keys: list[int] = []
    nk: list[int] = []
    viol: list[tuple[int, int]] = []
    bad: list[int] = []  # candidate numbers that violate an invariant
    dead: list[int] = []
    events: list[tuple[str, int, int, list[int]]] = []  # (kind, position, candidates so far, step counts so far)
    fired = [0] * len(ex.fired)
    at = [0, 0, 0]
    pos = start
    run = kernel.run
    while pos < stop:
        taken = len(nk)
        try:
            pos, n = run(fk, fi, pos, stop, seen, parent, via, nk, viol, dead, fired, len(parent), 1 << 62, at,
                         ex.viol_now, True)
        except Exception:  # noqa: BLE001 - the parent re-derives the error on the generic semantics
            keys_merge(keys, nk, taken, viol, bad, at[1])
            events.append(("error", at[0], at[1], list(fired)))
            break
        had_viol = bool(viol)
        keys_merge(keys, nk, taken, viol, bad, len(parent))
        viol.clear()
        if dead:  # the kernel stops after such a state: at most one event per call
            events.append(("dead", dead[0], len(parent), list(fired)))
            dead.clear()
        elif had_viol:
            events.append(("viol", pos - 1, len(parent), list(fired)))
    return {"keys": keys, "parent": parent.tobytes(), "via": via.tobytes(), "bad": bad, "events": events,
            "fired": fired, "n": len(keys)}


def stop_children(children: list[tuple[int, int, int, int]]) -> None:
    """The search ended early: stop and reap the remaining children."""
    import signal

    for pid, r, _, _ in children:
        os.close(r)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)


def keys_merge(keys: list[int], nk: list[int], taken: int, viol: list[tuple[int, int]], bad: list[int], upto: int) -> None:
    """Append to ``keys`` the candidates ``len(keys)..upto`` in order (all are frontier keys; ``bad``
    gets those that violate an invariant)."""
    start = len(keys)
    keys.extend(nk[taken:taken + upto - start])
    vi = {i for i, _ in viol}
    bad.extend(c for c in range(start, upto) if c in vi)
