"""Build step beside pyproject.toml: compile the message catalogues (`bot/locale/*/LC_MESSAGES/*.po`) into
the `.mo` files gettext reads, for wheels and for `pip install -e .` alike (the metadata is in pyproject)."""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithCatalogues(build_py):
    """build_py, then the compiled catalogues: into the build tree, and into the source tree as well, which
    an editable install imports from."""

    def run(self) -> None:
        super().run()
        sys.path.insert(0, str(ROOT))
        from bot.i18n import compile_all  # only Babel and the standard library: fine at build time

        compile_all(ROOT)
        if not getattr(self, "editable_mode", False):
            compile_all(Path(self.build_lib))


setup(cmdclass={"build_py": BuildWithCatalogues})
