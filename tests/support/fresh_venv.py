"""A fresh virtual environment holding the built wheel and exactly its declared dependencies.

Installing numpy, OpenCV and onnxruntime again for every run would take minutes, so the runtime
dependencies are linked in from the test virtualenv instead of downloaded; but only those the
wheel's metadata declares (followed transitively, markers evaluated), so a run-time import of
something undeclared, or of a test-only package, still fails in the fresh environment. The
wheel itself is installed by pip, console script included, like an operator would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from importlib.metadata import Distribution, PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# What a wheel is built from: the rest of the repository (tests, docs, benches) must not matter.
SOURCE_ENTRIES = ("pyproject.toml", "README.md", "fediverse_cases")


def build_wheel(repo: Path, workdir: Path) -> Path:
    """Build the project's wheel from a copy of its sources (never writes into the checkout)."""
    source = workdir / "source"
    for entry in SOURCE_ENTRIES:
        origin = repo / entry
        if origin.is_dir():
            shutil.copytree(origin, source / entry, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, source / entry)
    out = workdir / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (wheel,) = out.glob("fediverse_cases-*.whl")
    return wheel


def wheel_requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(name).decode("utf-8"))
    return [Requirement(text) for text in metadata.get_all("Requires-Dist") or []]


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras | {""})


def dependency_closure(requirements: list[Requirement]) -> dict[str, Distribution]:
    """Every installed distribution the requirements need, transitively (markers evaluated)."""
    found: dict[str, Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [req for req in requirements if _applies(req, set())]
    while pending:
        requirement = pending.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = distribution(requirement.name)
        except PackageNotFoundError:
            raise AssertionError(f"declared dependency {requirement} is not installed") from None
        if not requirement.specifier.contains(dist.version, prereleases=True):
            raise AssertionError(f"installed {dist.name} {dist.version} does not satisfy {requirement}")
        found[key[0]] = dist
        pending.extend(
            sub for sub in map(Requirement, dist.requires or []) if _applies(sub, set(requirement.extras))
        )
    return found


@dataclass
class FreshVenv:
    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def script(self) -> Path:
        return self.root / "bin" / "fediverse-cases"

    @property
    def site_packages(self) -> Path:
        (path,) = (self.root / "lib").glob("python3*/site-packages")
        return path


def make_fresh_venv(root: Path, wheel: Path) -> FreshVenv:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    venv = FreshVenv(root)
    for dist in dependency_closure(wheel_requirements(wheel)).values():
        base = Path(str(dist.locate_file(""))).resolve()
        tops = {Path(str(file)).parts[0] for file in dist.files or [] if not str(file).startswith("..")}
        for top in tops:
            target = venv.site_packages / top
            if not target.exists() and (base / top).exists():
                target.symlink_to(base / top)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv.python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return venv
