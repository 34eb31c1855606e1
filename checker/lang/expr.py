"""Expression trees of the modelling language (the IR every engine reads).

An expression is built with ordinary Python operators on variables and literals:
``pending[i] + 1``, ``state[i].has("SCHED")``, ``poll_list[cpu].push_back(i)``,
``And(a, b)``, ``Ite(c, x, y)``. Python's own ``and``/``or``/``not``/``if`` cannot
be overloaded, so using an expression as a Python truth value raises an error.

Node kinds (``Expr.op``):

* ``lit`` – a constant (``args == ()``, value in ``Expr.value``);
* ``var`` – a state variable (``Expr.value`` is the :class:`Var`);
* ``temp`` – a value bound earlier in the same atomic step (``Expr.value`` is its name);
* ``next`` – ``args[0]`` evaluated in the post-state (transition invariants only);
* every other ``op`` is an operator over ``args`` (see ``OPS``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

from checker.lang.types import Array, Bool, BoolType, Enum, Flags, Int, Seq, Type

if TYPE_CHECKING:
    from checker.lang.system import Var

#: The type of intermediate integer results (sums, differences): unbounded for all practical purposes.
INT = Int(-(2**62), 2**62)

#: Operator name -> arity (None = variadic). The meaning of each is given by the engines' translations,
#: which tests check against each other.
OPS: dict[str, int | None] = {
    "+": 2, "-": 2, "*": 2, "//": 2, "%": 2, "neg": 1,
    "==": 2, "!=": 2, "<": 2, "<=": 2, ">": 2, ">=": 2,
    "and": None, "or": None, "not": 1, "implies": 2, "ite": 3, "min": 2, "max": 2,
    "index": 2,  # array or sequence element: args = (array, index)
    "store": 3,  # array with one element replaced: args = (array, index, value)
    "len": 1, "head": 1, "contains": 2, "count": 2,
    "push_back": 2, "push_front": 2, "pop_front": 1, "remove": 2, "concat": 2,
    "bitor": 2, "bitclear": 2, "has_all": 2, "has_any": 2,
}


#: The bit operators as text over their two operands' texts (value, mask). The same text is valid
#: Python, C and Promela, so the Python compiler, the packed and native kernels and the Promela
#: export all write them from this one table.
BIT_OP_TEXT: dict[str, str] = {
    "bitor": "({0} | {1})",
    "bitclear": "({0} & ~{1})",
    "has_all": "(({0} & {1}) == {1})",
    "has_any": "(({0} & {1}) != 0)",
}


class ModelError(Exception):
    """A mistake in a spec (ill-typed expression, unknown name) found while building it. ``where`` is the
    ``file:line`` of the spec code at fault when the error is found after that code returned
    (checker.lang.site)."""

    def __init__(self, message: str = "", where: str = "") -> None:
        super().__init__(message)
        self.where = where


class Expr:
    """A node of the expression tree. Immutable; compare trees with :meth:`same`, not ``==``."""

    __slots__ = ("op", "args", "typ", "value")

    def __init__(self, op: str, args: tuple[Expr, ...], typ: Type, value: Any = None) -> None:
        self.op = op
        self.args = args
        self.typ = typ
        self.value = value

    # Python truth value: forbidden, it would silently pick a branch at build time.
    def __bool__(self) -> bool:
        raise ModelError(
            "a model expression was used as a Python truth value; use And/Or/Not/Ite "
            "(or `with t.if_(...)` in a step) instead of and/or/not/if"
        )

    __hash__ = object.__hash__

    def same(self, other: Expr) -> bool:
        """Structural equality."""
        if self.op != other.op or len(self.args) != len(other.args):
            return False
        if self.op in ("lit", "temp") and self.value != other.value:
            return False
        if self.op == "var" and self.value is not other.value:
            return False
        return all(a.same(b) for a, b in zip(self.args, other.args))

    def __repr__(self) -> str:
        from checker.lang.printer import show_expr

        return show_expr(self)

    # arithmetic
    def __add__(self, o: Any) -> Expr:
        return _arith("+", self, o)

    def __radd__(self, o: Any) -> Expr:
        return _arith("+", o, self)

    def __sub__(self, o: Any) -> Expr:
        return _arith("-", self, o)

    def __rsub__(self, o: Any) -> Expr:
        return _arith("-", o, self)

    def __mul__(self, o: Any) -> Expr:
        return _arith("*", self, o)

    def __rmul__(self, o: Any) -> Expr:
        return _arith("*", o, self)

    def __floordiv__(self, o: Any) -> Expr:
        return _arith("//", self, o)

    def __mod__(self, o: Any) -> Expr:
        return _arith("%", self, o)

    def __neg__(self) -> Expr:
        return Expr("neg", (_int(self),), INT)

    # comparisons
    def __eq__(self, o: Any) -> Expr:  # type: ignore[override]
        return _cmp("==", self, o)

    def __ne__(self, o: Any) -> Expr:  # type: ignore[override]
        return _cmp("!=", self, o)

    def __lt__(self, o: Any) -> Expr:
        return _cmp("<", self, o)

    def __le__(self, o: Any) -> Expr:
        return _cmp("<=", self, o)

    def __gt__(self, o: Any) -> Expr:
        return _cmp(">", self, o)

    def __ge__(self, o: Any) -> Expr:
        return _cmp(">=", self, o)

    # booleans
    def __and__(self, o: Any) -> Expr:
        return And(self, o)

    def __rand__(self, o: Any) -> Expr:
        return And(o, self)

    def __or__(self, o: Any) -> Expr:
        return Or(self, o)

    def __ror__(self, o: Any) -> Expr:
        return Or(o, self)

    def __invert__(self) -> Expr:
        return Not(self)

    # arrays and sequences
    def __getitem__(self, idx: Any) -> Expr:
        if isinstance(self.typ, Array):
            elem = self.typ.elem
        elif isinstance(self.typ, Seq):
            elem = self.typ.elem
        else:
            raise ModelError(f"{self!r} of type {self.typ!r} cannot be indexed")
        return Expr("index", (self, _int(lift(idx))), elem)

    def store(self, idx: Any, value: Any) -> Expr:
        """This array with element ``idx`` replaced by ``value``."""
        self._need(Array)
        return Expr("store", (self, _int(lift(idx)), lift(value, self.typ.elem)), self.typ)  # type: ignore[attr-defined]

    def len(self) -> Expr:
        self._need(Seq)
        return Expr("len", (self,), INT)

    def head(self) -> Expr:
        """The first element; taking the head of an empty sequence is a modelling error."""
        self._need(Seq)
        return Expr("head", (self,), self.typ.elem)  # type: ignore[attr-defined]

    def is_empty(self) -> Expr:
        return self.len() == 0

    def contains(self, x: Any) -> Expr:
        self._need(Seq)
        return Expr("contains", (self, lift(x, self.typ.elem)), Bool)  # type: ignore[attr-defined]

    def count(self, x: Any) -> Expr:
        self._need(Seq)
        return Expr("count", (self, lift(x, self.typ.elem)), INT)  # type: ignore[attr-defined]

    def push_back(self, x: Any) -> Expr:
        """``list_add_tail``: the sequence with ``x`` appended."""
        self._need(Seq)
        return Expr("push_back", (self, lift(x, self.typ.elem)), self.typ)  # type: ignore[attr-defined]

    def push_front(self, x: Any) -> Expr:
        """``list_add``: the sequence with ``x`` in front."""
        self._need(Seq)
        return Expr("push_front", (self, lift(x, self.typ.elem)), self.typ)  # type: ignore[attr-defined]

    def pop_front(self) -> Expr:
        """The sequence without its head (a modelling error when empty)."""
        self._need(Seq)
        return Expr("pop_front", (self,), self.typ)

    def remove(self, x: Any) -> Expr:
        """``list_del``: the sequence without the first occurrence of ``x`` (unchanged if absent)."""
        self._need(Seq)
        return Expr("remove", (self, lift(x, self.typ.elem)), self.typ)  # type: ignore[attr-defined]

    def concat(self, other: Any) -> Expr:
        """``list_splice_tail``: this sequence followed by ``other``."""
        self._need(Seq)
        return Expr("concat", (self, lift(other, self.typ)), self.typ)

    # flag words
    def _mask(self, names: tuple[str, ...]) -> Expr:
        self._need(Flags)
        return Expr("lit", (), INT, self.typ.mask(*names))  # type: ignore[attr-defined]

    def has(self, *bits: str) -> Expr:
        """``test_bit``: every named bit is set."""
        return Expr("has_all", (self, self._mask(bits)), Bool)

    def has_any(self, *bits: str) -> Expr:
        """Some named bit is set (``val & (A|B)``)."""
        return Expr("has_any", (self, self._mask(bits)), Bool)

    def with_bits(self, *bits: str) -> Expr:
        """The word with the named bits set (``val | A``)."""
        return Expr("bitor", (self, self._mask(bits)), self.typ)

    def without_bits(self, *bits: str) -> Expr:
        """The word with the named bits cleared (``val & ~A``)."""
        return Expr("bitclear", (self, self._mask(bits)), self.typ)

    def is_(self, name: str) -> Expr:
        """For an Enum-typed expression: equals the named value."""
        self._need(Enum)
        return Expr("==", (self, Expr("lit", (), self.typ, self.typ.index(name))), Bool)  # type: ignore[attr-defined]

    def _need(self, kind: type) -> None:
        if not isinstance(self.typ, kind):
            raise ModelError(f"{self!r} has type {self.typ!r}, expected a {kind.__name__}")


def lift(x: Any, typ: Type | None = None) -> Expr:
    """Turn a Python value into a literal (an Enum name into its index when ``typ`` is an Enum)."""
    if isinstance(x, Expr):
        return x
    if isinstance(x, bool):
        return Expr("lit", (), Bool, x)
    if isinstance(x, int):
        return Expr("lit", (), typ if isinstance(typ, (Int, Enum, Flags)) else INT, x)
    if isinstance(x, str) and isinstance(typ, (Enum, Flags)):
        return Expr("lit", (), typ, typ.normalise(x))
    if isinstance(x, (tuple, list)) and isinstance(typ, (Seq, Array)):
        return Expr("lit", (), typ, typ.normalise(tuple(x)))
    raise ModelError(f"cannot use {x!r} as a model value" + (f" of type {typ!r}" if typ else ""))


def _int(e: Expr) -> Expr:
    if isinstance(e.typ, (BoolType, Array, Seq)):
        raise ModelError(f"{e!r} is not a number")
    return e


def _arith(op: str, a: Any, b: Any) -> Expr:
    return Expr(op, (_int(lift(a)), _int(lift(b))), INT)


def _cmp(op: str, a: Any, b: Any) -> Expr:
    ea = lift(a, b.typ if isinstance(b, Expr) else None)
    eb = lift(b, ea.typ)
    return Expr(op, (ea, eb), Bool)


def _bool(x: Any) -> Expr:
    e = lift(x)
    if not isinstance(e.typ, BoolType):
        raise ModelError(f"{e!r} is not a boolean")
    return e


def And(*xs: Any) -> Expr:
    """Conjunction (``And()`` is true)."""
    if len(xs) == 1 and not isinstance(xs[0], (Expr, bool)):
        xs = tuple(xs[0])
    return Expr("and", tuple(_bool(x) for x in xs), Bool)


def Or(*xs: Any) -> Expr:
    """Disjunction (``Or()`` is false)."""
    if len(xs) == 1 and not isinstance(xs[0], (Expr, bool)):
        xs = tuple(xs[0])
    return Expr("or", tuple(_bool(x) for x in xs), Bool)


def Not(x: Any) -> Expr:
    return Expr("not", (_bool(x),), Bool)


def Implies(a: Any, b: Any) -> Expr:
    return Expr("implies", (_bool(a), _bool(b)), Bool)


def Ite(c: Any, a: Any, b: Any) -> Expr:
    """``a`` if ``c`` else ``b``."""
    ea = lift(a, b.typ if isinstance(b, Expr) else None)
    eb = lift(b, ea.typ)
    return Expr("ite", (_bool(c), ea, eb), ea.typ if ea.op != "lit" or eb.op == "lit" else eb.typ)


def Min(a: Any, b: Any) -> Expr:
    return Expr("min", (_int(lift(a)), _int(lift(b))), INT)


def Max(a: Any, b: Any) -> Expr:
    return Expr("max", (_int(lift(a)), _int(lift(b))), INT)


def ForAll(domain: Iterable[Any], body: Callable[[Any], Any]) -> Expr:
    """``body(x)`` for every ``x`` of a finite domain, expanded when the spec is built (a ``forall``
    binder over an unbounded instance family: checker.lang.family)."""
    if getattr(domain, "symbolic", False):
        return domain.forall(body)  # type: ignore[attr-defined,no-any-return]
    return And(*[body(x) for x in domain])


def Exists(domain: Iterable[Any], body: Callable[[Any], Any]) -> Expr:
    if getattr(domain, "symbolic", False):
        return domain.forall(body, op="exists")  # type: ignore[attr-defined,no-any-return]
    return Or(*[body(x) for x in domain])


def Sum(domain: Iterable[Any], body: Callable[[Any], Any]) -> Expr:
    total: Expr = lift(0)
    for x in domain:
        total = total + body(x)
    return total


def CountOf(domain: Iterable[Any], body: Callable[[Any], Any]) -> Expr:
    """How many ``x`` satisfy ``body(x)``."""
    return Sum(domain, lambda x: Ite(body(x), 1, 0))


def Next(e: Expr) -> Expr:
    """``e`` evaluated in the state after the step (for transition invariants)."""
    return Expr("next", (e,), e.typ)


def Lit(value: Any, typ: Type) -> Expr:
    """A literal of an explicit type (e.g. an empty sequence ``Lit((), poll_list_type)``)."""
    return Expr("lit", (), typ, typ.normalise(value))


def var_expr(var: Var) -> Expr:
    return Expr("var", (), var.typ, var)


def temp_expr(name: str, typ: Type) -> Expr:
    return Expr("temp", (), typ, name)


def walk(e: Expr) -> Iterable[Expr]:
    """Every node of the tree, parents first."""
    stack = [e]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.args)
