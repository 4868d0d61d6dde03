"""Feeds and search pages, local follows, and the feed parts of the home and profile pages.

Routes: /feed/local, /feed/following, /feed/teaching (cases with a confirmed outcome), /tags/<tag>, /specialties, /search?q=,
/users/<username>/cases, POST /users/<username>/follow|unfollow. The home page (pages.home) and
the profile page (profile.public_profile) get their feed data from a context processor here, so
those views stay as they are. Every list uses the SQL listable rule of repositories.feeds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from markupsafe import Markup
from quart import Blueprint, abort, flash, redirect, request, url_for
from sqlalchemy.ext.asyncio import AsyncSession
from werkzeug.wrappers import Response

from fediverse_cases.services import social
from fediverse_cases.storage.repositories import feeds as feed_repo
from fediverse_cases.storage.repositories import outcomes as outcomes_repo
from fediverse_cases.storage.repositories import social as social_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account, get_local_actor_by_username
from fediverse_cases.storage.repositories.search import search_cases
from fediverse_cases.web.auth import current_account, current_actor, login_required
from fediverse_cases.web.doc_cache import PAGE_SECONDS, cached_page
from fediverse_cases.web.fresh_values import fresh_values
from fediverse_cases.web.rendering import render_template, sync_templates
from fediverse_cases.web.state import app_state

blueprint = Blueprint("feeds", __name__)

MAX_TAG_LENGTH = 64
MAX_QUERY_LENGTH = 200
# What can newly appear on a public list: any change to a case (published, withdrawn, hidden).
LISTED = ("table:cases",)


def _cursor() -> feed_repo.Cursor | None:
    text = request.args.get("before", "")
    if not text:
        return None
    try:
        return feed_repo.Cursor.parse(text)
    except feed_repo.BadCursor:
        abort(400, description="That page link is not valid; go back to the first page.")


def _normal_tag(tag: str) -> str:
    tag = tag.strip().lstrip("#").lower()
    if not tag or len(tag) > MAX_TAG_LENGTH:
        abort(404)
    return tag


def case_list(page: feed_repo.FeedPage, next_url: str, empty_message: str = "") -> Markup:
    """The cards of ``page`` and its "older" link (templates/feeds/_list.html), as markup."""
    template = sync_templates().get_template("feeds/_list.html")
    return Markup(template.render(page=page, next_url=next_url, empty_message=empty_message))


def _next_url(page: feed_repo.FeedPage) -> str:
    if not page.next_cursor:
        return ""
    return url_for(
        request.endpoint or "",
        **{**request.view_args, **request.args.to_dict(), "before": page.next_cursor.encode()},
    )


async def _feed_page(
    template: str, page: feed_repo.FeedPage, empty_message: str = "", **context: object
) -> str:
    next_url = _next_url(page)
    return await render_template(template, case_list=case_list(page, next_url, empty_message), **context)


async def _listed_page(
    template: str,
    load: Callable[[AsyncSession], Awaitable[feed_repo.FeedPage]],
    empty_message: str = "",
    *,
    depends_on: tuple[str, ...] = LISTED,
    reader: int | None = None,
    **context: object,
) -> str:
    """A feed page whose cards ``load`` picks. Visitors' pages are cached whole (``cached_page``);
    for signed-in readers the cards are rendered once and kept while nothing they show changes:
    the same for every reader, or for one (``reader``: their actor id) when the list is theirs."""

    async def cards() -> Markup:
        async with app_state().sessionmaker() as db:
            page = await load(db)
        return case_list(page, _next_url(page), empty_message)

    key = f"cards {request.full_path} {'signed-in' if reader is None else reader}"
    markup = await _kept_cards(key, cards, depends_on)
    return await render_template(template, case_list=markup, **context)


async def _kept_cards(
    key: str, cards: Callable[[], Awaitable[Markup]], depends_on: tuple[str, ...]
) -> Markup:
    """Rendered for a visitor (whose whole page is cached); kept for signed-in readers while
    nothing the cards show changes (``web/fresh_values.py``)."""
    if current_account() is None:
        return await cards()
    return await fresh_values().get(key, cards, depends_on=depends_on, max_age=PAGE_SECONDS)


@blueprint.get("/feed/local")
@cached_page(depends_on=LISTED)
async def local_feed() -> str:
    cursor = _cursor()
    signed_in = current_account() is not None
    # The query is built inside the load: kept cards need none (building it was 7 % of the page).
    return await _listed_page(
        "feeds/feed.html",
        lambda db: feed_repo.page_of(db, feed_repo.local_feed_query(signed_in=signed_in), cursor),
        heading="Latest cases at this hospital",
        feed="local",
    )


TEACHING = (*LISTED, "table:case_outcomes")


@blueprint.get("/feed/teaching")
@cached_page(depends_on=TEACHING)
async def teaching_feed() -> str:
    """Cases with a confirmed outcome (their diagnosis stays behind "See the diagnosis")."""
    cursor = _cursor()
    signed_in = current_account() is not None
    return await _listed_page(
        "feeds/feed.html",
        lambda db: feed_repo.page_of(db, outcomes_repo.teaching_feed_query(signed_in=signed_in), cursor),
        "No case has a confirmed outcome yet.",
        depends_on=TEACHING,
        heading="Teaching cases: confirmed outcomes",
        feed="teaching",
    )


@blueprint.get("/feed/following")
@login_required
async def following_feed() -> str:
    cursor = _cursor()
    actor = await current_actor()
    return await _listed_page(
        "feeds/feed.html",
        lambda db: (
            feed_repo.following_feed(db, actor.id, cursor=cursor) if actor is not None else _no_cases()
        ),
        "Follow colleagues from their profile pages to see their cases here.",
        # Whom the reader follows is read as ids, not rows: any follow or unfollow counts.
        depends_on=(*LISTED, "table:follows"),
        reader=actor.id if actor is not None else 0,
        heading="Cases from people you follow",
        feed="following",
    )


async def _no_cases() -> feed_repo.FeedPage:
    return feed_repo.FeedPage([], None)


@blueprint.get("/tags/<tag>/")
async def tag_feed_with_slash(tag: str) -> Response:
    """Takahē and others link hashtags as ``/tags/<name>/``: same page, one canonical URL."""
    query = request.query_string.decode("latin-1")
    return redirect(url_for("feeds.tag_feed", tag=tag) + (f"?{query}" if query else ""), 301)


@blueprint.get("/tags/<tag>")
@cached_page(depends_on=LISTED)
async def tag_feed(tag: str) -> str:
    tag = _normal_tag(tag)
    cursor = _cursor()
    signed_in = current_account() is not None
    return await _listed_page(
        "feeds/feed.html",
        lambda db: feed_repo.tag_feed(db, tag, signed_in=signed_in, cursor=cursor),
        heading=f"#{tag}",
        feed="tag",
        tag=tag,
    )


@blueprint.get("/specialties")
@cached_page(depends_on=LISTED)
async def specialties() -> str:
    async with app_state().sessionmaker() as db:
        counts = await feed_repo.specialties(db, signed_in=current_account() is not None)
    return await render_template("feeds/specialties.html", specialties=counts)


@blueprint.get("/search")
@cached_page(depends_on=LISTED)
async def search() -> str:
    query = request.args.get("q", "")[:MAX_QUERY_LENGTH]
    cursor = _cursor()
    signed_in = current_account() is not None
    return await _listed_page(
        "feeds/search.html",
        lambda db: search_cases(db, query, signed_in=signed_in, cursor=cursor),
        "No cases match. Try fewer or different words, or a specialty tag.",
        query=query,
    )


@blueprint.get("/users/<username>/cases")
@cached_page(depends_on=LISTED)
async def person_cases(username: str) -> str:
    cursor = _cursor()
    async with app_state().sessionmaker() as db:
        person = await get_local_actor_by_username(db, username)
        if person is None or person.account_id is None:
            abort(404)
        page = await feed_repo.page_of(
            db, feed_repo.author_feed_query(person.id, signed_in=current_account() is not None), cursor
        )
    return await _feed_page("feeds/feed.html", page, heading=f"Cases by @{person.username}", feed="person")


async def _change_follow(username: str, follow: bool) -> Response:
    state = app_state()
    account = current_account()
    assert account is not None
    try:
        async with state.transaction() as db:
            me = await get_actor_for_account(db, account.id)
            them = await get_local_actor_by_username(db, username)
            if me is None or them is None or them.account_id is None:
                abort(404)
            if follow:
                await social.follow(db, state, me, them)
            else:
                await social.unfollow(db, state, me, them)
    except social.SocialError as error:
        abort(error.status, description=error.message)
    await flash(f"You follow @{username}." if follow else f"You no longer follow @{username}.")
    return redirect(url_for("profile.public_profile", username=username))


@blueprint.post("/users/<username>/follow")
@login_required
async def follow(username: str) -> Response:
    return await _change_follow(username, True)


@blueprint.post("/users/<username>/unfollow")
@login_required
async def unfollow(username: str) -> Response:
    return await _change_follow(username, False)


@blueprint.app_context_processor
async def feed_context() -> dict[str, object]:
    """Feed data for the lead's home and profile views, which render our templates."""
    if request.endpoint == "pages.home":
        signed_in = current_account() is not None

        async def home_cards() -> Markup:
            async with app_state().sessionmaker() as db:
                page = await feed_repo.page_of(db, feed_repo.local_feed_query(signed_in=signed_in), None)
            next_url = (
                url_for("feeds.local_feed", before=page.next_cursor.encode()) if page.next_cursor else ""
            )
            return case_list(page, next_url)

        # Every signed-in reader sees the same cards: rendered once, kept until a case changes.
        cards = await _kept_cards("home cards signed-in", home_cards, LISTED)
        return {"home_page": True, "home_case_list": cards}
    if request.endpoint == "profile.public_profile" and request.view_args:
        return await _profile_context(str(request.view_args.get("username", "")))
    return {}


async def _profile_context(username: str) -> dict[str, object]:
    account = current_account()
    async with app_state().sessionmaker() as db:
        person = await get_local_actor_by_username(db, username)
        if person is None:
            return {}
        page = await feed_repo.page_of(
            db, feed_repo.author_feed_query(person.id, signed_in=account is not None), None, limit=6
        )
        me = await get_actor_for_account(db, account.id) if account is not None else None
        following = me is not None and await social_repo.get_follow(db, me.id, person.id) is not None
    return {
        "person_page": page,
        "may_follow": me is not None and me.id != person.id,
        "following": following,
    }
