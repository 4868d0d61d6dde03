"""The built wheel is a complete instance: install it into a fresh venv, `init` and `serve` from
an empty folder with the example configuration, and request every page and static file.

Pages are requested anonymously and as the admin created by `init`, after the demo cases are
seeded, so case, comment, media and profile pages render real rows. Any 5xx fails the test; so
does a template, static file or example file that the source tree has and the wheel lacks.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.fresh_venv import FreshVenv, build_wheel, make_fresh_venv
from tests.support.server import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "wheel test admin password"

LIST_ROUTES = """
import json, sys
from fediverse_cases.settings import load_settings
from fediverse_cases.web.app import create_app
app = create_app(load_settings(sys.argv[1]))
print(json.dumps([
    {"rule": r.rule, "methods": sorted(r.methods - {"HEAD", "OPTIONS"}), "arguments": sorted(r.arguments)}
    for r in app.url_map.iter_rules()
]))
"""

SEED_DEMO = """
import asyncio, sys
from fediverse_cases.demo.seed import seed_demo
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings

async def main():
    state = AppState.from_settings(load_settings(sys.argv[1]))
    try:
        await seed_demo(state)
    finally:
        await state.close()
asyncio.run(main())
"""

PACKAGE_FILES = """
import json
from importlib.resources import files
import fediverse_cases
root = files("fediverse_cases")
def walk(node, prefix):
    for child in node.iterdir():
        name = prefix + child.name
        if child.is_dir():
            yield from walk(child, name + "/")
        elif not name.endswith((".py", ".pyc")):
            yield name
