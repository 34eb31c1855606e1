"""Models derived from the IR for other tools: Promela for SPIN (:mod:`checker.export.promela`),
and the ``spin`` engine that builds and runs it as an independent oracle (:mod:`checker.export.spin`)."""
