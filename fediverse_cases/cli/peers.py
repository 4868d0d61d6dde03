"""`fediverse-cases peers`: the allow-list from the shell.

peers list
peers allow HOST[:PORT] [--vouch-professionals] [--scheme http|https]
peers block HOST[:PORT]
peers remove HOST[:PORT] [--purge]
peers vouch ACTOR_URL [--undo]
"""

from __future__ import annotations

import argparse

from fediverse_cases.cli.common import CommandError, add_config_argument, run_with_state
from fediverse_cases.services import peers as peer_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.repositories import deliveries as deliveries_repo
from fediverse_cases.storage.repositories import peers as peers_repo


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("peers", help="manage the peer hospitals this instance federates with")
    actions = parser.add_subparsers(dest="peers_action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="show peers with their state and delivery health")
    add_config_argument(listing)
    listing.set_defaults(handler=run_list)

    allow = actions.add_parser("allow", help="allow a peer (HOST[:PORT] or its base URL)")
    add_config_argument(allow)
    allow.add_argument("host")
    allow.add_argument(
        "--vouch-professionals",
        action="store_true",
        help="every account of that peer counts as a verified professional",
    )
    allow.add_argument(
        "--scheme", choices=("https", "http"), default=None, help="defaults to https (http for loopback)"
    )
    allow.set_defaults(handler=run_allow)

    block = actions.add_parser("block", help="block a peer (and its subdomains); cancels queued deliveries")
    add_config_argument(block)
    block.add_argument("host")
    block.set_defaults(handler=run_block)

    remove = actions.add_parser("remove", help="forget a peer; cancels queued deliveries")
    add_config_argument(remove)
    remove.add_argument("host")
    remove.add_argument("--purge", action="store_true", help="also delete everything cached from it")
    remove.set_defaults(handler=run_remove)

    vouch = actions.add_parser("vouch", help="vouch for one remote actor as a verified professional")
    add_config_argument(vouch)
    vouch.add_argument("actor_url")
    vouch.add_argument("--undo", action="store_true", help="withdraw the vouch")
    vouch.set_defaults(handler=run_vouch)


def _guarded(args: argparse.Namespace, work) -> int:  # type: ignore[no-untyped-def]
    async def runner(state: AppState) -> None:
        try:
            async with state.transaction() as db:
                await work(db, state)
        except peer_service.PeerError as error:
            raise CommandError(str(error)) from None

    return run_with_state(args, runner)


def run_list(args: argparse.Namespace) -> int:
    async def work(db, state: AppState) -> None:  # type: ignore[no-untyped-def]
        peers = await peers_repo.list_peers(db)
        pending = await deliveries_repo.pending_counts_by_peer(db)
        print(f"mode: {state.settings.federation.mode}")
        if not peers:
            print("no peers")
        for peer in peers:
            health = f"failures={peer.consecutive_failures}"
            if peer.last_success_at:
                health += f" last_success={peer.last_success_at:%Y-%m-%dT%H:%M:%SZ}"
            if peer.unreachable_since:
                health += f" unreachable_since={peer.unreachable_since:%Y-%m-%dT%H:%M:%SZ}"
            vouch = " vouch-professionals" if peer.vouch_professionals else ""
            print(
                f"{peer.host}\t{peer.state}\t{peer.scheme}{vouch}\tqueued={pending.get(peer.host, 0)}\t{health}"
            )

    return _guarded(args, work)


def run_allow(args: argparse.Namespace) -> int:
    async def work(db, state: AppState) -> None:  # type: ignore[no-untyped-def]
        peer = await peer_service.allow_peer(
            db,
            state,
            args.host,
            Operator.shell(),
            vouch_professionals=args.vouch_professionals,
            scheme=args.scheme,
        )
        print(
            f"allowed {peer.host} ({peer.scheme}){' vouching for its professionals' if peer.vouch_professionals else ''}"
        )

    return _guarded(args, work)


def run_block(args: argparse.Namespace) -> int:
    async def work(db, state: AppState) -> None:  # type: ignore[no-untyped-def]
        cancelled = await peer_service.block_peer(db, state, args.host, Operator.shell())
        print(f"blocked {args.host}; cancelled {cancelled} queued deliveries")

    return _guarded(args, work)


def run_remove(args: argparse.Namespace) -> int:
    async def work(db, state: AppState) -> None:  # type: ignore[no-untyped-def]
        result = await peer_service.remove_peer(db, state, args.host, Operator.shell(), purge=args.purge)
        if not result.existed:
            print(f"{result.host} was not a peer", end="; ")
        print(f"removed {result.host}; cancelled {result.cancelled_deliveries} queued deliveries", end="")
        print(
            f"; purged {result.purged_actors} actors and {result.purged_media} media files"
            if args.purge
            else ""
        )

    return _guarded(args, work)


def run_vouch(args: argparse.Namespace) -> int:
    async def work(db, state: AppState) -> None:  # type: ignore[no-untyped-def]
        await peer_service.vouch_actor(db, state, args.actor_url, Operator.shell(), vouched=not args.undo)
        print(f"{'withdrew the vouch for' if args.undo else 'vouched for'} {args.actor_url}")

    return _guarded(args, work)
