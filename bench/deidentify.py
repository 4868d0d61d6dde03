"""De-identification quality and speed on the synthetic corpus (bench/corpus.py).

Run from the repository root:

    .venv/bin/python bench/deidentify.py            # full run, a few minutes on 2 cores
    .venv/bin/python bench/deidentify.py --quick    # fewer images, for a smoke check

Prints: files with residual metadata (exiftool -a -u -G1 -j), planted PHI strings still readable by
OCR after redaction, faces covered, area redacted on PHI-free images, and median/p95 time per
12-megapixel photo for each step and in total.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus

from fediverse_cases.deidentify import Deidentifier, DeidentifyPolicy
from fediverse_cases.deidentify.text_regions import TextDetector

BAD_GROUPS = (
    "EXIF",
    "IFD0",
    "IFD1",
    "ExifIFD",
    "GPS",
    "XMP",
    "IPTC",
    "ICC",
    "Photoshop",
    "MakerNotes",
    "Trailer",
)
PNG_OK = {"ImageWidth", "ImageHeight", "BitDepth", "ColorType", "Compression", "Filter", "Interlace"}


def residual_metadata(paths: list[Path]) -> list[str]:
    if not paths:
        return []
    out = subprocess.run(
        ["exiftool", "-a", "-u", "-G1", "-j", *map(str, paths)], capture_output=True, check=False
    )
    bad = []
    for entry in json.loads(out.stdout):
        keys = [k for k in entry if k.split(":")[0].startswith(BAD_GROUPS)]
        keys += [k for k in entry if k.startswith("PNG:") and k.split(":")[1] not in PNG_OK]
        keys += [k for k in entry if k == "ExifTool:Warning"]
        if keys or corpus.SECRET in json.dumps(entry):
            bad.append(f"{Path(entry['SourceFile']).name}: {keys}")
    return bad


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def readable(planted: str, read: list[str]) -> bool:
    """Is the planted string (or its identifying digits) recoverable from what OCR read?"""
    target = _norm(planted)
    joined = _norm(" ".join(read))
    if target and target in joined:
        return True
    for digits in re.findall(r"\d{4,}", planted):
        if digits in re.sub(r"\D", "", " ".join(read)):
            return True
    return any(difflib.SequenceMatcher(None, target, _norm(r)).ratio() >= 0.7 for r in read)


def read_region(reader: TextDetector, image: Image.Image, box: tuple[int, int, int, int]) -> list[str]:
    x, y, w, h = box
    pad = max(10, int(0.3 * min(w, h)), 8)
    crop = image.crop((max(0, x - pad), max(0, y - pad), x + w + pad, y + h + pad)).convert("RGB")
    return [t.text for t in reader.detect(crop) if t.confidence >= 0.3]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    t0 = time.perf_counter()
    samples = (
        corpus.metadata_samples()
        + corpus.text_samples(8 if args.quick else 24)
        + corpus.phi_free_samples()
        + corpus.face_samples()
        + corpus.dicom_samples()
        + corpus.photo_12mp_samples(2 if args.quick else 8)
    )
    print(f"corpus: {len(samples)} files generated in {time.perf_counter() - t0:.1f} s")
    engine = Deidentifier(DeidentifyPolicy())
    t = time.perf_counter()
    engine.warm_up()
    print(f"models loaded in {time.perf_counter() - t:.2f} s")
    reader = TextDetector(DeidentifyPolicy(ocr_max_side=4096), threads=2)
    reader.load()

    outdir = Path(tempfile.mkdtemp(prefix="deid-bench-"))
    outputs, refused = [], []
    phi_total = phi_before = phi_after = 0
    markers_total = markers_kept = 0
    faces_total = faces_covered = 0
    free_fractions: list[float] = []
    timings: dict[str, list[float]] = {}
    for sample in samples:
        start = time.perf_counter()
        result = engine.process(sample.data, filename=sample.filename)
        wall = (time.perf_counter() - start) * 1000.0
        if not result.accepted:
            refused.append(f"{sample.name}: {result.reason}")
            continue
        clean = result.image
        for suffix, blob in (("", clean.data), ("_display", clean.display), ("_thumb", clean.thumbnail)):
            path = outdir / f"{sample.name}{suffix}{clean.extension}"
            path.write_bytes(blob)
            outputs.append(path)
        after = Image.open(io.BytesIO(clean.data)).convert("RGB")
        if sample.kind == "photo12mp":
            for step, ms in result.report.timings_ms.items():
                timings.setdefault(step, []).append(ms)
            timings.setdefault("total", []).append(wall)
        if sample.texts:
            before = Image.open(io.BytesIO(sample.data)).convert("RGB")
            for planted in sample.texts:
                if not planted.is_phi:
                    markers_total += 1
                    markers_kept += readable(planted.text, read_region(reader, after, planted.box))
                    continue
                phi_total += 1
                was = readable(planted.text, read_region(reader, before, planted.box))
                phi_before += was
                still = readable(planted.text, read_region(reader, after, planted.box))
                phi_after += still
                if still:
                    print(f"  still readable: {sample.name} box={planted.box} len={len(planted.text)}")
        for fx, fy, fw, fh in sample.faces:
            faces_total += 1
            region = np.asarray(after.convert("L"))[fy : fy + fh, fx : fx + fw]
            ok = (region < 24).mean() >= 0.9
            faces_covered += ok
            if not ok:
                print(f"  face not covered: {sample.name}")
        if sample.kind == "phi_free":
            free_fractions.append(result.report.redacted_fraction)

    bad = residual_metadata(outputs)
    print()
    print(f"files processed: {len(samples)}, accepted {len(samples) - len(refused)}, refused {len(refused)}")
    for line in refused:
        print(f"  refused: {line}")
    print(f"output files checked with exiftool: {len(outputs)}; with residual metadata: {len(bad)}")
    for line in bad:
        print(f"  {line}")
    print(
        f"planted PHI strings: {phi_total}; readable by OCR before: {phi_before}; still readable after: "
        f"{phi_after} ({100.0 * phi_after / max(1, phi_total):.1f} %); unreadable after: "
        f"{100.0 * (phi_total - phi_after) / max(1, phi_total):.1f} %"
    )
    print(f"allow-listed markers still readable: {markers_kept}/{markers_total}")
    print(f"faces covered: {faces_covered}/{faces_total}")
    if free_fractions:
        print(
            f"area redacted on PHI-free images ({len(free_fractions)}): mean {100 * statistics.mean(free_fractions):.2f} %, "
            f"max {100 * max(free_fractions):.2f} %"
        )
    if timings:
        n = len(timings["total"])
        print(f"time per 12 MP photo (n={n}, ms): step  median  p95")
        for step, values in timings.items():
            values = sorted(values)
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            print(f"  {step:<18} {statistics.median(values):8.0f} {p95:8.0f}")
    print(f"bench wall time {time.perf_counter() - t0:.0f} s; outputs in {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
