"""Addresses and places smaller than a state: street addresses with or without a house number
("22 Elm Street", "lives on Elm Street", "lives on elm street"), PO boxes, postal codes (US, UK,
Canada, and any written after "zip"/"postcode"), and towns named after "lives in", "from",
"born in", "village of" and the like."""

from __future__ import annotations

import re

from .lexicon import EPONYMS, MONTHS, STOPWORDS, WEEKDAYS, name_lists, words
from .spans import PhiFinding

_SUFFIX_FULL = (
    r"Street|Road|Avenue|Lane|Boulevard|Drive|Court|Way|Place|Terrace|Close|Crescent|Square|Highway"
    r"|Parkway|Gardens|Grove|Row|Mews|Walk|Hill|Park|Circle|Plaza|Alley|Trail|Estate|Station|Strasse|Straße"
    r"|Weg|Gasse"
)
_SUFFIX_ABBR = r"St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Sq|Hwy|Pkwy|Terr?"
_CAP = r"(?:[A-Z][\w'’\-]*|[A-Z]\.)"
_UNIT = (
    r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?(?:,?\s+(?:Apt|Apartment|Unit|Suite|Flat|Ste|#)\.?\s*#?\s*\w{1,5})?"
)
# "Flat 3, 27 Marsh Lane": the flat or unit written first.
_UNIT_BEFORE = r"(?:(?:Flat|Apt|Apartment|Unit|Suite)\.?\s*\w{1,5},?\s+)?"

_NUMBERED = re.compile(
    rf"\b{_UNIT_BEFORE}\d{{1,5}}[A-Za-z]?,?\s+(?:{_CAP}\s+){{0,3}}{_CAP}\s+(?:{_SUFFIX_FULL}|{_SUFFIX_ABBR})\b\.?{_UNIT}"
    rf"|\b\d{{1,5}}[A-Za-z]?\s+(?:[a-z][\w'’\-]*\s+){{1,3}}(?:street|road|avenue|lane|drive|boulevard|st|ave|rd)\b{_UNIT}"
    rf"|\b(?:rue|via|calle|avenida|rua|chemin|place|boulevard|avenue)\s+(?:(?:de|du|des|la|le|del|di|da|dos)\s+)*{_CAP}(?:\s+{_CAP}){{0,2}}(?:,?\s+\d{{1,5}}[a-z]?)?",
    re.UNICODE,
)
# Without a house number: "Elm Street", "Baker St." (the abbreviation only with a capital name).
_NAMED = re.compile(rf"\b(?:{_CAP}\s+){{1,3}}(?:{_SUFFIX_FULL})\b|\b{_CAP}\s+(?:St|Rd|Ave|Blvd)\b\.?")
# Lower-case street after a place preposition: "lives on elm street".
_LOWER = re.compile(
    r"\b(?:on|at|off|in|near)\s+(?!the\b|a\b|an\b|this\b|that\b|same\b)((?:[a-z][a-z'\-]+\s+){1,2}"
    r"(?:street|road|avenue|lane|boulevard|drive|terrace|crescent|close)\b)"
)
_PO_BOX = re.compile(r"\bP\.?\s?O\.?\s*Box\s+\d+\b|\bPost\s+Office\s+Box\s+\d+\b", re.IGNORECASE)
_US_STATES = words(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
    "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC"
)
_POSTAL = re.compile(
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b"  # UK
    # Canada, with its space: written solid, "T2N1M0" is a TNM stage.
    r"|\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s\d[ABCEGHJ-NPRSTV-Z]\d\b"
    rf"|\b(?:[A-Z][a-z]+(?:\s[A-Z][a-z]+)?,\s*)?(?:{'|'.join(_US_STATES)})\.?\s+\d{{5}}(?:-\d{{4}})?\b"  # US: [City, ]ST 12345
    # After a keyword, in any case: "zip 02115", "postcode sw1a 1aa".
    r"|\b(?i:zip|zip\s*code|postcode|post\s*code|postal\s*code|PLZ|CEP)\s*[:#]?\s*(?i:[A-Z0-9]{3,5}(?:[\s-]?[A-Z0-9]{3,4})?)\b"
)
# Town or county after a phrase that says where someone lives or comes from.
_PLACE_CONTEXT = re.compile(
    r"\b(?i:lives|lived|living|resides|resided|residing|resident|born|grew\s+up|moved|relocated"
    r"|originally|comes|came|hails|works|worked|holiday|holidays|vacation|travelled|traveled|visiting"
    r"|wandering|found|farms|farmed)"
    r"\s+(?:(?:in|at|from|to|near|of|on)\s+)+(?:the\s+)?"
    r"|\b(?i:village|town|city|hamlet|county|suburb|parish|borough|township|outskirts)\s+of\s+"
    r"|\b(?:from|near)\s+(?=[A-Z][a-z])",
)
# A bare "in X" names a place only when X is a word no list knows ("a taxi in Croydon"); "in
# Parkinson disease", "in March" and "in Mary's case" are something else.
_IN_UNKNOWN = re.compile(
    r"\b(?:in|at)\s+(?P<p>[A-Z][a-z]{2,}(?:[\s\-][A-Z][a-z]{2,})?)\b(?!['’]s|\s+[a-z]+\s+(?:syndrome|disease))"
)
# Hospitals and practices: "St. Jude's Hospital", "Leeds General Infirmary".
_INSTITUTION_NAMED = re.compile(
    rf"\b(?:St\.?\s+)?{_CAP}(?:['’]s)?(?:\s+{_CAP}(?:['’]s)?){{0,3}}\s+(?:Hospital|Infirmary|Medical\s+Cent(?:er|re)"
    r"|Health\s+Cent(?:er|re)|Clinic|Surgery|Practice|Hospice|Care\s+Home|Nursing\s+Home)\b"
)
_PLACE_WORDS = re.compile(rf"{_CAP}(?:[\s\-]+(?:(?:upon|on|under|de|la|le|sur|am|im)[\s\-]+)?{_CAP}){{0,3}}")
# Small named places people live in: "the Rosewood care home", "Oakwood Estate".
_INSTITUTION = re.compile(
    rf"\b{_CAP}(?:\s+{_CAP})?(?=\s+(?:[Cc]are [Hh]ome|[Nn]ursing [Hh]ome|[Rr]etirement [Hh]ome|[Rr]est [Hh]ome"
    r"|[Hh]ospice|[Tt]railer [Pp]ark|[Cc]aravan [Pp]ark|[Ff]arm|[Pp]rison)\b)"
)
_SWITCH_BEFORE = re.compile(
    r"\b(?:switched|switching|changed|changing|converted|weaned|transitioned)\s+$", re.IGNORECASE
)
_COUNTY = re.compile(rf"\b{_CAP}(?:\s+{_CAP})?\s+(?:County|Parish|Township|Borough|Village)\b")


def _not_place(word: str) -> bool:
    low = word.lower()
    return low in STOPWORDS or low in MONTHS or low in WEEKDAYS or low in EPONYMS


def find_addresses(text: str) -> list[PhiFinding]:
    found: list[PhiFinding] = []
    for pattern in (_NUMBERED, _PO_BOX, _COUNTY, _INSTITUTION):
        found += [PhiFinding(m.start(), m.end(), "address") for m in pattern.finditer(text)]
    for m in _INSTITUTION_NAMED.finditer(text):
        if not _not_place(m.group().split()[0]):
            found.append(PhiFinding(m.start(), m.end(), "address"))
    lists = name_lists()
    for m in _IN_UNKNOWN.finditer(text):
        place = m.group("p")
        if all(
            w.lower() not in lists.ordinary and not lists.is_name(w.lower()) and not _not_place(w)
            for w in re.split(r"[\s\-]", place)
        ):
            found.append(PhiFinding(m.start("p"), m.end("p"), "address"))
    for m in _NAMED.finditer(text):
        # "The Road to recovery", "Park" after a sentence start: the first word must not be ordinary.
        if _not_place(m.group().split()[0]):
            continue
        found.append(PhiFinding(m.start(), m.end(), "address"))
    found += [PhiFinding(m.start(1), m.end(1), "address") for m in _LOWER.finditer(text)]
    found += [PhiFinding(m.start(), m.end(), "address") for m in _POSTAL.finditer(text)]
    for m in _PLACE_CONTEXT.finditer(text):
        place = _PLACE_WORDS.match(text, m.end())
        if not place or _not_place(place.group().split()[0]):
            continue
        # After a bare "from", a person's name is as likely as a town ("a case from Mary Jones'
        # clinic"): leave known names to the name detector.
        if m.group().startswith("from") and name_lists().is_name(place.group().split()[0].lower()):
            continue
        # "switched from Humira to Stelara" is about drugs.
        if m.group().startswith("from") and _SWITCH_BEFORE.search(text, 0, m.start()):
            continue
        found.append(PhiFinding(place.start(), place.end(), "address"))
    return found
