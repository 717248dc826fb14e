"""Builds the Swift library (scripts/build-python-library in the repository above) into the package, and tags the
wheel py3-none-<platform>: the library is loaded with ctypes, so one wheel serves every Python 3."""

import os
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
REPOSITORY = Path(os.environ.get("MATRYOSHKA_SOURCE", HERE.parent))


class BuildWithLibrary(build_py):
    """build_py, then the Swift library into the built package (MATRYOSHKA_LIBRARY: copy that file instead)."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / "matryoshka" / "libmatryoshka.so"
        prebuilt = os.environ.get("MATRYOSHKA_LIBRARY")
        if prebuilt:
            self.copy_file(prebuilt, str(target))
            return
        script = REPOSITORY / "scripts" / "build-python-library"
        if not script.exists():
            raise RuntimeError(
                f"{script} not found: the package builds from the Matryoshka repository (pip install ./python from its "
                "root), or set MATRYOSHKA_SOURCE to the repository, or MATRYOSHKA_LIBRARY to a built libmatryoshka.so")
        subprocess.run([str(script), str(target.resolve())], check=True, cwd=REPOSITORY)


class PlatformWheel(bdist_wheel):
    """A wheel for this platform and any Python 3 (no CPython extension inside)."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel})
