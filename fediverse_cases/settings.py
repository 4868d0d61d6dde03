"""Instance settings: a frozen Settings built from a TOML file plus FEDIVERSE_CASES_* overrides.

Owns the names, defaults and validation of every setting (documented in
fediverse_cases/instance_config/example.toml). Nothing here is read at import time: callers load settings
explicitly with ``load_settings(path)`` and pass the result down.

Environment overrides are named ``FEDIVERSE_CASES_<SECTION>_<KEY>`` in upper case, for example
``FEDIVERSE_CASES_DATABASE_URL`` or ``FEDIVERSE_CASES_INSTANCE_BASE_URL``. A missing or invalid
setting raises ``SettingsError`` whose message names the setting in one line.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fediverse_cases.core.hosts import InvalidHost, normalize_host
from fediverse_cases.settings_sso import (
    SsoSettings,
    SsoSettingsError,
    apply_secret_overrides,
    sso_settings_from_mapping,
)

ENV_PREFIX = "FEDIVERSE_CASES_"
REGISTRATION_POLICIES = ("open", "closed")
FEDERATION_MODES = ("allowlist", "open")
TEXT_POLICIES = ("cover_all_but_markers", "cover_all")
# How image bytes leave: from Python, or by the front proxy after Python decided access.
MEDIA_SERVE_MODES = ("python", "x-accel-redirect", "x-sendfile")
ACCESS_LOG_FORMATS = ("text", "json", "off")
WITHDRAWAL_CHECKS = ("date_of_birth", "none")


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names it."""


@dataclass(frozen=True)
class InstanceSettings:
    name: str
    description: str
    base_url: str
    demo: bool = False

    @property
    def host(self) -> str:
        """The host[:port] this instance is known by on the network."""
        return urlsplit(self.base_url).netloc.lower()

    @property
    def uses_https(self) -> bool:
        return self.base_url.startswith("https://")


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    run_background_workers: bool = True
    # De-identify uploads inside `serve` too (services.deid_jobs); off: only worker processes do.
    run_deidentify_jobs: bool = True
    # Rendered public documents kept per process (0 turns the cache off).
    document_cache_entries: int = 10000
    # What signed-in pages read, kept per process (0, or document_cache_entries = 0, turns it off).
    signed_in_cache_entries: int = 2000


@dataclass(frozen=True)
class FederationSettings:
    mode: str = "allowlist"
    allowlist: tuple[str, ...] = ()
    signature_max_skew_seconds: int = 3600
    delivery_give_up_days: int = 3


@dataclass(frozen=True)
class UploadSettings:
    max_image_bytes: int = 40 * 1024 * 1024
    max_images_per_case: int = 10
    original_retention: str = "delete_at_publication"
    # True: a case is not submitted until every image is described (alt text); False: the
    # composer warns, as Mastodon does, and submits.
    require_alt_text: bool = False


@dataclass(frozen=True)
class DeidentifySettings:
    text_policy: str = "cover_all_but_markers"
    text_allowlist: tuple[str, ...] = ("L", "R", "AP", "PA", "LAT", "cm", "mm")


@dataclass(frozen=True)
class ModerationSettings:
    # Comments of accounts younger than this many days (local accounts since registration,
    # remote actors since we first saw them) wait for a reviewer; 0 turns it off.
    hold_comments_of_new_accounts_days: int = 0


@dataclass(frozen=True)
class MediaServingSettings:
    """``[media] serve_mode`` and ``accel_prefix``: see instance_config/nginx.conf."""

    mode: str = "python"
    accel_prefix: str = "/_media_internal/"


@dataclass(frozen=True)
class ObservabilitySettings:
    """``[logging] access_log`` and ``[metrics] token``."""

    access_log: str = "text"
    # Empty: /metrics answers loopback only. Set: also anyone presenting it as a bearer token.
    metrics_token: str = ""


@dataclass(frozen=True)
class WithdrawalSettings:
    # What the public withdrawal page asks besides the code: "date_of_birth" (the clinician
    # enters it when recording consent; only a salted hash is kept) or "none" (the code alone).
    check: str = "date_of_birth"
    # Failed and successful tries allowed per client address, and per code, in each window.
    attempts: int = 10
    window_minutes: int = 15


@dataclass(frozen=True)
class DicomSettings:
    """``[dicom]``: what a PACS may send (STOW-RS, C-STORE) and the PS3.15 options the hospital chose."""

    # A whole study in one STOW-RS request (or one C-STORE association), in bytes.
    max_study_bytes: int = 512 * 1024 * 1024
    # PS3.15 Annex E options (the Basic Profile and Clean Pixel Data always apply).
    retain_longitudinal_modified_dates: bool = True
    retain_patient_characteristics: bool = True
    # C-STORE listener: our AE title, where it listens, and calling AE title -> clinician username.
    listener_ae_title: str = "FEDICASES"
    listener_host: str = "127.0.0.1"
    listener_port: int = 11112
    calling_ae_titles: tuple[tuple[str, str], ...] = ()
    # Run the listener inside `serve` (with [server] workers = 1) instead of `dicom-listener`.
    listener_in_serve: bool = False


