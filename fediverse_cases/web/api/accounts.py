"""Account endpoints: verify_credentials, one account, lookup, an account's statuses, follow,
unfollow, relationships and follow requests."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify

from fediverse_cases.services import follow_remote
from fediverse_cases.services import social as social_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.storage.repositories import accounts as accounts_repo
from fediverse_cases.storage.repositories import follows as follows_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.api import pagination
from fediverse_cases.web.api.auth import api_view, require_account
from fediverse_cases.web.api.errors import ApiError, not_found
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.api.rendering import accounts_json, relationship, render_case_page
from fediverse_cases.web.api.serializers import credential_account_json, relationship_json
from fediverse_cases.web.auth import client_ip
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_accounts", __name__)


def _base_url() -> str:
    return app_state().settings.instance.base_url


def _actor_id(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise not_found()
    return int(text)


@blueprint.get("/api/v1/accounts/verify_credentials")
@api_view("read:accounts")
async def verify_credentials() -> Response:
    account = require_account()
    async with app_state().sessionmaker() as db:
        actor = await get_actor_for_account(db, account.id)
        if actor is None:
            raise not_found()
        counts = (await accounts_repo.account_counts(db, [actor.id]))[actor.id]
    return jsonify(credential_account_json(actor, account, counts, _base_url()))


@blueprint.get("/api/v1/accounts/lookup")
@api_view("read:accounts", public=True)
async def lookup() -> Response:
    params = await read_params()
    acct = params.get("acct").strip().lstrip("@")
    username, _, host = acct.partition("@")
    if not username:
        raise not_found()
    if host == app_state().settings.instance.host:
        host = ""
    async with app_state().sessionmaker() as db:
        actor = await accounts_repo.find_actor_by_handle(
            db, username.lower() if not host else username, host or None
        )
        if actor is None:
            raise not_found()
        rendered = await accounts_json(db, [actor.id])
    return jsonify(rendered[actor.id])


@blueprint.get("/api/v1/accounts/relationships")
@api_view("read:follows")
async def relationships() -> Response:
    account = require_account()
    params = await read_params()
    ids = [int(value) for value in params.get_list("id") if value.isdigit() and len(value) <= 18][:40]
    async with app_state().sessionmaker() as db:
        me = await get_actor_for_account(db, account.id)
        if me is None:
            raise not_found()
        outgoing, incoming = await follows_repo.follows_between(db, me.id, ids)
    return jsonify([relationship_json(i, outgoing.get(i), incoming.get(i)) for i in ids])


@blueprint.get("/api/v1/accounts/<account_id>")
@api_view("read:accounts", public=True)
async def show(account_id: str) -> Response:
    actor_id = _actor_id(account_id)
    async with app_state().sessionmaker() as db:
        actor = await accounts_repo.get_person_actor(db, actor_id)
        if actor is None:
            raise not_found()
        rendered = await accounts_json(db, [actor.id])
    return jsonify(rendered[actor.id])


@blueprint.get("/api/v1/accounts/<account_id>/statuses")
@api_view("read:statuses", public=True)
async def statuses(account_id: str) -> Response:
    actor_id = _actor_id(account_id)
    async with app_state().sessionmaker() as db:
        if await accounts_repo.get_person_actor(db, actor_id) is None:
            raise not_found()
    return await render_case_page("author", author_actor_id=actor_id)


async def _follow_change(account_id: str, follow: bool) -> Response:
    """Local people are followed at once (``services.social``); remote ones through
    ``services.follow_remote``, which queues the Follow (or Undo) for the peer's inbox and leaves
    the follow ``requested`` until the peer's Accept arrives."""
    account = require_account()
    target_id = _actor_id(account_id)
    state = app_state()
    async with state.sessionmaker() as db:
        me = await get_actor_for_account(db, account.id)
        target = await accounts_repo.get_person_actor(db, target_id)
    if me is None or target is None:
        raise not_found()
    operator = Operator(account.id, account.username, client_ip())
    try:
        if target.is_local:
            async with state.transaction() as db:
                if follow:
                    await social_service.follow(db, state, me, target)
                else:
                    await social_service.unfollow(db, state, me, target)
        elif follow:
            await follow_remote.follow_actor(state, account, target.id, operator)
        else:
            await follow_remote.unfollow_actor(state, account, target.id, operator)
    except social_service.SocialError as error:
        raise ApiError(error.status, error.message) from None
    except follow_remote.FollowError as error:
        raise ApiError(422, f"Validation failed: {error}") from None
    async with state.sessionmaker() as db:
        return jsonify(await relationship(db, me.id, target_id))


@blueprint.post("/api/v1/accounts/<account_id>/follow")
@api_view("write:follows")
async def follow(account_id: str) -> Response:
    return await _follow_change(account_id, True)


@blueprint.post("/api/v1/accounts/<account_id>/unfollow")
@api_view("write:follows")
async def unfollow(account_id: str) -> Response:
    return await _follow_change(account_id, False)


async def _follow_list(account_id: str, *, followers: bool) -> Response:
    # Who follows whom is shown to signed-in clients only (our collections publish counts alone).
    require_account()
    actor_id = _actor_id(account_id)
    page = await pagination.id_page(default_limit=40, max_limit=80)
    async with app_state().sessionmaker() as db:
        if await accounts_repo.get_person_actor(db, actor_id) is None:
            raise not_found()
        follows = await follows_repo.accepted_follows_page(db, actor_id, page, followers=followers)
        other = [follow.follower_id if followers else follow.followed_id for follow in follows]
        rendered = await accounts_json(db, other)
    body = [rendered[actor] for actor in other if actor in rendered]
    return pagination.paginated(body, [follow.id for follow in follows], page)


@blueprint.get("/api/v1/accounts/<account_id>/followers")
@api_view("read:accounts")
async def followers(account_id: str) -> Response:
    return await _follow_list(account_id, followers=True)


@blueprint.get("/api/v1/accounts/<account_id>/following")
@api_view("read:accounts")
async def following(account_id: str) -> Response:
    return await _follow_list(account_id, followers=False)
