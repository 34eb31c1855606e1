"""The properties' compound sub-terms as atom templates on the every-N path
(checker.symbolic.induct.param_subterms, AllN.property_atoms): a small family whose every-N proof
needs one (it fails without them), and the three faces of each template agreeing on the same
states (the Z3 term over the instance sort, the numpy column and the grounded Z3 term)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import z3

from checker.explicit.bfs import Limits, explore
from checker.lang import And, Array, Bool, Constant, Exists, ForAll, Implies, Not, Or, Seq, SpecDef, System
from checker.lang.expr import Expr
from checker.lang.family import ANY
from checker.lang.pycompile import CompiledSystem
from checker.lang.types import BoolType, Enum, Flags
from checker.symbolic.induct import param as P
from checker.symbolic.induct.param_subterms import quantified, subterms
from checker.symbolic.induct.param_tr import FArr, Flg, PSeq
from checker.symbolic.translate import Encoder, concrete_flat
from spec.linux import SPEC as LINUX


def _owners(k: SimpleNamespace) -> System:
    """Instances whose SCHED is taken by their IRQ handler or a timer and handed to one poller
    through a list. OwnerHoldsSched: "queued, polled or claimed ⇒ SCHED"; NoLostWakeup needs its
    converse, "SCHED ⇒ queued, polled or claimed" (an IRQ that finds SCHED set relies on the owner):
    five literals as plain atoms, two with OwnerHoldsSched's premise as one."""
    s = System("owners", "test family")
    ids = s.instances("napi", k.N)
    sched = s.var("sched", Array(ids.size, Bool))
    pending = s.var("pending", Array(ids.size, Bool))
    raised = s.var("raised", Array(ids.size, Bool))
    plist = s.var("poll_list", Seq(ids.id_type, ids.plus(1)))

    @s.action("packet_arrives", func="dev", actor="DEV{i}", params={"i": ids})
    def arrive(t, i):
        t.require(Not(pending[i]))
        t.set(pending[i], True)
        t.set(raised[i], True)

    irq = s.actor("irq", ["idle", "claimed"], instances=ids, display="IRQ{i}")

    @irq.step("idle", func="irq: napi_schedule_prep", next="idle")
    def irq_entry(t, i):
        t.require(raised[i])
        t.set(raised[i], False)
        with t.if_(Not(sched[i])):
            t.set(sched[i], True)
            t.goto("claimed")

    @irq.step("claimed", func="____napi_schedule", next="idle")
    def irq_queue(t, i):
        t.set(plist, plist.push_back(i))

    # a second scheduler without a packet (a refill timer): SCHED does not imply packets pending
    tmr = s.actor("timer", ["idle", "claimed"], instances=ids, display="TIMER{i}")

    @tmr.step("idle", func="timer: napi_schedule_prep", next="idle")
    def tmr_fire(t, i):
        with t.if_(Not(sched[i])):
            t.set(sched[i], True)
            t.goto("claimed")

    @tmr.step("claimed", func="____napi_schedule", next="idle")
    def tmr_queue(t, i):
        t.set(plist, plist.push_back(i))

    rx = s.actor("softirq", ["idle", "busy"], display="CPU0 softirq")
    cur = rx.local("cur", ids.id_type)

    @rx.step("idle", func="net_rx_action", next="busy")
    def take(t, c):
        t.require(plist.len() > 0)
        t.let("n", plist.head())
        t.set(cur[c], t.temp("n"))
        t.set(plist, plist.pop_front())

    @rx.step("busy", func="poll + napi_complete_done", next="idle")
    def done(t, c):
        t.set(pending[cur[c]], False)
        t.set(sched[cur[c]], False)

    def owned(i: Expr) -> Expr:
        return Or(plist.contains(i), And(cur[0] == i, rx.at(0, "busy")), irq.at(i, "claimed"), tmr.at(i, "claimed"))

    s.invariant("OwnerHoldsSched", ForAll(ids, lambda i: Implies(owned(i), sched[i])))
    s.invariant("NoLostWakeup", ForAll(ids, lambda i: Not(And(pending[i], Not(raised[i]), Not(owned(i))))))
    return s


OWNERS = SpecDef(name="owners", doc="test family", build=_owners,
                 constants=[Constant("N", int, 2, "instances", min=1, max=6)],
                 properties=("OwnerHoldsSched", "NoLostWakeup"))
