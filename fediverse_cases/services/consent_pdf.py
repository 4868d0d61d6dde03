"""The printable consent form: a plain-language PDF for the patient to read, sign and keep.

Rendered with fpdf2 (pure Python, actively maintained) and a QR code from segno (pure Python,
no image library needed). Pure function of ``ConsentFormFacts``: nothing is read or stored here.

Text uses DejaVu Sans when the system has it (Debian's fonts-dejavu-core), so hospital names in
any Latin, Greek or Cyrillic script print; otherwise the PDF core font Helvetica, which only
covers Latin-1, with anything else replaced by "?".
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from fpdf import FPDF

from fediverse_cases.core import consent_scope
from fediverse_cases.core.case_access import Visibility

UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
UNICODE_FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


@dataclass(frozen=True)
class ConsentFormFacts:
    hospital: str
    withdrawal_url: str  # the public page, without the code
    code: str  # formatted, e.g. ABCD-EFGH-JKMN-PQRT
    audience: str  # a Visibility value
    check: str  # "date_of_birth" | "none"
    reference: str  # the hospital's case reference, to match the signed paper to the case
    printed_on: date

    @property
    def qr_url(self) -> str:
        # The code travels in the fragment: browsers never send it to the server or its logs;
        # static/withdraw.js copies it into the form.
        return f"{self.withdrawal_url}#code={self.code}"


def paragraphs(facts: ConsentFormFacts) -> list[tuple[str, str]]:
    """(heading, text) pairs in reading order: also what tests and screen readers check."""
    audience = consent_scope.AUDIENCE_PLAIN[Visibility(facts.audience)]
    check = "and your date of birth" if facts.check == "date_of_birth" else "(nothing else is asked)"
    return [
        (
            "Why we are asking",
            f"Doctors at {facts.hospital} would like to share pictures and a short description of "
            "your condition with other doctors, so that they can learn from it and help other "
            "patients. You do not have to agree. Saying no will not change your care in any way.",
        ),
        (
            "What will be shared",
            "Pictures of the affected part of your body, and a short medical description. Before "
            "anything is shared, your face and anything written on the pictures that could "
            "identify you are covered, and hidden details inside the picture files are removed. "
            "A reviewer at the hospital checks every case before anyone else can see it.",
        ),
        (
            "What will never be shared",
            "Your name, date of birth, address, hospital number, or anything else that says who "
            "you are. This form stays with the hospital and is never shared.",
        ),
        ("Who will be able to see it", f"If you sign, the case may be seen by {audience}. No one wider."),
        (
            "How to change your mind",
            "You can withdraw at any time, without giving a reason. Go to the web page below (or "
            "scan the square code with a phone camera), type in your withdrawal code "
            f"{check}, and press the withdraw button. The case is deleted here at once, and every "
            "other hospital that received it is told to delete it too. You can come back to the "
            "same page later to see that each of them has confirmed. Someone you trust may do "
            "this for you. You can also ask the doctor who gave you this form.",
        ),
    ]


def render(facts: ConsentFormFacts) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"Consent to share a case - {facts.hospital}")
    pdf.set_author(facts.hospital)
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    family = _fonts(pdf)
    text = _text_for(family)
    pdf.add_page()

    pdf.set_font(family, "B", 17)
    pdf.multi_cell(0, 8, text(facts.hospital), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "B", 14)
    pdf.multi_cell(0, 8, "Consent to share your case with other doctors", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    pdf.multi_cell(
        0,
        5,
        text(f"Hospital reference: {facts.reference}. Printed on {facts.printed_on.isoformat()}."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    for heading, body in paragraphs(facts):
        pdf.set_font(family, "B", 11.5)
        pdf.multi_cell(0, 6, text(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 10.5)
        pdf.multi_cell(0, 5.2, text(body), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)

    # The withdrawal box: the page address, the code, the QR code beside them.
    top = pdf.get_y() + 1
    if top > 230:
        pdf.add_page()
        top = pdf.get_y()
    qr_size = 36
    pdf.rect(pdf.l_margin, top, pdf.epw, qr_size + 8)
    pdf.image(_qr_png(facts.qr_url), x=pdf.l_margin + pdf.epw - qr_size - 4, y=top + 4, w=qr_size, h=qr_size)
    pdf.set_xy(pdf.l_margin + 4, top + 4)
    width = pdf.epw - qr_size - 12
    pdf.set_font(family, "", 10)
    pdf.multi_cell(width, 5, "Withdrawal page:", new_x="LEFT", new_y="NEXT")
    pdf.set_font(family, "B", 10)
    pdf.multi_cell(width, 5, text(facts.withdrawal_url), new_x="LEFT", new_y="NEXT")
    pdf.set_xy(pdf.l_margin + 4, pdf.get_y() + 2)
    pdf.set_font(family, "", 10)
    pdf.multi_cell(width, 5, "Your withdrawal code (keep it safe):", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Courier", "B", 16)
    pdf.multi_cell(width, 9, facts.code, new_x="LEFT", new_y="NEXT")
    pdf.set_y(top + qr_size + 12)

    pdf.set_font(family, "B", 11.5)
    pdf.multi_cell(0, 6, "Signatures", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10.5)
    pdf.multi_cell(
        0,
        5.2,
        "I have read this form, had the chance to ask questions, and agree to my case being "
        "shared as described.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for label in (
        "Patient (or the person signing for them): name, signature and date",
        "Doctor who explained this form: name, signature and date",
    ):
        pdf.ln(7)
        pdf.cell(0, 6, "_" * 75, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 9)
        pdf.cell(0, 4.5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 10.5)
    return bytes(pdf.output())


def _fonts(pdf: FPDF) -> str:
    if UNICODE_FONT.exists() and UNICODE_FONT_BOLD.exists():
        pdf.add_font("DejaVu", "", str(UNICODE_FONT))
        pdf.add_font("DejaVu", "B", str(UNICODE_FONT_BOLD))
        return "DejaVu"
    return "Helvetica"


def _text_for(family: str):  # type: ignore[no-untyped-def]
    def text(value: str) -> str:
        if family != "Helvetica":
            return value
        # Core fonts are Latin-1 only; never fail a patient's form over a character.
        return value.encode("latin-1", "replace").decode("latin-1")

    return text


def _qr_png(url: str) -> io.BytesIO:
    buffer = io.BytesIO()
    # Error correction "M" survives a crease or a smudge on a printed sheet.
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return buffer
