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


# Hand-written comments and captions, phrased unlike the templates above and written before the
# scanner was scored on them: the held-out check. "[kind:text]" marks an identifier.
HELD_OUT = (
    "Had a similar one last year, [name:Mrs Okonkwo] in bed 12, same distribution of the rash.",
    "@dr_lee this is the lady whose husband [name:Tadeusz] brought her in on [date:Boxing Day].",
    "pt [name:ahmed hassan] re-presented, asked for [name:Dr Varga] by name",
    "Her granddaughter [name:Saoirse] took the photo on her phone.",
    "Remember [name:Big Tony] from the [address:Rosewood] care home? Same thing.",
    "Forwarded by [name:Ana-Maria Popescu], ST4, who first spotted the sign.",
    "[name:Kenji Watanabe] (48) — recurrent syncope, normal echo.",
    "Photo courtesy of [name:J. Alvarez].",
    "Seen with [name:Nurse Bernadette] on the night shift.",
    "Mum ([name:Chidinma]) says the swelling started after the fall.",
    "Discussed at MDT with [name:Prof. Lindgren] and [name:Dr Adebayo].",
    "Reply to [name:Sophie]: yes, biopsy confirmed it.",
    "The twins, [name:Amara] and [name:Zuri], both have the lesion.",
    "[name:Wojciech] told me he works nights at the depot.",
    "He lives with his partner [name:Dominic] above the bakery.",
    "Lives at [address:14 Acacia Avenue], [address:Cheadle].",
    "Address on the request form: [address:Flat 3, 27 Marsh Lane], [address:Leeds] [address:LS6 2QT].",
    "She farms near [address:Ballybunion] and keeps sheep.",
    "Brought in from the [address:Oakwood Estate] by ambulance.",
    "Home: [address:1600 Pennsylvania Ave NW], [address:Washington, DC 20500].",
    "Patient is from [address:Tromsø], visiting family.",
    "Fell on [address:Hope Street] outside the pharmacy.",
    "Lives on [address:rue des Lilas] in the 19th.",
    "Admitted [date:3rd Feb 2023], discharged [date:Feb 10].",
    "Onset [date:mid-July]; rash gone by [date:August 2nd].",
    "Scanned [date:2021/11/05] at 14:32.",
    "DOB: [date:7-Jan-1950]",
    "Last seen [date:Tuesday 4 April].",
    "Bloods from [date:01/02/24] attached.",
    "Died [date:29.02.2020] at home.",
    "Surgery planned for [date:next Monday the 12th].",
    "Operated on [date:Christmas Eve].",
    "Referral letter dated [date:Sept 9, 2022].",
    "Grandmother, [age:ninety-four], still gardening.",
    "A [age:101 y/o] man with a hip fracture.",
    "[age:Aged 97], lives alone.",
    "She's [age:92] and sharp as a tack.",
    "Age: [age:96]",
    "Centenarian ([age:100 years old]) with a new murmur.",
    "Contact the daughter on [phone:0161 496 0123].",
    "Pager [phone:#4471] if urgent.",
    "Mobile [phone:+353 87 123 4567].",
    "Tel. [phone:(02) 9876 5432] (Sydney office).",
    "Call [phone:1-800-555-0199] for the helpline.",
    "Fax to [phone:617.555.0143].",
    "Email me at [email:a.kowalczyk@uhb.example.ac.uk].",
    "Write to [email:radiology-team@example.hospital.org] with the case number.",
    "Photos on [url:https://drive.example.com/d/1AbCdEf] (ask for access).",
    "Full record at [url:http://10.1.2.3/pacs/viewer?study=889] for local users.",
    "Found the same case on [url:example-rare-diseases.org/case/4411].",
    "Workstation IP [ip:172.16.254.1] exported the series.",
    "Logged from [ip:2001:db8:85a3::8a2e:370:7334].",
    "Hospital no. [id:K1203398]",
    "MRN# [id:000-44-5566]",
    "Study accession [id:ACC2023-118845].",
    "Medicare number [id:2123 45670 1].",
    "Insurance policy [id:HMO-55-8812-03].",
    "Hearing aid serial no. [id:HA77120933].",
    "Licence plate [id:AB12 CDE] in the crash photo.",
    "Account [id:#00981234] billed twice.",
    "Specimen [id:SP-23-0099812] sent to histology.",
    "Her social is [id:078-05-1120].",
    "Device UDI [id:(01)00844588003288(17)141120] on the box.",
)