PROPS = ["OwnerHoldsSched", "NoLostWakeup"]


def _run(property_atoms: bool) -> tuple[P.AllN, P.PResult]:
    system = OWNERS.instantiate({"N": 2})
    alln = P.AllN(OWNERS, {"N": 2}, [system.prop(p) for p in PROPS], "N", [], time.perf_counter() + 120)
    alln.generalise = False  # Houdini alone: the candidates decide
    alln.property_atoms = property_atoms
    alln.cover = False  # the wide "held somewhere" candidates would also prove it (test_induct_param_cover)
    return alln, alln.run()


def test_no_lost_wakeup_for_every_n_needs_the_owner_disjunction_as_one_atom() -> None:
    _, without = _run(False)
    assert without.proved == ["OwnerHoldsSched"]
    assert "counterexample to induction" in without.failed["NoLostWakeup"]
    alln, res = _run(True)
    assert res.proved == PROPS and res.stats["property_templates"] > 0
    # the converse of OwnerHoldsSched, in two literals over OwnerHoldsSched's premise
    assert any("sched[i]" in ln and "poll_list.contains(i)" in ln and "irq.pc[i] == claimed" in ln
               for ln in res.lines), res.lines
    assert alln.ground_check(res.proved, 60_000) == (True, "")


def test_sub_terms_with_a_quantifier_are_not_templates() -> None:
    """A sub-term over a family of contexts ("some kthread polls i") would put an ∃ under a clause's
    ∀: excluded; its quantifier-free parts stay."""
    q = System("q", "")
    ids = q.instances("napi", ANY)
    sched = q.var("sched", Array(ids.size, Bool))
    raised = q.var("raised", Array(ids.size, Bool))
    e = ForAll(ids, lambda i: Implies(Or(Exists(ids, lambda j: sched[j]), And(raised[i], Not(sched[i]))), sched[i]))
    key = e.value.value
    got = subterms({"P": [((key,), e.args[0])]})
    assert [st.text for st in got] == ["raised[i] /\\ ~sched[i]"]
    assert not any(quantified(st.expr) for st in got)


# ---------------------------------------------------------------- the three faces agree


def _param_facts(alln: P.AllN, st: dict[int, object], names: list[str], row: np.ndarray,
                 elems: list[object], named: dict[str, int]) -> list[object]:
    """The instance-sort state ``st`` equal to the grounded state ``row`` (flat, ``names``) at the
    distinct elements ``elems`` (grounded instance k is ``elems[k]``)."""
    tr = alln.tr
    at = {n: int(row[k]) for k, n in enumerate(names)}
    out: list[object] = []

    def val(typ: object, v: int) -> object:
        if isinstance(typ, BoolType):
            return z3.BoolVal(v != 0)
        if isinstance(typ, Enum) or not hasattr(typ, "family"):
            return z3.IntVal(v)
        return elems[v]

    def seq(s: PSeq, name: str) -> None:
        n = at[f"{name}.len"]
        out.append(s.length == n)
        items = [at[f"{name}[{p}]"] for p in range(n)]
        out.extend(s.cnt[elems[k]] == items.count(k) for k in range(len(elems)))

    def scalar(x: object, typ: object, name: str) -> None:
        if isinstance(x, Flg):
            out.extend(b == z3.BoolVal(at[f"{name}.{lab}"] != 0) for b, lab in zip(x.bits, typ.names))
        elif isinstance(x, PSeq):
            seq(x, name)
        else:
            out.append(x == val(typ, at[name]))

    for var in alln.psys.vars:
        v, typ = st[var.slot], var.typ
        if isinstance(v, FArr):
            if isinstance(v.elem, Array):
                continue  # a binary relation: none in these specs' sub-terms
            for k, e in enumerate(elems):
                if isinstance(v.elem, Flags):
                    out.extend(c[e] == z3.BoolVal(at[f"{var.name}[{k}].{lab}"] != 0)
                               for c, lab in zip(v.comps, v.elem.names))
                else:
                    out.append(v.comps[0][e] == val(v.elem, at[f"{var.name}[{k}]"]))
        elif isinstance(v, list):
            for c, x in enumerate(v):
                scalar(x, typ.elem, f"{var.name}[{c}]")  # type: ignore[attr-defined]
        else:
            scalar(v, typ, var.name)
    out.extend(tr.named[n] == elems[k] for n, k in named.items() if n in tr.named)
    return out


