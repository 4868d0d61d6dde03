"""The one way a single sign-on is refused: an audit reason code and a message for the person."""

from __future__ import annotations


class SignInRefused(Exception):
    """``reason`` is the audit log's code (e.g. "wrong_issuer"); ``message`` is shown on the page."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
