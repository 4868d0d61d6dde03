"""A real Orthanc PACS (Debian packages ``orthanc`` and ``orthanc-dicomweb``) on loopback ports,
with its own configuration and storage folder: our instance is its DICOMweb server peer
``fedicases`` and its DICOM modality ``fedicases``, added over its REST API per test."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.live import free_port

BINARY_CANDIDATES = ("/usr/sbin/Orthanc", "/usr/bin/Orthanc")
DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
AE_TITLE = "TESTPACS"


def orthanc_binary() -> str | None:
    found = shutil.which("Orthanc")
    return found or next((path for path in BINARY_CANDIDATES if Path(path).exists()), None)


@dataclass
class Orthanc:
    root: Path
    http_port: int = field(default_factory=free_port)
    dicom_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, timeout: float = 30.0) -> None:
        binary = orthanc_binary()
        if binary is None or not Path(DICOMWEB_PLUGIN).exists():
            raise RuntimeError(
                "Orthanc is not installed: apt-get install orthanc orthanc-dicomweb (tests/run.sh)"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        config = {
            "Name": "Test PACS",
            "StorageDirectory": str(self.root / "storage"),
            "IndexDirectory": str(self.root / "storage"),
            "HttpPort": self.http_port,
            "DicomPort": self.dicom_port,
            "DicomAet": AE_TITLE,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "HttpServerEnabled": True,
            "DicomServerEnabled": True,
            "Plugins": [DICOMWEB_PLUGIN],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "Servers": {}},
            "DicomModalities": {},
            "HttpTimeout": 120,
            "DicomScuTimeout": 120,
            "StableAge": 1,
        }
        path = self.root / "orthanc.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        self._log = open(self.root / "orthanc.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([binary, str(path)], stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited early:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/system", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Orthanc did not answer:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None) is not None:
            self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join((self.root / "orthanc.log").read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    # --- REST API ------------------------------------------------------------------------------

    def upload(self, data: bytes) -> dict:
        response = httpx.post(f"{self.url}/instances", content=data, timeout=60)
        response.raise_for_status()
        return response.json()

    def clear(self) -> None:
        for patient in httpx.get(f"{self.url}/patients", timeout=30).json():
            httpx.delete(f"{self.url}/patients/{patient}", timeout=30).raise_for_status()

    def set_dicomweb_peer(self, name: str, url: str, token: str) -> None:
        response = httpx.put(
            f"{self.url}/dicom-web/servers/{name}",
            json={"Url": url, "HttpHeaders": {"Authorization": f"Bearer {token}"}},
            timeout=30,
        )
        response.raise_for_status()

    def stow(self, peer: str, resource: str) -> httpx.Response:
        return httpx.post(
            f"{self.url}/dicom-web/servers/{peer}/stow", json={"Resources": [resource]}, timeout=300
        )

    def set_modality(self, name: str, ae_title: str, port: int) -> None:
        response = httpx.put(
            f"{self.url}/modalities/{name}",
            json={"AET": ae_title, "Host": "127.0.0.1", "Port": port},
            timeout=30,
        )
        response.raise_for_status()

    def c_store(self, modality: str, resource: str, *, calling_ae: str | None = None) -> httpx.Response:
        body: dict = {"Resources": [resource], "Synchronous": True}
        if calling_ae:
            body["LocalAet"] = calling_ae
        return httpx.post(f"{self.url}/modalities/{modality}/store", json=body, timeout=300)
