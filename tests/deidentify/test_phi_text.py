"""The free-text identifier scanner: every Safe Harbor kind is found in prose, clinical language
is not flagged, and findings keep the contract (sorted, non-overlapping, end exclusive, kinds)."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from bench.text_corpus import confounder_samples, phi_samples
from fediverse_cases.deidentify import PhiFinding, scan_text
from fediverse_cases.deidentify.phi_text import KINDS


def found(text: str) -> list[tuple[str, str]]:
    return [(text[f.start : f.end], f.category) for f in scan_text(text)]


def test_reference_failure_comment_is_caught() -> None:
    text = "Reminds me of Mary Jones from ward 4, who lives on Elm Street"
    assert found(text) == [("Mary Jones", "name"), ("Elm Street", "address")]


@pytest.mark.parametrize(
    ("text", "span", "kind"),
    [
        # names, any culture, any case, with or without context
        ("his daughter Priya came with him", "Priya", "name"),
        ("saw mary jones again today", "mary jones", "name"),
        ("Mr John Smith attended", "Mr John Smith", "name"),
        ("reviewed by Dr. House", "Dr. House", "name"),
        ("the patient Jane Doe was", "Jane Doe", "name"),
        ("Kwame, a 45-year-old farmer, presented", "Kwame", "name"),
        ("Spoke with Siobhan O'Brien about it", "Siobhan O'Brien", "name"),
        ("Jean-Pierre Dubois had the same thing", "Jean-Pierre Dubois", "name"),
        ("Thanks Lucía, good call", "Lucía", "name"),
        ("Mr Parkinson was seen in clinic", "Mr Parkinson", "name"),
        ("OKAFOR, NGOZI  CT CHEST", "OKAFOR", "name"),
        # addresses and small places
        ("lives at 221B Baker Street now", "221B Baker Street", "address"),
        ("she lives on elm street near the school", "elm street", "address"),
        ("the family moved to Little Snoring last year", "Little Snoring", "address"),
        ("London NW1 6XE", "NW1 6XE", "address"),
        ("Boston, MA 02115", "Boston, MA 02115", "address"),
        ("write to PO Box 4411", "PO Box 4411", "address"),
        # dates in any format, month alone included
        ("born 03/14/1962, seen later", "03/14/1962", "date"),
        ("admitted 2019-03-12 overnight", "2019-03-12", "date"),
        ("on 14 March 2021 she", "14 March 2021", "date"),
        ("on March 14, 2021 she", "March 14, 2021", "date"),
        ("biopsy dated 12.03.2019 showed", "12.03.2019", "date"),
        ("Seen in March 2020, then lost", "March 2020", "date"),
        ("Follow-up in May showed regression", "May", "date"),
        ("reviewed on 5/12 in clinic", "5/12", "date"),
        ("label 14MAR2021 AXIAL", "14MAR2021", "date"),
        # ages over 89
        ("a 94-year-old woman", "94-year-old", "age"),
        ("the patient, aged 93, was", "aged 93", "age"),
        ("95M with chest pain", "95M", "age"),
        ("in her late 90s with dementia", "in her late 90s", "age"),
        ("a ninety-two-year-old man", "ninety-two-year-old", "age"),
        # phone and fax
        ("call (617) 555-0199 today", "(617) 555-0199", "phone"),
        ("Fax: +44 20 7946 0958", "+44 20 7946 0958", "phone"),
        ("ring 07700 900123 for results", "07700 900123", "phone"),
        ("colleague in Berlin: +49 30 27567549", "+49 30 27567549", "phone"),
        # internet
        ("mail john.doe@example.org now", "john.doe@example.org", "email"),
        ("see https://example.org/case/1 for", "https://example.org/case/1", "url"),
        ("photos at www.example.com/gallery", "www.example.com/gallery", "url"),
        ("PACS node 10.2.33.4 had them", "10.2.33.4", "ip"),
        ("uploaded from fe80::1ff:fe23:4567:890a overnight", "fe80::1ff:fe23:4567:890a", "ip"),
        # record, accession, insurance, licence, device, account numbers
        ("MRN: 12345678 on file", "12345678", "id"),
        ("medical record number 4455667", "4455667", "id"),
        ("SSN 123-45-6789", "123-45-6789", "id"),
        ("account no 99887766", "99887766", "id"),
        ("ref 123456789 in the chart", "123456789", "id"),
        ("Accession S21-04567: breast core", "S21-04567", "id"),
        ("NHS number 943 476 5919 on the form", "943 476 5919", "id"),
        ("pacemaker serial PX-55120933 recalled", "PX-55120933", "id"),
        ("licence no D1234567 in the photo", "D1234567", "id"),
        ("Serial: SN 4418 9920 11", "SN 4418 9920 11", "id"),
        ("Licence plate AB12 CDE in the crash photo", "AB12 CDE", "id"),
        ("Device UDI (01)00844588003288(17)141120 on the box", "(01)00844588003288(17)141120", "id"),
        ("Transferred from St. Jude's Hospital on the weekend", "St. Jude's Hospital", "address"),
        ("He drives a taxi in Tarrytown", "Tarrytown", "address"),
        ("Pager #4471 if urgent", "4471", "phone"),
        ("Injury on Sat 14th, seen Monday", "Sat 14th", "date"),
        ("Came in over Easter weekend", "Easter weekend", "date"),
        ("Now 99 and living independently", "99", "age"),
    ],
)
def test_scanner_flags_identifier(text: str, span: str, kind: str) -> None:
    assert (span, kind) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "3 cm mass in the LUL, 45-year-old man.",
        "T2 hyperintense lesion, no enhancement. CT 2019 was normal.",
        "MR Brain with contrast; L4-L5 and C5-6 disc bulges.",
        "Size 1.5 x 2.3 cm, Hb 12.5, BP 120/80, HR 88, dose 2.5 mg, 1:100 dilution, Ki-67 20%.",
        "Patient presented with pain. The 89-year-old was stable.",
        "Parkinson disease, Graves' disease, Crohn's, Hashimoto thyroiditis and Cushing syndrome.",
        "Bell's palsy after Guillain-Barré syndrome; her brother has Down syndrome.",
        "Alzheimer's dementia, Hodgkin lymphoma, Wolff-Parkinson-White syndrome, Stevens-Johnson syndrome.",
        "A Jones fracture, an aneurysm of the circle of Willis, Reed-Sternberg cells, Virchow's node.",
        "Started metformin 500 mg twice daily and Lasix 40 mg; on Keytruda and Tazocin for 10 days.",
        "Glasgow Coma Scale 14, Wells score 4, Child-Pugh B, CHA2DS2-VASc 3, Gleason 3+4=7, NYHA class III.",
        "Platelets 150,000, WBC 12.3, HbA1c 7.2%, eGFR 52, troponin 250 ng/L, INR 2.5, pH 7.31.",
        "BRCA1 c.5266dupC, BRAF V600E, CD20-positive, TNM T2N1M0, Candida albicans on culture.",
        "Symptoms for 3 weeks, over 6 months, since 2018; she may need surgery in 2 years.",
        "Plan 2 weeks of antibiotics, group 3 on the scale; lab 12 is closed; ref range 3.5-5.0.",
        "Endemic in Asia and Africa; switched from Humira to Stelara; On Entresto, Jardiance and bisoprolol.",
        "Wells 6, Weber B, Garden IV, CURB-65 of 3, KRAS G12C, Kayser-Fleischer rings, Fleischner guidelines.",
        "No Virchow node, no Sister Mary Joseph nodule; Argyll Robertson pupils; Harrison's sulcus.",
        "Consider tinea incognito; KOH prep would help.",
        "Looks like erythema multiforme",
        "A visible remark",
        "Classic case, thanks for sharing!",
    ],
)
def test_scanner_quiet_on_clinical_language(text: str) -> None:
    assert found(text) == []


def test_lower_case_pair_of_ordinary_words_is_not_a_name() -> None:
    # "will" and "mark" are in the name lists, but together they are English.
    assert found("we will mark the margins") == []


def test_findings_are_sorted_non_overlapping_spans_of_contract_kinds() -> None:
    text = "Mr John Smith, MRN 12345678, DOB 03/14/1962, tel (617) 555-0199, 22 Elm Street"
    findings = scan_text(text)
    assert [f.category for f in findings] == ["name", "id", "date", "phone", "address"]
    assert all(isinstance(f, PhiFinding) and f.category in KINDS for f in findings)
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))
    assert all(text[f.start].isalnum() or text[f.start] in "(+" for f in findings)


def test_generated_corpus_recall_per_kind() -> None:
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for sample in phi_samples(seed=3, per_template=5):
        findings = scan_text(sample.text)
        for start, end, kind in sample.spans:
            total[kind] += 1
            marked = {i for f in findings for i in range(f.start, f.end)}
            if all(i in marked for i in range(start, end) if sample.text[i].isalnum()):
                caught[kind] += 1
    assert set(total) == set(KINDS) - {"other"}
    assert {kind: caught[kind] / total[kind] for kind in total} == {kind: 1.0 for kind in total}


def test_generated_confounders_are_not_flagged() -> None:
    flagged = [s.text for s in confounder_samples(seed=5, count=150) if scan_text(s.text)]
    assert flagged == []
