"""API guarantees: CleanImage only from the engine, no network, no web/database imports, threads."""

from __future__ import annotations

import ast
import io
import json
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import fediverse_cases.deidentify as deid
from fediverse_cases.deidentify import Box, CleanImage, DeidentifyPolicy

from .conftest import corpus

PACKAGE = Path(deid.__file__).parent


def test_clean_image_cannot_be_built_outside_the_engine() -> None:
    with pytest.raises(TypeError):
        CleanImage(b"x", "image/jpeg", ".jpg", 1, 1, b"x", 1, 1, b"x", 1, 1, "L00000fQfQfQfQfQfQfQfQfQfQfQ")


def test_box_rejects_empty_and_non_int() -> None:
    with pytest.raises(ValueError):
        Box(0, 0, 0, 5)
    with pytest.raises(TypeError):
        Box(0, 0, 1.5, 5)  # type: ignore[arg-type]


def test_policy_defaults() -> None:
    p = DeidentifyPolicy()
    assert p.max_bytes == 40 * 1024 * 1024 and p.max_pixels == 60_000_000
    assert {"L", "R", "AP", "PA", "LAT", "cm", "mm"} <= set(p.text_allowlist)
    assert p.cover_faces and p.cover_text


def test_engine_never_imports_web_or_database_layers() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"quart", "sqlalchemy", "httpx"}, (
                    f"{path.name} imports {name}"
                )


def test_models_load_and_run_with_the_network_blocked() -> None:
    code = (
        "import socket\n"
        "def no(*a, **k): raise RuntimeError('network access attempted')\n"
        "socket.socket.connect = no; socket.create_connection = no; socket.getaddrinfo = no\n"
        "import io, sys; sys.path.insert(0, 'bench'); import corpus\n"
        "from fediverse_cases.deidentify import Deidentifier\n"
        "d = Deidentifier(); d.warm_up()\n"
        "buf = io.BytesIO(); corpus.astronaut().save(buf, 'JPEG')\n"
        "r = d.process(buf.getvalue()); assert r.accepted and r.report.faces, r.reason\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=PACKAGE.parents[1]
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
    assert socket.socket.connect is not None


def test_warm_up_loads_what_the_first_image_would_wait_for() -> None:
    """A cold `fediverse-cases deidentify` warms up on a side thread: whatever it leaves out (the
    OCR sessions, libphonenumber, the name lists, the versions) lands on the main thread later."""
    code = (
        "import sys\n"
        "from fediverse_cases.deidentify import Deidentifier\n"
        "from fediverse_cases.deidentify.text.lexicon import name_lists\n"
        "assert 'phonenumbers' not in sys.modules and name_lists.cache_info().currsize == 0\n"
        "d = Deidentifier(); d.warm_up()\n"
        "assert 'phonenumbers' in sys.modules and name_lists.cache_info().currsize == 1\n"
        "assert d._text._ocr is not None and d._versions is not None\n"
        "r = d.process(b'not an image', filename='x.jpg')\n"
        "assert not r.accepted and r.report.detectors['text'].startswith('rapidocr'), r.report\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=PACKAGE.parents[1]
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_concurrent_calls_from_threads_give_the_same_answer(engine) -> None:
    buf = io.BytesIO()
    img = corpus.radiograph_background(400, 300, seed=2)
    corpus.plant_text(img, "MRN 55512345", (20, 20), 20)
    img.save(buf, "PNG")
    data = buf.getvalue()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: engine.process(data, filename="a.png"), range(6)))
    assert all(r.accepted for r in results)
    assert len({r.image.data for r in results}) == 1


def test_report_json_is_serialisable_and_free_of_planted_values(engine) -> None:
    data = corpus.jpeg_with_everything(corpus.photo_background(300, 200, 1))
    report = engine.process(data, filename="John_Planted.jpg").report.to_json()
    text = json.dumps(report)
    assert corpus.SECRET not in text and "12345678" not in text
    assert set(report) >= {
        "decision",
        "metadata_removed",
        "faces",
        "text_regions",
        "manual_regions",
        "detectors",
    }
