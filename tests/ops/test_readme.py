"""The README and the docs only link to files inside the repository, and the quickstart stays
two commands (one to start a demo, one to run the tests)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
DOCUMENTS = ["README.md", "FEDERATION.md", *(f"docs/{p.name}" for p in (REPO / "docs").glob("*.md"))]


def test_every_relative_link_resolves_inside_the_repository() -> None:
    broken = []
    for document in DOCUMENTS:
        path = REPO / document
        for target in LINK.findall(path.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            resolved = (path.parent / target.split("#", 1)[0]).resolve()
            if not resolved.is_relative_to(REPO) or not resolved.exists():
                broken.append(f"{document}: {target}")
    assert not broken, broken


def test_the_readme_names_no_path_outside_the_repository() -> None:
    assert "../" not in (REPO / "README.md").read_text(encoding="utf-8")


def test_quickstart_is_exactly_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quickstart, flags=re.S)
    commands = [line for block in blocks for line in block.splitlines() if line.strip()]
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/fediverse-cases demo",
        "bash tests/run.sh",
    ]
