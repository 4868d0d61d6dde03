"""The seeded list of medical specialties offered as case tags, and the rules for free tags.

Stdlib only. A tag is stored lowercased without a leading ``#``; specialty tags use the slug
listed here so that feeds and search can group cases by specialty across instances.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPECIALTIES: tuple[tuple[str, str], ...] = (
    ("anesthesiology", "Anesthesiology"),
    ("cardiology", "Cardiology"),
    ("dermatology", "Dermatology"),
    ("emergencymedicine", "Emergency medicine"),
    ("endocrinology", "Endocrinology"),
    ("gastroenterology", "Gastroenterology"),
    ("generalsurgery", "General surgery"),
    ("hematology", "Hematology"),
    ("infectiousdisease", "Infectious disease"),
    ("internalmedicine", "Internal medicine"),
    ("nephrology", "Nephrology"),
    ("neurology", "Neurology"),
    ("obstetrics", "Obstetrics and gynecology"),
    ("oncology", "Oncology"),
    ("ophthalmology", "Ophthalmology"),
    ("orthopedics", "Orthopedics"),
    ("otolaryngology", "Otolaryngology"),
    ("pathology", "Pathology"),
    ("pediatrics", "Pediatrics"),
    ("psychiatry", "Psychiatry"),
    ("pulmonology", "Pulmonology"),
    ("radiology", "Radiology"),
    ("rheumatology", "Rheumatology"),
    ("urology", "Urology"),
)
SPECIALTY_SLUGS = frozenset(slug for slug, _ in SPECIALTIES)
MAX_TAGS = 10
TAG_RE = re.compile(r"^[a-z0-9_]{2,40}$")


@dataclass(frozen=True)
class Tag:
    tag: str
    is_specialty: bool


class TagError(ValueError):
    """A free tag is malformed or there are too many tags; the message says which."""


def specialty_label(slug: str) -> str:
    return dict(SPECIALTIES).get(slug, slug)


# A hashtag in running text: "#" after a start or a space, then a tag's characters (Mastodon's
# rule, narrowed to our tag alphabet); "C#" or "#1" are not tags.
HASHTAG_IN_TEXT = re.compile(r"(?:^|(?<=\s))#([A-Za-z0-9_]*[A-Za-z_][A-Za-z0-9_]*)")


def hashtags_in(text: str) -> list[str]:
    """The valid hashtags written in a caption or status, lower-cased, in order, once each."""
    found = [word.lower() for word in HASHTAG_IN_TEXT.findall(text)]
    return [word for word in dict.fromkeys(found) if TAG_RE.match(word)]


def parse_tags(specialties: list[str], free_text: str) -> list[Tag]:
    """Chosen specialty slugs plus free tags ("#rare, skin_lesion keloid") as one ordered list."""
    tags: dict[str, Tag] = {}
    for slug in specialties:
        slug = slug.strip().lower()
        if slug not in SPECIALTY_SLUGS:
            raise TagError(f"unknown specialty {slug!r}")
        tags[slug] = Tag(slug, True)
    for word in re.split(r"[\s,]+", free_text.strip()):
        word = word.strip().lstrip("#").lower()
        if not word:
            continue
        if not TAG_RE.match(word):
            raise TagError(f"tag {word!r}: use 2-40 letters, digits or underscores")
        tags.setdefault(word, Tag(word, word in SPECIALTY_SLUGS))
    if len(tags) > MAX_TAGS:
        raise TagError(f"at most {MAX_TAGS} tags per case")
    return list(tags.values())
