"""Traces: the ITF file format, replay on the executable semantics, and views derived from a trace."""
