"""The invariant-inference engine (``--engine induct``): mining, Houdini, strengthening."""
