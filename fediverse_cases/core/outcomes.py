"""The rules of a confirmed outcome, as pure functions: the final diagnosis, an optional code in
SNOMED CT or ICD-10 (entered by the clinician, checked for shape only — no terminology server),
Radiopaedia's certainty grades, how the diagnosis was confirmed, a short follow-up note.
Stdlib only."""

from __future__ import annotations

import re
from dataclasses import dataclass

DIAGNOSIS_MAX = 300
FOLLOW_UP_MAX = 1000
CERTAINTIES = {
    "possible": "Possible",
    "probable": "Probable",
    "almost_certain": "Almost certain",
    "certain": "Certain",
}
METHODS = {
    "histology": "Histology",
    "imaging": "Imaging",
    "clinical_course": "Clinical course",
    "other": "Other",
}
# Our stored name -> (label, the code system's IRI on the wire: FHIR's canonical system URIs).
CODE_SYSTEMS = {
    "snomed-ct": ("SNOMED CT", "http://snomed.info/sct"),
    "icd-10": ("ICD-10", "http://hl7.org/fhir/sid/icd-10"),
}
_CODE_SHAPES = {
    "snomed-ct": re.compile(r"^[1-9][0-9]{5,17}$"),  # SCTID: 6-18 digits
    "icd-10": re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$"),
}


@dataclass(frozen=True)
class OutcomeInput:
    diagnosis: str
    certainty: str
    method: str
    code: str = ""
    code_system: str = ""
    follow_up: str = ""

    def normalized(self) -> OutcomeInput:
        return OutcomeInput(
            diagnosis=" ".join(self.diagnosis.split()),
            certainty=self.certainty.strip(),
            method=self.method.strip(),
            code=self.code.strip().upper(),
            code_system=self.code_system.strip() if self.code.strip() else "",
            follow_up=self.follow_up.strip(),
        )


def check_outcome(outcome: OutcomeInput) -> dict[str, str]:
    """Errors per field (empty when the outcome may be recorded); ``outcome`` normalized first."""
    errors: dict[str, str] = {}
    if not outcome.diagnosis:
        errors["diagnosis"] = "Write the final diagnosis."
    elif len(outcome.diagnosis) > DIAGNOSIS_MAX:
        errors["diagnosis"] = f"At most {DIAGNOSIS_MAX} characters."
    if outcome.certainty not in CERTAINTIES:
        errors["certainty"] = "Choose how certain the diagnosis is."
    if outcome.method not in METHODS:
        errors["method"] = "Choose how the diagnosis was confirmed."
    if outcome.code:
        shape = _CODE_SHAPES.get(outcome.code_system)
        if shape is None:
            errors["code_system"] = "Choose the code system (SNOMED CT or ICD-10)."
        elif not shape.match(outcome.code):
            label = CODE_SYSTEMS[outcome.code_system][0]
            errors["code"] = f"This is not a {label} code."
    if len(outcome.follow_up) > FOLLOW_UP_MAX:
        errors["follow_up"] = f"At most {FOLLOW_UP_MAX} characters."
    return errors


def system_of_iri(iri: str) -> str:
    """Our name of a code system from its IRI; empty when it is not one we know."""
    return next((name for name, (_label, known) in CODE_SYSTEMS.items() if known == iri), "")
