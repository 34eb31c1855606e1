"""A generated corpus of broken inputs: mutations of every bundled configuration, broken command
lines, and mutations of trace files napi-check wrote. Each case must end in exit 2 with one
``error:`` line per mistake naming the file (or option) and the field — no traceback, no hang.

Used by tests/test_bad_input_corpus.py; ``python tests/bad_inputs.py`` prints the counts.
"""

from __future__ import annotations

import copy
import json
import math
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"


@dataclass
class Case:
    """One broken input: the command's arguments after ``napi-check``, files to create first (name ->
    bytes, or None for a FIFO), and text the error line must contain (the field, a suggestion)."""

    name: str
    argv: list[str]
    files: dict[str, bytes | None] = field(default_factory=dict)
    must_say: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ a minimal TOML writer (tests only)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string is a JSON string for our purposes
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def dumps(data: dict[str, Any]) -> str:
    """TOML text for a configuration's dict (top-level keys, then one [table] per dict value)."""
    lines = [f"{json.dumps(k)} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"[{json.dumps(k)}]")
            lines += [f"{json.dumps(kk)} = {_value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ configuration mutations

Mutation = Callable[[dict[str, Any]], tuple[dict[str, Any], list[str]] | None]


def _set(path: str, value: Any, must: list[str]) -> Mutation:
    def m(d: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        d = copy.deepcopy(d)
        *tables, key = path.split(".")
        t = d
        for name in tables:
            t = t.setdefault(name, {})
        t[key] = value
        return d, must
    return m


def _rename(key: str, typo: str) -> Mutation:
    def m(d: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
        if key not in d:
            return None
        d = {typo if k == key else k: v for k, v in d.items()}
        return d, [typo, f"did you mean '{key}'?"]
    return m


def _first_constant(change: Callable[[str, Any], Any], must: Callable[[str], list[str]]) -> Mutation:
    def m(d: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
        consts = d.get("constants") or {}
        ints = [k for k, v in consts.items() if isinstance(v, int) and not isinstance(v, bool)]
        if not ints:
            return None
        d = copy.deepcopy(d)
        d["constants"][ints[0]] = change(ints[0], consts[ints[0]])
        return d, must(ints[0])
    return m


def _typo_constant(d: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    consts = d.get("constants") or {}
    names = [k for k in consts if len(k) >= 3]
    if not names:
        return None
    d = copy.deepcopy(d)
    k = names[0]
    bad = k[:-1] + ("x" if k[-1] != "x" else "y")
    d["constants"] = {bad if kk == k else kk: v for kk, v in consts.items()}
    return d, [f"constants.{bad}", f"did you mean '{k}'?"]


def _typo_property(d: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    props = d.get("properties")
    if not props:
        return None
    d = copy.deepcopy(d)
    bad = props[0][:2] + props[0][3:]  # one letter dropped
    d["properties"] = [bad, *props[1:]]
    return d, ["properties", bad, f"did you mean '{props[0]}'?"]


def _many_errors(d: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Three independent mistakes: all three must be reported, at once."""
    d = copy.deepcopy(d)
    d["engine"] = ["explicit"]
    d.setdefault("limits", {})["max_states"] = -5
    d.setdefault("options", {})["fairnes"] = "none"
    return d, ["engine", "did you mean 'engines'?", "limits.max_states", "options.fairnes", "did you mean 'fairness'?"]


CONFIG_MUTATIONS: dict[str, Mutation] = {
    "spec_key_typo": _rename("spec", "spce"),
    "expect_key_typo": _rename("expect", "expct"),
    "properties_key_typo": _rename("properties", "propertes"),
    "spec_name_typo": lambda d: (dict(d, spec=str(d.get("spec", "x"))[:-1]), ["spec", "did you mean"]),
    "spec_not_a_string": _set("spec", 3, ["spec"]),
    "spec_markup": _set("spec", "[/]", ["spec", "[/]"]),
    "expect_markup": _set("expect", "[bold red]x[/]", ["expect", "[bold red]x[/]"]),
    "expect_wrong_type": _set("expect", 5, ["expect"]),
    "expect_unknown": _set("expect", "NoSuchProperty", ["expect", "NoSuchProperty"]),
    "properties_empty": _set("properties", [], ["properties"]),
    "properties_typo": _typo_property,
    "properties_not_list": _set("properties", "NoDoubleQueue", ["properties"]),
    "engines_unknown": _set("engines", ["explict"], ["engines", "did you mean 'explicit'?"]),
    "engines_empty": _set("engines", [], ["engines"]),
    "constant_typo": _typo_constant,
    "constant_unknown": _set("constants.BOGUS_CONSTANT", 1, ["constants.BOGUS_CONSTANT"]),
    "constant_string": _first_constant(lambda k, v: "two", lambda k: [f"constants.{k}"]),
    "constant_float": _first_constant(lambda k, v: 1.5, lambda k: [f"constants.{k}"]),
    "constant_huge": _first_constant(lambda k, v: 1_000_000, lambda k: [f"constants.{k}", "at most"]),
    "constant_negative": _first_constant(lambda k, v: -1_000_000, lambda k: [f"constants.{k}", "at least"]),
    "constant_bool": _first_constant(lambda k, v: True, lambda k: [f"constants.{k}"]),
    "constants_not_table": _set("constants", 3, ["constants"]),
    "limits_nan": _set("limits.max_seconds", math.nan, ["limits.max_seconds", "finite"]),
    "limits_inf": _set("limits.max_seconds", math.inf, ["limits.max_seconds", "finite"]),
    "limits_1e308": _set("limits.max_seconds", 1e308, ["limits.max_seconds", "at most"]),
    "limits_states_float": _set("limits.max_states", 1e308, ["limits.max_states", "whole number"]),
    "limits_states_huge": _set("limits.max_states", 2**63 - 1, ["limits.max_states", "at most"]),
    "limits_states_negative": _set("limits.max_states", -1, ["limits.max_states", "positive"]),
    "limits_depth_zero": _set("limits.max_depth", 0, ["limits.max_depth", "positive"]),
    "limits_depth_bool": _set("limits.max_depth", True, ["limits.max_depth"]),
    "limits_workers_absurd": _set("limits.workers", 100_000, ["limits.workers", "at most"]),
    "limits_store_bad": _set("limits.store", "lossy", ["limits.store"]),
    "limits_cluster_number": _set("limits.cluster", 3, ["limits.cluster", "local:N"]),
    "limits_cluster_spaces": _set("limits.cluster", "my cluster", ["limits.cluster", "HOST:PORT"]),
    "limits_symmetry_string": _set("limits.symmetry", "yes", ["limits.symmetry"]),
    "limits_typo": _set("limits.max_state", 5, ["limits.max_state", "did you mean 'max_states'?"]),
    "limits_query_timeout_nan": _set("limits.query_timeout", math.nan, ["limits.query_timeout"]),
    "limits_not_table": _set("limits", [1, 2], ["limits"]),
    "options_typo": _set("options.fairnes", "none", ["options.fairnes", "did you mean 'fairness'?"]),
    "options_fairness_bad_kind": _set("options.fairness", {"IRQ*": "very"}, ["options.fairness"]),
    "options_fairness_no_step": _set("options.fairness", {"NOSUCHACTOR": "weak"}, ["options.fairness"]),
    "options_fairness_not_table": _set("options.fairness", 3, ["options.fairness"]),
    "options_liveness_not_table": _set("options.liveness", "x", ["options.liveness"]),
    "options_liveness_bad": _set("options.liveness", {"P": {"eventually": "no_such_var > 0"}}, ["options.liveness"]),
    "options_starvation_string": _set("options.starvation_bound", "no", ["options.starvation_bound"]),
    "options_seed_string": _set("options.seed", "x", ["options.seed"]),
    "views_bad_expression": _set("views.bad", "pending[0] ** 2", ["views.bad"]),
    "views_unknown_name": _set("views.bad", "no_such_var + 1", ["views.bad"]),
    "views_markup": _set("views.bad", "[/] + 1", ["views.bad"]),
    "views_not_string": _set("views", {"v": 3}, ["views"]),
    "description_not_string": _set("description", 3, ["description"]),
    "three_mistakes": _many_errors,
}


def _file_level(stem: str, text: str) -> Iterator[tuple[str, str, bytes | None, list[str]]]:
    """(case, file name, content, must_say) for mutations of the file itself."""
    raw = text.encode()
    yield "non_utf8", f"{stem}.toml", raw.replace(b"spec", b"\xffspec", 1), ["not UTF-8"]
    yield "latin1_value", f"{stem}.toml", raw + b'description = "caf\xe9"\n', ["not UTF-8"]
    yield "nul_bytes", f"{stem}.toml", raw + b"\x00\x00", []
    yield "truncated_table", f"{stem}.toml", raw + b"[constants\n", ["not valid TOML"]
    yield "duplicate_key", f"{stem}.toml", b'spec = "napi_basic"\n' + raw, ["not valid TOML"]
    yield "markup_file_name", f"{stem}[bold]x[red].toml", raw + b"bogus_key = 1\n", ["[bold]x[red]", "bogus_key"]
    yield "deep_nesting", f"{stem}.toml", raw + b"deep = " + b"[" * 50_000 + b"]" * 50_000 + b"\n", ["nested too deeply"]
    yield "fifo", f"{stem}.toml", None, ["FIFO"]
    yield "empty", f"{stem}.toml", b"", ["spec"]


def config_cases(limit_models: int | None = None, stride: int = 1) -> list[Case]:
    cases: list[Case] = []
    models = sorted(MODELS.rglob("*.toml"))[:limit_models]
    for i, path in enumerate(models):
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
        stem = f"{path.parent.name}_{path.stem}"
        for j, (mname, mut) in enumerate(CONFIG_MUTATIONS.items()):
            if (i + j) % stride:
                continue  # each mutation on every stride-th model, rotating: every model and mutation is used
            got = mut(data)
            if got is None:
                continue
            new, must = got
            fname = f"{stem}.{mname}.toml"
            cases.append(Case(f"config/{stem}/{mname}", ["verify", fname], {fname: dumps(new).encode()},
                              [fname, *must]))
        if i % 7 == 0:  # file-level damage: a sample of the models (each kind on several specs)
            for mname, fname, content, must in _file_level(stem, text):
                cases.append(Case(f"file/{stem}/{mname}", ["verify", fname], {fname: content}, [fname, *must]))
    return cases


# ------------------------------------------------------------------ command lines

GOOD = b'spec = "napi_basic"\nproperties = ["NoDoubleQueue"]\n[constants]\nN = 1\nRING = 1\n'


def cli_cases() -> list[Case]:
    good = {"good.toml": GOOD}
    bad_values = {
        "--max-states": ["-1", "0", "abc", "1e9999", "nan", "1.5", "99999999999999999999999"],
        "--max-depth": ["-3", "0", "x", "inf"],
        "--max-seconds": ["nan", "inf", "-inf", "-1", "0", "1e308", "abc", "1e999"],
        "--workers": ["0", "-1", "100000", "two"],
        "--store": ["lossy", ""],
        "--cluster": ["", "local:0", "local:x", "two nodes"],
        "--engine": ["explict", "pdr,nope", ",", "[/]"],
        "--progress-every": ["nan", "-1", "inf", "x"],
    }
    cases = [Case(f"cli/{opt}={v}", ["verify", "good.toml", opt, v], dict(good), [opt if opt != "--engine" else "engine"])
             for opt, values in bad_values.items() for v in values]
    cases += [
        Case("cli/unknown_option", ["verify", "good.toml", "--max-state", "3"], dict(good), ["--max-state", "--max-states"]),
        Case("cli/unknown_command", ["verfy"], {}, ["verfy"]),
        Case("cli/missing_file", ["verify", "missing.toml"], {}, ["missing.toml", "no such file"]),
        Case("cli/missing_markup_file", ["verify", "[/]missing.toml"], {}, ["[/]missing.toml"]),
        Case("cli/fifo", ["verify", "pipe.toml"], {"pipe.toml": None}, ["pipe.toml", "FIFO"]),
        Case("cli/out_is_a_file", ["verify", "good.toml", "--out", "good.toml"], dict(good), ["--out", "not a folder"]),
        Case("cli/out_unwritable", ["verify", "good.toml", "--out", "/proc/napi-check-out"], dict(good), ["--out"]),
        Case("cli/out_under_a_file", ["verify", "good.toml", "--out", "good.toml/sub"], dict(good), ["--out"]),
        Case("cli/empty_folder", ["verify", "emptydir"], {"emptydir/": b""}, ["no configuration files"]),
        Case("cli/list_unknown", ["list", "linx"], {}, ["linx", "did you mean 'linux'?"]),
        Case("cli/replay_missing", ["replay", "nope.itf.json"], {}, ["nope.itf.json"]),
        Case("cli/replay_folder", ["replay", "emptydir"], {"emptydir/": b""}, ["emptydir", "folder"]),
        Case("cli/replay_fifo", ["replay", "pipe.json"], {"pipe.json": None}, ["pipe.json", "FIFO"]),
        Case("cli/replay_bad_format", ["replay", "x.json", "--format", "svg"], {}, ["--format"]),
        Case("cli/replay_no_argument", ["replay"], {}, ["TRACE"]),
    ]
    return cases


# ------------------------------------------------------------------ users' spec files

# A user's spec file; each case below changes one line, and the error must name this file and that line
# (or the line the mistake is declared on, for a mistake found after build() returned: System.finish).
USER_SPEC = """from checker.lang import Int, SpecDef, System


def build(k):
    s = System("mine")                                       # SYSTEM
    x = s.var("x", Int(0, 3))                                # VAR
    a = s.actor("worker", ["idle", "busy"], display="CTX")   # ACTOR

    @a.step("idle", func="drivers/net/mine.c:work", next="busy")   # STEP
    def _(t, i):
        t.require(x < 3)
        t.set(x, x + 1)

    @a.step("busy", func="drivers/net/mine.c:rest", next="idle")
    def _(t, i):
        pass

    s.invariant("Small", x <= 3)                             # PROP
    s.fair("weak", "CTX")                                    # FAIR
    return s


SPEC = SpecDef("mine", "a user's spec", [], build, ("Small",))
"""


def _line(marker: str) -> int:
    return next(n for n, text in enumerate(USER_SPEC.splitlines(), 1) if text.rstrip().endswith("# " + marker))


def _spec_mutations() -> Iterator[tuple[str, str, int, list[str]]]:
    """(name, new text of the file, line the error must name, more text it must say)."""
    def swap(marker: str, line: str) -> str:
        return "\n".join(line if text.rstrip().endswith("# " + marker) else text for text in USER_SPEC.splitlines())

    step_lines = USER_SPEC.split("    @a.step(")
    no_steps = step_lines[0] + "    s.invariant(" + USER_SPEC.split("    s.invariant(")[1]
    yield "no_steps", no_steps.replace('    s.fair("weak", "CTX")', "    pass"), _line("SYSTEM"), ["has no steps"]
    yield "fair_unknown_actor", swap("FAIR", '    s.fair("weak", "CTXX")'), _line("FAIR"), ["CTXX", "there are: CTX"]
    yield "fair_unknown_step", swap("FAIR", '    s.fair("strong", "CTX", "work")'), _line("FAIR"), ["CTX:work", "CTX:busy"]
    yield "fair_on_actor", swap("ACTOR", '    a = s.actor("worker", ["idle", "busy"], display="CTX", fair="wek")'), \
        _line("ACTOR"), ["fair="]
    yield "var_twice", swap("PROP", '    s.var("x", Int(0, 1))'), _line("PROP"), [f"first at mine_var_twice.py:{_line('VAR')}"]
    yield "prop_twice", swap("FAIR", '    s.invariant("Small", x <= 2)'), _line("FAIR"), \
        [f"first at mine_prop_twice.py:{_line('PROP')}"]
    yield "prop_not_a_condition", swap("PROP", '    s.invariant("Small", x + 1)'), _line("PROP"), ["not a condition"]
    yield "step_unknown_label", swap("STEP", '    @a.step("idel", func="drivers/net/mine.c:work", next="busy")'), \
        _line("STEP"), ["no label 'idel'"]
    yield "step_no_func", swap("STEP", '    @a.step("idle", next="busy")'), _line("STEP"), ["func"]
    yield "var_bad_init", swap("VAR", '    x = s.var("x", Int(0, 3), init=7)'), _line("VAR"), ["initial value 7"]


def spec_cases() -> list[Case]:
    """A user's spec file with one mistake each: exit 2 and one line naming the user's file and line."""
    cases = []
    for name, text, line, must in _spec_mutations():
        py = f"mine_{name}.py"
        toml = f'spec = "{py}"\nproperties = ["Small"]\n'.encode()
        cases.append(Case(f"spec/{name}", ["verify", f"{name}.toml"], {py: text.encode(), f"{name}.toml": toml},
                          [f"{py}:{line}", *must]))
    return cases


# ------------------------------------------------------------------ trace files


def _trace_mutations(d: dict[str, Any]) -> Iterator[tuple[str, Any, list[str]]]:
    """(name, mutated document or raw bytes, must_say) for one trace document."""
    def mut(f: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        x = copy.deepcopy(d)
        f(x)
        return x

    meta = d["#meta"]
    var = next(k for k in d["states"][0] if k != "#meta")
    yield "top_list", [d], ["top level"]
    yield "top_string", "trace", ["top level"]
    yield "no_meta", mut(lambda x: x.pop("#meta")), ["#meta"]
    yield "meta_list", mut(lambda x: x.__setitem__("#meta", [])), ["#meta"]
    for key in ("spec", "property", "constants"):
        yield f"meta_{key}_missing", mut(lambda x, k=key: x["#meta"].pop(k)), [f"#meta.{key}"]
        yield f"meta_{key}_number", mut(lambda x, k=key: x["#meta"].__setitem__(k, 7)), [f"#meta.{key}"]
    yield "meta_kind_bad", mut(lambda x: x["#meta"].__setitem__("kind", "weird")), ["#meta.kind"]
    yield "spec_unknown", mut(lambda x: x["#meta"].__setitem__("spec", "napi_basix")), ["napi_basix"]
    yield "property_unknown", mut(lambda x: x["#meta"].__setitem__("property", "NoSuch")), ["NoSuch"]
    for name, value in list(meta["constants"].items())[:3]:
        if isinstance(value, bool) or not isinstance(value, int):
            continue
        yield f"const_{name}_absurd", mut(lambda x, n=name: x["#meta"]["constants"].__setitem__(n, 1_000_000)), \
            [f"#meta.constants.{name}"]
        yield f"const_{name}_string", mut(lambda x, n=name: x["#meta"]["constants"].__setitem__(n, "2")), \
            [f"#meta.constants.{name}"]
        yield f"const_{name}_list", mut(lambda x, n=name: x["#meta"]["constants"].__setitem__(n, [1])), \
            [f"#meta.constants.{name}"]
    yield "const_unknown", mut(lambda x: x["#meta"]["constants"].__setitem__("BOGUS", 1)), ["#meta.constants.BOGUS"]
    yield "states_missing", mut(lambda x: x.pop("states")), ["states"]
    yield "states_empty", mut(lambda x: x.__setitem__("states", [])), ["states"]
    yield "states_object", mut(lambda x: x.__setitem__("states", {"0": 1})), ["states"]
    yield "state_number", mut(lambda x: x["states"].__setitem__(1, 5)), ["states[1]"]
    yield "state_meta_list", mut(lambda x: x["states"][1].__setitem__("#meta", [])), ["states[1]"]
    yield "step_missing", mut(lambda x: x["states"][1]["#meta"].pop("step")), ["states[1]"]
    yield "step_number", mut(lambda x: x["states"][1]["#meta"].__setitem__("step", 3)), ["states[1]"]
    yield "step_unknown", mut(lambda x: x["states"][1]["#meta"].__setitem__("step", "NOPE:nothing")), ["NOPE:nothing"]
    yield "var_missing", mut(lambda x: x["states"][1].pop(var)), ["states[1]", var]
    yield "var_string", mut(lambda x: x["states"][1].__setitem__(var, "zzz")), ["states[1]", var]
    yield "var_huge", mut(lambda x: x["states"][1].__setitem__(var, {"#bigint": str(10**30)})), ["states[1]", var]
    yield "var_bigint_junk", mut(lambda x: x["states"][1].__setitem__(var, {"#bigint": "1x"})), ["states[1]", var]
    yield "var_null", mut(lambda x: x["states"][0].__setitem__(var, None)), ["states[0]", var]
    yield "var_nested", mut(lambda x: x["states"][0].__setitem__(var, [[[[1]]]])), ["states[0]", var]
    yield "loop_out_of_range", mut(lambda x: x.__setitem__("loop", 10_000)), ["loop"]
    yield "loop_string", mut(lambda x: x.__setitem__("loop", "1")), ["loop"]
    yield "views_not_object", mut(lambda x: x["#meta"].__setitem__("views", [1])), ["#meta.views"]
    yield "options_not_object", mut(lambda x: x["#meta"].__setitem__("options", 3)), ["#meta.options"]
    yield "markup_property", mut(lambda x: x["#meta"].__setitem__("property", "[/]")), ["[/]"]
    text = json.dumps(d)
    yield "truncated", text[: len(text) // 2].encode(), ["not JSON"]
    yield "non_utf8", text.encode().replace(b'"states"', b'"st\xffates"', 1), ["not UTF-8"]
    yield "deep", b"[" * 100_000 + b"]" * 100_000, ["nested too deeply"]
    yield "empty", b"", ["not JSON"]
    if '"#bigint": "0"' in text:
        yield "nan", text.replace('"#bigint": "0"', '"#bigint": NaN', 1).encode(), []


def trace_cases(traces: list[Path]) -> list[Case]:
    cases: list[Case] = []
    for t in traces:
        d = json.loads(t.read_text())
        stem = t.name.removesuffix(".itf.json")
        for name, doc, must in _trace_mutations(d):
            fname = f"{stem}.{name}.itf.json"
            content = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
            cases.append(Case(f"trace/{stem}/{name}", ["replay", fname], {fname: content}, [fname, *must]))
    return cases


if __name__ == "__main__":
    print(len(config_cases()), "configuration cases;", len(cli_cases()), "command-line cases;",
          len(spec_cases()), "user spec file cases")
