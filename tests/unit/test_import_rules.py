"""Imports point one way (ARCHITECTURE.md): parse every module's imports with ``ast``.

web -> services -> federation -> {storage, media, convert, crypto, deidentify} -> {core, activitypub}

Also: no import cycles anywhere in the package (every import counts, inside functions and
``TYPE_CHECKING`` blocks too), no ``importlib.import_module``/``__import__`` registries and no
module-level ``__getattr__``, so every path is visible to readers and tools.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "fediverse_cases"
FRAMEWORKS = ("quart", "sqlalchemy", "httpx", "hypercorn", "aiosqlite", "asyncpg", "alembic")
UPPER = ("storage", "federation", "services", "web", "cli", "media", "convert", "demo")

# package -> forbidden import prefixes
RULES: dict[str, tuple[str, ...]] = {
    "core": FRAMEWORKS + tuple(f"fediverse_cases.{p}" for p in UPPER),
    "activitypub": FRAMEWORKS + tuple(f"fediverse_cases.{p}" for p in UPPER),
    "crypto": FRAMEWORKS + tuple(f"fediverse_cases.{p}" for p in UPPER),
    "deidentify": FRAMEWORKS + tuple(f"fediverse_cases.{p}" for p in UPPER) + ("fediverse_cases.dicom",),
    "dicom": FRAMEWORKS + tuple(f"fediverse_cases.{p}" for p in UPPER),
    "storage": tuple(
        f"fediverse_cases.{p}" for p in ("services", "web", "cli", "federation", "media", "convert", "demo")
    ),
    "media": (
        "quart",
        "sqlalchemy",
        "httpx",
        *(f"fediverse_cases.{p}" for p in ("storage", "federation", "services", "web", "cli", "convert")),
    ),
    "convert": (
        *FRAMEWORKS,
        *(f"fediverse_cases.{p}" for p in ("storage", "federation", "services", "web", "cli", "media")),
    ),
    "federation": (
        "fediverse_cases.services",
        "fediverse_cases.web",
        "fediverse_cases.cli",
        "fediverse_cases.demo",
    ),
    "services": ("fediverse_cases.web", "fediverse_cases.cli", "fediverse_cases.demo"),
    "web": ("fediverse_cases.cli", "fediverse_cases.demo"),
    "demo": ("fediverse_cases.web", "fediverse_cases.cli"),
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


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _edges(path: Path, known: set[str]) -> set[str]:
    """The package modules ``path`` imports; ``from pkg import sub`` names the submodule."""
    module = ".".join(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {name for name in found if name in known}


def import_graph(root: Path = PACKAGE_ROOT) -> dict[str, set[str]]:
    paths = sorted(root.rglob("*.py"))
    known = {_module_name(path) for path in paths}
    return {_module_name(path): _edges(path, known) - {_module_name(path)} for path in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_cycle_checker_finds_a_planted_cycle(tmp_path: Path) -> None:
    package = tmp_path / "fediverse_cases"
    (package / "a").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a" / "__init__.py").write_text("")
    (package / "a" / "x.py").write_text("from fediverse_cases.a import y\n")
    (package / "a" / "y.py").write_text("def f():\n    from fediverse_cases.a.z import g\n")
    (package / "a" / "z.py").write_text("from . import x\n")
    global PACKAGE_ROOT
    saved, PACKAGE_ROOT = PACKAGE_ROOT, package
    try:
        assert cycles(import_graph(package)) == [
            ["fediverse_cases.a.x", "fediverse_cases.a.y", "fediverse_cases.a.z"]
        ]
    finally:
        PACKAGE_ROOT = saved


def _dynamic_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__"):
                found.append(f"{path.relative_to(PACKAGE_ROOT)}:{node.lineno} calls {name}")
    found.extend(
        f"{path.relative_to(PACKAGE_ROOT)}:{node.lineno} defines module __getattr__"
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
    )
    return found


def test_no_string_registries_or_lazy_module_attributes() -> None:
    assert [line for path in sorted(PACKAGE_ROOT.rglob("*.py")) for line in _dynamic_imports(path)] == []