def test_the_three_faces_of_each_property_atom_agree() -> None:
    """Linux 6.19 with a napi_disable cycle at N = 2: on reached states, every property sub-term
    template at every binding reads the same truth value as a numpy column (mining), as the
    grounded Z3 term (the re-check), as its Python text (the check on reached states) and as the
    instance-sort Z3 term (Houdini) on the same state."""
    consts = {c.name: c.default for c in LINUX.constants} | {
        "N": 2, "CPUS": 1, "version": "6.19", "RING": 2, "WEIGHT": 2, "BUDGET": 2, "disable": True}
    g2 = LINUX.instantiate(consts)
    alln = P.AllN(LINUX, consts, [g2.prop(p) for p in ("NoDoubleQueue", "OwnerHoldsSched", "NoLostWakeup")],
                  "N", [], float("inf"))
    ts = P.property_templates(alln.prop_parts())
    assert any("disable_target" in t.text for t in ts) and any(t.on == ("j",) for t in ts)
    compiled = CompiledSystem.build(g2)
    res = explore(compiled, [g2.prop("NoDoubleQueue")], Limits(2000, None, None), "exact")
    states = list(res.reached()) + P.random_walks(compiled, g2.init_state(), 20, 60)
    enc = Encoder(g2)
    x = enc.state("")
    values = np.array([concrete_flat(g2, s) for s in states], dtype=np.int64).reshape(len(states), -1)
    g = P.Grounder(g2, x.names, enc, x)
    rows = np.random.default_rng(0).choice(len(states), 25, replace=False)
    st = alln.tr.state("")
    elems = [z3.Const(f"e{k}", alln.tr.sort) for k in range(2)]
    binds = P._assignments(["i", "j"], 2)
    seen_true = seen_false = 0
    for t in ts:
        for b in binds:
            a = g.atom(t, b)
            col = a.column(values)
            seen_true += int(col.any())
            seen_false += int((~col).any())
            py = eval(compile(f"lambda s: {a.python([f's[{k}]' for k in range(len(x.names))])}", "<atom>", "eval"))
            for r in rows:
                ground = z3.simplify(z3.substitute(a.term(x), *[(v, z3.BoolVal(bool(c)) if z3.is_bool(v) else
                                                                  z3.IntVal(int(c)))
                                                                 for v, c in zip(x.flat, values[r])]))
                assert z3.is_true(ground) == col[r] == py(values[r]), (t.text, b, r)
    assert seen_true and seen_false  # not vacuous: each value occurs
    # the instance-sort face, one model per state
    for r in rows:
        s = z3.Solver()
        s.add(z3.Distinct(*elems), *_param_facts(alln, st, x.names, values[r], elems, g.named))
        assert s.check() == z3.sat
        m = s.model()
        for t in ts:
            for b in binds:
                want = bool(g.atom(t, b).column(values[r:r + 1])[0])
                term = alln._atom_term(t, st, {w: elems[b[w]] for w in t.on})
                assert z3.is_true(m.eval(term, model_completion=True)) == want, (t.text, b, r)


def test_a_symbolic_constant_in_a_sub_term_is_grounded_to_the_mined_systems_value() -> None:
    """The parameterised System carries RING as its sentinel; a mining System has RING = 2: the
    grounded atom compares with 2 there, and keeps the sentinel where the System keeps it."""
    from checker.lang.family import ivar
    from checker.lang.printer import show_expr
    from checker.symbolic.induct.param_subterms import ground_expr
    from checker.symbolic.induct.symbolic import sentinel
    from spec.napi_basic import SPEC as BASIC

    base = {c.name: c.default for c in BASIC.constants}
    psys = BASIC.instantiate(base | {"N": ANY, "RING": sentinel(0), "WEIGHT": 1})
    g2 = BASIC.instantiate(base | {"N": 2, "RING": 2, "WEIGHT": 1})
    pending = psys.var_named("pending")
    e = Expr("var", (), pending.typ, pending)[ivar(psys.families[0], "i")] == sentinel(0) - 1
    assert show_expr(ground_expr(e, g2, {"i": 1}, {}, {sentinel(0) + k: 2 + k for k in (-1, 0, 1)})) \
        == "(pending[1] == 1)"
    assert show_expr(ground_expr(e, g2, {"i": 1}, {})) == f"(pending[1] == {sentinel(0) - 1})"
