"""The patient's public withdrawal page, as use cases: open a case with its withdrawal code (and
the configured second check), report where it went and what each peer did, withdraw it.

Nothing here tells a wrong code from a wrong check: one refusal for both. Every try is counted
per client address and per code (``AppState.withdrawal_limiter``) and written to the audit log;
the code itself is never logged. The report shows only what the patient needs: the hospital,
the consent date and audience, and which peer hospitals hold a copy, never the case's content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core import withdrawal_codes
from fediverse_cases.core.case_access import CaseState
from fediverse_cases.federation.erasure import ErasureRow, erasure_report
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.services.withdraw import withdraw_consent
from fediverse_cases.storage.models import Case
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories.audit import record

OPERATOR_LABEL = "patient-withdrawal-page"


@dataclass(frozen=True)
class Attempt:
    """What a try on the page came to: the case it opened, or nothing (and whether rate-limited).

    A value, not an exception: the audit entry of a refused try must be committed too."""

    case_id: int | None
    limited: bool = False


def operator(ip: str) -> Operator:
    """The anonymous patient (or whoever acts for them) as the audit log names them."""
    return Operator(None, OPERATOR_LABEL, ip)


@dataclass(frozen=True)
class PatientReport:
    hospital: str
    consent_date: date
    audience: str
    withdrawn: bool
    withdrawn_at: datetime | None
    peers: list[ErasureRow]

    @property
    def all_erased(self) -> bool:
        return self.withdrawn and all(row.erased for row in self.peers)


async def open_case(
    db: AsyncSession, state: AppState, code_text: str, check_text: str, who: Operator
) -> Attempt:
    """The case when code and check match; counted by the limiter and audited either way."""
    settings = state.settings
    code = withdrawal_codes.normalize(code_text)
    digest = withdrawal_codes.code_digest(settings.session_secret, code) if code else ""
    limit = settings.withdrawal.attempts
    limiter = state.withdrawal_limiter
    allowed = limiter.count(f"withdraw-ip:{who.ip}", limit).allowed
    if digest:
        # Per code too, so a botnet spreading guesses over many addresses cannot test DOBs.
        allowed = limiter.count(f"withdraw-code:{digest}", limit).allowed and allowed
    if not allowed:
        record(db, who.entry("withdrawal_page.limited", target_type="withdrawal_code"))
        return Attempt(None, limited=True)
    consent = await case_repo.get_consent_by_code_hash(db, digest)
    code_ok = consent is not None and withdrawal_codes.same(consent.withdrawal_code_hash, digest)
    check_ok = _check_matches(
        state, consent.check_salt if consent else "", consent.check_hash if consent else "", check_text
    )
    case_id = consent.case_id if consent is not None and code_ok else None
    ok = code_ok and check_ok
    record(
        db,
        who.entry(
            "withdrawal_page.open",
            target_type="case" if case_id else "withdrawal_code",
            case_id=case_id,
            # Whether the code matched is for the hospital's investigation; the page never says.
            details={"result": "opened" if ok else "refused", "code_matched": bool(case_id)},
        ),
    )
    return Attempt(case_id if ok else None)


def _check_matches(state: AppState, salt: str, stored: str, answer: str) -> bool:
    if state.settings.withdrawal.check == "none":
        return True
    try:
        given = date.fromisoformat(answer.strip()).isoformat()
    except ValueError:
        given = ""
    # Always compute the digest, so a missing consent costs the same time as a wrong date.
    computed = withdrawal_codes.check_digest(state.settings.session_secret, salt, given)
    return bool(given) and withdrawal_codes.same(stored, computed)


async def report(db: AsyncSession, state: AppState, case_id: int, who: Operator) -> PatientReport | None:
    """What the patient sees of their case (audited: each look is a use of the code)."""
    case = await db.get(Case, case_id)
    consent = await case_repo.get_consent(db, case_id)
    if case is None or consent is None:
        return None
    record(db, who.entry("withdrawal_page.view", target_type="case", case_id=case_id))
    rows = await erasure_report(db, case)
    return PatientReport(
        hospital=state.settings.instance.name,
        consent_date=consent.consent_date,
        audience=consent.audience,
        withdrawn=case.state == CaseState.WITHDRAWN,
        withdrawn_at=case.withdrawn_at,
        peers=rows,
    )


async def withdraw(db: AsyncSession, state: AppState, case_id: int, who: Operator) -> bool:
    """Withdraw the case (purge here, Delete to every peer); False when it already was."""
    case = await db.get(Case, case_id)
    if case is None or case.state == CaseState.WITHDRAWN:
        return False
    await withdraw_consent(db, state, case, who)
    return True
