"""The compact store (checker.explicit.native_tree): exact, tree-compressed, on the native loop.

It must give the exact native store's states, transitions, depth, coverage, verdicts and traces
(also when the parent indices have spilled to their file), and a store that runs out of its
memory budget must end inconclusive (exit 3), never "holds".
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.config import load_config
from checker.engines import engine_names
from checker.explicit import native_bfs
from checker.explicit.bfs import Explorer, Limits, explore
from checker.explicit.native import compiler
from checker.explicit.native_tree import tree_shape
from checker.lang.pycompile import CompiledSystem
from checker.verify import instantiate
from spec import registry
from spec.bench_nf import SPEC as NF

ROOT = Path(__file__).resolve().parent.parent
needs_cc = pytest.mark.skipif(compiler() is None, reason="no C compiler")
NATIVE_NOW = dict(vector=False, handoff=0, compile_level=0)  # the native loop from the first level


def summary(r):  # type: ignore[no-untyped-def]
    props = {p.name: (p.verdict, [t.key for t in p.trace.steps] if p.trace else None,
                      [[t.key for t in m.steps] for m in p.more_traces]) for p in r.properties}
    return (r.stats.states, r.stats.transitions, r.stats.depth, r.stats.limit_hit, r.stats.exhausted,
            r.stats.coverage, props)


@pytest.mark.parametrize("leaves", [1, 2, 3, 5, 10, 16])
def test_tree_shape_covers_every_leaf_once(leaves: int) -> None:
    nodes, root = tree_shape(leaves)
    assert len(nodes) == max(0, leaves - 2)
    below: dict[int, list[int]] = {i: [i] for i in range(leaves)}
    for j, (a, b) in enumerate(nodes):  # children come before their parent
        assert a in below and b in below
        below[leaves + j] = below[a] + below[b]
    if root is None:
        assert leaves == 1
    else:
        assert below[root[0]] + below[root[1]] == list(range(leaves))


def _config(name: str) -> tuple[CompiledSystem, list]:  # type: ignore[type-arg]
    cfg = load_config(ROOT / "models" / name, registry(), engine_names())
    system, compiled = instantiate(cfg)
    return compiled, [p for p in system.properties if p.kind in ("invariant", "deadlock")]


@needs_cc
@pytest.mark.parametrize("name,max_states", [("linux/linux618_threaded.toml", 6000), ("linux/v5_ignore_false.toml", None),
                                             ("dragonos/mutation_no_cb_prepare.toml", 4000)])
@pytest.mark.parametrize("spill", [False, True])
def test_compact_store_gives_the_exact_stores_search(name: str, max_states: int | None, spill: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    compiled, props = _config(name)
    lim = Limits(max_states=max_states, **NATIVE_NOW)  # type: ignore[arg-type]
    exact = explore(compiled, props, lim)
    if spill:  # every slice moves the parent and step indices to their files: traces read them back
        monkeypatch.setattr(native_bfs, "PARENTS_MEMORY", 0)
        monkeypatch.setattr(native_bfs, "PARENTS_KEEP", 0)
    compact = explore(compiled, props, lim, store="compact")
    assert "native C kernel" in exact.stats.loop and "compact store" in compact.stats.loop
    assert summary(compact) == summary(exact)
    assert compact.reached is None and exact.reached is not None
    if spill:
        assert compact.stats.spilled_bytes > 0
    if name == "linux/v5_ignore_false.toml":  # a violation found and its trace rebuilt on the compact store
        assert any(p.verdict == "violated" and p.trace is not None for p in compact.properties)


@needs_cc
@pytest.mark.parametrize("consts,states", [({"N": 3, "P": 2, "B": 1}, 432), ({"N": 5, "P": 3, "B": 2}, 333_824)])
def test_compact_store_counts_nf(consts: dict, states: int) -> None:  # type: ignore[type-arg]
    # 432: one 32-bit leaf (the leaf is the root key); 333,824: two leaves, no inner table
    c = CompiledSystem.build(NF.instantiate(consts))
    r = explore(c, c.system.properties, Limits(memory_mb=64, **NATIVE_NOW), store="compact")  # type: ignore[arg-type]
    assert r.stats.states == states and all(p.verdict == "holds" for p in r.properties)


@needs_cc
def test_full_compact_store_is_out_of_memory_not_holds() -> None:
    c = CompiledSystem.build(NF.instantiate({"N": 5, "P": 3, "B": 2}))
    ex = Explorer(c, c.system.properties, Limits(memory_mb=2, **NATIVE_NOW), store="compact")  # type: ignore[arg-type]
    with pytest.raises(MemoryError, match="compact store is full"):
        ex.run()
    assert 100_000 < len(ex.parent) < 333_824  # it stopped in mid-search, where its 2 MiB ran out


@needs_cc
def test_cli_compact_store_out_of_memory_exits_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.explicit import engine

    limits_of = engine.limits_of
    monkeypatch.setattr(engine, "limits_of", lambda inp: dataclasses.replace(limits_of(inp), **NATIVE_NOW))
    cfg = tmp_path / "nf.toml"
    cfg.write_text('spec = "bench_nf"\nexpect = "holds"\n[constants]\nN = 5\nP = 3\nB = 2\n[limits]\nstore = "compact"\n')
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["verify", str(cfg), "--memory-mb", "2", "--out", str(out)])
    assert res.exit_code == 3, res.output
    assert "out of memory" in res.output
    (run,) = json.loads((out / "result.json").read_text())["configurations"]
    assert run["status"] == "inconclusive"
    assert all(p["verdict"] == "inconclusive" for p in run["properties"].values())
    res = CliRunner().invoke(main, ["verify", str(cfg), "--memory-mb", "64"])
    assert res.exit_code == 0, res.output
    assert "333,824 states" in res.output


def test_store_name_is_checked(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('spec = "napi_basic"\n[constants]\nN = 1\n[limits]\nstore = "tree"\n')
    res = CliRunner().invoke(main, ["verify", str(cfg)])
    assert res.exit_code == 2
    assert '"compact"' in res.output and "limits.store" in res.output
