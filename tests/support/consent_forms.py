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
    decoded, _, _ = cv2.QRCodeDetector().detectAndDecode(picture)
    return text, codes[0], decoded
