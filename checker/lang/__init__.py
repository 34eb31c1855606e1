"""The modelling language: one IR for every engine. See docs/language.md."""

from checker.lang.expr import (
    And, CountOf, Exists, Expr, ForAll, Implies, Ite, Lit, Max, Min, ModelError, Next, Not, Or, Sum, lift,
)
from checker.lang.system import Actor, Constant, Property, SpecDef, StepBuilder, System, Transition, Var
from checker.lang.types import Array, Bool, Enum, Flags, Int, Seq, Type

__all__ = [
    "Actor", "And", "Array", "Bool", "Constant", "CountOf", "Enum", "Exists", "Expr", "Flags", "ForAll",
    "Implies", "Int", "Ite", "Lit", "Max", "Min", "ModelError", "Next", "Not", "Or", "Property", "Seq",
    "SpecDef", "StepBuilder", "Sum", "System", "Transition", "Type", "Var", "lift",
]