HELD_OUT_CONFOUNDERS = (
    "Classic Kayser-Fleischer rings in Wilson disease.",
    "Positive Tinel and Phalen tests; carpal tunnel release planned.",
    "Looks like Henoch-Schönlein purpura to me.",
    "Could this be Sweet syndrome or pyoderma gangrenosum?",
    "Hutchinson sign positive: nasociliary involvement in zoster.",
    "Koebner phenomenon along the scratch marks.",
    "Felty syndrome with splenomegaly and neutropenia.",
    "Trousseau sign positive, Chvostek negative; calcium 1.8 mmol/L.",
    "Kerley B lines and bat-wing oedema on the CXR.",
    "Started Eliquis 5 mg BD, stopped Xarelto.",
    "Ozempic 0.5 mg weekly for 6 months, weight down 8 kg.",
    "Switched from Humira to Stelara after 2 years.",
    "On Entresto, Jardiance and bisoprolol 2.5 mg.",
    "Gave Solu-Medrol 1 g then Benadryl.",
    "Wells 6, PERC positive, D-dimer 2.3; CTPA showed a saddle embolus.",
    "CURB-65 of 3, qSOFA 2; started co-amoxiclav and clarithromycin.",
    "HAS-BLED 2, CHA2DS2-VASc 5.",
    "Ottawa ankle rules negative, no X-ray needed.",
    "Salter-Harris II fracture of the distal radius.",
    "Weber B ankle fracture with medial clear space widening.",
    "Garden IV subcapital fracture, for hemiarthroplasty.",
    "Fontaine IIb claudication at 100 m.",
    "Forrest Ib ulcer, clipped.",
    "Breslow 2.1 mm, Clark level IV.",
    "Spetzler-Martin grade III AVM.",
    "Hb 7.9, MCV 68, ferritin 4, transferrin saturation 6%.",
    "Na 118, K 5.9, urea 21, creatinine 310.",
    "Tn 45 -> 1200 ng/L over 3 h.",
    "pO2 8.1 kPa, pCO2 6.9, HCO3 31, BE +6.",
    "Lactate 4.2 at 02:00, 1.9 by 06:00.",
    "CD4 count 180 cells/µL, viral load 45,000 copies/mL.",
    "An 88-year-old woman with a fall.",
    "A 6-week-old infant with bilious vomiting.",
    "A 34-year-old G2P1 at 32+4 weeks.",
    "Man in his 70s with painless jaundice.",
    "Teenager with a 2-day history of fever.",
    "Symptoms for 18 months, worse over the last 3 weeks.",
    "Smoked 40 pack-years, quit in 2015.",
    "Diagnosed in 1998, relapsed in 2004 and 2019.",
    "Amoxicillin 500 mg TDS for 7 days.",
    "Methotrexate 15 mg weekly plus folic acid 5 mg.",
    "Insulin 10 units at night, titrate by 2 units every 3 days.",
    "Lesion 4.5 x 3.2 x 2.8 cm, SUVmax 11.4.",
    "EF 35%, LVEDD 62 mm, TAPSE 14 mm.",
    "Pathology: ER 8/8, PR 6/8, HER2 1+, Ki-67 30%.",
    "PD-L1 TPS 60%, EGFR wild type, ALK negative, KRAS G12C.",
    "Scored 26/30 on the MoCA, 9/10 on the AMTS.",
    "Follow-up MRI in 3 months, then yearly.",
    "Review in clinic in 6 weeks with repeat bloods.",
    "ECG: sinus rhythm 72 bpm, QTc 480 ms.",
    "Morning stiffness over 1 hour, MCP and PIP joints.",
    "No Virchow node, no Sister Mary Joseph nodule.",
    "Pouch of Douglas free fluid on ultrasound.",
    "Negative Murphy sign, positive Rovsing.",
    "Thanks all, great discussion!",
    "Agree with the above - would biopsy.",
    "What a great teaching case.",
    "Anyone seen this pattern before?",
    "Beautiful images, thank you for sharing.",
    "Same here, we had one in the spring.",
)


