"""Fixtures for the de-identification tests: one engine (models loaded once per session), an
OCR reader for checking what is still legible, the bench's two independent OCR engines
(bench/readback.py), exiftool, and the bench corpus."""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from fediverse_cases.deidentify import Deidentifier, DeidentifyPolicy
from fediverse_cases.deidentify.text_regions import TextDetector

ROOT = Path(__file__).resolve().parents[2]


def _load_bench_module(name: str):
    spec = importlib.util.spec_from_file_location(f"deid_bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load_bench_module("corpus")
readback = _load_bench_module("readback")


@pytest.fixture(scope="session")
def engine() -> Deidentifier:
    deidentifier = Deidentifier(DeidentifyPolicy())
    deidentifier.warm_up()
    return deidentifier


@pytest.fixture(scope="session")
def reader():
    """Reads all text in encoded image bytes at full resolution; returns the strings read."""
    detector = TextDetector(DeidentifyPolicy(ocr_max_side=4096))
    detector.load()

    def read(data: bytes) -> list[str]:
        image = Image.open(io.BytesIO(data)).convert("RGB")
        return [t.text for t in detector.detect(image) if t.confidence >= 0.3]

    return read


@pytest.fixture(scope="session")
def readers() -> dict:
    """The bench's two independent OCR engines (bench/readback.py): RapidOCR's own pipeline and
    Tesseract (Debian tesseract-ocr, installed by tests/run.sh)."""
    tesseract = readback.TesseractReader()
    if not tesseract.available:
        pytest.fail("tesseract (Debian tesseract-ocr) is required for these tests")
    return {"rapidocr": readback.Reader(), "tesseract": tesseract}


@pytest.fixture(scope="session")
def exiftool():
    path = shutil.which("exiftool")
    if path is None:
        pytest.fail("exiftool (Debian libimage-exiftool-perl) is required for these tests")

    def run(data: bytes) -> dict:
        out = subprocess.run(
            [path, "-a", "-u", "-G1", "-j", "-"], input=data, capture_output=True, check=True
        )
        return json.loads(out.stdout)[0]

    return run
