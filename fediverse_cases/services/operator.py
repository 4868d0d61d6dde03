"""Who is acting: the person or process every service call and audit entry is attributed to."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from fediverse_cases.storage.repositories.audit import AuditEntry


@dataclass(frozen=True)
class Operator:
    account_id: int | None
    label: str
    ip: str = ""

    @classmethod
    def shell(cls) -> Operator:
        """An administrator at the server's shell (the `fediverse-cases` command)."""
        return cls(None, f"shell:{getpass.getuser()}")

    @classmethod
    def system(cls) -> Operator:
        return cls(None, "system")

    def entry(self, action: str, **fields: object) -> AuditEntry:
        return AuditEntry(
            action=action, actor_label=self.label, actor_account_id=self.account_id, ip=self.ip, **fields
        )  # type: ignore[arg-type]