# A second hand-written set, written after the scanner was tuned on everything above and scored
# once, untouched since: the numbers bench/scan_text.py reports for it are the honest ones.
FRESH = (
    "Anyone remember [name:Gustavo Pereira]? He had the identical skin changes in 2019.",
    "Pic sent by the patient's wife [name:Hiroko].",
    "I think [name:Dr Mbeki] at the Royal saw this too.",
    "[name:Eleanor Vance], 67, widowed, ex-smoker.",
    "This is [name:olga petrova]'s knee again, post-op day 5.",
    "Thanks to [name:Rahul] and [name:Deepa] for the images.",
    "Consent from her guardian, [name:Mr. Tobias Klein], on file.",
    "The referring GP, [name:Dr. Fionnuala Byrne], asked for our view.",
    "[name:KOWALCZYK, ANNA] - AP PELVIS",
    "[name:Bartholomew] brought his own notes, bless him.",
    "Looks like what [name:Tamsin Reyes] presented at grand rounds.",
    "Our porter [name:Dev] found her on the floor.",
    "He drives a taxi in [address:Croydon].",
    "Found wandering near [address:Kings Cross Station].",
    "Lives at [address:88 Sycamore Drive], [address:Bozeman, MT 59715].",
    "Holiday in [address:Lanzarote] before symptoms started.",
    "Transferred from [address:St. Jude's Hospital] on the weekend.",
    "Works at the [address:Hartley Road] garage.",
    "His flat on [address:Canal Street] had no heating.",
    "Postcode [address:B15 2TT].",
    "Born [date:12 June 1931].",
    "Symptoms began on [date:the 3rd of October].",
    "Injury on [date:Sat 14th], seen [date:Monday].",
    "CT [date:04/05/2022] vs MRI [date:06/06/2022].",
    "Came in over [date:Easter weekend].",
    "Procedure date [date:2020.08.17].",
    "Died in [date:Nov. 2021] of pneumonia.",
    "Was well until [date:late September].",
    "[age:93yo] female, fall at home.",
    "Lovely [age:ninety-one year old] gentleman.",
    "Patient aged [age:104]!",
    "Now [age:99] and living independently.",
    "A woman in her [age:mid nineties] with delirium.",
    "Reach me on [phone:07911 123456].",
    "Clinic line [phone:+1 (415) 555-2671].",
    "Daughter: [phone:020-8123-4567].",
    "ext. [phone:4012] after 5pm",
    "[email:j.smith1984@gmail.com] is her personal email.",
    "Video: [url:https://youtu.be/dQw4w9WgXcQ]",
    "More pictures at [url:bit.ly/3xYzAbc].",
    "Uploaded from [ip:192.168.0.12] at 2 am.",
    "Hospital number [id:RX4-778-220].",
    "NHS no: [id:485 777 3456]",
    "Unit no. [id:M0556123]",
    "Policy number [id:ZX-9001-44-B] with the insurer.",
    "Pathology ref [id:H23/04511].",
    "Serial: [id:SN 4418 9920 11]",
    "Passport [id:533380006] in the scanned form.",
    "Medical licence [id:MD-44102] of the referring doctor.",
)

