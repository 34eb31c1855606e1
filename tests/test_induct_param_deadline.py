"""The time limit on the every-N path: once the every-N pass has used up ``--max-seconds``, the
engine stops (checker.symbolic.induct.engine, ``prove_all``) instead of starting a fixed-N pass that
mines and builds its solvers before its first deadline check."""

from __future__ import annotations

import time

from checker.engines import EngineInput, load_engine
from checker.lang.pycompile import CompiledSystem
from checker.result import INCONCLUSIVE
from spec.napi_basic import SPEC as BASIC


def test_no_fixed_n_pass_after_the_every_n_pass_ran_out_of_time() -> None:
    # napi_basic every N needs about 10 s; with 1 s the every-N pass stops, and the engine must not
    # go on to mine and build a fixed-N pass past the user's limit
    system = BASIC.instantiate({"N": 2, "RING": 2, "WEIGHT": 1})
    inp = EngineInput(system, CompiledSystem.build(system), list(system.properties)[:3], {"max_seconds": 1},
                      {"induct_instances": "N"})
    t0 = time.perf_counter()
    res = load_engine("induct")(inp)
    assert time.perf_counter() - t0 < 30
    for p in res.properties:
        assert p.verdict == INCONCLUSIVE and p.note.startswith("time limit reached in the every-N pass"), (p.name, p.note)


def test_a_cut_short_every_n_pass_says_how_far_it_got_and_what_it_had_dropped(monkeypatch) -> None:
    # a long every-N run that hits the limit must end with what it learnt: how far Houdini got, and
    # the counterexample to induction a property was already dropped on (the pass is stubbed: the
    # reporting is what is tested; the fixed-N pass then proves the configuration's own N)
    from checker.symbolic.induct import param

    def run(self: param.AllN) -> None:
        self.stats.update(cpu_mine=1.0, cpu_setup=2.0, candidates=1234, houdini_queries=56, live=789,
                          block_calls=3, block_clauses=2)
        self.cti = {"NoLostWakeup": "counterexample to induction (instances named #1): from a state where x=1"}
        raise TimeoutError

    monkeypatch.setattr(param.AllN, "run", run)
    system = BASIC.instantiate({"N": 1, "RING": 1, "WEIGHT": 1})
    names = ["NoDoubleQueue", "NoLostWakeup"]
    inp = EngineInput(system, CompiledSystem.build(system), [system.prop(n) for n in names], {"max_seconds": 120},
                      {"induct_instances": "N"})
    res = load_engine("induct")(inp)
    notes = {p.name: p.note for p in res.properties}
    for n in names:
        assert ("not proved for every N: time limit reached in the every-N pass, after 56 Houdini queries "
                "(1,234 candidates, 789 still live; CTI blocking had added 2 clause(s))") in notes[n], notes[n]
    assert "NoLostWakeup had already been dropped, on a counterexample to induction" in notes["NoLostWakeup"]
    assert "dropped" not in notes["NoDoubleQueue"]
