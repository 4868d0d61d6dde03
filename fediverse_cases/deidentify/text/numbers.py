"""Identifiers written with digits or as addresses on the internet: phone and fax numbers,
e-mail, URLs, IP addresses, and record, accession, insurance, licence, device, account and
other numbers.

Phone numbers are found two ways: Google's libphonenumber (the ``phonenumbers`` package) validates
numbers against the numbering plans of the regions hospitals here are in, and a pattern catches
numbers it cannot validate (fictional 555 numbers, numbers after "tel"/"fax"). Long digit runs
without a phone shape are reported as ``id``; lab values, doses and measurements are not
(decimals, thousands separators and units keep them out).
"""

from __future__ import annotations

import functools
import ipaddress
import re

from .spans import PhiFinding

_EMAIL = re.compile(r"\b[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}\b")
_URL = re.compile(
    r"\b(?:https?://|ftp://|www\.)[^\s<>\"']+"
    r"|\b[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.(?:com|org|net|edu|gov|mil|int|info|biz|io|me|ly|app|health"
    r"|co\.uk|org\.uk|nhs\.uk|ac\.uk|de|fr|nl|be|ch|at|it|es|ie|ca|au|nz|in|jp|cn|br|za|us)"
    r"(?::\d+)?(?:/[^\s<>\"']*)?(?![\w.]*\w)",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")
# Any run of hex digits and colons with "::" or seven colons; ipaddress decides.
_IPV6 = re.compile(
    r"(?<![\w:])[0-9A-Fa-f:]*::[0-9A-Fa-f:]*(?![\w:])|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])"
)
_PHONE_CONTEXT = re.compile(
    r"\b(?i:tel|telephone|phone|ph|fax|mobile|mob|cell|pager|bleep|ext|call|ring|text|whatsapp|contact)"
    r"\.?\s*(?i:no\.?|number|#)?\s*[:#]?\s*(?P<n>\+?[\d(](?:[\d()\-]|[\s.](?=[\d(])){5,}\d)"
)
# Internal pager, bleep and extension numbers: short, but they reach one person.
_EXTENSION = re.compile(
    r"\b(?i:pager|bleep|ext|extension|beeper)\.?\s*(?i:no\.?|number)?\s*[:#]?\s*(?P<n>#?\d{3,6})\b"
)
# Vehicle plates after their keyword ("plate AB12 CDE", "registration 7ABC123").
_PLATE = re.compile(
    r"\b(?i:plate|registration|reg\.?|licen[cs]e\s+plate)\s*(?i:no\.?|number)?\s*[:#]?\s*(?P<n>[A-Z]{2}\d{2}\s?[A-Z]{3}|[A-Z0-9]{2,4}[\s-][A-Z0-9]{2,4}|\d[A-Z]{3}\d{3})\b"
)
# GS1 device identifiers: "(01)00844588003288(17)141120".
_GS1 = re.compile(r"(?:\(\d{2,4}\)[0-9A-Za-z\-]{2,}){2,}")
_PHONE_SHAPE = re.compile(
    r"(?<![\w.+/-])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{2,5}\)[\s.\-]?|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}(?![\w/-]|\.\d)"
    r"|(?<![\w.+/-])\+\d{1,3}(?:[\s.\-]\(?\d{1,5}\)?){2,5}(?![\w/-]|\.\d)"
)
_PHONE_CANDIDATE = re.compile(r"(?<![\w.,/])\+?\(?\d[\d\s().\-]{6,}\d(?![\w,/]|\.\d)")
# Phone numbers in the regions this server's hospitals are in; numbers with "+" parse anywhere.
_REGIONS = ("US", "GB", "DE", "FR", "IN", "AU", "CA", "NL", "IE")

_ID_KEYWORD = (
    r"MRN|MR\s?#|medical\s+record(?:\s+(?:number|no\.?|#))?|hospital\s+(?:number|no\.?|#)|hosp\s+(?:no\.?|#)"
    r"|patient\s+(?:id|number|no\.?|#)|chart\s+(?:number|no\.?|#)|unit\s+(?:number|no\.?)|record\s+(?:number|no\.?|#)"
    r"|SSN|social\s+security(?:\s+(?:number|no\.?|#))?|NHS(?:\s+(?:number|no\.?))?|NI\s+(?:number|no\.?)|CHI(?:\s+number)?"
    r"|Medicare|Medicaid|insurance|insurer|policy|member(?:ship)?|subscriber|group|beneficiary|health\s+plan|plan"
    r"|account|acct|invoice|billing|claim|licen[cs]e|certificate|cert|passport|DEA|NPI|accession|acc(?:ession)?\s*#?"
    r"|specimen|sample|lab|serial|device|implant|pacemaker|lot|UDI|VIN|vehicle|plate|registration|reg"
    r"|case\s+(?:number|no\.?|#)|ref(?:erence)?|ID|identifier|badge|employee|study\s+id|biobank"
)
_ID_CONTEXT = re.compile(
    rf"\b(?i:{_ID_KEYWORD})\b\.?\s*(?i:number|no\.?|#|id|num|nr)?\s*[:#=]?\s*"
    # The value: an optional capital prefix ("SN ", "ZX-"), a word holding a digit, and more
    # digit-led groups ("485 777 3456"); at least four characters.
    r"(?P<n>(?=[\w\-/ ]{4})(?:[A-Z]{1,4}[\s\-]?)?[A-Za-z0-9]*\d[A-Za-z0-9\-/]*(?:\s\d[A-Za-z0-9\-/]*)*)"
)
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
# Letters and digits mixed like record numbers ("AB1234567", "S21-04567", "H0012345"): at least
# five digits, so that "BRCA1", "V600E", "CD20" and "HbA1c" are not.
_CODE = re.compile(
    r"(?<![\w.\-/])(?=[A-Za-z\-]*\d)(?:[A-Z]{1,4}[\-]?\d{2,}[\-/]?\d{3,}[A-Z]?|[A-Z]{1,3}\d{5,}[A-Z]?)(?![\w.\-/])"
)
# A bare run of seven or more digits: no decimal point, no thousands separator next to it.
_DATE_SHAPE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2}")
_DIGITS = re.compile(r"(?<![\d.,])\d{7,}(?![\d.,]?\d)")


