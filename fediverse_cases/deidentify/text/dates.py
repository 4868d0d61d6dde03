"""Dates tied to a person, in any format, and ages over 89.

Every element of a date except the year alone is an identifier under Safe Harbor, so "March 2020"
and "in May" are flagged while "CT 2019" is not. Numeric dates are checked for a real month and
day so that "120/80", "3/4 cores" and "1:100" stay quiet; a day and month without a year
("on 5/12") is flagged only after a word that introduces a date.
"""

from __future__ import annotations

import re

from .spans import PhiFinding

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:\d{4}|'\d{2}|’\d{2})"
_TEXTUAL = re.compile(
    # 14 March 2021, the 14th of March, 2021, 14-Mar-2021, 14MAR2021
    rf"\b(?:the\s+)?\d{{1,2}}{_ORD}(?:\s+of)?[\s\-/.]*{_MONTH}\b\.?(?:,?[\s\-/.]*{_YEAR}\b)?"
    # March 14, 2021; March 14th; Mar. 2021; March '21
    rf"|\b{_MONTH}\b\.?\s*(?:\d{{1,2}}{_ORD}\b(?:,?\s*{_YEAR}\b)?|,?\s*{_YEAR}\b)"
    r"|\b\d{1,2}(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{2,4}\b",
    re.IGNORECASE,
)
# A month name on its own: capitalised, and "May" only where it cannot be the verb.
_MONTH_ALONE = re.compile(
    r"\b(?:(?:early|mid|late)[\s\-])?(?:January|February|March|April|June|July|August|September|October|November|December"
    r"|Sept?|Oct|Nov|Dec|Jan|Feb|Apr|Aug)\b"
)
# "May" and lower-case month names only after a word that introduces a date ("in may" is a date,
# "she may" is not).
_MONTH_AFTER = re.compile(
    r"\b(?:in|on|of|by|since|until|early|late|mid|last|next|this|during)[\s\-]+"
    r"(?P<m>May|(?:january|february|april|june|july|september|october|november|december))\b"
)
_NUMERIC = re.compile(
    r"\b(?P<ymd>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?\b"
    r"|\b(?P<dmy>\d{1,2}(?P<sep>[-/.])\d{1,2}(?P=sep)(?:\d{4}|\d{2}))\b(?![-/.]\d)"
    r"|(?<![\d/.:-])(?P<my>\d{1,2}[/-](?:19|20)\d{2})\b(?![-/.]\d)"
    r"|\b(?P<ym>(?:19|20)\d{2}[/-]\d{1,2})\b(?![-/.]\d)"
)
_DATE_WORD = (
    r"(?:on|dated|since|from|until|till|by|DOB|D\.O\.B\.?|born|birth|admitted|admission|discharged"
    r"|discharge|seen|died|death|deceased|surgery|operated|visit|visited|scan|scanned|biopsied"
    r"|performed|done|started|stopped|presented|onset|date|dos)"
)
_DAY_MONTH = re.compile(
    rf"(?i:\b{_DATE_WORD})\s*:?\s*(?P<dm>\d{{1,2}}/\d{{1,2}})\b(?![/.]\d|\s*(?:mg|mm|cm|%))"
)
_WEEKDAY = r"(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?"
# A weekday next to a date, or with "the 12th": "Tuesday 4 April", "next Monday the 12th".
_WEEKDAY_DATE = re.compile(
    rf"\b(?:(?:last|next|this)\s+)?{_WEEKDAY}\b,?\s+(?=\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b|{_MONTH}\s+\d)"
    rf"|\b(?:(?:last|next|this)\s+)?{_WEEKDAY}\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)\b",
    re.IGNORECASE,
)
# "seen Monday", "since Friday": a weekday after a word that dates an event.
_WEEKDAY_AFTER = re.compile(
    r"\b(?:seen|since|until|last|next|on|by)\s+(?P<d>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
_HOLIDAY = re.compile(
    r"\b(?:Christmas|Xmas|Easter|Thanksgiving|Hanukkah|Diwali|Eid|Ramadan|Halloween|New Year's|Boxing Day"
    r"|Independence Day|Labor Day|Labour Day|Memorial Day|Bastille Day|St\.? Patrick's Day|Valentine's Day)"
    r"(?:\s+(?:weekend|holiday|holidays|break|Sunday|Monday))?"
    r"(?:\s+(?:Day|Eve))?(?:\s+\d{4})?"
)

_AGE_NUM = r"(?:9\d|1[01]\d)"
_AGE_WORDS = (
    r"ninety(?:[\s\-](?:one|two|three|four|five|six|seven|eight|nine))?|one\s+hundred(?:\s+and\s+\w+)?"
)
_AGE = re.compile(
    rf"\b{_AGE_NUM}\s*-?\s*(?:years?|yrs?|y)[\s\-]*(?:old|of\s+age)\b"
    rf"|\b{_AGE_NUM}\s*(?:y/?o|yo|y\.o\.?|yr\.?o\.?|yrs?)(?=\W|$)"
    rf"|\b(?:aged?|age\s*:|at\s+age)\s*{_AGE_NUM}\b(?:\s*(?:years?|yrs?))?"
    rf"|\b{_AGE_NUM}\s?(?-i:M|F)(?=\W|$)(?!\s*\.\s*\d)"
    rf"|\b(?:{_AGE_WORDS})[\s\-]*(?:years?|yrs?)[\s\-]*(?:old|of\s+age)\b"
    r"|\b(?:in\s+(?:his|her|their)\s+(?:late\s+|early\s+|mid[\s\-])?)(?:90s|nineties|100s)\b"
    r"|\b(?:nonagenarian|centenarian|supercentenarian)s?\b"
    # "Grandmother, ninety-four, still ...": ninety-something is an age unless a unit follows
    # (last, so that "ninety-two-year-old" is matched whole first).
    r"|\bninety[\s\-](?:one|two|three|four|five|six|seven|eight|nine)\b"
    r"(?![\s\-]*(?:years?|minutes|mins|seconds|percent|%|mg|kg|days|hours))",
    re.IGNORECASE,
)


def _real_date(numbers: list[int], year_first: bool) -> bool:
    """One of the two leading numbers is a month (1-12) and the other a day (1-31)."""
    a, b = (numbers[1], numbers[2]) if year_first else (numbers[0], numbers[1])
    return (1 <= a <= 12 and 1 <= b <= 31) or (1 <= a <= 31 and 1 <= b <= 12)


def find_dates(text: str) -> list[PhiFinding]:
    found: list[PhiFinding] = []
    for pattern in (_TEXTUAL, _MONTH_ALONE, _HOLIDAY, _WEEKDAY_DATE):
        found += [PhiFinding(m.start(), m.end(), "date") for m in pattern.finditer(text)]
    found += [PhiFinding(m.start("m"), m.end("m"), "date") for m in _MONTH_AFTER.finditer(text)]
    found += [PhiFinding(m.start("d"), m.end("d"), "date") for m in _WEEKDAY_AFTER.finditer(text)]
    for m in _NUMERIC.finditer(text):
        group = next(g for g in ("ymd", "dmy", "my", "ym") if m.group(g))
        numbers = [int(n) for n in re.findall(r"\d+", m.group(group))]
        if group == "ymd":
            ok = _real_date(numbers, year_first=True)
        elif group == "dmy":
            ok = _real_date(numbers, year_first=False)
        elif group == "my":
            ok = 1 <= numbers[0] <= 12
        else:
            ok = 1 <= numbers[1] <= 12
        if ok:
            found.append(PhiFinding(m.start(), m.end(), "date"))
    for m in _DAY_MONTH.finditer(text):
        a, b = (int(n) for n in m.group("dm").split("/"))
        if (1 <= a <= 12 and 1 <= b <= 31) or (1 <= a <= 31 and 1 <= b <= 12):
            found.append(PhiFinding(m.start("dm"), m.end("dm"), "date"))
    return found


# "She's 92", "turned 95": a bare number after a verb that gives an age.
_AGE_AFTER_VERB = re.compile(
    rf"\b(?:she's|he's|she is|he is|is now|now|turned|turns|reached)\s+(?P<a>{_AGE_NUM})\b"
    r"(?!\s*(?:%|mg|kg|cm|mm|bpm|/|minutes|mins|days|hours|units))",
    re.IGNORECASE,
)


def find_ages(text: str) -> list[PhiFinding]:
    found = [PhiFinding(m.start(), m.end(), "age") for m in _AGE.finditer(text)]
    found += [PhiFinding(m.start("a"), m.end("a"), "age") for m in _AGE_AFTER_VERB.finditer(text)]
    return found
