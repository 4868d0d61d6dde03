"""Fixtures for the DICOM intake tests: an independent OCR reader and PHI checks on derivatives."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from fediverse_cases.deidentify import DeidentifyPolicy
from fediverse_cases.deidentify.text_regions import TextDetector
from tests.support.dicom_studies import PHI_HEADER, PRIVATE_VALUE


@pytest.fixture(scope="session")
def read_text() -> Callable[[Image.Image], list[str]]:
    """Every text OCR reads in an image at full resolution (not the engine's own pass settings)."""
    detector = TextDetector(DeidentifyPolicy(ocr_max_side=4096))
    detector.load()
    return lambda image: [t.text for t in detector.detect(image.convert("RGB")) if t.confidence >= 0.3]


def all_values(ds) -> list[str]:  # type: ignore[no-untyped-def]
    """Every element value of a dataset, nested sequences and file meta included, as text."""
    found: list[str] = []
    for elem in [*ds.file_meta, *ds] if hasattr(ds, "file_meta") else list(ds):
        if elem.VR == "SQ":
            for item in elem.value:
                found.extend(all_values(item))
        elif elem.keyword != "PixelData":
            found.append(str(elem.value))
    return found


def assert_no_phi_in_header(ds) -> None:  # type: ignore[no-untyped-def]
    text = "\n".join(all_values(ds))
    planted = [*PHI_HEADER.values(), PRIVATE_VALUE, "OTHER-MRN48213977", "Quaresma", "MRN48213977"]
    for value in planted:
        assert value not in text, f"{value!r} survived in the header"
    assert not any(elem.tag.is_private for elem in ds)


def frame_images(ds) -> list[Image.Image]:  # type: ignore[no-untyped-def]
    """Each frame rendered with the header's window, as the OCR check sees it."""
    from pydicom.pixels import apply_modality_lut, pixel_array

    arr = pixel_array(ds)
    frames = arr if int(ds.get("NumberOfFrames", 1) or 1) > 1 else arr[None]
    out = []
    for frame in frames:
        values = apply_modality_lut(frame, ds).astype(np.float32)
        # Percentiles, not min/max: a covered box holds the range's black, which would squash
        # everything else (burned-in text included) into one grey.
        low, high = (float(v) for v in np.percentile(values, [0.5, 99.95]))
        scaled = np.clip((values - low) / max(high - low, 1.0), 0.0, 1.0) * 255.0
        out.append(Image.fromarray(scaled.astype(np.uint8), "L"))
    return out


def dicom_of(data: bytes):  # type: ignore[no-untyped-def]
    import pydicom

    return pydicom.dcmread(io.BytesIO(data))


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One Orthanc for the session, on loopback, with its own configuration and storage."""
    from tests.support.orthanc import Orthanc

    pacs = Orthanc(tmp_path_factory.mktemp("orthanc"))
    pacs.start()
    yield pacs
    pacs.stop()