@functools.cache
def _phonenumbers():  # type: ignore[no-untyped-def]
    """The library, imported on first use: its metadata takes a moment to load."""
    import phonenumbers

    return phonenumbers


def _valid_phones(text: str) -> list[tuple[int, int]]:
    """Digit runs that libphonenumber accepts as a valid number in one of ``_REGIONS``. Parsing
    each candidate is several times faster than running its matcher over the text per region."""
    pn = _phonenumbers()
    spans: list[tuple[int, int]] = []
    for m in _PHONE_CANDIDATE.finditer(text):
        candidate = m.group()
        if sum(map(str.isdigit, candidate)) < 7 or _DATE_SHAPE.fullmatch(candidate):
            continue
        for region in _REGIONS:
            try:
                number = pn.parse(candidate, region)
            except pn.NumberParseException:
                break  # not a number in any region
            if pn.is_valid_number(number):
                spans.append(m.span())
                break
            if candidate.startswith("+"):
                break  # the country code fixes the region
    return spans


def find_numbers(text: str) -> list[PhiFinding]:
    found: list[PhiFinding] = []
    if "@" in text:
        found += [PhiFinding(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
    for m in _URL.finditer(text):
        if "@" not in m.group():
            found.append(PhiFinding(m.start(), m.end(), "url"))
    digits = sum(map(str.isdigit, text))
    if not digits:
        return found  # everything below needs a digit
    for m in _IPV4.finditer(text):
        try:
            ipaddress.IPv4Address(m.group())
        except ValueError:
            continue
        found.append(PhiFinding(m.start(), m.end(), "ip"))
    for m in _IPV6.finditer(text):
        try:
            ipaddress.IPv6Address(m.group())
        except ValueError:
            continue
        found.append(PhiFinding(m.start(), m.end(), "ip"))
    found += [PhiFinding(m.start(), m.end(), "id") for m in _SSN.finditer(text)]
    for m in _ID_CONTEXT.finditer(text):
        # "plan 2 weeks", "group 3": a number that short after a keyword is not an identifier.
        if sum(map(str.isdigit, m.group("n"))) >= 3:
            found.append(PhiFinding(m.start("n"), m.end("n"), "id"))
    found += [PhiFinding(m.start("n"), m.end("n"), "id") for m in _PLATE.finditer(text)]
    found += [PhiFinding(m.start(), m.end(), "id") for m in _GS1.finditer(text)]
    found += [PhiFinding(m.start("n"), m.end("n"), "phone") for m in _PHONE_CONTEXT.finditer(text)]
    found += [PhiFinding(m.start("n"), m.end("n"), "phone") for m in _EXTENSION.finditer(text)]
    found += [PhiFinding(m.start(), m.end(), "phone") for m in _PHONE_SHAPE.finditer(text)]
    if digits >= 7:
        # "06.07.2013" is a valid German number and a date; _valid_phones leaves dates out.
        found += [PhiFinding(start, end, "phone") for start, end in _valid_phones(text)]
    # Bare codes and digit runs are the weakest evidence: only where nothing above claimed them
    # (the last eight digits of "+49 30 27567549" are part of a phone number, not an id).
    for pattern in (_CODE, _DIGITS):
        for m in pattern.finditer(text):
            if not any(f.start < m.end() and m.start() < f.end for f in found):
                found.append(PhiFinding(m.start(), m.end(), "id"))
    return found
