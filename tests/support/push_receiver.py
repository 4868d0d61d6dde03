"""A Web Push service for the suite: the push-service side of RFC 8030 on a loopback port, and
the device side of RFC 8291, written here from the RFCs with ``cryptography`` only (no push
library), so a push that reaches ``messages`` went through a real protocol exchange.

For each POST to ``/push/<device>`` it checks, as a push service does, the RFC 8292 VAPID
``Authorization: vapid t=<JWT>, k=<key>`` header: ``k`` is the instance's VAPID public key, the
JWT is ES256-signed by that key, ``aud`` is this receiver's origin and ``exp`` is in the future
(at most 24 hours ahead); and the body is ``Content-Encoding: aes128gcm``. Then, as the device,
it decrypts the body with the device's private key and auth secret (RFC 8291 section 3.4: ECDH,
then HKDF with the auth secret, then RFC 8188's HKDF for the content key and nonce) and keeps
the JSON. A refused request is answered 400/401/403 and recorded in ``refusals``.

``answer_with(device, 410)`` makes one device's pushes answered with a status of the test's
choosing (a device that went away); ``stop()``/``start()`` take the receiver off the network and back on the same port.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tests.support.server import free_port


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


@dataclass
class PushDevice:
    """A browser's push subscription keys: a P-256 key pair and a 16-byte auth secret."""

    name: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def public_bytes(self) -> bytes:
        return _point(self.private_key.public_key())

    def decrypt(self, body: bytes) -> bytes:
        """RFC 8291 section 3.4 and RFC 8188 section 2, for a message in one or more records."""
        salt, record_size, id_length = body[:16], struct.unpack("!I", body[16:20])[0], body[20]
        sender_public = body[21 : 21 + id_length]
        ciphertext = body[21 + id_length :]
        assert id_length == 65, "aes128gcm for Web Push carries the sender's public key as keyid"
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_public)
        ecdh_secret = self.private_key.exchange(ec.ECDH(), sender)
        key_info = b"WebPush: info\x00" + self.public_bytes + sender_public
        ikm = HKDF(hashes.SHA256(), 32, salt=self.auth_secret, info=key_info).derive(ecdh_secret)
        cek = HKDF(hashes.SHA256(), 16, salt=salt, info=b"Content-Encoding: aes128gcm\x00").derive(ikm)
        nonce = HKDF(hashes.SHA256(), 12, salt=salt, info=b"Content-Encoding: nonce\x00").derive(ikm)
        plaintext = b""
        records = [ciphertext[i : i + record_size] for i in range(0, len(ciphertext), record_size)]
        for sequence, record in enumerate(records):
            record_nonce = (int.from_bytes(nonce, "big") ^ sequence).to_bytes(12, "big")
            padded = AESGCM(cek).decrypt(record_nonce, record, None)
            unpadded = padded.rstrip(b"\x00")
            delimiter = b"\x02" if sequence == len(records) - 1 else b"\x01"
            assert unpadded.endswith(delimiter), "record padding delimiter is wrong"
            plaintext += unpadded[:-1]
        return plaintext


@dataclass
class ReceivedPush:
    device: str
    payload: dict[str, Any]
    headers: dict[str, str]
    claims: dict[str, Any]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, reason = receiver.handle(self.path, dict(self.headers.items()), body)
        self.send_response(status)
        self.send_header("Content-Length", str(len(reason)))
        self.end_headers()
        self.wfile.write(reason)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    receiver: PushReceiver


@dataclass
class PushReceiver:
    port: int = field(default_factory=free_port)
    vapid_public_key: str = ""
    devices: dict[str, PushDevice] = field(default_factory=dict)
    messages: list[ReceivedPush] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    # Device name -> the status its pushes are answered with (201 unless a test says otherwise).
    answers: dict[str, int] = field(default_factory=dict)
    _server: _Server | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def device(self, name: str) -> PushDevice:
        self.devices[name] = PushDevice(name)
        return self.devices[name]

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def answer_with(self, device: str, status: int) -> None:
        self.answers[device] = status

    def start(self) -> None:
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.receiver = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def received(self, device: str) -> list[ReceivedPush]:
        with self._lock:
            return [message for message in self.messages if message.device == device]

    def wait_for(self, device: str, count: int, timeout: float = 30.0) -> list[ReceivedPush]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.received(device)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(
            f"{device} received {len(self.received(device))} pushes, expected {count}; refusals: {self.refusals}"
        )

    # --- the push service ----------------------------------------------------------------------

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        headers = {name.lower(): value for name, value in headers.items()}
        name = path.rsplit("/", 1)[-1]
        device = self.devices.get(name)
        if not path.startswith("/push/") or device is None:
            return self._refuse(404, f"no subscription {path}")
        try:
            claims = self._check_vapid(headers.get("authorization", ""))
        except (AssertionError, ValueError, InvalidSignature) as error:
            return self._refuse(401, f"VAPID: {error!r}")
        if headers.get("content-encoding") != "aes128gcm" or "ttl" not in headers:
            return self._refuse(400, f"headers: {headers}")
        answer = self.answers.get(name, 201)
        if answer >= 300:
            return answer, b"not now"
        try:
            payload = json.loads(device.decrypt(body))
        except Exception as error:
            return self._refuse(400, f"decrypt: {error!r}")
        with self._lock:
            self.messages.append(ReceivedPush(name, payload, headers, claims))
        return answer, b""

    def _refuse(self, status: int, reason: str) -> tuple[int, bytes]:
        with self._lock:
            self.refusals.append(reason)
        return status, reason.encode()

    def _check_vapid(self, authorization: str) -> dict[str, Any]:
        """RFC 8292 section 3: ``vapid t=<JWT>, k=<base64url public key>``."""
        scheme, _, rest = authorization.partition(" ")
        assert scheme.lower() == "vapid", f"scheme {scheme!r}"
        parts = dict(item.strip().split("=", 1) for item in rest.split(","))
        assert parts["k"] == self.vapid_public_key, "k is not the instance's VAPID key"
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(parts["k"]))
        header_b64, claims_b64, signature_b64 = parts["t"].split(".")
        header = json.loads(b64url_decode(header_b64))
        assert header.get("alg") == "ES256", f"alg {header}"
        signature = b64url_decode(signature_b64)
        assert len(signature) == 64, "ES256 JWS signatures are r || s, 64 bytes"
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(b64url_decode(claims_b64))
        assert claims.get("aud") == self.origin, f"aud {claims.get('aud')!r}"
        now = time.time()
        assert now < int(claims["exp"]) <= now + 24 * 3600, f"exp {claims.get('exp')}"
        assert claims.get("sub"), "no sub"
        return claims
