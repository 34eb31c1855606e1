"""napi-check: a model checker for the kernel's NAPI packet-polling machinery."""

__version__ = "0.1.0"