FRESH_CONFOUNDERS = (
    "Classic Argyll Robertson pupils: accommodates but does not react.",
    "Homans sign is unreliable, get a Doppler.",
    "Austin Flint murmur in severe AR.",
    "Lhermitte sign on neck flexion, think MS.",
    "Positive Romberg with loss of proprioception.",
    "Mallory-Weiss tear on OGD, no active bleeding.",
    "Epstein-Barr virus serology positive; Monospot negative.",
    "Sister Mary Joseph nodule at the umbilicus.",
    "Janeway lesions and Osler nodes with a new murmur.",
    "Kussmaul breathing with a pH of 7.05.",
    "Cheyne-Stokes respiration overnight.",
    "Harrison's sulcus on chest inspection.",
    "Started Keflex 500 mg QDS, then Zithromax.",
    "Metoprolol switched to Coreg; Lipitor continued.",
    "Gave Narcan 400 mcg, good response.",
    "Zofran 4 mg and Buscopan 20 mg IV.",
    "On Tecfidera, previously Copaxone for 5 years.",
    "Apgar 8 and 9, birth weight 3.2 kg.",
    "Bishop score 7, ARM performed.",
    "Glasgow-Blatchford score 12.",
    "Geneva score intermediate, Caprini 5.",
    "PHQ-9 of 18, GAD-7 of 14.",
    "Modified Ashworth 2 in the left elbow flexors.",
    "Lund and Browder chart: 18% TBSA.",
    "Urine output 0.3 mL/kg/h over 6 h.",
    "Albumin 28, bilirubin 54, ALP 410, GGT 600.",
    "Vit D 18 nmol/L, PTH 12.1 pmol/L.",
    "Blood cultures grew Staph aureus in 2/2 bottles.",
    "Grade 3 hypertension, 180/110 on repeat.",
    "An 85-year-old man, lives with wife.",
    "A 72 yo with a 3-day history of melaena.",
    "Teen aged 16 with recurrent syncope.",
    "Onset 2 weeks ago, worse at night.",
    "Diagnosed 2011; in remission since 2014.",
    "Prednisolone 40 mg for 5 days then taper by 5 mg weekly.",
    "Nodule measured 9 mm, Fleischner guidelines apply.",
    "LI-RADS 5 lesion, 2.4 cm, arterial hyperenhancement.",
    "Reviewed by the Hospital at Night team.",
    "Would treat as per NICE guidance.",
    "Beautiful example of a Monteggia fracture-dislocation.",
)


# A third hand-written set, written after every fix above and never tuned on: the scanner's score
# on it in the commit that added it is the unbiased one.
SET_C = (
    "Case courtesy of [name:Dr. Ines Carvalho], who asked me to post it.",
    "[name:mrs patel] from the diabetes clinic had the same necrobiosis.",
    "I reviewed this with [name:Yaw Boateng] (registrar) overnight.",
    "Her brother [name:Sanjay] donated the kidney.",
    "Shared with permission of [name:Miriam Goldberg]'s family.",
    "[name:Pham Thi Lan], 54, farmer, presented with haemoptysis.",
    "Spoke to [name:Father O'Malley], the hospital chaplain, about the family's wishes.",
    "Photo from [name:Greta]'s ward round.",
    "[name:Lars] says the rash itches at night.",
    "As [name:Prof Achterberg] taught us: always check the feet.",
    "Resident of [address:Puddletown] for 40 years.",
    "Works on a farm outside [address:Ennis].",
    "Seen at [address:Whittington Health Centre] first.",
    "His address is [address:5 Rowan Court], [address:Penrith] [address:CA11 7AB].",
    "She lives on [address:Kingfisher Way].",
    "Came down from [address:Inverness] for the operation.",
    "[address:Apt 12B, 300 W 57th St], [address:New York, NY 10019] on the letter.",
    "Admitted [date:5 Jan], discharged [date:9 Jan].",
    "Photo taken [date:2023-06-30].",
    "First symptoms [date:around Valentine's Day].",
    "MRI on [date:Jan 3rd] was clear.",
    "Letter dated [date:21/11/2022].",
    "Seen [date:last Thursday] in A&E.",
    "Born in [date:August 1929].",
    "Lovely [age:93-yr-old] lady, still drives.",
    "He is [age:98] and on no medications.",
    "[age:Ninety-six years] young and walking daily.",
    "A man aged [age:91 years] with urinary retention.",
    "Ward phone [phone:0117 496 0999].",
    "Text me: [phone:+61 412 345 678].",
    "Bleep [phone:2231] for the on-call reg.",
    "Contact: [email:dr.sato@clinic.example.jp]",
    "Slides uploaded to [url:https://pathology.example.org/slide/55123].",
    "Admin console at [ip:10.0.12.7].",
    "MRN [id:A00912345]",
    "Hosp no. [id:RJ7 4456112]",
    "Insurance member ID [id:W229847731].",
    "Accession no. [id:CT-2023-004417]",
    "Implant lot [id:LOT 77812A] on the sticker.",
    "DEA number [id:BK1234563] on the prescription.",
)

