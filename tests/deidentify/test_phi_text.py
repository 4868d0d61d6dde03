from __future__ import annotations

import itertools

import pytest

from fediverse_cases.deidentify import PhiFinding, scan_text


def found(text: str) -> list[tuple[str, str]]:
    return [(text[f.start : f.end], f.category) for f in scan_text(text)]


@pytest.mark.parametrize(
    ("text", "span", "category"),
    [
        ("MRN: 12345678 on file", "MRN: 12345678", "mrn"),
        ("medical record number 4455667", "medical record number 4455667", "mrn"),
        ("born 03/14/1962, seen later", "03/14/1962", "date"),
        ("admitted 2019-03-12 overnight", "2019-03-12", "date"),
        ("on 14 March 2021 she", "14 March 2021", "date"),
        ("on March 14, 2021 she", "March 14, 2021", "date"),
        ("call (617) 555-0199 today", "(617) 555-0199", "phone"),
        ("Fax: +44 20 7946 0958", "Fax: +44 20 7946 0958", "phone"),
        ("mail john.doe@example.org now", "john.doe@example.org", "email"),
        ("see https://example.org/case/1 for", "https://example.org/case/1", "url"),
        ("lives at 221B Baker Street now", "221B Baker Street", "address"),
        ("London NW1 6XE", "NW1 6XE", "postal_code"),
        ("Boston, MA 02115", "02115", "postal_code"),
        ("a 94-year-old woman", "94-year-old", "age_over_89"),
        ("the patient, aged 93, was", "aged 93", "age_over_89"),
        ("Mr John Smith attended", "Mr John Smith", "person_name"),
        ("reviewed by Dr. House", "Dr. House", "person_name"),
        ("the patient Jane Doe was", "patient Jane Doe", "person_name"),
        ("SSN 123-45-6789", "123-45-6789", "id_number"),
        ("account no 99887766", "account no 99887766", "id_number"),
        ("ref 123456789 in the chart", "123456789", "id_number"),
    ],
)
def test_scanner_flags_identifier(text: str, span: str, category: str) -> None:
    assert (span, category) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "3 cm mass in the LUL, 45-year-old man.",
        "T2 hyperintense lesion, no enhancement. CT 2019 was normal.",
        "MR Brain with contrast; L4-L5 and C5-6 disc bulges.",
        "Size 1.5 x 2.3 cm, Hb 12.5, BP 120/80, HR 88, dose 2.5 mg, 1:100 dilution, Ki-67 20%.",
        "Patient presented with pain. Seen in March 2020. The 89-year-old was stable.",
        "Follow-up in May showed regression; SUV max 4.2 on PET.",
    ],
)
def test_scanner_quiet_on_clinical_prose(text: str) -> None:
    assert scan_text(text) == []


def test_findings_are_sorted_non_overlapping_spans() -> None:
    text = "Mr John Smith, MRN 12345678, DOB 03/14/1962, tel (617) 555-0199, 22 Elm Street"
    findings = scan_text(text)
    assert [f.category for f in findings] == ["person_name", "mrn", "date", "phone", "address"]
    assert all(isinstance(f, PhiFinding) for f in findings)
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))
