"""Printing the patient's consent form: a new withdrawal code is issued (only its hash is kept,
so every print replaces the code on earlier prints) and the PDF is rendered with it.

The code exists in clear only in the returned PDF; it is never logged or stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core import withdrawal_codes
from fediverse_cases.core.case_access import CaseState
from fediverse_cases.services import compose, consent_pdf
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Case
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories.audit import record

WITHDRAW_PATH = "/withdraw"


@dataclass(frozen=True)
class PrintedForm:
    pdf: bytes
    code: str


async def print_consent_form(
    db: AsyncSession, state: AppState, case: Case, date_of_birth: str, operator: Operator
) -> PrintedForm:
    """Issue a fresh withdrawal code for ``case`` and render its consent form.

    ``date_of_birth`` (ISO, may be empty to keep the one on file) is required when the
    withdrawal page checks it and none is stored yet.
    """
    if not case.is_local or case.state == CaseState.WITHDRAWN:
        raise CaseError("This case has no consent form to print.", status=409)
    consent = await case_repo.get_consent(db, case.id)
    if consent is None:
        raise CaseError(
            "Record the patient's consent (and the audience they agree to) first.",
            field_errors={"consent": "Record consent first."},
        )
    check = state.settings.withdrawal.check
    errors: dict[str, str] = {}
    if date_of_birth.strip():
        birth = compose.parse_date_of_birth(date_of_birth, errors)
        if birth is not None:
            consent.check_salt = withdrawal_codes.new_salt()
            consent.check_hash = withdrawal_codes.check_digest(
                state.settings.session_secret, consent.check_salt, birth.isoformat()
            )
    elif check == "date_of_birth" and not consent.check_hash:
        errors["consent_date_of_birth"] = (
            "Enter the patient's date of birth: the withdrawal page asks for it with the code."
        )
    if errors:
        raise CaseError("The consent form was not printed.", field_errors=errors)
    code = withdrawal_codes.new_code()
    consent.withdrawal_code_hash = withdrawal_codes.code_digest(
        state.settings.session_secret, withdrawal_codes.normalize(code) or ""
    )
    consent.withdrawal_code_issued_at = utcnow()
    await db.flush()
    record(
        db,
        operator.entry(
            "consent.form_printed",
            target_type="case",
            target_id=case.public_id,
            case_id=case.id,
            details={"audience": consent.audience, "check": check},
        ),
    )
    facts = consent_pdf.ConsentFormFacts(
        hospital=state.settings.instance.name,
        withdrawal_url=state.settings.instance.base_url + WITHDRAW_PATH,
        code=code,
        audience=consent.audience,
        check=check,
        reference=case.public_id,
        printed_on=date.today(),
    )
    return PrintedForm(consent_pdf.render(facts), code)
