"""The session cookie remembered once verified (``web/sessions.py``) gives each request what the
cookie held: a request that changes a list or dict in its session in place does not change what
the next request with the same cookie reads, and a cookie the server did not sign opens empty."""

from __future__ import annotations

from quart import Quart, session

from fediverse_cases.web.sessions import CookieSessions


def make_app() -> Quart:
    app = Quart(__name__)
    app.config.update(SECRET_KEY="test secret", SESSION_COOKIE_NAME="fc_session")
    app.session_interface = CookieSessions()

    @app.get("/start")
    async def start() -> str:
        session.permanent = True
        session["grant"] = {"case_id": 7, "tries": [1]}
        return "started"

    @app.get("/meddle")
    async def meddle() -> str:
        # In place: the session is not marked modified, so no new cookie is sent.
        session["grant"]["case_id"] = 99
        session["grant"]["tries"].append(2)
        return "meddled"

    @app.get("/read")
    async def read() -> dict[str, object]:
        return dict(session.get("grant") or {})

    return app


async def test_a_request_changing_its_session_in_place_leaves_the_cookie_as_it_was() -> None:
    app = make_app()
    client = app.test_client()
    started = await client.get("/start")
    cookie = started.headers["Set-Cookie"].split(";")[0]
    for _ in range(2):
        assert await (await client.get("/read", headers={"Cookie": cookie})).get_json() == {
            "case_id": 7,
            "tries": [1],
        }
        meddled = await client.get("/meddle", headers={"Cookie": cookie})
        assert "Set-Cookie" not in meddled.headers


async def test_a_cookie_the_server_did_not_sign_opens_empty() -> None:
    app = make_app()
    client = app.test_client()
    cookie = (await client.get("/start")).headers["Set-Cookie"].split(";")[0]
    assert (await (await client.get("/read", headers={"Cookie": cookie})).get_json())["case_id"] == 7
    name, _, value = cookie.partition("=")
    forged = f"{name}={value[:-2]}{'AA' if not value.endswith('AA') else 'BB'}"
    assert await (await client.get("/read", headers={"Cookie": forged})).get_json() == {}
