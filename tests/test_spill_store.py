"""The fingerprint store that spills to disk (checker.explicit.store): the same answers as a set,
and a search that spills explores the same states, in the same order, with the same traces."""

from __future__ import annotations

import os
from array import array
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from checker.config import load_config
from checker.engines import engine_names
from checker.explicit import bfs, store
from checker.explicit.bfs import Explorer, Limits
from checker.explicit.store import FingerprintStore, SpillArray
from checker.verify import instantiate
from spec import registry

ROOT = Path(__file__).resolve().parents[1]


def test_store_answers_as_a_set_through_every_tier(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(store, "MAX_DISK_RUNS", 2)  # so that disk runs are merged too
    rng = np.random.default_rng(7)
    st = FingerprintStore(memory_mb=1, spill_dir=str(tmp_path), hot_max=2000)
    st.run_budget = 40_000  # 5,000 fingerprints in memory runs, then disk
    ref: set[int] = set()
    for it in range(60):
        # small values repeat (duplicates across tiers and inside a batch); large ones reach the top bit
        fps = rng.integers(0, 60_000, 3000, dtype=np.uint64) if it % 2 else \
            rng.integers(0, 2**63, 3000, dtype=np.uint64) | np.uint64(1 << 63)
        expect, batch = [], set()
        for f in fps.tolist():
            expect.append(f not in ref and f not in batch)
            batch.add(f)
        ref |= batch
        assert st.add(fps).tolist() == expect
        st.settle()
    assert st.spills > 2 and st.disk and st.disk_bytes() > 0
    assert len(st) == len(ref)
    probe = rng.integers(0, 80_000, 5000, dtype=np.uint64)
    assert st.contains(probe).tolist() == [int(f) in ref for f in probe]
    assert all(f in st for f in list(ref)[:200])
    assert not st.cold_mask(np.array(sorted(st.hot)[:50], np.uint64)).any()  # the tiers never share one
    st.close()
    assert os.listdir(tmp_path) == []  # the spill files are removed


def _spilling(spills: list[FingerprintStore]) -> Any:
    def make(memory_mb: int | None = None) -> FingerprintStore:
        st = FingerprintStore(memory_mb, hot_max=1024)
        st.run_budget = 24_000  # 3,000 fingerprints in memory, the rest on disk
        st.parent_budget = 6_000  # 1,000 parent and step entries in memory, then all but PARENTS_KEPT spill
        spills.append(st)
        return st
    return make


@pytest.mark.parametrize("name", ["bounded_wait_k1", "linux618_napi_del_timer", "v2_thread_wait_sched_disable"])
def test_a_spilling_search_is_the_in_memory_search(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same states, parents, steps, transitions, verdicts and traces as the fingerprint store in memory."""
    cfg = load_config(ROOT / "models" / "linux" / f"{name}.toml", registry(), engine_names())
    system, compiled = instantiate(cfg)
    props = [p for p in system.properties if p.kind in bfs.SAFETY_KINDS]
    mem = Explorer(compiled, props, Limits(), store="fingerprint")
    r_mem = mem.run()
    spills: list[FingerprintStore] = []
    monkeypatch.setattr(bfs, "FingerprintStore", _spilling(spills))
    monkeypatch.setattr(bfs, "PARENTS_KEPT", 300)
    disk = Explorer(compiled, props, Limits(), store="fingerprint")
    r_disk = disk.run()
    assert spills[0].spills > 0
    assert isinstance(disk.parent, SpillArray) and disk.parent.base > r_disk.stats.states // 2
    assert r_disk.stats.spilled_bytes > 6 * disk.parent.base  # fingerprints, parents and steps
    assert r_mem.stats.spilled_bytes == 0
    assert r_disk.stats.states == r_mem.stats.states > 5000
    assert r_disk.stats.transitions == r_mem.stats.transitions
    assert disk.parent == mem.parent and disk.via == mem.via
    for a, b in zip(r_mem.properties, r_disk.properties):
        assert a.verdict == b.verdict
        if a.trace is not None:
            assert [t.key for t in a.trace.steps] == [t.key for t in b.trace.steps]  # type: ignore[union-attr]
    assert any(p.trace is not None for p in r_disk.properties)


def test_states_limit_with_a_spilling_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel's states limit counts states the disk later shows were seen: the search still stops
    at most at the limit, with the transitions of the state it stopped in counted as the generic loop does."""
    cfg = load_config(ROOT / "models" / "linux" / "bounded_wait_k1.toml", registry(), engine_names())
    system, compiled = instantiate(cfg)
    props = [p for p in system.properties if p.kind in bfs.SAFETY_KINDS]
    monkeypatch.setattr(bfs, "FingerprintStore", _spilling([]))
    r = Explorer(compiled, props, Limits(max_states=20_000), store="fingerprint").run()
    assert r.stats.limit_hit == "states" and 19_000 < r.stats.states <= 20_000


def test_spill_array_reads_and_trims_across_the_file() -> None:
    a, ref = SpillArray("i"), array("i")
    for k in range(5000):
        a.append(3 * k - 7)
        ref.append(3 * k - 7)
        if k % 997 == 0:
            a.spill(100)
    assert a.base > 4000 and a.memory_bytes() < 1200 * 4
    assert len(a) == len(ref) and a == ref
    assert [a[i] for i in (0, 5, 4000, -1)] == [ref[i] for i in (0, 5, 4000, -1)]
    del a[4990:]
    del ref[4990:]
    assert a == ref
    with pytest.raises(IndexError):
        del a[10:]  # on disk already
