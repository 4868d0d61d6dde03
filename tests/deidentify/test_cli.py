"""`fediverse-cases deidentify`: outputs named after the input stem, JSON report, exit statuses."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from fediverse_cases.cli import main

from .conftest import corpus


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("in")
    img = corpus.radiograph_background(320, 240, seed=3)
    corpus.plant_text(img, "MRN 77120455", (20, 20), 20)
    img.save(d / "xray.png")
    (d / "photo.jpg").write_bytes(corpus.jpeg_with_everything(corpus.photo_background(320, 240, 4)))
    (d / "notes.pdf").write_bytes(b"%PDF-1.4\n%%EOF")
    return d


def test_cli_writes_outputs_and_report(inputs: Path, tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "report.json"
    status = main(
        [
            "deidentify",
            str(inputs / "xray.png"),
            str(inputs / "photo.jpg"),
            "--out",
            str(out),
            "--report",
            str(report),
        ]
    )
    assert status == 0
    entries = json.loads(report.read_text())
    assert [Path(e["input"]).name for e in entries] == ["xray.png", "photo.jpg"]
    assert entries[1]["output"].endswith("photo.jpg") and entries[1]["refused"] is None
    assert "exif_gps" in entries[1]["metadata_categories"]
    assert any(t["covered"] for t in entries[0]["text_regions"])
    assert "77120455" not in report.read_text()
    for e in entries:
        Image.open(e["output"]).verify()


def test_cli_exit_1_when_any_input_refused(inputs: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    status = main(
        [
            "deidentify",
            str(inputs / "photo.jpg"),
            str(inputs / "notes.pdf"),
            "--out",
            str(tmp_path),
            "--report",
            str(report),
        ]
    )
    assert status == 1
    pdf = json.loads(report.read_text())[1]
    assert pdf["output"] is None and "PDF" in pdf["refused"]


def test_cli_region_and_crop(inputs: Path, tmp_path: Path) -> None:
    status = main(
        [
            "deidentify",
            str(inputs / "photo.jpg"),
            "--out",
            str(tmp_path),
            "--region",
            "0,0,100,100",
            "--region",
            "200,100,20,20",
            "--crop",
            "10,10,200,150",
            "--report",
            str(tmp_path / "r.json"),
        ]
    )
    assert status == 0
    out = Image.open(tmp_path / "photo.jpg")
    assert out.size == (200, 150)
    assert max(out.convert("L").crop((0, 0, 85, 85)).getextrema()) < 16


@pytest.mark.parametrize(
    "argv",
    [
        ["deidentify", "missing.jpg", "--out", "o"],
        ["deidentify", "{x}", "--out", "o", "--region", "1,2,3"],
        ["deidentify", "{x}", "--out", "o", "--crop", "a,b,c,d"],
        ["deidentify", "{x}", "--out", "o", "--region", "1,2,0,5"],
        ["deidentify", "{x}"],
    ],
)
def test_cli_usage_errors_exit_2(inputs: Path, tmp_path: Path, argv: list[str]) -> None:
    argv = [
        a.replace("{x}", str(inputs / "photo.jpg")).replace("o", str(tmp_path / "o"))
        if a in ("{x}", "o")
        else a
        for a in argv
    ]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


def test_cli_runs_as_a_process_without_instance_config(inputs: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fediverse_cases.cli",
            "deidentify",
            str(inputs / "photo.jpg"),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["output"].endswith("photo.jpg")
    assert Image.open(io.BytesIO((tmp_path / "photo.jpg").read_bytes())).format == "JPEG"
