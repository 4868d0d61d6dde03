"""Detection passes, the fail-closed label rule, windowing and the package's import graph, tested
without the models (fast)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

import fediverse_cases.deidentify as deid
from fediverse_cases.deidentify import Box, DeidentifyPolicy
from fediverse_cases.deidentify.pixels import detection_windows
from fediverse_cases.deidentify.text_passes import (
    has_text_strokes,
    is_greyscale,
    normalised_inverted,
    renderings,
)
from fediverse_cases.deidentify.text_regions import TextBox, decide, label_like, merge_passes

from .conftest import corpus

PACKAGE = Path(deid.__file__).parent


def _label(contrast: int, noise: float = 2.0) -> np.ndarray:
    img = Image.new("L", (300, 40), 200)
    ImageDraw.Draw(img).text((6, 4), "NHS 485 777 3456", fill=200 - contrast, font=corpus.font(26))
    arr = np.asarray(img).astype(np.float32) + np.random.default_rng(1).normal(0, noise, (40, 300))
    return np.clip(arr, 0, 255).astype(np.uint8)


def test_stroke_test_accepts_faint_print_and_rejects_texture() -> None:
    assert has_text_strokes(_label(40))
    assert has_text_strokes(_label(20))
    flat = np.full((40, 300), 120, dtype=np.uint8)
    assert not has_text_strokes(flat)
    noise = np.random.default_rng(2).integers(0, 255, (40, 300)).astype(np.uint8)
    assert not has_text_strokes(noise)


def test_unreadable_print_on_a_label_is_covered_not_dismissed() -> None:
    policy = DeidentifyPolicy()
    grey = np.full((800, 1200), 90, dtype=np.uint8)
    grey[100:140, 50:350] = _label(60)
    tb = TextBox(Box(50, 100, 300, 40), "~#", 0.2)
    assert label_like(grey, tb.box)
    assert decide(tb, (1200, 800), policy, label=True) == (True, "unreadable_label")
    assert decide(tb, (1200, 800), policy, label=False) == (False, "not_text")
    # A huge "box" framing a texture is no label, whatever is inside.
    assert not label_like(grey, Box(0, 0, 1200, 800))


def test_merge_passes_keeps_one_line_and_names_every_pass() -> None:
    a = TextBox(Box(10, 10, 100, 20), "Maria", 0.9, "original")
    b = TextBox(Box(12, 11, 104, 20), "Maria", 0.95, "local_contrast_sharpened")
    c = TextBox(Box(10, 200, 100, 20), "Novak", 0.8, "local_contrast_sharpened")
    merged = merge_passes([a, b, c])
    assert len(merged) == 2
    line = next(m for m in merged if m.box.y < 100)
    assert line.source == "local_contrast_sharpened+original"
    assert line.box == Box(10, 10, 106, 21)


def test_enhanced_pass_on_greyscale_only_by_default() -> None:
    grey = corpus.radiograph_background(300, 200, seed=1)
    colour = corpus.photo_background(300, 200, seed=1)
    policy = DeidentifyPolicy()
    assert is_greyscale(grey) and is_greyscale(grey.convert("RGB")) and not is_greyscale(colour)
    assert [r.name for r in renderings(grey, (), policy)] == [
        "original",
        "local_contrast_sharpened",
        "local_contrast_inverted",
    ]
    assert [r.name for r in renderings(colour, (), policy)] == ["original"]
    always = DeidentifyPolicy(enhanced_text_pass="always")
    assert len(renderings(colour, (), always)) == 2
    no_inverted = DeidentifyPolicy(inverted_text_pass="never")
    assert [r.name for r in renderings(grey, (), no_inverted)] == ["original", "local_contrast_sharpened"]


def test_inverted_pass_turns_faint_light_print_into_dark_print() -> None:
    """Print 20 grey levels lighter than a dark label comes out darker than its surroundings and
    at far more than 20 levels of contrast."""
    img = Image.new("L", (300, 60), 45)
    ImageDraw.Draw(img).text((10, 15), "NHS 485 777 3456", fill=65, font=corpus.font(24))
    ink = np.asarray(img) > 55
    out = np.asarray(normalised_inverted(img)).astype(int)
    assert out[ink].mean() + 60 < out[~ink].mean()


def test_windows_show_text_a_linear_window_clips() -> None:
    values = np.full((100, 200), 3000.0, dtype=np.float32)
    values[:, :100] = 4000.0  # bright bone
    values[40:60, 20:80] = 4095.0  # text at the maximum over the bone
    clipped = np.clip((values - 500) / 3000 * 255, 0, 255)  # the header window: bone and text white
    assert clipped[50, 50] == clipped[10, 50] == 255
    views = dict(detection_windows(values))
    top = np.asarray(views["top_range"]).astype(int)
    assert top[50, 50] - top[10, 50] > 100


def _module_imports(path: Path) -> set[str]:
    """Sibling modules imported at module level (not inside functions)."""
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(a.name for a in node.names)
    return out


def test_package_has_no_import_cycles() -> None:
    graph = {p.stem: _module_imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = [m for m in graph if reaches(m, m, {m})]
    assert cycles == []
    assert "geometry" in graph["report"] and "model" not in graph["report"]
    assert "pixels" in graph["dicom"] and "decode" not in graph["dicom"]


def test_no_function_level_imports_of_sibling_modules() -> None:
    """Cycles must be broken, not hidden inside functions."""
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                for inner in ast.walk(node):
                    assert not (isinstance(inner, ast.ImportFrom) and inner.level == 1), path.name
