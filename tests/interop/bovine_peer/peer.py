"""A bovine-herd 0.5 server on loopback, for interop tests (runs in its own venv, see install.sh).

The ActivityPub side is bovine-herd as shipped (Quart app, `BovineHerd`, SQLite store): its
actor, inbox, outbox processing, delivery and HTTP signatures are bovine's own code. This file
adds only what a person would otherwise do through a client:

- one actor, registered at start (handle from --handle), with an Ed25519 identity so the
  control routes can act as its client over Moo-Auth-1 (bovine's client-to-server auth);
- ``/media/<name>`` serving files the test uploaded (bovine-herd has no media host);
- ``/_control/*`` (TEST ONLY, no auth): health, upload media, post an activity to the actor's
  outbox through bovine's own HTTP endpoint, read the actor's inbox through bovine's own HTTP
  endpoint, and read what bovine's store holds for an object id.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

import aiohttp
from bovine import BovineClient
from bovine.crypto import generate_ed25519_private_key, private_key_to_did_key
from bovine_herd import BovineHerd
from bovine_store import BovineAdminStore
from quart import Quart, request, send_file


def build_app(port: int, data_dir: Path, handle: str) -> Quart:
    base = f"http://127.0.0.1:{port}"
    media_dir = data_dir / "media"
    media_dir.mkdir(parents=True, exist_ok=True)
    app = Quart(__name__)
    BovineHerd(app, db_url=f"sqlite://{data_dir / 'bovine.sqlite3'}")

    @app.before_serving
    async def register_actor() -> None:
        # Runs after bovine's own start-up (Tortoise initialised, store configured).
        admin = BovineAdminStore(domain=base)
        bovine_name = await admin.register(handle)
        secret = generate_ed25519_private_key()
        did_key = private_key_to_did_key(secret)
        await admin.add_identity_string_to_actor(bovine_name, did_key.removeprefix("did:key:"), did_key)
        actor = await admin.actor_for_name(bovine_name)
        actor_id = actor.actor_object.id
        if actor.session is not None:
            await actor.session.close()
        app.config["peer_client"] = BovineClient(domain=base, actor_id=actor_id, secret=secret)
        app.config["peer_client_session"] = aiohttp.ClientSession()
        app.config["peer_actor_id"] = actor_id

    async def peer_client() -> BovineClient:
        # The client reads its actor over HTTP, so it starts on first use (the server listens by then).
        client = app.config["peer_client"]
        if client.information is None:
            await client.init(session=app.config["peer_client_session"])
        return client

    @app.after_serving
    async def close_client() -> None:
        await app.config["peer_client_session"].close()

    @app.get("/media/<name>")
    async def media(name: str):  # type: ignore[no-untyped-def]
        path = media_dir / Path(name).name
        if not path.is_file():
            return {"status": "not found"}, 404
        return await send_file(path, mimetype="image/jpeg")

    @app.get("/_control/health")
    async def health():  # type: ignore[no-untyped-def]
        client = await peer_client()
        return {
            "actor": app.config["peer_actor_id"],
            "inbox": client.information["inbox"],
            "outbox": client.information["outbox"],
            "followers": client.information.get("followers"),
            "handle": f"{handle}@127.0.0.1:{port}",
        }

    @app.put("/_control/media/<name>")
    async def upload(name: str):  # type: ignore[no-untyped-def]
        (media_dir / Path(name).name).write_bytes(await request.get_data())
        return {"url": f"{base}/media/{Path(name).name}"}

    @app.post("/_control/outbox")
    async def post_outbox():  # type: ignore[no-untyped-def]
        # Client-to-server: bovine's outbox endpoint, Moo-Auth-1 signed, like any bovine client.
        response = await (await peer_client()).send_to_outbox(await request.get_json())
        return {"status": response.status, "location": response.headers.get("location")}

    @app.get("/_control/inbox")
    async def read_inbox():  # type: ignore[no-untyped-def]
        client = await peer_client()
        inbox = client.information["inbox"]
        collection = await client.get(inbox)
        items = list(collection.get("orderedItems", []))
        page_url = collection.get("first")
        while page_url:
            page = await client.get(page_url)
            items.extend(page.get("orderedItems", []))
            page_url = page.get("next") if page.get("orderedItems") else None
        # The collection lists ids; each activity is read back from bovine's store as its
        # owner sees it (remote activities live there, not under /objects).
        store = app.config["bovine_store"]
        resolved = []
        for item in items:
            if isinstance(item, str):
                item = await store.retrieve(app.config["peer_actor_id"], item, include=["object"])
            if item:
                resolved.append(item)
        return {"items": resolved}

    @app.get("/_control/object")
    async def stored_object():  # type: ignore[no-untyped-def]
        store = app.config["bovine_store"]
        obj = await store.retrieve(app.config["peer_actor_id"], request.args["id"])
        return {"object": obj}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--handle", default="herd")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    args.data_dir.mkdir(parents=True, exist_ok=True)

    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{args.port}"]
    config.accesslog = "-"
    asyncio.run(serve(build_app(args.port, args.data_dir, args.handle), config))


if __name__ == "__main__":
    main()
