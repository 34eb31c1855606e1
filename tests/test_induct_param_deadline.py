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
