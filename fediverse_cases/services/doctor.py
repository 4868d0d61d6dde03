"""``fediverse-cases doctor``: check an instance's set-up and say what to fix.

Each check returns ``Finding`` values: "ok", "warn" (works, but not as it should in
production) or "fix" (broken; the message says what to do). Checks: the settings themselves,
the database connection and its migrations, the instance keys, the media and private folders,
the media serving mode (front proxy), and whether every allowed peer answers, fetched through
the federation transport so the allow-list and address checks are the ones deliveries use.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Literal

from alembic.script import ScriptDirectory
from cryptography.hazmat.primitives import serialization
from sqlalchemy import text

from fediverse_cases.federation.transport import TransportError
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import Settings
from fediverse_cases.storage.migrate import alembic_config
from fediverse_cases.storage.repositories import operations

EXAMPLE_SECRET = "CHANGE-ME-to-at-least-32-characters-of-random-text"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


Status = Literal["ok", "warn", "fix"]


@dataclass(frozen=True)
class Finding:
    status: Status
    topic: str
    message: str


def check_settings(settings: Settings) -> list[Finding]:
    findings = [Finding("ok", "settings", f"loaded {settings.config_path or '(environment only)'}")]
    if settings.session_secret == EXAMPLE_SECRET:
        findings.append(
            Finding(
                "fix",
                "settings",
                "session.secret is the example's placeholder; set FEDIVERSE_CASES_SESSION_SECRET to "
                "the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'",
            )
        )
    host = settings.instance.host.rsplit(":", 1)[0]
    if not settings.instance.uses_https and host not in LOOPBACK_HOSTS:
        findings.append(
            Finding(
                "warn",
                "settings",
                "instance.base_url is http://: use https:// behind a TLS proxy in production",
            )
        )
    return findings


def check_media_folders(settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    for label, folder in (("media.dir", settings.media_dir), ("media.private_dir", settings.private_dir)):
        if not folder.is_dir():
            findings.append(
                Finding("fix", "media", f"{label} {folder} does not exist: run fediverse-cases init")
            )
        elif not os.access(folder, os.W_OK | os.X_OK):
            findings.append(
                Finding(
                    "fix",
                    "media",
                    f"{label} {folder} is not writable by this user: chown it to the service user",
                )
            )
        else:
            findings.append(Finding("ok", "media", f"{label} {folder} exists and is writable"))
    private = settings.private_dir
    if private.is_dir() and stat.S_IMODE(private.stat().st_mode) & 0o077:
        findings.append(
            Finding("fix", "media", f"media.private_dir {private} is readable by others: chmod 700 {private}")
        )
    if private.resolve().is_relative_to(settings.media_dir.resolve()):
        findings.append(
            Finding(
                "fix",
                "media",
                "media.private_dir is inside media.dir: move it out, originals must never be served",
            )
        )
    return findings


def check_proxy_mode(settings: Settings) -> list[Finding]:
    serving = settings.media_serving
    if serving.mode == "python":
        if settings.instance.uses_https:
            return [
                Finding(
                    "warn",
                    "proxy",
                    "media.serve_mode is python: image bytes go through Python; behind nginx set "
                    'serve_mode = "x-accel-redirect" (see fediverse-cases example-config --nginx)',
                )
            ]
        return [Finding("ok", "proxy", "media.serve_mode is python (no front proxy needed)")]
    if serving.mode == "x-accel-redirect":
        return [
            Finding(
                "ok",
                "proxy",
                f"media.serve_mode is x-accel-redirect: nginx needs `location {serving.accel_prefix} "
                f"{{ internal; alias {settings.media_dir}/; }}`",
            )
        ]
    return [
        Finding(
            "ok",
            "proxy",
            "media.serve_mode is x-sendfile: the web server must allow X-Sendfile for media.dir",
        )
    ]


async def _current_heads(state: AppState) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    async with state.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
        heads = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
    return set(heads)


async def check_database(state: AppState) -> tuple[list[Finding], bool]:
    """Findings, and whether the schema is usable for the checks that read it."""
    try:
        current = await _current_heads(state)
    except Exception as error:  # any driver error: the message is what the operator needs
        return [
            Finding("fix", "database", f"cannot connect to database.url: {type(error).__name__}: {error}")
        ], False
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    if not current:
        return [Finding("fix", "database", "the database has no schema: run fediverse-cases init")], False
    if current != heads:
        return [
            Finding(
                "fix",
                "database",
                f"migrations not at head (at {', '.join(sorted(current))}; want {', '.join(sorted(heads))}): "
                "run fediverse-cases init",
            )
        ], True
    return [Finding("ok", "database", f"connected; migrations at head ({', '.join(sorted(current))})")], True


async def check_keys(state: AppState) -> list[Finding]:
    async with state.sessionmaker() as db:
        keys = await operations.local_actor_keys(db)
    instance_actor = state.urls.instance_actor
    if not any(uri == instance_actor for uri, _, _ in keys):
        return [
            Finding("fix", "keys", "the instance actor and its keys do not exist: run fediverse-cases init")
        ]
    broken = []
    for uri, private_pem, public_pem in keys:
        try:
            private = serialization.load_pem_private_key(private_pem.encode(), password=None)
            public = serialization.load_pem_public_key(public_pem.encode())
            if private.public_key().public_numbers() != public.public_numbers():  # type: ignore[union-attr]
                raise ValueError("public key does not match the private key")
        except (ValueError, TypeError):
            broken.append(uri)
    if broken:
        return [
            Finding(
                "fix",
                "keys",
                f"{len(broken)} local actor key(s) missing or damaged (first: {broken[0]}): restore them from a backup",
            )
        ]
    return [Finding("ok", "keys", f"{len(keys)} local actor key pair(s) load and match")]


async def check_peers(state: AppState) -> list[Finding]:
    async with state.sessionmaker() as db:
        peers = dict(await operations.allowed_peers(db))
    for host in state.settings.federation.allowlist:
        peers.setdefault(host, "https")
    if not peers:
        return [Finding("ok", "peers", "no peers allowed yet (fediverse-cases peers allow HOST)")]
    transport = state.transport
    findings = []
    for host, scheme in sorted(peers.items()):
        url = f"{scheme}://{host}/.well-known/nodeinfo"
        try:
            response = await transport.get(url, accept="application/json", max_bytes=100_000)
        except TransportError as error:
            findings.append(
                Finding("warn", "peers", f"{host} unreachable ({error}): check its name, DNS and firewall")
            )
            continue
        if 200 <= response.status < 300:
            findings.append(Finding("ok", "peers", f"{host} answers ({response.status})"))
        else:
            findings.append(Finding("warn", "peers", f"{host} answered {response.status} to {url}"))
    return findings


async def diagnose(state: AppState) -> list[Finding]:
    settings = state.settings
    findings = [*check_settings(settings)]
    database, usable = await check_database(state)
    findings += database
    if usable:
        findings += await check_keys(state)
    findings += check_media_folders(settings)
    findings += check_proxy_mode(settings)
    if usable:
        findings += await check_peers(state)
    return findings
