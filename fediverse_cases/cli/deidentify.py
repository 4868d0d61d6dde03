"""`fediverse-cases deidentify INPUT... --out DIR`: de-identify image files from the command line.

Writes each accepted image into DIR under the input's stem (extension from the chosen format) and
a JSON report (one entry per input). Exit status 0 when every input was accepted, 1 when any was
refused, 2 on usage errors. Needs no configured instance.
"""

from __future__ import annotations

import argparse
import json
import logging
import mimetypes
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fediverse_cases.deidentify import Deidentifier

log = logging.getLogger(__name__)

Rect = tuple[int, int, int, int]


def parse_box(text: str) -> Rect:
    """``x,y,w,h`` as four ints (w, h positive). Plain ints, not a ``Box``: importing anything from
    the engine's package loads numpy, OpenCV and onnxruntime, which parsing the arguments (and
    ``--help``, and a usage error) must not wait for; ``run`` makes the boxes."""
    try:
        x, y, w, h = (int(p.strip()) for p in text.split(","))
    except ValueError:
        x = y = w = h = 0
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(
            f"expected x,y,w,h with integer x,y and positive integer w,h, got {text!r}"
        )
    return x, y, w, h


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "deidentify",
        help="strip metadata, faces and burned-in text from images",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", type=Path, help="image or DICOM files")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory")
    parser.add_argument(
        "--report", type=Path, metavar="FILE", help="write the JSON report here (default: stdout)"
    )
    parser.add_argument(
        "--region",
        action="append",
        type=parse_box,
        default=[],
        metavar="x,y,w,h",
        help="extra rectangle to cover (upright original coordinates); repeatable",
    )
    parser.add_argument("--crop", type=parse_box, metavar="x,y,w,h", help="crop rectangle (upright original)")
    parser.add_argument("--no-faces", action="store_true", help="do not cover faces")
    parser.add_argument("--no-text", action="store_true", help="do not cover burned-in text")
    parser.set_defaults(handler=run, _parser=parser)


def run(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser | None = getattr(args, "_parser", None)
    missing = [str(p) for p in args.inputs if not p.is_file()]
    if missing:
        message = "input not found or not a file: " + ", ".join(missing)
        if parser is not None:
            parser.error(message)  # exits with status 2
        print(f"fediverse-cases deidentify: error: {message}", file=sys.stderr)
        return 2
    if args.out.exists() and not args.out.is_dir():
        if parser is not None:
            parser.error(f"--out {args.out} exists and is not a directory")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    # Imported here, after the arguments are checked, for the reason given in parse_box.
    from fediverse_cases.deidentify import Box, Deidentifier, DeidentifyPolicy

    regions = [Box(*r) for r in args.region]
    crop = Box(*args.crop) if args.crop else None

    policy = DeidentifyPolicy(cover_faces=not args.no_faces, cover_text=not args.no_text)
    engine = Deidentifier(policy)
    # Cold start: the OCR runtime's imports and the model sessions load on a side thread while the
    # first file is read and decoded. process() never depends on it: a model that failed to load
    # here is loaded (or refuses the image) there.
    threading.Thread(target=_warm_up, args=(engine,), name="deidentify-warm-up", daemon=True).start()
    entries: list[dict[str, Any]] = []
    any_refused = False
    for path in args.inputs:
        result = engine.process(
            path.read_bytes(),
            filename=path.name,
            declared_type=mimetypes.guess_type(path.name)[0],
            regions=regions,
            crop=crop,
        )
        report = result.report.to_json()
        output = None
        if result.image is not None:
            target = args.out / (path.stem + result.image.extension)
            target.write_bytes(result.image.data)
            output = str(target)
        else:
            any_refused = True
        entries.append(
            {
                "input": str(path),
                "output": output,
                "refused": result.reason,
                "faces": report["faces"],
                "text_regions": report["text_regions"],
                "metadata_categories": report["metadata_removed"],
                "report": report,
            }
        )
        status = f"-> {output}" if output else f"REFUSED: {result.reason}"
        print(f"{path}: {status}", file=sys.stderr)
    text = json.dumps(entries, indent=2)
    if args.report:
        args.report.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 1 if any_refused else 0


def _warm_up(engine: Deidentifier) -> None:
    try:
        engine.warm_up()
    except Exception:
        log.warning("model warm-up failed; the first image loads the models itself", exc_info=True)
