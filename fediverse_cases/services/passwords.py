"""Password hashing with argon2id (argon2-cffi), with constant work for unknown users."""

from __future__ import annotations

from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass
class Passwords:
    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    _dummy_hash: str = ""

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; with no hash, spends the same time and says False.

        Hashing against a dummy for unknown usernames keeps response times equal, so timing
        does not reveal which usernames exist.
        """
        if not password_hash:
            if not self._dummy_hash:
                self._dummy_hash = self.hasher.hash("not-a-real-password")
            password_hash, password = self._dummy_hash, password + "\x00"
        try:
            return self.hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
