"""Key material: RSA (HTTP signatures) and Ed25519 (object integrity proofs).

Owns key generation, PEM serialisation/loading, base58btc, and the FEP-521a Multikey encoding
of Ed25519 public keys (multibase ``z`` + base58btc of the multicodec ``0xed 0x01`` prefix and the
32 raw key bytes). May import only the stdlib and ``cryptography``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

__all__ = [
    "ED25519_PRIV_MULTICODEC",
    "ED25519_PUB_MULTICODEC",
    "Ed25519KeyPair",
    "KeyFormatError",
    "RsaKeyPair",
    "base58btc_decode",
    "base58btc_encode",
    "ed25519_private_from_multibase",
    "ed25519_public_from_multibase",
    "ed25519_public_multibase",
    "generate_ed25519_keypair",
    "generate_rsa_keypair",
    "load_ed25519_private_key",
    "load_private_key",
    "load_public_key",
    "load_rsa_private_key",
    "load_rsa_public_key",
    "rsa_public_pem",
]

# Multicodec varint prefixes (https://github.com/multiformats/multicodec):
# ed25519-pub = 0xed, ed25519-priv = 0x1300, both varint-encoded.
ED25519_PUB_MULTICODEC = b"\xed\x01"
ED25519_PRIV_MULTICODEC = b"\x80\x26"

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


class KeyFormatError(ValueError):
    """A key (PEM or multibase) could not be decoded or is of the wrong type."""


@dataclass(frozen=True, slots=True)
class RsaKeyPair:
    private_pem: str
    public_pem: str


@dataclass(frozen=True, slots=True)
class Ed25519KeyPair:
    private_pem: str
    public_multibase: str


# --- base58btc -------------------------------------------------------------------------------


def base58btc_encode(data: bytes) -> str:
    """Bitcoin-alphabet base58; leading zero bytes become leading '1's."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, rem = divmod(n, 58)
        out.append(_B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def base58btc_decode(text: str) -> bytes:
    n = 0
    for ch in text:
        try:
            n = n * 58 + _B58_INDEX[ch]
        except KeyError:
            raise KeyFormatError(f"invalid base58btc character {ch!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def _multibase_decode(value: str) -> bytes:
    if not value.startswith("z"):
        raise KeyFormatError("only multibase base58btc ('z' prefix) is supported")
    return base58btc_decode(value[1:])


# --- generation ------------------------------------------------------------------------------


def generate_rsa_keypair(bits: int = 2048) -> RsaKeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return RsaKeyPair(private_pem=private_pem, public_pem=_public_pem(key.public_key()))


def generate_ed25519_keypair() -> Ed25519KeyPair:
    key = ed25519.Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return Ed25519KeyPair(private_pem=private_pem, public_multibase=ed25519_public_multibase(key))


# --- loading ---------------------------------------------------------------------------------


def _public_pem(key: rsa.RSAPublicKey | ed25519.Ed25519PublicKey) -> str:
    # SubjectPublicKeyInfo ("BEGIN PUBLIC KEY") is what Mastodon, GoToSocial and Fedify publish.
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_private_key(pem: str | bytes) -> rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey:
    return _load_private_key_cached(pem.encode("ascii") if isinstance(pem, str) else pem)


@functools.lru_cache(maxsize=1024)
def _load_private_key_cached(data: bytes) -> rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey:
    # Loading an RSA private key validates it (~40 ms); signing every delivery would otherwise
    # spend most of its time here. Key objects are immutable, so sharing them is safe.
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"cannot load private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyFormatError(f"unsupported private key type {type(key).__name__}")
    return key


def load_public_key(pem: str | bytes) -> rsa.RSAPublicKey | ed25519.Ed25519PublicKey:
    """Load a PEM public key; accepts SPKI and PKCS#1 ("BEGIN RSA PUBLIC KEY") forms."""
    return _load_public_key_cached(pem.encode("ascii") if isinstance(pem, str) else pem)


@functools.lru_cache(maxsize=1024)
def _load_public_key_cached(data: bytes) -> rsa.RSAPublicKey | ed25519.Ed25519PublicKey:
    # Every signed request a peer sends is verified with one of the same few keys: parsed once
    # each, not on every inbox POST. Key objects are immutable, so sharing them is safe.
    try:
        key = serialization.load_pem_public_key(data.strip())
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"cannot load public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise KeyFormatError(f"unsupported public key type {type(key).__name__}")
    return key


def load_rsa_private_key(pem: str | bytes) -> rsa.RSAPrivateKey:
    key = load_private_key(pem)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFormatError("expected an RSA private key")
    return key


def load_rsa_public_key(pem: str | bytes) -> rsa.RSAPublicKey:
    key = load_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyFormatError("expected an RSA public key")
    return key


def load_ed25519_private_key(pem: str | bytes) -> ed25519.Ed25519PrivateKey:
    key = load_private_key(pem)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise KeyFormatError("expected an Ed25519 private key")
    return key


def rsa_public_pem(private_pem: str | bytes) -> str:
    """The SPKI public PEM matching an RSA private PEM."""
    return _public_pem(load_rsa_private_key(private_pem).public_key())


# --- Multikey (FEP-521a) ---------------------------------------------------------------------


def ed25519_public_multibase(
    key: ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey | str | bytes,
) -> str:
    """Multikey ``publicKeyMultibase`` for an Ed25519 key.

    Accepts a private or public key object, a private-key PEM (str), or 32 raw public bytes.
    """
    if isinstance(key, str):
        key = load_ed25519_private_key(key)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        key = key.public_key()
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        raw = bytes(key)
        if len(raw) != 32:
            raise KeyFormatError("an Ed25519 public key is 32 bytes")
    return "z" + base58btc_encode(ED25519_PUB_MULTICODEC + raw)


def ed25519_public_from_multibase(value: str) -> ed25519.Ed25519PublicKey:
    data = _multibase_decode(value)
    if not data.startswith(ED25519_PUB_MULTICODEC) or len(data) != 34:
        raise KeyFormatError("not an Ed25519 Multikey (expected multicodec 0xed01 + 32 bytes)")
    return ed25519.Ed25519PublicKey.from_public_bytes(data[2:])


def ed25519_private_from_multibase(value: str) -> ed25519.Ed25519PrivateKey:
    """Decode a ``secretKeyMultibase`` (multicodec 0x1300); used for published test vectors."""
    data = _multibase_decode(value)
    if not data.startswith(ED25519_PRIV_MULTICODEC) or len(data) != 34:
        raise KeyFormatError("not an Ed25519 secret Multikey (expected multicodec 0x1300 + 32 bytes)")
    return ed25519.Ed25519PrivateKey.from_private_bytes(data[2:])
