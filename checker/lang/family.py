"""Families of interchangeable instances (NAPI instances, NICs): the IR's instance binders.

A spec declares the instances it quantifies over once::

    ids = s.instances("napi", k.N)             # N NAPI instances
    pending = s.var("pending", Array(ids.size, Int(0, RING)))
    plist = s.var("poll_list", Seq(ids.id_type, ids.plus(1)))
    irq = s.actor("irq", [...], instances=ids)
    ForAll(ids, lambda i: plist.count(i) <= 1)
    And(*ids.each(lambda j: irq.at(j, "idle"), but=i))      # every other instance

With a whole number of instances (every configuration) a family is ``range(N)`` and everything
above is expanded when the spec is built, exactly as the same code over ``range(N)`` would be:
that *grounding* is what every engine reads. Built with ``N = ANY`` (``checker.symbolic.induct.param``
only), the family is an unbounded *instance sort*: ``ids.size`` is the family itself (an array over
it is a function from the sort), ``ids.id_type`` is :class:`InstId` (values are instances, compared
only for equality), actors over it and step parameters ranging over it are one step template with
a bound instance variable (``ivar``), and ``ForAll``/``Exists``/``each`` are binder nodes
(``forall``/``exists``) instead of conjunctions. Iterating an unbounded family in Python (a
``for`` loop, ``i % CPUS``) raises :class:`ModelError`: such a spec is grounded only, and the
parameterised engine says so.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from checker.lang.expr import Expr, Implies, ModelError
from checker.lang.types import Bool, Int, Type

_fresh = itertools.count()


class _Any:
    """The value of an instance-count constant for a parameterised build: 'every N'."""

    def __repr__(self) -> str:
        return "ANY"


#: pass as the instance-count constant (``N``) to build the parameterised IR
ANY = _Any()


@dataclass(frozen=True, eq=False)
class InstId(Type):
    """An instance of an unbounded family (parameterised builds only)."""

    family: Family

    def contains(self, value: Any) -> bool:
        return isinstance(value, Expr)

    def show(self, value: Any) -> str:
        return str(value)

    def default(self) -> Any:
        return self.family.first

    def __repr__(self) -> str:
        return f"InstId({self.family.name})"


class Family:
    """``n`` instances named ``name`` (``n`` None: unbounded, see the module docstring)."""

    def __init__(self, name: str, n: int | None) -> None:
        if n is not None and n < 1:
            raise ModelError(f"instances {name!r}: need at least one, got {n}")
        self.name = name
        self.n = n
        self.first = ivar(self, "first") if n is None else 0
        #: distinguished instances (:meth:`named`): name -> constant of the instance sort (unbounded builds)
        self.distinguished: dict[str, Expr] = {}
        #: placements (:meth:`placement`) declared over this family, by name
        self.placements: dict[str, Placement] = {}
        #: grounded builds: the instance number each distinguished instance names (:meth:`named`)
        self.grounded_named: dict[str, int] = {}

    @property
    def symbolic(self) -> bool:
        return self.n is None

    def __iter__(self) -> Iterator[int]:
        if self.n is None:
            raise ModelError(f"instances {self.name!r} are unbounded here: use ForAll/Exists/each, not a Python loop")
        return iter(range(self.n))

    def __len__(self) -> int:
        if self.n is None:
            raise ModelError(f"instances {self.name!r} are unbounded here: their number is not known")
        return self.n

    @property
    def size(self) -> Any:
        """The size of an array indexed by instance (the family itself when unbounded)."""
        return self if self.n is None else self.n

    @property
    def id_type(self) -> Type:
        """The type of a value that names an instance (``Int(0, N-1)`` when grounded)."""
        return InstId(self) if self.n is None else Int(0, self.n - 1)

    def plus(self, k: int) -> int | None:
        """``N + k`` (a capacity, a bound), or None (unbounded) for a parameterised build."""
        return None if self.n is None else self.n + k

    def each(self, body: Callable[[Any], Any], but: Any = None) -> list[Any]:
        """``[body(j) for j in instances if j != but]``; one ``forall`` binder when unbounded
        (spread it into an ``And``: grounded, the conjunction is exactly the list)."""
        if self.n is None:
            return [self.forall(body, but)]
        return [body(j) for j in range(self.n) if but is None or j != but]

    def forall(self, body: Callable[[Any], Any], but: Any = None, op: str = "forall") -> Expr:
        v = ivar(self, f"x{next(_fresh)}")
        inner = body(v)
        if but is not None:
            inner = Implies(v != but, inner) if op == "forall" else (v != but) & inner
        from checker.lang.expr import _bool

        return Expr(op, (_bool(inner),), Bool, v)

    def named(self, name: str, grounded: int = 0) -> Any:
        """A distinguished instance (the busy poller's target, the one a driver disables ...): the
        instance number ``grounded`` (default 0) when grounded, a named constant of the instance sort
        when unbounded — an uninterpreted constant, so a proof holds whichever instance it names."""
        if self.n is not None:
            if not 0 <= grounded < self.n:
                raise ModelError(f"instances {self.name!r}: {name} = {grounded} is not one of 0..{self.n - 1}")
            self.grounded_named[name] = grounded
            return grounded
        if name == "first":
            raise ModelError(f"instances {self.name!r}: {name!r} is a reserved name")
        return self.distinguished.setdefault(name, ivar(self, name))

    def placement(self, name: str, m: int, rule: Callable[[int], int]) -> Placement:
        """A map from the instances to ``0..m-1`` (which CPU an instance's interrupt is affine to):
        ``rule(i)`` when grounded (a Python int, exactly what the spec computed before), an
        uninterpreted function of the instance sort when unbounded (any placement at all)."""
        pl = Placement(self, name, m, rule)
        self.placements[name] = pl
        return pl

    def __repr__(self) -> str:
        return f"instances({self.name}, {'ANY' if self.n is None else self.n})"


class Placement:
    """A map from a family's instances to ``0..m-1`` (see :meth:`Family.placement`). Applied to an
    int it is the grounded rule; to an instance-valued expression of an unbounded family it is the
    IR node ``place`` (``value``: this placement), read by the parameterised translation as an
    uninterpreted function into ``0..m-1``."""

    def __init__(self, family: Family, name: str, m: int, rule: Callable[[int], int]) -> None:
        if m < 1:
            raise ModelError(f"placement {name!r}: needs at least one target, got {m}")
        self.family = family
        self.name = name
        self.m = m
        self.rule = rule

    def __call__(self, i: Any) -> Any:
        if not isinstance(i, Expr):
            return self.rule(i)
        if not self.family.symbolic:
            raise ModelError(f"placement {self.name!r} of a computed instance: ground it with a case split")
        return Expr("place", (i,), Int(0, self.m - 1), self)

    def __repr__(self) -> str:
        return f"placement({self.name}: {self.family.name} -> 0..{self.m - 1})"


def ivar(family: Family, name: str) -> Expr:
    """A variable ranging over the instances of an unbounded family (a binder's or a step's)."""
    e = Expr("ivar", (), Bool, (family, name))
    e.typ = InstId(family)
    return e


def is_family(x: Any) -> bool:
    return isinstance(x, Family)


def unbounded(x: Any) -> bool:
    return isinstance(x, Family) and x.n is None
