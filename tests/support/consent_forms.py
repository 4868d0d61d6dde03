"""Reading a printed consent form back: its text, the withdrawal code and the QR code's text."""

from __future__ import annotations

import io
import re

import cv2
import numpy as np
from PIL import Image
from pypdf import PdfReader

CODE_RE = re.compile(r"\b([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})\b")


def read_consent_form(pdf: bytes) -> tuple[str, str, str]:
    """(the form's text with whitespace collapsed, the withdrawal code, the decoded QR code)."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    codes = CODE_RE.findall(text)
    assert len(set(codes)) == 1, codes
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 1
    picture = np.array(Image.open(io.BytesIO(images[0].data)).convert("L"))
    return text, codes[0], decode_qr(picture)


def decode_qr(picture: np.ndarray) -> str:
    """The QR code's text, as a phone would read it. OpenCV's detector alone misses about 1 code
    in 100 at a single scale (a flaky test in CI), so it looks again with a wider margin, at other
    scales and with its ArUco-based detector; a code none of them reads gives ""."""
    framed = cv2.copyMakeBorder(picture, 32, 32, 32, 32, cv2.BORDER_CONSTANT, value=255)
    views = [picture, framed]
    views += [
        cv2.resize(view, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
        for view in (picture, framed)
        for factor in (0.5, 1.5)
    ]
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        for view in views:
            decoded, _, _ = detector.detectAndDecode(view)
            if decoded:
                return str(decoded)
    return ""
