"""Z3 engines derived from the IR: translation (translate), BMC (bmc), k-induction (kind), IC3/PDR via Spacer (pdr)."""
