"""Password hashing with argon2id (argon2-cffi), with constant work for unknown users.

Parameters, chosen for the target hardware (2-core virtual machines that also run the
database and the de-identification models): OWASP's argon2id recommendation of 19 MiB of
memory, 2 passes, 1 lane. One verification then takes about 40 ms on those machines and sign-in
stays well under 300 ms even under load (``bench/signin.py``). argon2-cffi's own default (RFC
9106's 64 MiB, 3 passes, 4 lanes) measured about 500 ms per verification there: 4 lanes on 2
cores queue behind each other, and a busy hospital morning queues sign-ins behind that.
Hashes made with other parameters keep verifying (the parameters are in the hash) and are
replaced on the next successful sign-in (``needs_rehash``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1


def default_hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM)


@dataclass
class Passwords:
    hasher: PasswordHasher = field(default_factory=default_hasher)
    _dummy_hash: str = ""

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def needs_rehash(self, password_hash: str) -> bool:
        """True when ``password_hash`` was made with other parameters than ours."""
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True

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
