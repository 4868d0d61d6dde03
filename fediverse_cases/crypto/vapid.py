"""VAPID (RFC 8292) key material: the instance's P-256 key pair that signs Web Push requests.

Owns generating the pair, its PEM form (how it is stored) and the public key as push clients
expect it: the uncompressed point (65 bytes), base64url without padding — the
``applicationServerKey`` a browser's ``PushManager.subscribe`` takes and Mastodon's
``vapid_public_key``. May import only the stdlib and ``cryptography``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["VapidKeyPair", "b64url", "b64url_decode", "generate_vapid_keypair", "vapid_public_key"]


@dataclass(frozen=True, slots=True)
class VapidKeyPair:
    private_pem: str
    public_key: str  # base64url uncompressed point


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding (clients send both; some send standard base64)."""
    cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


def vapid_public_key(private_pem: str) -> str:
    private = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey) or not isinstance(private.curve, ec.SECP256R1):
        raise ValueError("a VAPID key is a P-256 EC key")
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


def generate_vapid_keypair() -> VapidKeyPair:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return VapidKeyPair(private_pem=pem, public_key=vapid_public_key(pem))
