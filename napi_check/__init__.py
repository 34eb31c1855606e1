"""Entry point of the ``napi-check`` command, under a name no other project uses.

napi-check's own packages are called ``checker`` and ``spec`` — names other projects on PyPI use
too. When another ``checker`` or ``spec`` comes first on ``sys.path`` (``PYTHONPATH``, the current
folder under ``python -m``, a user site), a plain ``import checker`` would pick it up and the command
would fail or, worse, run someone else's code. So the command starts here: it loads ``checker`` and
``spec`` from the folder this package was installed into — next to it — and registers them under
their names before anything imports them; every later ``import checker.x`` / ``spec.x`` then
resolves inside napi-check's own folders.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

OWN_PACKAGES = ("checker", "spec")


def load_own_packages() -> None:
    """Make ``sys.modules['checker']`` and ``['spec']`` the packages installed next to this one."""
    root = Path(__file__).resolve().parent.parent
    for name in OWN_PACKAGES:
        init = root / name / "__init__.py"
        mod = sys.modules.get(name)
        if mod is not None and Path(getattr(mod, "__file__", None) or "").resolve() == init:
            continue
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]  # a foreign package of that name was imported first: ours replaces it
        found = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
        if found is None or found.loader is None:
            raise ImportError(f"napi-check is incompletely installed: {init} is missing")
        module = importlib.util.module_from_spec(found)
        sys.modules[name] = module
        found.loader.exec_module(module)


def main() -> None:
    """The ``napi-check`` command."""
    load_own_packages()
    from checker.cli import main as cli_main

    cli_main()