print(json.dumps({"file": fediverse_cases.__file__, "data": sorted(walk(root, ""))}))
"""


@dataclass
class Installed:
    venv: FreshVenv
    workdir: Path
    url: str
    env: dict[str, str]
    routes: list[dict]
    package_data: list[str]
    package_file: str


def _run(venv: FreshVenv, args: list[str], workdir: Path, env: dict[str, str]) -> str:
    result = subprocess.run(args, cwd=workdir, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"{args[:3]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    build_dir = tmp_path_factory.mktemp("wheel")
    venv = make_fresh_venv(build_dir / "venv", build_wheel(REPO, build_dir))
    workdir = tmp_path_factory.mktemp("empty-instance")
    port = free_port()
    # Nothing from the checkout or the test virtualenv: only what the fresh venv holds.
    env = {
        "PATH": f"{venv.root / 'bin'}:/usr/bin:/bin",
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "FEDIVERSE_CASES_INSTANCE_BASE_URL": f"http://127.0.0.1:{port}",
        "FEDIVERSE_CASES_SERVER_PORT": str(port),
        "FEDIVERSE_CASES_SESSION_SECRET": "wheel-test-" + "s" * 40,
        "FEDIVERSE_CASES_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    config = workdir / "instance.toml"
    config.write_text(_run(venv, [str(venv.script), "example-config"], workdir, env), encoding="utf-8")
    # The demo seed brings its own "admin"; the operator's admin account gets another name.
    _run(
        venv,
        [str(venv.script), "init", "--config", str(config), "--admin-username", "operator"],
        workdir,
        env,
    )
    _run(venv, [str(venv.python), "-c", SEED_DEMO, str(config)], workdir, env)
    doctor = _run(venv, [str(venv.script), "doctor", "--config", str(config)], workdir, env)
    assert doctor.rstrip().endswith("Nothing to fix."), doctor
    routes = json.loads(_run(venv, [str(venv.python), "-c", LIST_ROUTES, str(config)], workdir, env))
    files = json.loads(_run(venv, [str(venv.python), "-c", PACKAGE_FILES], workdir, env))
    log = (workdir / "server.log").open("wb")
    server = subprocess.Popen(
        [str(venv.script), "serve", "--config", str(config)], cwd=workdir, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (workdir / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "serve did not answer /healthz within 60 s"
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield Installed(venv, workdir, url, env, routes, files["data"], files["file"])
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    assert Path(installed.package_file).is_relative_to(installed.venv.site_packages)
    source = REPO / "fediverse_cases"
    wanted = sorted(
        str(path.relative_to(source))
        for path in source.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    )
    missing = sorted(set(wanted) - set(installed.package_data))
    assert not missing, f"files the source tree has and the wheel lacks: {missing}"
    assert "web/templates/base.html" in installed.package_data
    assert "instance_config/nginx.conf" in installed.package_data


def _sample_values(client: httpx.Client) -> dict[str, str]:
    """Real identifiers from the seeded instance, found the way a client finds them."""
    statuses = client.get("/api/v1/timelines/public", params={"local": "true"}).json()
    assert statuses, "the demo seed published no cases"
    # The first demo case carries comments; the timeline lists the newest first.
    status = statuses[-1]
    case_public_id = status["url"].rstrip("/").rsplit("/", 1)[-1]
    media = status["media_attachments"][0]
    context = client.get(f"/api/v1/statuses/{status['id']}/context").json()
    comment_url = next((s["url"] for s in context["descendants"]), None)
    assert comment_url, "the demo seed wrote no comments on the first case"
    return {
        "username": "clinician",
        "public_id": case_public_id,
        "comment_public_id": comment_url.rstrip("/").rsplit("/", 1)[-1],
        "name": media["url"].rsplit("/", 1)[-1],
        "account_id": status["account"]["id"],
        "status_id": status["id"],
        "media_id": media["id"],
        "tag": "radiology",
        "actor_id": "1",
        "notification_id": "1",
        "image_id": "1",
        "job_id": "1",
        "provider_id": "hospital",
        "study_uid": "1.2.3",
        "case_id": "1",
        "poll_id": "1",
        "flag_id": "1",
        "app_id": "1",
        "code": "413",
        "position": "0",
        "slug": "dermatology",
        "follow_id": "1",
        "decision": "approve",
        "post_id": "1",
        "page_id": "1",
    }


def _paths(installed: Installed, values: dict[str, str]) -> list[str]:
    paths: list[str] = []
    for route in installed.routes:
        if "GET" not in route["methods"] or route["rule"].startswith("/static/"):
            continue
        rule = route["rule"]
        if rule.startswith("/comments/"):
            rule = rule.replace("<public_id>", values["comment_public_id"])
        for argument in route["arguments"]:
            assert argument in values, f"no sample value for <{argument}> in {route['rule']}"
            rule = re.sub(rf"<(?:[a-z]+:)?{argument}>", values[argument], rule)
        paths.append(rule)
    return paths


def _check_all(client: httpx.Client, paths: list[str]) -> dict[str, int]:
    statuses = {path: client.get(path).status_code for path in paths}
    errors = {path: code for path, code in statuses.items() if code >= 500}
    assert not errors, f"5xx answers: {errors}"
    return statuses


def test_every_page_answers_anonymously_without_a_server_error(installed: Installed) -> None:
    with httpx.Client(base_url=installed.url, timeout=30) as client:
        statuses = _check_all(client, _paths(installed, _sample_values(client)))
    # Public pages really render (not only "no 5xx"): the templates are in the wheel.
    for path in ("/", "/login", "/register", "/feed/local", "/specialties", "/users/clinician"):
        assert statuses[path] == 200, (path, statuses[path])


def test_every_page_answers_for_the_admin_without_a_server_error(installed: Installed) -> None:
    with httpx.Client(base_url=installed.url, timeout=30) as client:
        values = _sample_values(client)
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        signed_in = client.post(
            "/login",
            data={"csrf_token": token[1], "username": "operator", "password": ADMIN_PASSWORD, "next": ""},
        )
        assert signed_in.status_code == 302, signed_in.text[:500]
        statuses = _check_all(client, _paths(installed, values))
    for path in ("/admin/", "/admin/users", "/admin/audit", "/admin/federation", "/review"):
        assert statuses[path] == 200, (path, statuses[path])
    assert statuses[f"/cases/{values['public_id']}"] == 200


def test_every_static_file_is_served(installed: Installed) -> None:
    static = [name.split("/", 2)[2] for name in installed.package_data if name.startswith("web/static/")]
    assert "style.css" in static
    with httpx.Client(base_url=installed.url, timeout=30) as client:
        for name in static:
            response = client.get(f"/static/{name}")
            assert response.status_code == 200, (name, response.status_code)
            assert response.content == (REPO / "fediverse_cases" / "web" / "static" / name).read_bytes()


def test_post_routes_refuse_empty_anonymous_requests_cleanly(installed: Installed) -> None:
    with httpx.Client(base_url=installed.url, timeout=30) as client:
        values = _sample_values(client)
        posts = [dict(r, methods=["GET"]) for r in installed.routes if "POST" in r["methods"]]
        errors = {}
        for path in _paths(Installed(**{**installed.__dict__, "routes": posts}), values):
            code = client.post(path).status_code
            if code >= 500:
                errors[path] = code
    assert not errors, f"5xx answers to an empty POST: {errors}"
