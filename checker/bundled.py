"""The configurations that ship with napi-check (``napi-check verify --bundled``).

In a source checkout they are the repository's ``models/`` folder; a wheel carries a copy as
``checker/bundled_models/`` (copied there by ``setup.py``'s build step), so that an installed
napi-check can verify them from any folder.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def bundled_models() -> Path | None:
    """The folder of the bundled configurations, or None if this installation has none."""
    packaged = _HERE / "bundled_models"
    if packaged.is_dir():
        return packaged
    checkout = _HERE.parent / "models"
    if checkout.is_dir() and (_HERE.parent / "pyproject.toml").is_file():  # a source checkout (or editable install)
        return checkout
    return None


def display_path(path: Path) -> str:
    """``models/<spec>/<name>.toml`` for a bundled configuration, else the path as given."""
    root = bundled_models()
    try:
        if root is not None:
            return str(Path("models") / path.resolve().relative_to(root.resolve()))
    except ValueError:
        pass
    return str(path)
