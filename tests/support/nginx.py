"""A real nginx (the Debian binary) in front of a served instance, run as the test's own process.

The site configuration is the documented one shipped in the package
(``fediverse-cases example-config --nginx``) with only its placeholders replaced: the server
name, the certificate (a self-signed one made here), the listening ports (free loopback ports),
the app's address and the media folder. It runs non-daemon with a temporary prefix, so it
writes nothing outside that prefix and is stopped with the test.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fediverse_cases.cli.example_config import example_text
from tests.support.server import free_port

SHIPPED_NAME = "cases.st-example-hospital.org"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class NginxProxy:
    prefix: Path
    upstream_port: int
    media_dir: Path
    https_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def site_config(self, cert: Path, key: Path) -> str:
        text = example_text("nginx")
        lines = [line for line in text.splitlines() if "listen [::]" not in line]  # no IPv6 needed
        text = "\n".join(lines) + "\n"
        replacements = {
            f"/etc/letsencrypt/live/{SHIPPED_NAME}/fullchain.pem": str(cert),
            f"/etc/letsencrypt/live/{SHIPPED_NAME}/privkey.pem": str(key),
            SHIPPED_NAME: "127.0.0.1",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{self.https_port} ssl http2;",
            "listen 80;": f"listen 127.0.0.1:{self.http_port};",
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{self.upstream_port};",
            "alias /var/lib/fediverse-cases/media/;": f"alias {self.media_dir}/;",
        }
        for old, new in replacements.items():
            assert old in text, f"the shipped nginx.conf no longer contains {old!r}"
            text = text.replace(old, new)
        return text

    def main_config(self) -> str:
        p = self.prefix
        # Run as root (CI containers), the workers would switch to "nobody", who cannot read the
        # pytest temporary folders (mode 0700); keep the test's own user instead.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        return (
            f"{user}daemon off;\nworker_processes 1;\npid {p}/nginx.pid;\nerror_log {p}/error.log info;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            "  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
            f"  access_log {p}/access.log;\n"
            f"  client_body_temp_path {p}/client_body;\n  proxy_temp_path {p}/proxy;\n"
            f"  fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n"
            f"  include {p}/site.conf;\n"
            "}\n"
        )

    def start(self, timeout: float = 15.0) -> None:
        binary = nginx_binary()
        assert binary, "nginx is not installed (tests/run.sh installs the Debian package)"
        self.prefix.mkdir(parents=True, exist_ok=True)
        cert, key = self_signed_certificate(self.prefix)
        (self.prefix / "site.conf").write_text(self.site_config(cert, key), encoding="utf-8")
        (self.prefix / "nginx.conf").write_text(self.main_config(), encoding="utf-8")
        command = [
            binary,
            "-p",
            str(self.prefix),
            "-c",
            str(self.prefix / "nginx.conf"),
            "-e",
            str(self.prefix / "error.log"),
        ]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.prefix / "error.log").read_text()[-2000:]
            try:
                httpx.get(f"{self.url}/healthz", verify=False, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not start: " + (self.prefix / "error.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
