"""ocr.py runs the PP-OCR models itself: it must find and read exactly what RapidOCR's own
pipeline finds and reads with the same models and settings (same boxes, same text, scores equal
to rounding), so that dropping RapidOCR's pipeline changed speed, not what is covered."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from fediverse_cases.deidentify import DeidentifyPolicy
from fediverse_cases.deidentify.ocr import DET_MODEL, REC_MODEL, PaddleOcr, models_dir
from fediverse_cases.deidentify.text_regions import plan_tiles

from .conftest import corpus


@pytest.fixture(scope="module")
def rapidocr():
    from rapidocr import RapidOCR

    return RapidOCR(
        params={
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Global.text_score": 0.0,
            "Global.max_side_len": 100_000,
            "Global.min_side_len": 1,
            "Det.limit_type": "max",
            "Det.limit_side_len": 100_000,
            "Det.model_path": str(models_dir() / DET_MODEL),
            "Rec.model_path": str(models_dir() / REC_MODEL),
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    )


@pytest.mark.parametrize(
    "make",
    [corpus.photographed_form, corpus.ecg_printout, corpus.rotated_text_image],
    ids=["form", "ecg", "rotated"],
)
def test_same_lines_as_rapidocr(rapidocr, make) -> None:
    sample, _ = make(1700)
    image = Image.open(io.BytesIO(sample.data)).convert("RGB")
    ours = PaddleOcr(threads=1)
    for tile in plan_tiles(image, DeidentifyPolicy()):
        theirs = rapidocr(tile.pixels, use_det=True, use_cls=False, use_rec=True, text_score=0.0)
        mine = ours.read(tile.pixels)
        assert theirs.boxes is not None and len(mine) == len(theirs.boxes) > 0
        for line, box, text, score in zip(mine, theirs.boxes, theirs.txts, theirs.scores, strict=True):
            assert np.array_equal(line.quad, np.asarray(box, dtype=np.float32))
            assert line.text == text
            assert line.score == pytest.approx(score, abs=1e-3)
