"""Drive the OpenID test provider (tests/interop/oidc_provider/: oidc-provider on Node 22) from
Python: write its configuration (clients, users and groups), start it on a loopback port, wait
until its discovery document answers, change a user's claims, stop it.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.server import wait_until_answering

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "interop" / "oidc_provider"
NODE22 = PROVIDER_DIR / "node_modules" / "node" / "bin" / "node"


def ensure_installed() -> None:
    result = subprocess.run(
        ["bash", str(PROVIDER_DIR / "install.sh")], capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"oidc provider install.sh failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )


@dataclass
class OidcTestProvider:
    port: int
    root: Path
    clients: list[dict[str, Any]]
    users: dict[str, dict[str, Any]]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "provider.json"
        config.write_text(json.dumps({"port": self.port, "clients": self.clients, "users": self.users}))
        log = open(self.root / "provider.log", "wb")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            [str(NODE22), str(PROVIDER_DIR / "provider.mjs"), str(config)],
            cwd=PROVIDER_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until_answering(
            self.process,
            f"{self.issuer}/.well-known/openid-configuration",
            self.root / "provider.log",
            timeout,
        )

    def set_user(self, user_id: str, claims: dict[str, Any]) -> None:
        """Replace a user's claims at the provider (a group change made by the hospital's IT)."""
        response = httpx.post(f"{self.issuer}/_test/users/{user_id}", json=claims, timeout=5)
        assert response.status_code == 204, response.text
        self.users[user_id] = claims

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


# The relying party's client registrations at the test provider, and the matching [sso] providers.
CLIENT_SECRET = "test client secret for the sso tests"
TAMPERED_CLIENTS = {"badsig": "bad-signature", "wrongiss": "wrong-issuer", "expired": "expired"}
TEST_USERS: dict[str, dict[str, Any]] = {
    "dr_house": {
        "email": "house@hospital.test",
        "name": "Greg House",
        "preferred_username": "dr_house",
        "groups": ["cases-professionals", "all-staff"],
        "profession": "Physician",
        "institution": "Test General Hospital",
    },
    "po_cuddy": {
        "email": "cuddy@hospital.test",
        "name": "Lisa Cuddy",
        "groups": ["privacy-office"],
        "institution": "Test General Hospital",
    },
    "visitor": {"email": "visitor@hospital.test", "name": "Canteen Visitor", "groups": ["canteen"]},
    "local_person": {"email": "local.person@hospital.test", "name": "Local Person", "groups": ["all-staff"]},
}


def provider_for(rp_ports: list[int], root: Path, port: int) -> OidcTestProvider:
    """The test provider with one client per [sso] provider the instance configures, for
    instances listening on any of ``rp_ports``."""
    rps = [f"http://127.0.0.1:{rp_port}" for rp_port in rp_ports]
    clients = [
        {
            "client_id": f"rp-{provider_id}",
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [f"{rp}/login/sso/{provider_id}/callback" for rp in rps],
            "post_logout_redirect_uris": [f"{rp}/" for rp in rps],
            **({"tamper": TAMPERED_CLIENTS[provider_id]} if provider_id in TAMPERED_CLIENTS else {}),
        }
        for provider_id in ("hospital", "registry", *TAMPERED_CLIENTS)
    ]
    return OidcTestProvider(port, root, clients, json.loads(json.dumps(TEST_USERS)))


def sso_config(issuer: str, *, local_passwords: bool = True) -> str:
    """The [sso] section for an instance signing in through the test provider: "hospital" trusts
    its professional group, "registry" does not (its professionals wait for the manual queue),
    three clients whose ID tokens the provider tampers with, and one configured with a name of
    the provider that is not its issuer."""
    common = (
        f'issuer = "{issuer}"\nclient_secret = "{CLIENT_SECRET}"\n'
        'scopes = ["openid", "profile", "email", "hospital"]\n'
    )
    hospital = (
        '[[sso.providers]]\nid = "hospital"\nlabel = "Sign in with Test General"\nclient_id = "rp-hospital"\n'
        + common
        + 'default_role = ""\ntrust_professional_claim = true\n'
        '[sso.providers.claims]\ngroups = "groups"\nprofession = "profession"\ninstitution = "institution"\n'
        '[sso.providers.group_roles]\n"cases-professionals" = "professional"\n"privacy-office" = "reviewer"\n'
        '"all-staff" = "viewer"\n'
    )
    registry = (
        '[[sso.providers]]\nid = "registry"\nlabel = "Sign in with the registry"\nclient_id = "rp-registry"\n'
        + common
        + '[sso.providers.claims]\ngroups = "groups"\nprofession = "profession"\n'
        '[sso.providers.group_roles]\n"cases-professionals" = "professional"\n'
    )
    tampered = "".join(
        f'[[sso.providers]]\nid = "{pid}"\nlabel = "Tampered {pid}"\nclient_id = "rp-{pid}"\n' + common
        for pid in TAMPERED_CLIENTS
    )
    # The same provider under another name: its discovery document names 127.0.0.1, not localhost.
    lookalike = (
        '[[sso.providers]]\nid = "lookalike"\nlabel = "Lookalike"\nclient_id = "rp-hospital"\n'
        + common.replace("http://127.0.0.1:", "http://localhost:")
    )
    flags = f"[sso]\nlocal_passwords = {'true' if local_passwords else 'false'}\n"
    return flags + hospital + registry + tampered + lookalike
