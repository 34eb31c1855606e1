"""Finite types of the modelling language.

Every state variable has one of these types. A type knows its concrete Python
representation (used by the explicit engine and by replay), how to check a value
against it, and how to show a value in a trace:

==========  ==========================  =====================================
type        Python value                 shown as
==========  ==========================  =====================================
Bool        bool                         true / false
Int(lo,hi)  int in [lo, hi]              42
Enum(...)   int index of a name          the name
Flags(...)  int bit mask                 SCHED|MISSED (or 0)
Array(n,T)  tuple of n values of T       [v0, v1, ...]
Seq(T,cap)  tuple of 0..cap values of T  [3, 1]  (head first)
==========  ==========================  =====================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Type:
    """Base of all types."""

    def contains(self, value: Any) -> bool:
        raise NotImplementedError

    def show(self, value: Any) -> str:
        raise NotImplementedError

    def default(self) -> Any:
        raise NotImplementedError

    def normalise(self, value: Any) -> Any:
        """Turn a user-given initial value (a name, a list, a scalar to broadcast) into a value."""
        return value

    def to_json(self, value: Any) -> Any:
        """The value in ITF JSON form."""
        raise NotImplementedError

    def from_json(self, data: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class BoolType(Type):
    def contains(self, value: Any) -> bool:
        return isinstance(value, bool)

    def show(self, value: Any) -> str:
        return "true" if value else "false"

    def default(self) -> bool:
        return False

    def normalise(self, value: Any) -> Any:
        return bool(value) if isinstance(value, (bool, int)) else value

    def to_json(self, value: Any) -> Any:
        return bool(value)

    def from_json(self, data: Any) -> Any:
        return bool(data)

    def __repr__(self) -> str:
        return "Bool"


Bool = BoolType()


@dataclass(frozen=True)
class Int(Type):
    """Integers in the closed range [lo, hi]; leaving it is a modelling error."""

    lo: int
    hi: int

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError(f"empty integer range {self.lo}..{self.hi}")

    def contains(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and self.lo <= value <= self.hi

    def show(self, value: Any) -> str:
        return str(value)

    def default(self) -> int:
        return max(self.lo, min(0, self.hi))

    def to_json(self, value: Any) -> Any:
        return {"#bigint": str(value)}

    def from_json(self, data: Any) -> Any:
        return int(data["#bigint"]) if isinstance(data, dict) else int(data)

    def __repr__(self) -> str:
        return f"Int({self.lo}, {self.hi})"


@dataclass(frozen=True)
class Enum(Type):
    """A finite set of named values, stored as the index of the name."""

    names: tuple[str, ...]

    def __init__(self, *names: str) -> None:
        if not names or len(set(names)) != len(names):
            raise ValueError(f"Enum needs distinct names, got {names}")
        object.__setattr__(self, "names", tuple(names))

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"{name!r} is not one of {', '.join(self.names)}") from None

    def contains(self, value: Any) -> bool:
        return isinstance(value, int) and 0 <= value < len(self.names)

    def show(self, value: Any) -> str:
        return self.names[value]

    def default(self) -> int:
        return 0

    def normalise(self, value: Any) -> Any:
        return self.index(value) if isinstance(value, str) else value

    def to_json(self, value: Any) -> Any:
        return self.names[value]

    def from_json(self, data: Any) -> Any:
        return self.index(data)

    def __repr__(self) -> str:
        return f"Enum{self.names}"


@dataclass(frozen=True)
class Flags(Type):
    """A word of named bits (bit k is ``names[k]``), updated as a whole like ``n->state``."""

    names: tuple[str, ...]

    def __init__(self, *names: str) -> None:
        if not names or len(set(names)) != len(names):
            raise ValueError(f"Flags needs distinct bit names, got {names}")
        object.__setattr__(self, "names", tuple(names))

    def bit(self, name: str) -> int:
        try:
            return 1 << self.names.index(name)
        except ValueError:
            raise ValueError(f"{name!r} is not a bit of {'|'.join(self.names)}") from None

    def mask(self, *names: str) -> int:
        m = 0
        for n in names:
            m |= self.bit(n)
        return m

    @property
    def full(self) -> int:
        return (1 << len(self.names)) - 1

    def contains(self, value: Any) -> bool:
        return isinstance(value, int) and 0 <= value <= self.full

    def show(self, value: Any) -> str:
        bits = [n for k, n in enumerate(self.names) if value >> k & 1]
        return "|".join(bits) if bits else "0"

    def default(self) -> int:
        return 0

    def normalise(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.mask(*[p for p in value.split("|") if p and p != "0"])
        if isinstance(value, (set, frozenset, list, tuple)):
            return self.mask(*value)
        return value

    def to_json(self, value: Any) -> Any:
        return {"#set": [n for k, n in enumerate(self.names) if value >> k & 1]}

    def from_json(self, data: Any) -> Any:
        return self.mask(*data["#set"]) if isinstance(data, dict) else int(data)

    def __repr__(self) -> str:
        return f"Flags{self.names}"


@dataclass(frozen=True)
class Array(Type):
    """A fixed-size array indexed by 0..size-1 (per NAPI instance, per CPU ...)."""

    size: int  # or an unbounded instance family (checker.lang.family) in a parameterised build
    elem: Type

    def __post_init__(self) -> None:
        if not isinstance(self.size, int):  # an unbounded instance family (checker.lang.family)
            return
        if self.size < 1:
            raise ValueError(f"Array size must be at least 1, got {self.size}")

    def contains(self, value: Any) -> bool:
        return isinstance(value, tuple) and len(value) == self.size and all(self.elem.contains(v) for v in value)

    def show(self, value: Any) -> str:
        return "[" + ", ".join(self.elem.show(v) for v in value) + "]"

    def default(self) -> tuple:
        return tuple(self.elem.default() for _ in range(self.size))

    def normalise(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)) and not isinstance(self.elem, (Array, Seq)) or (
            isinstance(value, (list, tuple)) and len(value) == self.size and isinstance(self.elem, (Array, Seq))
            and all(isinstance(v, (list, tuple)) for v in value)
        ):
            return tuple(self.elem.normalise(v) for v in value)
        return tuple(self.elem.normalise(value) for _ in range(self.size))

    def to_json(self, value: Any) -> Any:
        return [self.elem.to_json(v) for v in value]

    def from_json(self, data: Any) -> Any:
        return tuple(self.elem.from_json(v) for v in data)

    def __repr__(self) -> str:
        return f"Array({self.size}, {self.elem!r})"


@dataclass(frozen=True)
class Seq(Type):
    """A bounded FIFO sequence (head first); pushing beyond ``capacity`` is a modelling error."""

    elem: Type
    capacity: int  # None (unbounded) only in a parameterised build

    def __post_init__(self) -> None:
        if self.capacity is None:  # unbounded (a parameterised build, checker.lang.family)
            return
        if self.capacity < 0:
            raise ValueError(f"Seq capacity must be non-negative, got {self.capacity}")

    def contains(self, value: Any) -> bool:
        return isinstance(value, tuple) and len(value) <= self.capacity and all(self.elem.contains(v) for v in value)

    def show(self, value: Any) -> str:
        return "[" + ", ".join(self.elem.show(v) for v in value) + "]"

    def default(self) -> tuple:
        return ()

    def normalise(self, value: Any) -> Any:
        return tuple(self.elem.normalise(v) for v in value)

    def to_json(self, value: Any) -> Any:
        return [self.elem.to_json(v) for v in value]

    def from_json(self, data: Any) -> Any:
        return tuple(self.elem.from_json(v) for v in data)

    def __repr__(self) -> str:
        return f"Seq({self.elem!r}, {self.capacity})"


def scalar(t: Type) -> bool:
    """True for types held in one machine word (everything but arrays and sequences)."""
    return not isinstance(t, (Array, Seq))


def value_range(t: Type) -> tuple[int, int] | None:
    """The least and greatest machine value of a scalar type (a bool is 0..1), or None for others."""
    if isinstance(t, BoolType):
        return 0, 1
    if isinstance(t, Int):
        return t.lo, t.hi
    if isinstance(t, Enum):
        return 0, len(t.names) - 1
    if isinstance(t, Flags):
        return 0, t.full
    return None
