"""`fediverse-cases users list|verify|set-role|disable` for administrators at the shell."""

from __future__ import annotations

import argparse

from fediverse_cases.cli.common import CommandError, add_config_argument, run_with_state
from fediverse_cases.core.accounts import Role
from fediverse_cases.services import accounts as account_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Account
from fediverse_cases.storage.repositories import accounts as account_repo


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    users = subparsers.add_parser("users", help="list, verify, change roles of and disable accounts")
    actions = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="list accounts")
    add_config_argument(listing)
    listing.add_argument("--pending", action="store_true", help="only verification requests waiting")
    listing.set_defaults(handler=run_list)

    verify = actions.add_parser("verify", help="approve (or --reject) a verification request")
    add_config_argument(verify)
    verify.add_argument("username")
    verify.add_argument("--reject", action="store_true")
    verify.add_argument("--reason", default="")
    verify.set_defaults(handler=run_verify)

    set_role = actions.add_parser("set-role", help="change an account's role")
    add_config_argument(set_role)
    set_role.add_argument("username")
    set_role.add_argument("role", choices=[role.value for role in Role])
    set_role.set_defaults(handler=run_set_role)

    disable = actions.add_parser("disable", help="disable (or --enable) an account")
    add_config_argument(disable)
    disable.add_argument("username")
    disable.add_argument("--enable", action="store_true")
    disable.set_defaults(handler=run_disable)


def run_list(args: argparse.Namespace) -> int:
    async def work(state: AppState) -> None:
        async with state.sessionmaker() as db:
            accounts = (
                await account_repo.verification_queue(db)
                if args.pending
                else await account_repo.list_accounts(db)
            )
        print(f"{'USERNAME':<20} {'ROLE':<13} {'VERIFICATION':<12} {'STATUS':<9} OCCUPATION / INSTITUTION")
        for account in accounts:
            status = "disabled" if account.disabled else "active"
            print(
                f"{account.username:<20} {account.role:<13} {account.verification_status:<12} {status:<9} "
                f"{account.occupation} / {account.institution}"
            )

    return run_with_state(args, work)


async def _change(state: AppState, username: str, change) -> None:  # type: ignore[no-untyped-def]
    try:
        async with state.transaction() as db:
            account: Account | None = await account_repo.get_account_by_username(db, username)
            if account is None:
                raise CommandError(f"no account named {username!r}")
            await change(db, account)
    except account_service.AccountError as error:
        raise CommandError(error.message) from None


def run_verify(args: argparse.Namespace) -> int:
    async def work(state: AppState) -> None:
        async def change(db, account: Account) -> None:  # type: ignore[no-untyped-def]
            if account.verification_status == "verified" and not args.reject:
                raise CommandError(f"{account.username} is already verified")
            await account_service.decide_verification(
                db, state, account, approve=not args.reject, reason=args.reason, operator=Operator.shell()
            )

        await _change(state, args.username, change)
        print(f"{args.username}: verification {'rejected' if args.reject else 'approved'}")

    return run_with_state(args, work)


def run_set_role(args: argparse.Namespace) -> int:
    async def work(state: AppState) -> None:
        await _change(
            state,
            args.username,
            lambda db, account: account_service.set_role(db, state, account, args.role, Operator.shell()),
        )
        print(f"{args.username}: role is now {args.role}")

    return run_with_state(args, work)


def run_disable(args: argparse.Namespace) -> int:
    async def work(state: AppState) -> None:
        await _change(
            state,
            args.username,
            lambda db, account: account_service.set_disabled(
                db, state, account, not args.enable, Operator.shell()
            ),
        )
        print(f"{args.username}: {'enabled' if args.enable else 'disabled'}")

    return run_with_state(args, work)
