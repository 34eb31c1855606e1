"""The shipped driver plug-ins, each written as a user would write one (see drivers/base.py)."""

from __future__ import annotations

from spec.linux.drivers.base import Driver, clean_rx, clean_rx_step, unmask_irq
from spec.linux.drivers.contract import Contract
from spec.linux.drivers.igb import Igb
from spec.linux.drivers.igb_contract import IgbContract
from spec.linux.drivers.ignore_false import IgnoreFalse
from spec.linux.drivers.return_budget_after_complete import ReturnBudgetAfterComplete
from spec.linux.drivers.unmask_first import UnmaskFirst

DRIVERS: dict[str, type[Driver]] = {
    d.name: d for d in (Contract, ReturnBudgetAfterComplete, UnmaskFirst, IgnoreFalse, Igb, IgbContract)
}

__all__ = ["DRIVERS", "Driver", "clean_rx", "clean_rx_step", "unmask_irq"]