@dataclass(frozen=True)
class WebPushSettings:
    """``[web_push]``: who the push services may contact, and which push endpoints may be private.

    Push endpoints are URLs a browser or client app hands us; like any fetch they must not reach
    private or loopback addresses (the SSRF guard), except the ``host[:port]`` listed in
    ``allowed_private_hosts`` — a push relay inside the hospital network, or the suite's push
    receiver on 127.0.0.1.
    """

    # VAPID "sub" claim (RFC 8292): a mailto: or https: contact; empty means the instance's URL.
    contact: str = ""
    allowed_private_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class PagingSettings:
    """``[paging]``: a page nobody answered within ``escalate_after_minutes`` goes to every
    member of the group (once)."""

    escalate_after_minutes: int = 30


@dataclass(frozen=True)
class Settings:
    instance: InstanceSettings
    database_url: str
    media_dir: Path
    private_dir: Path
    session_secret: str
    registration: str = "open"
    # Database connections of this server, shared out among its worker processes.
    database_max_connections: int = 20
    server: ServerSettings = field(default_factory=ServerSettings)
    federation: FederationSettings = field(default_factory=FederationSettings)
    uploads: UploadSettings = field(default_factory=UploadSettings)
    deidentify: DeidentifySettings = field(default_factory=DeidentifySettings)
    moderation: ModerationSettings = field(default_factory=ModerationSettings)
    media_serving: MediaServingSettings = field(default_factory=MediaServingSettings)
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)
    withdrawal: WithdrawalSettings = field(default_factory=WithdrawalSettings)
    sso: SsoSettings = field(default_factory=SsoSettings)
    dicom: DicomSettings = field(default_factory=DicomSettings)
    web_push: WebPushSettings = field(default_factory=WebPushSettings)
    paging: PagingSettings = field(default_factory=PagingSettings)
    config_path: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(path: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file at ``path`` (may be None: environment only) and apply overrides."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    config_path: Path | None = None
    if path is not None:
        config_path = Path(path).resolve()
        try:
            raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"config file not found: {config_path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {config_path} is not valid TOML: {exc}") from None
    _apply_env_overrides(raw, env)
    apply_secret_overrides(raw, env)
    return settings_from_mapping(raw, config_path=config_path)


