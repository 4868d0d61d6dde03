"""Collections of saved cases: /collections (yours, and a new one), /collections/<id> (the page;
an OrderedCollection for ``Accept: application/activity+json`` once published), saving a case
(/cases/<id>/collect), ordering, removing, publishing; and /users/<name>/collections, the
OrderedCollection of a person's published sets their actor links to. Rules: services.collections.
"""

from __future__ import annotations

import json

from quart import Blueprint, Response, abort, flash, redirect, request, url_for

from fediverse_cases.activitypub.constants import ACTIVITY_JSON
from fediverse_cases.convert.cases import as2_datetime
from fediverse_cases.convert.collections import collection_document, collections_index
from fediverse_cases.core.case_access import Viewer, can_view_case, case_facts
from fediverse_cases.federation.signed_fetch import NotAllowed, refuse_unallowed_signer
from fediverse_cases.services import collections as collection_service
from fediverse_cases.services.social import viewer_for
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import collections as collections_repo
from fediverse_cases.storage.repositories.accounts import (
    get_account_by_username,
    get_actor_for_account,
    get_local_actor_by_username,
)
from fediverse_cases.storage.repositories.feeds import hydrate
from fediverse_cases.web.auth import current_account, login_required
from fediverse_cases.web.forms import form_fields
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("collections", __name__)


def _wants_activity_json() -> bool:
    accept = request.headers.get("Accept", "").lower()
    return "application/activity+json" in accept or (
        "application/ld+json" in accept and "activitystreams" in accept
    )


def _as2(document: dict[str, object], status: int = 200) -> Response:
    return Response(
        json.dumps(document),
        status=status,
        content_type=f"{ACTIVITY_JSON}; charset=utf-8",
        headers={"Vary": "Accept"},
    )


def _collection_url(public_id: str) -> str:
    return f"{app_state().settings.instance.base_url}/collections/{public_id}"


@blueprint.get("/collections")
@login_required
async def index() -> str:
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        mine = await collections_repo.of_owner(db, account.id)
    return await render_template("collections/index.html", collections=mine)


@blueprint.post("/collections")
@login_required
async def create() -> Response:
    account = current_account()
    assert account is not None
    values = await form_fields(("title", "description", "case"), max_length=3000)
    try:
        async with app_state().transaction() as db:
            collection = await collection_service.create(db, account, values["title"], values["description"])
            if values["case"]:
                actor = await get_actor_for_account(db, account.id)
                case = await case_repo.get_case_by_public_id(db, values["case"])
                await collection_service.add_case(
                    db, account, viewer_for(account, actor), collection.public_id, case
                )
    except collection_service.CollectionError as error:
        await flash(error.message)
        return redirect(url_for("collections.index"))
    return redirect(url_for("collections.show", public_id=collection.public_id))


@blueprint.get("/collections/<public_id>")
async def show(public_id: str) -> Response | str:
    if _wants_activity_json():
        return await _collection_as2(public_id)
    account = current_account()
    async with app_state().sessionmaker() as db:
        actor = await get_actor_for_account(db, account.id) if account is not None else None
        try:
            collection, cases = await collection_service.visible(
                db, account, viewer_for(account, actor), public_id
            )
        except collection_service.CollectionError:
            abort(404)
        listings = await hydrate(db, cases)
    mine = account is not None and collection.owner_account_id == account.id
    return await render_template(
        "collections/collection.html", collection=collection, listings=listings, mine=mine
    )


async def _collection_as2(public_id: str) -> Response:
    state = app_state()
    try:
        await refuse_unallowed_signer(state)
    except NotAllowed:
        return _as2({"error": "signed by a server this instance does not federate with"}, 403)
    async with state.sessionmaker() as db:
        collection = await collections_repo.by_public_id(db, public_id)
        if collection is None or not collection.published:
            return _as2({"error": "not found"}, 404)
        owner = await get_actor_for_account(db, collection.owner_account_id)
        public = [
            case.ap_id
            for _item, case in await collections_repo.items(db, collection.id)
            if can_view_case(Viewer(), case_facts(case))  # what an anonymous reader may see
        ]
    assert owner is not None
    return _as2(
        collection_document(
            _collection_url(public_id),
            owner.uri,
            collection.title,
            collection.description,
            public,
            as2_datetime(collection.updated_at),
        )
    )


@blueprint.get("/users/<username>/collections")
async def owner_index(username: str) -> Response:
    state = app_state()
    try:
        await refuse_unallowed_signer(state)
    except NotAllowed:
        return _as2({"error": "signed by a server this instance does not federate with"}, 403)
    async with state.sessionmaker() as db:
        actor = await get_local_actor_by_username(db, username)
        account = await get_account_by_username(db, username)
        published = await collections_repo.of_owner(db, account.id, published_only=True) if account else []
    if actor is None or account is None:
        return _as2({"error": "not found"}, 404)
    return _as2(
        collections_index(
            f"{actor.uri}/collections", actor.uri, [_collection_url(c.public_id) for c in published]
        )
    )


async def _owner_action(public_id: str, action: str) -> Response:
    account = current_account()
    assert account is not None
    values = await form_fields(("case_id", "published"))
    case_id = int(values["case_id"]) if values["case_id"].isdigit() else -1
    try:
        async with app_state().transaction() as db:
            if action == "publish":
                await collection_service.set_published(db, account, public_id, values["published"] == "1")
            elif action == "remove":
                await collection_service.remove(db, account, public_id, case_id)
            else:
                await collection_service.move(db, account, public_id, case_id, -1 if action == "up" else 1)
    except collection_service.CollectionError as error:
        if error.status in (403, 404):
            abort(error.status, description=error.message)
        await flash(error.message)
    return redirect(url_for("collections.show", public_id=public_id))


@blueprint.post("/collections/<public_id>/publish")
@login_required
async def publish(public_id: str) -> Response:
    return await _owner_action(public_id, "publish")


@blueprint.post("/collections/<public_id>/up")
@login_required
async def move_up(public_id: str) -> Response:
    return await _owner_action(public_id, "up")


@blueprint.post("/collections/<public_id>/down")
@login_required
async def move_down(public_id: str) -> Response:
    return await _owner_action(public_id, "down")


@blueprint.post("/collections/<public_id>/remove")
@login_required
async def remove(public_id: str) -> Response:
    return await _owner_action(public_id, "remove")


@blueprint.get("/cases/<case_id>/collect")
@login_required
async def collect_form(case_id: str) -> str:
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        actor = await get_actor_for_account(db, account.id)
        case = await case_repo.get_case_by_public_id(db, case_id)
        if case is None or not can_view_case(viewer_for(account, actor), case_facts(case)):
            abort(404)
        mine = await collections_repo.of_owner(db, account.id)
    return await render_template("collections/collect.html", case=case, collections=mine)


@blueprint.post("/cases/<case_id>/collect")
@login_required
async def collect(case_id: str) -> Response:
    account = current_account()
    assert account is not None
    values = await form_fields(("collection",))
    try:
        async with app_state().transaction() as db:
            actor = await get_actor_for_account(db, account.id)
            case = await case_repo.get_case_by_public_id(db, case_id)
            await collection_service.add_case(
                db, account, viewer_for(account, actor), values["collection"], case
            )
    except collection_service.CollectionError as error:
        abort(error.status, description=error.message)
    await flash("Saved to the collection.")
    return redirect(url_for("collections.show", public_id=values["collection"]))