SET_C_CONFOUNDERS = (
    "Lambert-Eaton myasthenic syndrome with small cell lung cancer.",
    "Todd's paresis after the seizure, resolved in 12 hours.",
    "Pemberton sign positive with a large goitre.",
    "Cullen and Grey Turner signs in pancreatitis.",
    "Ludwig angina needing airway management.",
    "Beck triad: hypotension, raised JVP, muffled heart sounds.",
    "Duchenne muscular dystrophy, Gowers sign present.",
    "Bence Jones protein in the urine.",
    "Charcot foot with rocker-bottom deformity.",
    "Boerhaave syndrome after forceful vomiting.",
    "Levels: Hb 102, WCC 15.2, neuts 12.1, CRP 210.",
    "K 6.8 with peaked T waves; calcium gluconate 10 mL given.",
    "GCS 15, pupils 3 mm equal and reactive.",
    "Apixaban 5 mg BD, bisoprolol 2.5 mg OD, ramipril 5 mg OD.",
    "Started Tagrisso; previously on Iressa for 14 months.",
    "Augmentin 625 mg TDS for 5 days.",
    "A 45-year-old man, a 60-year-old woman and an 8-month-old infant.",
    "Smoker since 1990, 30 pack-years.",
    "Symptoms for 4 months; CT in 2020 and 2022 unchanged.",
    "MMSE 27/30, clock drawing normal.",
    "Gleason 4+3=7, ISUP grade group 3, PSA 14.",
    "Rockall 6, transfused 2 units.",
    "EGFR exon 19 deletion, PD-L1 80%.",
    "Nice images - thanks for sharing.",
    "Great case, I learnt a lot.",
    "Would you consider a trial of steroids?",
    "Agree, classic appearance on MRI.",
    "Took 3 attempts to get the line in.",
    "Dose reduced to 50% for grade 3 neutropenia.",
    "Repeat echo in 6 weeks; target INR 2-3.",
)


def _parse_marked(line: str) -> Sample:
    text, spans, i = "", [], 0
    while i < len(line):
        if line[i] == "[" and ":" in line[i:] and line.find("]", i) > i:
            close = line.index("]", i)
            kind, _, value = line[i + 1 : close].partition(":")
            spans.append((len(text), len(text) + len(value), kind))
            text += value
            i = close + 1
        else:
            text += line[i]
            i += 1
    return Sample(text, tuple(spans))


def held_out_samples() -> list[Sample]:
    """The hand-written comments with identifiers, then those without."""
    return [_parse_marked(line) for line in HELD_OUT]


def held_out_confounders() -> list[Sample]:
    return [Sample(text) for text in HELD_OUT_CONFOUNDERS]


def fresh_samples() -> list[Sample]:
    return [_parse_marked(line) for line in FRESH]


def fresh_confounders() -> list[Sample]:
    return [Sample(text) for text in FRESH_CONFOUNDERS]


def set_c_samples() -> list[Sample]:
    return [_parse_marked(line) for line in SET_C]


def set_c_confounders() -> list[Sample]:
    return [Sample(text) for text in SET_C_CONFOUNDERS]
