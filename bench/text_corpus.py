"""Synthetic captions and comments with ground truth for the free-text identifier scanner
(used by bench/scan_text.py and tests/deidentify/test_phi_text.py).

Each sample is a text plus the spans a scanner must flag, with their kind. ``phi_samples`` makes
texts that hold one identifier in clinical context; ``confounder_samples`` makes texts with none,
built from the language that must not be flagged: eponyms, drugs, scores, lab values, doses,
durations, ages under 90 and years alone. Names come from many cultures and are hand-picked, not
drawn from the scanner's name lists. Deterministic for a given seed; nothing here is real data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

FIRST = (
    "Mary",
    "Priya",
    "Oluwaseun",
    "Wei",
    "Siobhan",
    "Jean-Pierre",
    "Mohammed",
    "Aiko",
    "Ngozi",
    "Sven",
    "Kofi",
    "Lucía",
    "Dmitri",
    "Thandiwe",
    "Yusuf",
    "Ravi",
    "Carmen",
    "Bogdan",
    "Fatima",
    "Kwame",
    "Maeve",
    "Anh",
    "Ines",
    "Grace",
    "Tomasz",
    "Hannah",
    "Javier",
    "Leilani",
    "Arjun",
    "Zainab",
)
LAST = (
    "Jones",
    "Raman",
    "Adeyemi",
    "Zhang",
    "O'Brien",
    "Dubois",
    "Al-Farsi",
    "Tanaka",
    "Okafor",
    "Lindqvist",
    "Mensah",
    "Fernández",
    "Volkov",
    "Nkosi",
    "Demir",
    "Patel",
    "Ruiz",
    "Kowalski",
    "Haddad",
    "Asante",
    "Gallagher",
    "Nguyen",
    "Moreau",
    "Schmidt",
    "Novak",
    "Rossi",
    "Kim",
    "Kahale",
    "Iyer",
    "Bello",
)
STREETS = ("Elm", "Maple", "Baker", "Church", "Station", "Victoria", "Mill", "Orchard", "Willow", "Chestnut")
SUFFIXES = ("Street", "Road", "Avenue", "Lane", "Drive", "Close", "Crescent")
TOWNS = (
    "Little Snoring",
    "Bexley",
    "Tarrytown",
    "Oakham",
    "Kilkenny",
    "Wagga Wagga",
    "Bray",
    "Ashby",
    "Hexham",
)

# (template, kind). "{x}" marks the identifier; other fields fill in around it.
_PHI: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("name", "Reminds me of {x} from ward 4, who had the same rash.", ("F L",)),
    ("name", "His daughter {x} noticed the lesion first.", ("F",)),
    ("name", "saw {x} again today, still on metformin", ("f l",)),
    ("name", "Mr {x} was reviewed in the TIA clinic.", ("L",)),
    ("name", "Dr. {x} kindly sent the slides for a second opinion.", ("L",)),
    ("name", "{x}, a 45-year-old teacher, presented with haematuria.", ("F",)),
    ("name", "Discussed the biopsy with her son {x} this morning.", ("F",)),
    ("name", "Label read {x} in the corner of the film.", ("L, F",)),
    ("name", "{x} CHEST PA", ("FU LU",)),
    ("name", "Spoke to {x} about the Parkinson disease diagnosis.", ("F L",)),
    ("name", "Thanks {x}, that looks like Bell's palsy to me too.", ("F",)),
    ("name", "Case from {x}'s clinic: Crohn's disease with perianal fistula.", ("F L",)),
    ("address", "Reminds me of a man who lives on {x} with the same rash.", ("S SFX",)),
    ("address", "Home address {x}, shown on the referral letter.", ("N S SFX",)),
    ("address", "she lives on {x} near the school", ("s sfx",)),
    ("address", "The family moved to {x} last year after the diagnosis.", ("T",)),
    ("address", "Referral from a GP practice in {x}.", ("TOWNZIP",)),
    ("address", "Return address {x}.", ("POBOX",)),
    ("address", "He grew up in {x} and worked on farms.", ("T",)),
    ("address", "UK postcode on the form: {x}.", ("UKPC",)),
    ("date", "Admitted on {x} with fever.", ("D Month YYYY",)),
    ("date", "DOB {x}, pre-existing diabetes.", ("MM/DD/YYYY",)),
    ("date", "CT performed {x} showed a 3 cm mass.", ("YYYY-MM-DD",)),
    ("date", "Surgery on {x} went well.", ("Month Dth",)),
    ("date", "Biopsy dated {x}: adenocarcinoma.", ("DD.MM.YYYY",)),
    ("date", "Symptoms started in {x} and progressed.", ("Month YYYY",)),
    ("date", "First seen in {x}, then lost to follow-up.", ("Month",)),
    ("date", "Scan label {x} AXIAL", ("DDMONYYYY",)),
    ("date", "Reviewed on {x} in clinic.", ("D/M",)),
    ("age", "A {x} woman with a hip fracture.", ("AGE-year-old",)),
    ("age", "The patient, {x}, was frail.", ("aged AGE",)),
    ("age", "{x} with chest pain and troponin rise.", ("AGE yo",)),
    ("age", "Presented in her {x} with dementia.", ("late 90s",)),
    ("age", "A {x} man, still independent.", ("ninety-two-year-old",)),
    ("phone", "Call me on {x} if it changes.", ("(NNN) 555-NNNN",)),
    ("phone", "Fax the report to {x} please.", ("+44 20 7946 NNNN",)),
    ("phone", "Ring the ward on {x} for results.", ("07700 900NNN",)),
    ("phone", "Family contact {x} (mobile).", ("555-NNN-NNNN",)),
    ("phone", "Berlin colleague: {x}.", ("+49 30 NNNNNNNN",)),
    ("email", "Send the images to {x} for review.", ("EMAIL",)),
    ("url", "Full history at {x} for those with access.", ("URL",)),
    ("url", "See {x} for the photos.", ("DOMAIN",)),
    ("ip", "PACS node {x} had the originals.", ("IPV4",)),
    ("ip", "Uploaded from {x} overnight.", ("IPV6",)),
    ("id", "MRN {x}, please check the old films.", ("NNNNNNNN",)),
    ("id", "Accession {x}: biopsy of the left breast.", ("S21-NNNNN",)),
    ("id", "NHS number {x} on the request.", ("NNN NNN NNNN",)),
    ("id", "Insurance ID {x} declined the claim.", ("XJHNNNNNNNNN",)),
    ("id", "Pacemaker serial {x} recalled.", ("PX-NNNNNNNN",)),
    ("id", "SSN {x} on the scanned form.", ("NNN-NN-NNNN",)),
    ("id", "Driver licence no {x} in the wallet photo.", ("DNNNNNNN",)),
    ("id", "Chart ref {x} from the old system.", ("NNNNNNNNN",)),
)

EPONYM_PHRASES = (
    "Parkinson disease",
    "Graves' disease",
    "Crohn's disease",
    "Hashimoto thyroiditis",
    "Cushing syndrome",
    "Bell's palsy",
    "Down syndrome",
    "Guillain-Barré syndrome",
    "Alzheimer's dementia",
    "Hodgkin lymphoma",
    "Kaposi sarcoma",
    "Wilson's disease",
    "Addison's disease",
    "Raynaud phenomenon",
    "Barrett's oesophagus",
    "Paget's disease of bone",
    "a Jones fracture",
    "a Colles fracture",
    "Stevens-Johnson syndrome",
    "Ramsay Hunt syndrome",
    "Budd-Chiari syndrome",
    "an aneurysm of the circle of Willis",
    "Meckel's diverticulum",
    "Horner syndrome",
    "Sjögren's syndrome",
    "Takayasu arteritis",
    "Wernicke encephalopathy",
    "Lyme disease",
    "Huntington's chorea",
    "a Baker's cyst",
    "Osgood-Schlatter disease",
    "Wolff-Parkinson-White syndrome",
    "Charcot-Marie-Tooth disease",
    "Ehlers-Danlos syndrome",
    "Reed-Sternberg cells",
    "Howell-Jolly bodies",
    "a positive Babinski sign",
    "a positive Murphy's sign",
    "Virchow's node",
    "Lewy body dementia",
    "Turner syndrome",
    "Marfan syndrome",
    "Kawasaki disease",
    "Hirschsprung disease",
    "Tetralogy of Fallot",
)
DRUGS = (
    "metformin",
    "warfarin",
    "apixaban",
    "Lasix",
    "furosemide",
    "levetiracetam",
    "Keppra",
    "prednisolone",
    "methotrexate",
    "adalimumab",
    "Humira",
    "infliximab",
    "amoxicillin",
    "co-amoxiclav",
    "atorvastatin",
    "levothyroxine",
    "carbimazole",
    "insulin glargine",
    "pembrolizumab",
    "Keytruda",
    "tamoxifen",
    "Herceptin",
    "rituximab",
    "ondansetron",
    "morphine",
    "paracetamol",
    "ibuprofen",
    "vancomycin",
    "Tazocin",
    "Augmentin",
)
SCORES = (
    "Glasgow Coma Scale 14",
    "GCS 13",
    "Wells score 4",
    "Child-Pugh B",
    "CHA2DS2-VASc 3",
    "NIHSS 8",
    "Gleason 3+4=7",
    "APGAR 9 at 5 minutes",
    "ECOG 1",
    "Karnofsky 70",
    "NYHA class III",
    "Mallampati II",
    "Bosniak IIF",
    "Breslow thickness 1.2 mm",
    "Fitzpatrick type IV",
    "modified Rankin 2",
    "MMSE 24/30",
    "Killip class I",
    "Hunt and Hess grade 2",
    "Ranson score 3",
    "BI-RADS 4",
    "TNM T2N1M0",
    "Ki-67 20%",
)
LABS = (
    "Hb 98 g/L",
    "WBC 12.3",
    "platelets 150,000",
    "CRP 45",
    "eGFR 52",
    "HbA1c 7.2%",
    "TSH 0.01",
    "troponin 250 ng/L",
    "Na 131",
    "BP 120/80",
    "HR 88",
    "SpO2 94% on room air",
    "INR 2.5",
    "PSA 12.5 ng/mL",
    "ferritin 15",
    "lactate 2.1",
    "pH 7.31",
    "ALT 340",
    "BNP 1200",
    "D-dimer 0.9",
)
DOSES = ("2.5 mg daily", "500 mg twice daily", "1 g IV", "40 mg", "5 mg/kg", "100 units", "1:100 dilution")
DURATIONS = ("for 3 weeks", "over 6 months", "for 2 years", "since childhood", "for 48 hours", "for 10 days")
PEOPLE = ("man", "woman", "boy", "girl", "patient", "farmer", "nurse", "teacher")
FINDINGS = (
    "a 3 cm mass in the LUL",
    "T2 hyperintense lesion in the left temporal lobe",
    "no enhancement",
    "bilateral hilar lymphadenopathy",
    "an L4-L5 disc bulge",
    "a C5-6 osteophyte",
    "ground-glass opacities",
    "a 1.5 x 2.3 cm nodule",
    "a BRCA1 c.5266dupC variant",
    "BRAF V600E",
    "CD20-positive cells",
    "Candida albicans on culture",
    "MRSA on the wound swab",
    "an ECG with ST elevation in V2-V4",
)


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    spans: tuple[tuple[int, int, str], ...] = field(default=())  # (start, end, kind)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _value(rng: random.Random, shape: str) -> str:
    f, last = rng.choice(FIRST), rng.choice(LAST)
    month = rng.choice(("January", "March", "June", "July", "September", "November", "December"))
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1940, 2024)
    age = rng.randint(90, 104)
    fixed = {
        "F L": f"{f} {last}",
        "F": f,
        "f l": f"{f.lower()} {last.lower()}",
        "L": last,
        "L, F": f"{last}, {f}",
        "FU LU": f"{f.upper()} {last.upper()}",
        "S SFX": f"{rng.choice(STREETS)} {rng.choice(SUFFIXES)}",
        "N S SFX": f"{rng.randint(1, 400)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}",
        "s sfx": f"{rng.choice(STREETS).lower()} {rng.choice(('street', 'road', 'lane'))}",
        "T": rng.choice(TOWNS),
        "TOWNZIP": f"{rng.choice(('Springfield', 'Salem', 'Dover', 'Auburn'))}, MA 0{_digits(rng, 4)}",
        "POBOX": f"PO Box {rng.randint(10, 9999)}",
        "UKPC": rng.choice(("SW1A 1AA", "EH8 9YL", "M13 9PL", "CB2 0QQ", "LS1 3EX")),
        "D Month YYYY": f"{d} {month} {y}",
        "MM/DD/YYYY": f"{m:02d}/{d:02d}/{y}",
        "YYYY-MM-DD": f"{y}-{m:02d}-{d:02d}",
        "Month Dth": f"{month} {d}th",
        "DD.MM.YYYY": f"{d:02d}.{m:02d}.{y}",
        "Month YYYY": f"{month} {y}",
        "Month": month,
        "DDMONYYYY": f"{d:02d}{month[:3].upper()}{y}",
        "D/M": f"{d}/{m}",
        "AGE-year-old": f"{age}-year-old",
        "aged AGE": f"aged {age}",
        "AGE yo": f"{age} yo",
        "late 90s": rng.choice(("late 90s", "early nineties", "mid-90s")),
        "ninety-two-year-old": rng.choice(("ninety-two-year-old", "ninety-five-year-old", "ninety year old")),
        "(NNN) 555-NNNN": f"({rng.randint(201, 989)}) 555-{_digits(rng, 4)}",
        "+44 20 7946 NNNN": f"+44 20 7946 {_digits(rng, 4)}",
        "07700 900NNN": f"07700 900{_digits(rng, 3)}",
        "555-NNN-NNNN": f"555-{rng.randint(100, 999)}-{_digits(rng, 4)}",
        "+49 30 NNNNNNNN": f"+49 30 {rng.randint(2, 9)}{_digits(rng, 7)}",
        "EMAIL": f"{f.lower().replace('-', '')}.{rng.choice(('k', 'm', 'r'))}{rng.randint(1, 99)}@{rng.choice(('example.org', 'hospital.nhs.uk', 'mail.example.com'))}",
        "URL": f"https://{rng.choice(('example.org', 'records.example.com'))}/patient/{_digits(rng, 6)}",
        "DOMAIN": rng.choice(("www.example.org/gallery", "photos.example.com", "example.net/case7")),
        "IPV4": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "IPV6": f"fe80::{rng.randint(4096, 65535):x}:{rng.randint(4096, 65535):x}",
        "NNNNNNNN": _digits(rng, 8),
        "S21-NNNNN": f"S{rng.randint(10, 24)}-{_digits(rng, 5)}",
        "NNN NNN NNNN": f"{rng.randint(400, 999)} {_digits(rng, 3)} {_digits(rng, 4)}",
        "XJHNNNNNNNNN": f"XJH{_digits(rng, 9)}",
        "PX-NNNNNNNN": f"PX-{_digits(rng, 8)}",
        "NNN-NN-NNNN": f"{rng.randint(100, 899)}-{_digits(rng, 2)}-{_digits(rng, 4)}",
        "DNNNNNNN": f"D{_digits(rng, 7)}",
        "NNNNNNNNN": _digits(rng, 9),
    }
    return fixed[shape]


def _clinical_clause(rng: random.Random) -> str:
    options = (
        lambda: f"Background of {rng.choice(EPONYM_PHRASES)}",
        lambda: f"on {rng.choice(DRUGS)} {rng.choice(DOSES)} {rng.choice(DURATIONS)}",
        lambda: f"{rng.choice(SCORES)}, {rng.choice(LABS)}",
        lambda: f"a {rng.randint(1, 89)}-year-old {rng.choice(PEOPLE)} with {rng.choice(FINDINGS)}",
        lambda: f"CT {rng.randint(1995, 2024)} showed {rng.choice(FINDINGS)}",
        lambda: f"{rng.choice(LABS)}; started {rng.choice(DRUGS)} {rng.choice(DOSES)}",
        lambda: f"Consistent with {rng.choice(EPONYM_PHRASES)}",
    )
    return rng.choice(options)()


def phi_samples(seed: int = 7, per_template: int = 20) -> list[Sample]:
    """Texts holding one identifier each, with some clinical language around it."""
    rng = random.Random(seed)
    samples: list[Sample] = []
    for kind, template, shapes in _PHI:
        for _ in range(per_template):
            value = _value(rng, rng.choice(shapes))
            head, tail = template.split("{x}")
            prefix = f"{_clinical_clause(rng)}. " if rng.random() < 0.5 else ""
            text = prefix + head + value + tail
            start = len(prefix) + len(head)
            if kind == "name" and ", " in value and value.count(" ") == 1:
                # "Jones, Mary": two name spans, the comma between them is not a name.
                surname = value.split(", ")[0]
                spans = (
                    (start, start + len(surname), kind),
                    (start + len(surname) + 2, start + len(value), kind),
                )
            else:
                spans = ((start, start + len(value), kind),)
            samples.append(Sample(text, spans))
    return samples


def confounder_samples(seed: int = 11, count: int = 400) -> list[Sample]:
    """Texts with no identifier at all, dense with clinical language that looks like one."""
    rng = random.Random(seed)
    samples = []
    for _ in range(count):
        clauses = [_clinical_clause(rng) for _ in range(rng.randint(1, 3))]
        samples.append(Sample(". ".join(c[0].upper() + c[1:] for c in clauses) + "."))
    return samples
