"""Imports point one way (ARCHITECTURE.md): parse every module's imports with ``ast``.

web -> services -> federation -> {storage, media, convert, crypto, deidentify} -> {core, activitypub}
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "fediverse_cases"
FRAMEWORKS = ("quart", "sqlalchemy", "httpx", "hypercorn", "aiosqlite", "asyncpg", "alembic")
UPPER = ("storage", "federation", "services", "web", "cli", "media", "convert")

# package -> forbidden import prefixes
RULES: dict[str, tuple[str, ...]] = {
    "core": FRAMEWORKS + tuple(f"fediverse_cases.{p}" for p in UPPER),
    "activitypub": FRAMEWORKS + tuple(f"fediverse_cases.{p}" for p in UPPER),
    "crypto": FRAMEWORKS + tuple(f"fediverse_cases.{p}" for p in UPPER),
    "deidentify": FRAMEWORKS + tuple(f"fediverse_cases.{p}" for p in UPPER),
    "storage": ("fediverse_cases.services", "fediverse_cases.web", "fediverse_cases.cli"),
    "federation": ("fediverse_cases.services", "fediverse_cases.web", "fediverse_cases.cli"),
    "services": ("fediverse_cases.web", "fediverse_cases.cli"),
}
# The crypto package may use only the stdlib and ``cryptography`` besides itself.
CRYPTO_ALLOWED_THIRD_PARTY = ("cryptography",)


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    # ``from . import x`` inside package a.b.c (module a.b.c.d) resolves against a.b.c.
    parent = base[: len(base) - node.level]
    return ".".join([*parent, node.module] if node.module else parent)


def imports_of(path: Path, module: str | None = None) -> list[str]:
    # ``pkg/__init__.py`` becomes ``pkg.__init__`` so relative imports resolve against ``pkg``.
    module = module or ".".join(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            resolved = _resolve(module, node)
            found.append(resolved)
            # ``from fediverse_cases import services`` names the subpackage in the alias.
            if resolved == "fediverse_cases":
                found.extend(f"fediverse_cases.{alias.name}" for alias in node.names)
    return found


def _modules(package: str) -> list[Path]:
    root = PACKAGE_ROOT / package
    return sorted(root.rglob("*.py")) if root.is_dir() else []


def _violations(package: str) -> list[str]:
    bad = []
    for path in _modules(package):
        for name in imports_of(path):
            if any(name == p or name.startswith(p + ".") for p in RULES[package]):
                bad.append(f"{path.relative_to(PACKAGE_ROOT)} imports {name}")
    return bad


@pytest.mark.parametrize("package", sorted(RULES))
def test_imports_point_one_way(package: str) -> None:
    assert _violations(package) == []


def test_crypto_uses_only_stdlib_and_cryptography() -> None:
    import sys

    stdlib = sys.stdlib_module_names
    bad = []
    for path in _modules("crypto"):
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in ("", "__future__", "fediverse_cases") and (
                not name.startswith("fediverse_cases") or name.startswith("fediverse_cases.crypto")
            ):
                continue
            if top not in stdlib and top not in CRYPTO_ALLOWED_THIRD_PARTY:
                bad.append(f"{path.relative_to(PACKAGE_ROOT)} imports {name}")
    assert bad == []


def test_pure_packages_import_only_stdlib() -> None:
    """core and activitypub: stdlib plus each other, nothing third-party."""
    import sys

    bad = []
    for package in ("core", "activitypub"):
        for path in _modules(package):
            for name in imports_of(path):
                top = name.split(".")[0]
                if top in ("__future__", "fediverse_cases") or top in sys.stdlib_module_names:
                    continue
                bad.append(f"{path.relative_to(PACKAGE_ROOT)} imports {name}")
    assert bad == []


def test_checker_sees_violations(tmp_path: Path) -> None:
    """The checker itself works: planted upward imports, relative ones included, are found."""
    planted = tmp_path / "x.py"
    planted.write_text("from fediverse_cases.storage import db\nimport httpx\nfrom ..web import app\n")
    assert imports_of(planted, "fediverse_cases.core.x") == [
        "fediverse_cases.storage",
        "httpx",
        "fediverse_cases.web",
    ]
