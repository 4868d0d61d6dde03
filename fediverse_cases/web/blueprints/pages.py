"""The home page and plain informational pages."""

from __future__ import annotations

from quart import Blueprint, render_template

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
async def home() -> str:
    return await render_template("home.html")


@blueprint.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
