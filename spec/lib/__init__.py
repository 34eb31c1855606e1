"""Parts shared by the NAPI specs and by users' own specs (no ``SPEC`` here: nothing is registered)."""
