"""Successor generation for a slice of a BFS frontier (pluggable; now: the packed kernel).

A worker calls ``expand(keys, vbad, stop)`` on its frontier (keys in BFS order) and gets an
:class:`Expansion`: every successor, each kept once — its first occurrence in (frontier position,
step) order, the order in which the single-process search would meet it — with the position it
came from and the step, the successors that violate an invariant, the positions without
successors, and how often each step fired. The dedup here is local to the call: the partition
that owns a successor decides whether it is new.

Rare paths follow the single-process explorer (checker.explicit.bfs) exactly: a step that raises
in a state violating an invariant *prunes* that state (no successors, none of its steps counted),
elsewhere it is a modelling error and the expansion stops there.

A batch successor function (native code) plugs in by providing the same ``expand``.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Protocol

from checker.explicit.packed import build_kernel
from checker.lang.pycompile import CompiledSystem, StepError
from checker.lang.system import Property


@dataclass
class Expansion:
    keys: list[int]  # successors (packed keys), each once
    src: array  # their frontier positions
    tids: array  # their steps
    viol: list[int]  # indices into keys of the successors that violate an invariant
    dead: list[int]  # frontier positions without successors
    fired: list[int]  # per step: successors generated (duplicates included)
    pruned: list[tuple[int, StepError]] = field(default_factory=list)  # (position, error) of pruned states
    error: tuple[int, StepError] | None = None  # a modelling error: (position, error); expansion stopped there


class Successors(Protocol):
    def expand(self, keys: list[int], vbad: set[int], stop: int | None = None) -> Expansion: ...


class PackedSuccessors:
    """The generated packed kernel of checker.explicit.packed (raises Unsupported if it cannot be built)."""

    def __init__(self, compiled: CompiledSystem, invariants: list[Property]) -> None:
        self.c = compiled
        self.kernel = build_kernel(compiled, invariants)
        self.layout = self.kernel.layout
        self.n_steps = len(compiled.system.transitions)

    def expand(self, keys: list[int], vbad: set[int], stop: int | None = None) -> Expansion:
        """Expand ``keys[:stop]``; ``vbad``: positions of states that violate an invariant."""
        n = len(keys) if stop is None else stop
        seen: set[int] = set()
        src = array("q")
        tids = array("i")
        nk: list[int] = []
        viol: list[tuple[int, int]] = []
        out = Expansion(nk, src, tids, [], [], [0] * self.n_steps)
        at = [0, 0, 0]
        pos = 0
        fi = range(n)
        while pos < n:
            try:
                pos, _ = self.kernel.run(keys, fi, pos, n, seen, src, tids, nk, viol, out.dead, out.fired, len(src),
                                         1 << 62, at, vbad, False)
            except Exception as exc:  # noqa: BLE001 - re-derived on the generic semantics
                bad, n0 = at[0], at[1]
                seen.difference_update(nk[n0:])  # the failing state's successors are dropped
                del src[n0:], tids[n0:], nk[n0:]
                viol[:] = [v for v in viol if v[0] < n0]
                err = self._step_error(keys[bad], exc)
                self._uncount(keys[bad], err, out.fired)
                if bad in vbad:
                    out.pruned.append((bad, err))
                    pos = bad + 1
                    continue
                out.error = (bad, err)
                break
        out.viol = [i for i, _ in viol]
        return out

    def _step_error(self, key: int, exc: Exception) -> StepError:
        """The generic semantics' error for the state the kernel failed on; un-count the steps the
        kernel counted before failing (the generic successor function fails as a whole)."""
        s = self.layout.unpack(key)
        try:
            self.c.successors(s)
        except StepError as err:
            return err
        raise RuntimeError(f"the packed kernel failed ({exc!r}) where the generic semantics did not") from exc

    def _uncount(self, key: int, err: StepError, fired: list[int]) -> None:
        s = self.layout.unpack(key)
        for tid in range(err.tid):
            if self.c.step(s, tid) is not None:
                fired[tid] -= 1


class NativeSuccessors:
    """The native (C) kernel's batch interface (checker.explicit.native, ``NativeKernel.successors``):
    numpy rows in, every successor out in search order; deduplicated here, first occurrence kept.
    Raises ImportError / NativeUnavailable when there is none (no C compiler, IR it does not translate)."""

    def __init__(self, compiled: CompiledSystem, invariants: list[Property]) -> None:
        from checker.explicit.native import build_native

        self.c = compiled
        self.kernel = build_native(compiled, invariants)
        self.layout = self.kernel.layout
        self.n_steps = len(compiled.system.transitions)
        self.packed = PackedSuccessors(compiled, invariants)  # for the rare paths' error re-derivation

    def expand(self, keys: list[int], vbad: set[int], stop: int | None = None) -> Expansion:
        import numpy as np

        from checker.explicit.native import StateFailed

        n = len(keys) if stop is None else stop
        states = self.kernel.to_words(keys[:n]) if n else np.zeros((0, self.kernel.words), np.uint64)
        bad_mask = np.zeros(n, dtype=bool)
        bad_mask[[p for p in vbad if p < n]] = True
        parts: list[tuple] = []
        out = Expansion([], array("q"), array("i"), [], [], [0] * self.n_steps)
        start = 0
        while start < n:
            try:
                got = self.kernel.successors(states[start:n], bad_mask[start:n])
                parts.append((start, got))
                break
            except StateFailed as fail:
                bad = start + fail.row
                if bad > start:  # the states before it do not fail
                    parts.append((start, self.kernel.successors(states[start:bad], bad_mask[start:bad])))
                err = self.packed._step_error(keys[bad], RuntimeError("native kernel"))
                if bad in vbad:
                    out.pruned.append((bad, err))
                    start = bad + 1
                    continue
                out.error = (bad, err)
                break
        if not parts:
            return out
        succ = np.concatenate([g[0] for _, g in parts])
        par = np.concatenate([g[1] + s for s, g in parts])
        tid = np.concatenate([g[2] for _, g in parts]).astype(np.int64)
        flag = np.concatenate([g[3] for _, g in parts])
        out.fired = np.bincount(tid, minlength=self.n_steps).tolist()
        rows = np.ascontiguousarray(succ).view(f"V{8 * self.kernel.words}").ravel()
        _, first = np.unique(rows, return_index=True)
        first.sort()
        expanded = np.ones(n, dtype=bool)
        expanded[[p for p, _ in out.pruned]] = False
        if out.error is not None:
            expanded[out.error[0]:] = False
        has = np.zeros(n, dtype=bool)
        has[par] = True
        out.dead = np.flatnonzero(expanded & ~has).tolist()
        out.keys = rows[first]  # type: ignore[assignment]  # numpy rows (Partition.expand takes both)
        out.src = par[first]  # type: ignore[assignment]
        out.tids = tid[first]  # type: ignore[assignment]
        out.viol = np.flatnonzero(flag[first]).tolist()
        return out


def make_successors(compiled: CompiledSystem, invariants: list[Property]) -> Successors:
    """The fastest successor function available: native if it builds here, else the packed kernel."""
    try:
        return NativeSuccessors(compiled, invariants)
    except Exception:  # noqa: BLE001 - ImportError (not on this version), NativeUnavailable (no compiler, IR)
        return PackedSuccessors(compiled, invariants)
