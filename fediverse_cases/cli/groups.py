"""`fediverse-cases groups`: the specialty groups this instance hosts, from the shell.

groups list
groups create SLUG --name NAME [--summary TEXT] [--specialty SLUG] [--join local|peers|approval]
              [--moderator USERNAME ...]
groups create --defaults         one group per seeded specialty (skips slugs already taken)
groups moderators SLUG USERNAME [USERNAME ...]
"""

from __future__ import annotations

import argparse

from fediverse_cases.cli.common import CommandError, add_config_argument, run_with_state
from fediverse_cases.core.groups import JoinPolicy, default_groups
from fediverse_cases.services import groups as group_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.repositories import groups as groups_repo


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("groups", help="manage the specialty groups this instance hosts")
    actions = parser.add_subparsers(dest="groups_action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="show hosted groups, their policy, moderators and members")
    add_config_argument(listing)
    listing.set_defaults(handler=run_list)

    create = actions.add_parser("create", help="create a group (or the default set with --defaults)")
    add_config_argument(create)
    create.add_argument("slug", nargs="?", help="its name in URLs and WebFinger (acct:SLUG@host)")
    create.add_argument("--name", default="")
    create.add_argument("--summary", default="")
    create.add_argument("--specialty", default="", help="one of the seeded specialty slugs")
    create.add_argument(
        "--join",
        choices=[p.value for p in JoinPolicy],
        default=JoinPolicy.PEERS.value,
        help="who may join: local professionals, professionals of allowed peers, or by approval",
    )
    create.add_argument("--moderator", action="append", default=[], metavar="USERNAME")
    create.add_argument("--defaults", action="store_true", help="create one group per seeded specialty")
    create.set_defaults(handler=run_create)

    mods = actions.add_parser("moderators", help="set a group's moderators (local usernames)")
    add_config_argument(mods)
    mods.add_argument("slug")
    mods.add_argument("usernames", nargs="+")
    mods.set_defaults(handler=run_moderators)


def _guarded(args: argparse.Namespace, work) -> int:  # type: ignore[no-untyped-def]
    async def runner(state: AppState) -> None:
        try:
            async with state.transaction() as db:
                await work(db, state)
        except group_service.GroupError as error:
            raise CommandError(str(error)) from None

    return run_with_state(args, runner)


def run_list(args: argparse.Namespace) -> int:
    async def work(db, state: AppState) -> None:  # type: ignore[no-untyped-def]
        groups = await groups_repo.list_groups(db)
        if not groups:
            print("no groups")
        for group, actor in groups:
            mods = ",".join(a.username for a in await groups_repo.moderators(db, group.id)) or "-"
            members = len(await groups_repo.members(db, actor.id))
            pending = len(await groups_repo.members(db, actor.id, "pending"))
            print(
                f"{group.slug}\t{actor.display_name}\tjoin={group.join_policy}\tmoderators={mods}"
                f"\tmembers={members}\tpending={pending}\t{actor.uri}"
            )

    return _guarded(args, work)


async def create_defaults(db, state: AppState, moderators: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """The default set: one group per specialty; slugs already taken are left alone."""
    created = []
    for default in default_groups():
        if await groups_repo.get_group_by_slug(db, default.slug):
            continue
        try:
            await group_service.create_group(
                db,
                state,
                group_service.NewGroup(
                    slug=default.slug,
                    name=default.name,
                    summary=default.summary,
                    specialty=default.specialty,
                    moderators=moderators,
                ),
                Operator.shell(),
            )
        except group_service.GroupError:
            continue  # e.g. a person already has that name
        created.append(default.slug)
    return created


def run_create(args: argparse.Namespace) -> int:
    async def work(db, state: AppState) -> None:  # type: ignore[no-untyped-def]
        if args.defaults:
            created = await create_defaults(db, state, args.moderator)
            print(f"created {len(created)} groups: {', '.join(created) or '-'}")
            return
        if not args.slug:
            raise group_service.GroupError("give a SLUG (or --defaults)")
        _, actor = await group_service.create_group(
            db,
            state,
            group_service.NewGroup(
                slug=args.slug,
                name=args.name or args.slug,
                summary=args.summary,
                specialty=args.specialty,
                join_policy=args.join,
                moderators=args.moderator,
            ),
            Operator.shell(),
        )
        print(
            f"created group {actor.username} at {actor.uri} (acct:{actor.username}@{state.settings.instance.host})"
        )

    return _guarded(args, work)


def run_moderators(args: argparse.Namespace) -> int:
    async def work(db, state: AppState) -> None:  # type: ignore[no-untyped-def]
        found = await groups_repo.get_group_by_slug(db, args.slug)
        if found is None:
            raise group_service.GroupError(f"no group {args.slug!r}")
        await group_service.set_moderators(db, found[0], args.usernames, Operator.shell())
        print(f"{args.slug}: moderators {', '.join(args.usernames)}")

    return _guarded(args, work)
