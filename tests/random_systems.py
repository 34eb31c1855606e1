"""Random transition systems over every type of the language, drawn with hypothesis (shared by tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from checker.lang import And, Array, Bool, Enum, Flags, Int, Ite, Min, Not, Or, Seq, System


def build(draw: st.DrawFn) -> System:
    s = System("rand")
    b = s.var("b", Bool)
    x = s.var("x", Int(0, 3))
    e = s.var("e", Enum("p", "q", "r"))
    f = s.var("f", Flags("A", "B"))
    a = s.var("a", Array(2, Int(0, 2)))
    q = s.var("q", Seq(Int(0, 2), 2))

    def cond():
        return draw(st.sampled_from([
            b, Not(b), x < 2, x >= 1, e.is_("q"), Not(e.is_("r")), f.has("A"), f.has_any("A", "B"),
            Not(f.has("B")), a[0] == a[1], a[1] > 0, q.len() > 0, q.len() < 2, q.contains(1), q.is_empty(),
            And(b, x > 0), Or(e.is_("p"), q.count(2) == 1),
        ]))

    def stmt(t, depth: int = 0) -> None:
        kind = draw(st.sampled_from(["x", "b", "e", "f", "a", "q", "if"] if depth == 0 else ["x", "b", "e", "f", "a", "q"]))
        if kind == "x":
            t.set(x, draw(st.sampled_from([Min(x + 1, 3), x + 1, Ite(x > 0, x - 1, 3), 0, a[1] + 1])))
        elif kind == "b":
            t.set(b, draw(st.sampled_from([Not(b), x == 2, q.contains(0)])))
        elif kind == "e":
            t.set(e, draw(st.sampled_from(["p", "q", "r", Ite(b, e, 0)])))
        elif kind == "f":
            t.set(f, draw(st.sampled_from([f.with_bits("A"), f.without_bits("A"), f.with_bits("B"), 0])))
        elif kind == "a":
            i = draw(st.sampled_from([0, 1, Min(x, 1)]))
            t.set(a[i], draw(st.sampled_from([Min(a[i] + 1, 2), 0, Min(x, 2)])))
        elif kind == "q":
            t.set(q, draw(st.sampled_from([q.push_back(Min(x, 2)), q.pop_front(), q.remove(1), q.push_front(0)])))
        else:
            with t.if_(cond()):
                stmt(t, 1)
            with t.else_():
                stmt(t, 1)

    @s.action("tick", func="r.c:tick")  # always enabled, so that random guards have states to act on
    def tick(t):
        t.set(x, Ite(x < 3, x + 1, 0))
        t.set(b, Not(b))

    for k in range(draw(st.integers(2, 4))):
        @s.action(f"t{k}", func=f"r.c:t{k}")
        def _(t):
            t.require(cond())
            for _ in range(draw(st.integers(1, 3))):
                stmt(t)

    if draw(st.booleans()):  # a nondeterministic choice inside a step (drawn here: the body is re-run per value)
        guard, dom, target = cond(), draw(st.sampled_from([[0, 2], [1, 2, 3], [0]])), draw(st.sampled_from("xae"))

        @s.action("pick", func="r.c:pick")
        def _(t):
            t.require(guard)
            v = t.choose("v", dom)
            if target == "x":
                t.set(x, v)
            elif target == "a":
                t.set(a[t.choose("k", range(2))], min(v, 2))
            else:
                t.set(e, "pqr"[v % 3])

    s.invariant("P", Not(And(cond(), cond())) if draw(st.booleans()) else draw(st.sampled_from([
        Not(And(b, x == 3)), Or(Not(f.has("B")), q.len() < 2), Not(And(e.is_("r"), a[0] == 2)), x + a[0] < 5,
        x < 3, Not(f.has("A")), q.len() < 2, Not(And(b, e.is_("q"))), a[1] <= a[0] + 1, Not(q.contains(2)),
    ])))
    s.finish()
    return s


def past_violation_system(guarded: bool = True) -> System:
    """x overflows its range (0..3) only after Small (x <= 2) is violated: the step raising there prunes
    the violating state (no modelling error), so NonNegative is inconclusive; 8 states. Not ``guarded``
    (no Small): the overflow is a modelling error."""
    s = System("past")
    x = s.var("x", Int(0, 3))
    y = s.var("y", Int(0, 1))

    @s.action("up", func="test")
    def _(t):  # type: ignore[no-untyped-def]
        t.set(x, x + 1)

    @s.action("flip", func="test")
    def _(t):  # type: ignore[no-untyped-def]
        t.set(y, 1 - y)

    if guarded:
        s.invariant("Small", x <= 2)
    s.invariant("NonNegative", x >= 0)
    s.finish()
    return s
