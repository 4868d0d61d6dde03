"""`fediverse-cases tokens create USER --scopes "read write"`: API tokens for scripts.

The token is printed once; only its SHA-256 hash is stored. Revoke it from the person's
``/settings/apps`` page or with `tokens revoke`.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from fediverse_cases.cli.common import CommandError, add_config_argument, run_with_state
from fediverse_cases.services import oauth as oauth_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import oauth as oauth_repo


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    tokens = subparsers.add_parser("tokens", help="issue and revoke API access tokens for scripts")
    actions = tokens.add_subparsers(dest="tokens_command", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="issue a token for USER (printed once)")
    add_config_argument(create)
    create.add_argument("username")
    create.add_argument("--scopes", default="read", help='space-separated scopes, e.g. "read write"')
    create.add_argument("--expires-in-days", type=int, default=None, help="default: never expires")
    create.add_argument("--name", default="", help="label shown on the person's authorized apps page")
    create.set_defaults(handler=run_create)

    revoke = actions.add_parser("revoke", help="revoke a token (give the token itself)")
    add_config_argument(revoke)
    revoke.add_argument("token")
    revoke.set_defaults(handler=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    if args.expires_in_days is not None and args.expires_in_days <= 0:
        raise SystemExit("fediverse-cases: --expires-in-days must be positive")

    async def work(state: AppState) -> None:
        try:
            async with state.transaction() as db:
                account = await account_repo.get_account_by_username(db, args.username)
                if account is None:
                    raise CommandError(f"no account named {args.username!r}")
                if account.disabled:
                    raise CommandError(f"{account.username} is disabled")
                issued = await oauth_service.create_script_token(
                    db,
                    account,
                    args.scopes,
                    Operator.shell(),
                    expires_in=timedelta(days=args.expires_in_days) if args.expires_in_days else None,
                    label=args.name,
                )
        except oauth_service.OAuthError as error:
            raise CommandError(error.description) from None
        print(issued.access_token)

    return run_with_state(args, work)


def run_revoke(args: argparse.Namespace) -> int:
    async def work(state: AppState) -> None:
        from fediverse_cases.storage.base import utcnow

        async with state.transaction() as db:
            token = await oauth_repo.get_token_by_hash(db, oauth_service.hash_secret(args.token.strip()))
            if token is None:
                raise CommandError("no such token")
            if token.revoked_at is None:
                token.revoked_at = utcnow()
        print("revoked")

    return run_with_state(args, work)
