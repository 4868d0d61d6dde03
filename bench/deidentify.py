"""De-identification quality and speed on the synthetic corpus (bench/corpus.py).

Run from the repository root:

    .venv/bin/python bench/deidentify.py            # full run: 67 files, ~4-6 min on 2 loaded cores
    .venv/bin/python bench/deidentify.py --quick    # fewer images, for a smoke check
    .venv/bin/python bench/deidentify.py --ocr-max-side 960   # compare a policy setting

Prints: files with residual metadata (exiftool -a -u -G1 -j), planted PHI strings readable by an
independent OCR pass before and after redaction (each string read on a crop around its box,
upright and turned 90/270 degrees, so vertical text counts too), planted boxes painted solid, faces
covered, area redacted on PHI-free images, median/p95 wall time per 12-megapixel photo for each
step and in total, process CPU time per photo, and the load average (the machine is shared).
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
    """Is the planted string, one of its identifying parts (a word of 4+ letters such as a name,
    a run of 4+ digits) or a close variant of it recoverable from what OCR read?"""
    target = _norm(planted)
    joined = _norm(" ".join(read))
    if target and target in joined:
        return True
    for digits in re.findall(r"\d{4,}", planted):
        if digits in re.sub(r"\D", "", " ".join(read)):
            return True
    for word in re.findall(r"[A-Za-z]{4,}", planted):
        if word.lower() in joined:
            return True
    return any(difflib.SequenceMatcher(None, target, _norm(r)).ratio() >= 0.7 for r in read)


class Reader:
    """An independent OCR pass (its own RapidOCR instance, 2 threads) that tries hard to read one
    planted string: a padded crop around its box, scaled so the text is 16-64 px tall, read upright
    and turned by 90 and 270 degrees (vertical text). Much cheaper than reading the whole image."""

    TARGET_SHORT_SIDE = 96  # px, the crop's short side after scaling (text ~ 2/3 of it)

    def __init__(self) -> None:
        import rapidocr
        from rapidocr import RapidOCR

        models = Path(rapidocr.__file__).parent / "models"
        self._engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Global.text_score": 0.0,
                "Global.max_side_len": 100_000,
                "Global.min_side_len": 1,
                "Det.limit_type": "max",
                "Det.limit_side_len": 100_000,
                "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
                "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
                "EngineConfig.onnxruntime.intra_op_num_threads": 2,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )

    def _read(self, img: Image.Image) -> list[str]:
        arr = np.ascontiguousarray(np.asarray(img.convert("RGB"))[:, :, ::-1])
        result = self._engine(arr, use_det=True, use_cls=False, use_rec=True, text_score=0.0)
        if getattr(result, "boxes", None) is None:
            return []
        return [str(t) for t, score in zip(result.txts, result.scores, strict=True) if score >= 0.3]

    def read(self, image: Image.Image, box: tuple[int, int, int, int]) -> list[str]:
        x, y, w, h = box
        pad = max(8, int(0.3 * min(w, h)))
        crop = image.crop((max(0, x - pad), max(0, y - pad), x + w + pad, y + h + pad)).convert("RGB")
        out: list[str] = []
        for angle in (0, 90, 270):
            view = crop.rotate(angle, expand=True) if angle else crop
            scale = self.TARGET_SHORT_SIDE / float(min(view.size))
            size = (max(1, round(view.width * scale)), max(1, round(view.height * scale)))
            view = view.resize(size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)
            canvas = Image.new("RGB", (view.width + 64, view.height + 64), _border_colour(view))
            canvas.paste(view, (32, 32))
            out.extend(self._read(canvas))
        return out


def _border_colour(img: Image.Image) -> tuple[int, int, int]:
    arr = np.asarray(img)
    edge = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
    return tuple(int(v) for v in np.median(edge, axis=0))


def painted_fraction(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """Fraction of the planted box that is solid black in the output."""
    x, y, w, h = box
    region = np.asarray(image.convert("L"))[y : y + h, x : x + w]
    return float((region < 8).mean()) if region.size else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer images, for a smoke check")
    parser.add_argument("--ocr-max-side", type=int, default=None, help="override the policy (to compare)")
    args = parser.parse_args()
    overrides = {"ocr_max_side": args.ocr_max_side} if args.ocr_max_side else {}
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
    engine = Deidentifier(DeidentifyPolicy(**overrides))
    if overrides:
        print(f"policy overrides: {overrides}")
    t = time.perf_counter()
    engine.warm_up()
    print(f"models loaded in {time.perf_counter() - t:.2f} s")
    print(
        f"load average (1/5/15 min) at the start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"
    )
    reader = Reader()

    outdir = Path(tempfile.mkdtemp(prefix="deid-bench-"))
    outputs, refused = [], []
    phi_total = phi_before = phi_after = phi_after_of_before = phi_painted = 0
    markers_total = markers_kept = 0
    faces_total = faces_covered = 0
    free_fractions: list[float] = []
    timings: dict[str, list[float]] = {}
    for sample in samples:
        start, cpu = time.perf_counter(), time.process_time()
        result = engine.process(sample.data, filename=sample.filename)
        wall = (time.perf_counter() - start) * 1000.0
        cpu = (time.process_time() - cpu) * 1000.0
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
            timings.setdefault("total_cpu", []).append(cpu)
        if sample.texts:
            before = Image.open(io.BytesIO(sample.data)).convert("RGB")
            for planted in sample.texts:
                if not planted.is_phi:
                    markers_total += 1
                    read = reader.read(after, planted.box)
                    markers_kept += any(_norm(r) == _norm(planted.text) for r in read)
                    continue
                phi_total += 1
                was = readable(planted.text, reader.read(before, planted.box))
                phi_before += was
                still = readable(planted.text, reader.read(after, planted.box))
                phi_after += still
                phi_after_of_before += still and was
                painted = painted_fraction(after, planted.box)
                phi_painted += painted >= 0.9
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
    print(
        f"planted PHI strings readable before AND after: {phi_after_of_before}/{phi_before}; "
        f"planted boxes >= 90 % painted solid: {phi_painted}/{phi_total}"
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
        print("  (detect_* sum the wall time of their tasks, which run concurrently on the pool;")
        print("   total_cpu is process CPU time over all threads: compare it with 2 cores x total)")
        for step, values in timings.items():
            values = sorted(values)
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            print(f"  {step:<18} {statistics.median(values):8.0f} {p95:8.0f}")
    print(f"bench wall time {time.perf_counter() - t0:.0f} s; outputs in {outdir}")
    print(f"load average (1/5/15 min) at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
