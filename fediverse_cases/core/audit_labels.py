"""Plain-language names for audit action codes, for the admin's audit page.

The codes themselves (``case.approve``, ``media.view_unpublished``) stay in the database and the
CSV export, where tools filter on them; people read the sentence. A code without an entry here
(a newer module's) is still shown readably, built from its parts, never as a bare code."""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    "account.register": "Account registered",
    "account.profile_update": "Profile updated",
    "account.role_change": "Role changed",
    "account.disable": "Account disabled",
    "account.enable": "Account enabled",
    "login.success": "Signed in",
    "login.failure": "Sign-in failed",
    "login.throttled": "Sign-in blocked after repeated failures",
    "login.sso.success": "Signed in with the hospital sign-in",
    "login.sso.failure": "Hospital sign-in failed",
    "sso.link": "Hospital sign-in linked to an account",
    "sso.role_change": "Role or verification changed by the hospital sign-in's groups",
    "verification.request": "Asked to be verified as a professional",
    "verification.approve": "Professional verification approved",
    "verification.reject": "Professional verification refused",
    "case.submit": "Case sent for review",
    "case.approve": "Case approved and published",
    "case.reject": "Case rejected",
    "case.changes": "Changes requested on a case",
    "case.edit": "Case edited",
    "case.edit_submit": "Case edit sent for review",
    "case.edit_reject": "Case edit refused",
    "case.audience": "Case audience changed",
    "case.view": "Unpublished case viewed",
    "case.flag": "Case flagged for a reviewer",
    "case.withdraw": "Case withdrawn (consent withdrawn)",
    "consent.form_printed": "Consent form printed",
    "comment.create": "Comment posted",
    "page.send": "Group paged about a case",
    "comment.edit": "Comment edited",
    "comment.delete": "Comment deleted",
    "comment.remove": "Comment removed by a reviewer",
    "comment.hold": "Comment held for a reviewer",
    "comment.approve": "Held comment approved",
    "comment.reject": "Held comment rejected",
    "flag.decide": "Flag decided",
    "media.view_unpublished": "Unpublished image viewed",
    "follow.remote": "Followed someone at another hospital",
    "unfollow.remote": "Unfollowed someone at another hospital",
    "follow.authorize": "Follow request accepted",
    "follow.reject": "Follow request refused",
    "oauth.authorize": "App authorised",
    "oauth.token_created": "App access token issued",
    "oauth.revoke": "App access revoked",
    "peer.allow": "Peer hospital allowed",
    "peer.block": "Peer hospital blocked",
    "peer.remove": "Peer hospital removed",
    "peer.vouch_actor": "Peer's professional claim accepted",
    "withdrawal_page.open": "Withdrawal page opened with a code",
    "withdrawal_page.view": "Withdrawal page viewed",
    "withdrawal_page.limited": "Withdrawal page attempts limited",
}


def describe_action(code: str) -> str:
    """The sentence for ``code``; an unknown code reads as "Area: what happened"."""
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    area, _, what = code.partition(".")
    area_words = area.replace("_", " ").strip().capitalize() or "Event"
    what_words = what.replace("_", " ").replace(".", " ").strip()
    return f"{area_words}: {what_words}" if what_words else area_words