def _apply_env_overrides(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    sections = {
        "instance": InstanceSettings,
        "server": ServerSettings,
        "federation": FederationSettings,
        "uploads": UploadSettings,
        "deidentify": DeidentifySettings,
        "moderation": ModerationSettings,
        "withdrawal": WithdrawalSettings,
        "dicom": DicomSettings,
        "web_push": WebPushSettings,
        "paging": PagingSettings,
        "database": None,
        "media": None,
        "session": None,
        "registration": None,
        "logging": None,
        "metrics": None,
        "sso": None,
    }
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        for section in sorted(sections, key=len, reverse=True):
            if rest.startswith(section + "_"):
                raw.setdefault(section, {})[rest[len(section) + 1 :]] = value
                break


def settings_from_mapping(raw: Mapping[str, Any], *, config_path: Path | None = None) -> Settings:
    base_dir = config_path.parent if config_path else Path.cwd()
    instance = _section(raw, "instance")
    base_url = _required_str(instance, "instance.base_url").rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise SettingsError(
            f"instance.base_url must be like https://cases.example-hospital.org, got {base_url!r}"
        )
    database = _section(raw, "database")
    database_url = _required_str(database, "database.url")
    if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise SettingsError(
            "database.url must start with sqlite+aiosqlite:// or postgresql+asyncpg://, "
            f"got {database_url.split(':', 1)[0]!r}"
        )
    media = _section(raw, "media")
    session = _section(raw, "session")
    secret = _required_str(session, "session.secret")
    if len(secret) < 32:
        raise SettingsError("session.secret must be at least 32 characters of random text")
    registration = _section(raw, "registration")
    policy = str(registration.get("policy", "open"))
    _choice("registration.policy", policy, REGISTRATION_POLICIES)

    server_raw = _section(raw, "server")
    server = ServerSettings(
        host=str(server_raw.get("host", "127.0.0.1")),
        port=_int(server_raw, "server.port", 8000, 1, 65535),
        # 0 (the default) means one hypercorn worker process per CPU core.
        workers=_int(server_raw, "server.workers", 0, 0, 64) or os.cpu_count() or 1,
        run_background_workers=_bool(server_raw, "server.run_background_workers", True),
        run_deidentify_jobs=_bool(server_raw, "server.run_deidentify_jobs", True),
        document_cache_entries=_int(server_raw, "server.document_cache_entries", 10000, 0, 1_000_000),
        signed_in_cache_entries=_int(server_raw, "server.signed_in_cache_entries", 2000, 0, 1_000_000),
    )
    fed_raw = _section(raw, "federation")
    mode = str(fed_raw.get("mode", "allowlist"))
    _choice("federation.mode", mode, FEDERATION_MODES)
    federation = FederationSettings(
        mode=mode,
        allowlist=_str_tuple(fed_raw, "federation.allowlist", ()),
        signature_max_skew_seconds=_int(fed_raw, "federation.signature_max_skew_seconds", 3600, 30, 86400),
        delivery_give_up_days=_int(fed_raw, "federation.delivery_give_up_days", 3, 1, 30),
    )
    up_raw = _section(raw, "uploads")
    retention = str(up_raw.get("original_retention", "delete_at_publication"))
    _choice("uploads.original_retention", retention, ("delete_at_publication", "keep"))
    uploads = UploadSettings(
        max_image_bytes=_int(up_raw, "uploads.max_image_bytes", 40 * 1024 * 1024, 1024, 512 * 1024 * 1024),
        max_images_per_case=_int(up_raw, "uploads.max_images_per_case", 10, 1, 10),
        original_retention=retention,
        require_alt_text=_bool(up_raw, "uploads.require_alt_text", False),
    )
    deid_raw = _section(raw, "deidentify")
    text_policy = str(deid_raw.get("text_policy", "cover_all_but_markers"))
    _choice("deidentify.text_policy", text_policy, TEXT_POLICIES)
    deidentify = DeidentifySettings(
        text_policy=text_policy,
        text_allowlist=_str_tuple(deid_raw, "deidentify.text_allowlist", DeidentifySettings.text_allowlist),
    )
    moderation_raw = _section(raw, "moderation")
    moderation = ModerationSettings(
        hold_comments_of_new_accounts_days=_int(
            moderation_raw, "moderation.hold_comments_of_new_accounts_days", 0, 0, 365
        ),
    )
    serve_mode = str(media.get("serve_mode", "python"))
    _choice("media.serve_mode", serve_mode, MEDIA_SERVE_MODES)
    accel_prefix = str(media.get("accel_prefix", MediaServingSettings.accel_prefix))
    if not (accel_prefix.startswith("/") and accel_prefix.endswith("/")) or accel_prefix == "/":
        raise SettingsError(
            f"setting media.accel_prefix must look like /_media_internal/, got {accel_prefix!r}"
        )
    logging_raw = _section(raw, "logging")
    access_log = str(logging_raw.get("access_log", "text"))
    _choice("logging.access_log", access_log, ACCESS_LOG_FORMATS)
    metrics_token = str(_section(raw, "metrics").get("token", "") or "")
    if metrics_token and len(metrics_token) < 32:
        raise SettingsError("setting metrics.token must be empty or at least 32 characters of random text")
    withdrawal_raw = _section(raw, "withdrawal")
    check = str(withdrawal_raw.get("check", "date_of_birth"))
    _choice("withdrawal.check", check, WITHDRAWAL_CHECKS)
    withdrawal = WithdrawalSettings(
        check=check,
        attempts=_int(withdrawal_raw, "withdrawal.attempts", 10, 1, 1000),
        window_minutes=_int(withdrawal_raw, "withdrawal.window_minutes", 15, 1, 1440),
    )
    try:
        sso = sso_settings_from_mapping(_section(raw, "sso"))
    except SsoSettingsError as exc:
        raise SettingsError(str(exc)) from None
    dicom = _dicom(_section(raw, "dicom"))
    if dicom.listener_in_serve and server.workers > 1:
        raise SettingsError("dicom.listener_in_serve needs server.workers = 1 (one process can own the port)")
    web_push = _web_push(_section(raw, "web_push"))
    paging = PagingSettings(
        escalate_after_minutes=_int(
            _section(raw, "paging"), "paging.escalate_after_minutes", 30, 1, 7 * 24 * 60
        )
    )
    media_dir = _path(media, "media.dir", base_dir, "media")
    private_dir = _path(media, "media.private_dir", base_dir, "private")
    return Settings(
        instance=InstanceSettings(
            name=_required_str(instance, "instance.name"),
            description=str(instance.get("description", "")),
            base_url=base_url,
            demo=_bool(instance, "instance.demo", False),
        ),
        database_url=database_url,
        database_max_connections=_int(database, "database.max_connections", 20, 2, 1000),
        media_dir=media_dir,
        private_dir=private_dir,
        session_secret=secret,
        registration=policy,
        server=server,
        federation=federation,
        uploads=uploads,
        deidentify=deidentify,
        moderation=moderation,
        media_serving=MediaServingSettings(mode=serve_mode, accel_prefix=accel_prefix),
        observability=ObservabilitySettings(access_log=access_log, metrics_token=metrics_token),
        withdrawal=withdrawal,
        sso=sso,
        dicom=dicom,
        web_push=web_push,
        paging=paging,
        config_path=config_path,
    )


def _web_push(raw: Mapping[str, Any]) -> WebPushSettings:
    contact = str(raw.get("contact", "") or "")
    if contact and not contact.startswith(("mailto:", "https://")):
        raise SettingsError(f"setting web_push.contact must be a mailto: or https: address, got {contact!r}")
    hosts = []
    for host in _str_tuple(raw, "web_push.allowed_private_hosts", ()):
        try:
            hosts.append(normalize_host(host))
        except InvalidHost:
            raise SettingsError(
                f"setting web_push.allowed_private_hosts: {host!r} is not a host[:port]"
            ) from None
    return WebPushSettings(contact=contact, allowed_private_hosts=tuple(hosts))


def _dicom(raw: Mapping[str, Any]) -> DicomSettings:
    title = str(raw.get("listener_ae_title", DicomSettings.listener_ae_title))
    if not _is_ae_title(title):
        raise SettingsError(
            f"setting dicom.listener_ae_title must be 1-16 printable characters, got {title!r}"
        )
    calling = raw.get("calling_ae_titles", {})
    if not isinstance(calling, Mapping) or not all(isinstance(v, str) and v for v in calling.values()):
        raise SettingsError("[dicom.calling_ae_titles] must map AE titles to usernames")
    for ae in calling:
        if not _is_ae_title(ae):
            raise SettingsError(
                f"dicom.calling_ae_titles: {ae!r} is not an AE title (1-16 printable characters)"
            )
    return DicomSettings(
        max_study_bytes=_int(raw, "dicom.max_study_bytes", DicomSettings.max_study_bytes, 1024, 8 * 1024**3),
        retain_longitudinal_modified_dates=_bool(raw, "dicom.retain_longitudinal_modified_dates", True),
        retain_patient_characteristics=_bool(raw, "dicom.retain_patient_characteristics", True),
        listener_ae_title=title,
        listener_host=str(raw.get("listener_host", DicomSettings.listener_host)),
        listener_port=_int(raw, "dicom.listener_port", DicomSettings.listener_port, 1, 65535),
        calling_ae_titles=tuple(sorted((str(ae).strip(), user) for ae, user in calling.items())),
        listener_in_serve=_bool(raw, "dicom.listener_in_serve", False),
    )


def _is_ae_title(value: str) -> bool:
    # PS3.5 AE: up to 16 characters, no backslash or control characters, not only spaces.
    return 0 < len(value.strip()) <= 16 and value.isprintable() and "\\" not in value


def _section(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, Mapping):
        raise SettingsError(f"[{name}] must be a table")
    return value


def _required_str(section: Mapping[str, Any], dotted: str) -> str:
    value = section.get(dotted.split(".", 1)[1])
    if value is None or (isinstance(value, str) and not value.strip()):
        env_name = ENV_PREFIX + dotted.replace(".", "_").upper()
        raise SettingsError(f"missing setting {dotted} (or environment variable {env_name})")
    if not isinstance(value, str):
        raise SettingsError(f"setting {dotted} must be text")
    return value.strip()


def _choice(dotted: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SettingsError(f"setting {dotted} must be one of {', '.join(allowed)}, got {value!r}")


def _int(section: Mapping[str, Any], dotted: str, default: int, low: int, high: int) -> int:
    value = section.get(dotted.split(".", 1)[1], default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {dotted} must be a whole number, got {value!r}") from None
    if isinstance(value, bool) or not low <= number <= high:
        raise SettingsError(f"setting {dotted} must be between {low} and {high}, got {value!r}")
    return number


def _bool(section: Mapping[str, Any], dotted: str, default: bool) -> bool:
    value = section.get(dotted.split(".", 1)[1], default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        return value.lower() in ("1", "true", "yes", "on")
    raise SettingsError(f"setting {dotted} must be true or false, got {value!r}")


def _str_tuple(section: Mapping[str, Any], dotted: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = section.get(dotted.split(".", 1)[1], default)
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise SettingsError(f"setting {dotted} must be a list of text values")
    return tuple(value)


def _path(section: Mapping[str, Any], dotted: str, base_dir: Path, default: str) -> Path:
    value = section.get(dotted.split(".", 1)[1], default)
    if not isinstance(value, str) or not value:
        raise SettingsError(f"setting {dotted} must be a folder path")
    path = Path(value)
    return (path if path.is_absolute() else base_dir / path).resolve()
