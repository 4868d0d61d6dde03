"""fediverse-pasture's ``verify_actor`` server (its own Quart app, as shipped) on loopback.

Its CLI binds 0.0.0.0; this starts the same ``build_app`` under hypercorn on 127.0.0.1 only.
It writes its generated test actors to ``data.toml`` in the working directory, so run it in a
scratch folder. ``GET /?actor_uri=<our actor>`` with ``Accept: application/json`` runs the checks.
"""

from __future__ import annotations

import argparse
import asyncio

from fediverse_pasture.verify_actor import build_app
from hypercorn.asyncio import serve
from hypercorn.config import Config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    config = Config()
    config.bind = [f"127.0.0.1:{args.port}"]
    app = build_app(False, f"127.0.0.1:{args.port}", False, args.timeout)
    asyncio.run(serve(app, config))


if __name__ == "__main__":
    main()
