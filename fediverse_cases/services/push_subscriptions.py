"""Push subscriptions: the instance's VAPID key, and subscribing, changing and ending a device's
subscription, from the client API (one per access token, as Mastodon) or the web UI (one per
browser endpoint).

What is checked: the endpoint is an https URL (http only for a host the admin allowed in
``[web_push] allowed_private_hosts``); ``p256dh`` is a P-256 public key (uncompressed point) and
``auth`` a 16-byte secret, as RFC 8291 needs to encrypt for the device. Whether the endpoint's
host resolves to a private address is checked at each send (``push_transport``), where DNS
answers are pinned.

Alerts are Mastodon's names (mention, follow, favourite, reblog, poll, status, update,
follow_request, admin.report, ...); a client asks for each, absent means no, as in Mastodon.
Our own notification types (``fediverse_cases.case_rejected`` and the like: decisions about
your own case or comment) have alerts of the same name and follow ``mention`` when the client
did not name them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.hosts import InvalidHost, host_of
from fediverse_cases.crypto.vapid import b64url, b64url_decode, generate_vapid_keypair
from fediverse_cases.settings import WebPushSettings
from fediverse_cases.storage.models import PushSubscription, VapidKey
from fediverse_cases.storage.repositories import web_push as push_repo

MASTODON_ALERTS = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
    "quote",
    "quoted_update",
)
POLICIES = ("all", "followed", "follower", "none")
OWN_TYPES_PREFIX = "fediverse_cases."
MAX_ENDPOINT = 2048


@dataclass
class PushSubscriptionError(Exception):
    status: int
    message: str


async def ensure_vapid_key(db: AsyncSession) -> VapidKey:
    """The instance's VAPID key, made now if this instance predates Web Push. Two processes
    making it at once: the unique ``purpose`` keeps one, the other reads it."""
    key = await push_repo.get_vapid_key(db)
    if key is not None:
        return key
    pair = generate_vapid_keypair()
    try:
        async with db.begin_nested():
            key = VapidKey(
                purpose=push_repo.INSTANCE_KEY, private_pem=pair.private_pem, public_key=pair.public_key
            )
            db.add(key)
    except IntegrityError:
        key = await push_repo.get_vapid_key(db)
        assert key is not None
    return key


@dataclass(frozen=True)
class DeviceKeys:
    endpoint: str
    p256dh: str
    auth: str


def check_device(settings: WebPushSettings, endpoint: str, p256dh: str, auth: str) -> DeviceKeys:
    endpoint = endpoint.strip()
    if not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise PushSubscriptionError(422, "Validation failed: Endpoint can't be blank")
    try:
        host = host_of(endpoint)
    except InvalidHost:
        raise PushSubscriptionError(422, "Validation failed: Endpoint is not a valid URL") from None
    if urlsplit(endpoint).scheme != "https" and host not in settings.allowed_private_hosts:
        raise PushSubscriptionError(422, "Validation failed: Endpoint must be an https URL")
    try:
        point = b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65:
            raise ValueError("not an uncompressed point")
    except ValueError:
        raise PushSubscriptionError(422, "Validation failed: Keys p256dh is not a P-256 public key") from None
    try:
        secret = b64url_decode(auth)
    except ValueError:
        secret = b""
    if len(secret) != 16:
        raise PushSubscriptionError(422, "Validation failed: Keys auth must be 16 bytes")
    return DeviceKeys(endpoint=endpoint, p256dh=b64url(point), auth=b64url(secret))


def read_alerts(given: Mapping[str, Any], *, default: bool = False) -> dict[str, bool]:
    """Every Mastodon alert, from what the client sent (booleans or "true"/"1" text)."""
    alerts = {name: default for name in MASTODON_ALERTS}
    for name, value in given.items():
        if name in MASTODON_ALERTS or name.startswith(OWN_TYPES_PREFIX):
            alerts[name] = value if isinstance(value, bool) else str(value).strip().lower() in TRUE_WORDS
    return alerts


TRUE_WORDS = frozenset({"1", "true", "t", "on", "yes"})


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise PushSubscriptionError(422, f"Validation failed: policy must be one of {', '.join(POLICIES)}")
    return policy


def wants(subscription: PushSubscription, notification_type: str) -> bool:
    """Does this subscription want a push for a notification of this (Mastodon) type?"""
    alerts = subscription.alerts or {}
    if notification_type in alerts:
        return bool(alerts[notification_type])
    if notification_type.startswith(OWN_TYPES_PREFIX):
        return bool(alerts.get("mention"))
    return False


async def subscribe_token(
    db: AsyncSession,
    *,
    account_id: int,
    token_id: int,
    device: DeviceKeys,
    alerts: dict[str, bool],
    policy: str,
) -> PushSubscription:
    """``POST /api/v1/push/subscription``: replaces the token's subscription, if any."""
    existing = await push_repo.subscription_for_token(db, token_id)
    if existing is not None:
        await push_repo.delete_subscription(db, existing.id)
        await db.flush()
    subscription = PushSubscription(
        account_id=account_id,
        token_id=token_id,
        endpoint=device.endpoint,
        p256dh=device.p256dh,
        auth=device.auth,
        alerts=alerts,
        policy=policy,
    )
    db.add(subscription)
    await db.flush()
    return subscription


def update_alerts(subscription: PushSubscription, given: Mapping[str, Any], policy: str | None) -> None:
    """``PUT``: only the alerts named change; the policy when given."""
    alerts = dict(subscription.alerts or {})
    alerts.update({k: v for k, v in read_alerts(given).items() if k in given})
    subscription.alerts = alerts
    if policy is not None:
        subscription.policy = check_policy(policy)


async def subscribe_browser(db: AsyncSession, *, account_id: int, device: DeviceKeys) -> PushSubscription:
    """The web UI's "Notify me on this device": every alert, from everyone; the same browser
    subscribing again updates its keys."""
    subscription = await push_repo.web_subscription(db, account_id, device.endpoint)
    if subscription is None:
        subscription = PushSubscription(account_id=account_id, token_id=None, endpoint=device.endpoint)
        db.add(subscription)
    subscription.p256dh, subscription.auth = device.p256dh, device.auth
    subscription.alerts = read_alerts({}, default=True)
    subscription.policy = "all"
    await db.flush()
    return subscription


async def unsubscribe_browser(db: AsyncSession, *, account_id: int, endpoint: str) -> bool:
    subscription = await push_repo.web_subscription(db, account_id, endpoint.strip())
    if subscription is None:
        return False
    await push_repo.delete_subscription(db, subscription.id)
    return True


def subscription_json(subscription: PushSubscription, server_key: str) -> dict[str, object]:
    """Mastodon's WebPushSubscription entity."""
    return {
        "id": str(subscription.id),
        "endpoint": subscription.endpoint,
        "standard": True,
        "alerts": {name: bool((subscription.alerts or {}).get(name)) for name in MASTODON_ALERTS},
        "policy": subscription.policy,
        "server_key": server_key,
    }
