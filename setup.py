"""Build step that copies the bundled configurations (models/) into the wheel as
``checker/bundled_models/`` (see checker/bundled.py); everything else is in pyproject.toml."""

from pathlib import Path
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithModels(build_py):
    def run(self) -> None:
        super().run()
        src = Path(__file__).resolve().parent / "models"
        dst = Path(self.build_lib) / "checker" / "bundled_models"
        for f in sorted(src.rglob("*.toml")):
            target = dst / f.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)


setup(cmdclass={"build_py": BuildWithModels})
