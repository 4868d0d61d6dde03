"""PHI scan for free text (case captions, comments): spans and categories for the UI to highlight.

A pure-regex scanner, tuned to flag HIPAA Safe Harbor identifiers while staying quiet on ordinary
clinical prose ("3 cm mass in the LUL, 45-year-old", "T2 hyperintense", "CT 2019"). Standard
library only. It flags; it does not rewrite: the clinician decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class PhiFinding:
    start: int
    end: int
    category: str


_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sr|Sister|Nurse)"
_NAME = r"[A-Z][a-zA-Z'\-]+"
_STREET = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Court|Ct|Way|Place|Pl|Terrace"
    r"|Close|Crescent|Square|Sq|Highway|Hwy|Parkway|Pkwy|Strasse|Straße|Weg|Gasse|Rue|Via|Calle)"
)
_US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "DC",
]

# Order matters: earlier patterns win when spans overlap.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b")),
    (
        "url",
        re.compile(
            r"\b(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.(?:com|org|net|edu|gov|io|co\.uk|nhs\.uk|de|fr)(?:/[^\s]*)?\b",
            re.IGNORECASE,
        ),
    ),
    ("id_number", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),  # US SSN
    (
        "mrn",
        re.compile(
            r"(?:\bMRN\b|\bMR\s?#|\bmedical\s+record\s+(?:number|no\.?|#)|\bhosp(?:ital)?\s+(?:number|no\.?|#)"
            r"|\bpatient\s+(?:id|number|no\.?|#)|\bchart\s+(?:number|no\.?|#)|\bunit\s+(?:number|no\.?))"
            r"\s*[:#=]?\s*[A-Z]{0,3}[-\s]?\d[\d\-\s]{2,}\d",
            re.IGNORECASE,
        ),
    ),
    (
        "id_number",
        re.compile(
            r"(?:\b(?:SSN|NHS|NI|Medicare|Medicaid|insurance|policy|member|account|acct|licen[cs]e|"
            r"certificate|passport|accession|plan|serial|device)\s*(?:number|no\.?|#|id)?\s*[:#=]?\s*)"
            r"[A-Z]{0,3}[-\s]?\d[\d\-\s]{3,}\d",
            re.IGNORECASE,
        ),
    ),
    (
        "phone",
        re.compile(
            r"(?:\b(?:tel|phone|ph|fax|mobile|cell|pager|bleep)\.?\s*(?:no\.?|number|#)?\s*[:#]?\s*\+?[\d(](?:[\d()\-]|[\s.](?=[\d(])){5,}\d)"
            r"|(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{2,4}\)\s?|\b\d{3}[\s.\-])\d{3}[\s.\-]\d{4}\b"
            r"|\+\d{1,3}(?:[\s.\-]\d{2,5}){2,4}\b",
            re.IGNORECASE,
        ),
    ),
    (
        "date",
        re.compile(
            r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b"
            r"|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{4}\b|\b\d{1,2}([/.])\d{1,2}\1\d{2}\b"
            rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?(?:\s+\d{{4}})?\b"
            rf"|\b{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"
            r"|\b\d{1,2}[-/](?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[-/]\d{2,4}\b",
            re.IGNORECASE,
        ),
    ),
    (
        "age_over_89",
        re.compile(
            r"\b(?:9\d|1[0-4]\d)\s*(?:-|\s)?\s*(?:years?|yrs?|y)[\s\-]*(?:old|of\s+age)\b"
            r"|\b(?:9\d|1[0-4]\d)\s*(?:y/?o|yo|y\.o\.)(?=\W|$)"
            r"|\b(?:aged?|age:)\s*(?:9\d|1[0-4]\d)\b"
            r"|\b(?:9\d|1[0-4]\d)\s*(?:-|\s)?(?:year|yr)[\s\-]*old\b",
            re.IGNORECASE,
        ),
    ),
    (
        "address",
        re.compile(
            rf"\b\d{{1,5}}[A-Za-z]?\s+(?:{_NAME}\s+){{1,3}}{_STREET}\b\.?"
            r"|\bP\.?\s?O\.?\s+Box\s+\d+\b",
        ),
    ),
    (
        "postal_code",
        re.compile(
            r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b"  # UK
            r"|\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b"  # Canada
            rf"|\b(?:{'|'.join(_US_STATES)})\s(?P<v>\d{{5}}(?:-\d{{4}})?)\b"
            r"|\b(?:zip|ZIP|Zip|postcode|Postcode|PLZ|postal code|Postal code)\s*:?\s*(?P<w>[A-Z0-9]{3,7})\b"
        ),
    ),
    (
        "person_name",
        re.compile(
            rf"\b{_TITLE}\.?\s+(?:{_NAME}\s+)?{_NAME}\b"
            rf"|\b(?:[Pp]atient|[Pp]t\.?)\s+(?:named\s+|called\s+)?{_NAME}(?:\s+{_NAME})?\b"
            rf"|\b(?:[Nn]ame|NAME|[Pp]atient [Nn]ame|[Ss]urname|[Ff]irst [Nn]ame)\s*[:=]\s*{_NAME}(?:[\s,]+{_NAME})?"
        ),
    ),
    ("id_number", re.compile(r"(?<![\d.,])\d{7,}(?![\d.,]?\d)")),
]

# Words that start a sentence after "Patient"/"Pt" and are not names.
_NOT_NAMES = {
    "Presented",
    "Presents",
    "Is",
    "Was",
    "Has",
    "Had",
    "With",
    "Underwent",
    "Reported",
    "Reports",
    "Denies",
    "Developed",
    "Received",
    "History",
    "Complained",
    "Consent",
    "Education",
    "Care",
    "Safety",
    "Information",
    "Transport",
    "Position",
    "Positioning",
    "Status",
    "Details",
    "Name",
    "Id",
    "ID",
}


def _accept(category: str, text: str) -> bool:
    if category == "person_name":
        words = re.findall(r"[A-Za-z'\-]+", text)
        if len(words) >= 2 and words[1] in _NOT_NAMES:
            return False
    if category == "date":
        nums = [int(n) for n in re.findall(r"\d+", text)]
        if len(nums) == 3 and not any(c.isalpha() for c in text):
            year_first = nums[0] > 31
            a, b = (nums[1], nums[2]) if year_first else (nums[0], nums[1])
            # one of the two must be a month and the other a day
            return (1 <= a <= 12 and 1 <= b <= 31) or (1 <= a <= 31 and 1 <= b <= 12)
    return True


def scan_text(text: str) -> list[PhiFinding]:
    """Spans of likely identifiers in ``text``, sorted, non-overlapping (first category wins)."""
    taken: list[PhiFinding] = []
    for category, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            for group in ("v", "w"):
                if group in pattern.groupindex and match.group(group) is not None:
                    start, end = match.span(group)
            while end > start and text[end - 1] in " \t\n.,;:":
                end -= 1
            if end <= start or not _accept(category, text[start:end]):
                continue
            if any(start < f.end and f.start < end for f in taken):
                continue
            taken.append(PhiFinding(start, end, category))
    return sorted(taken)
