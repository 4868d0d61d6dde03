"""`fediverse-cases cases list|approve|reject|withdraw` for reviewers at the server's shell.

ID is a case's numeric id or its public id. Decisions go through the same services as the web
pages and are audited as the shell operator.
"""

from __future__ import annotations

import argparse

from fediverse_cases.cli.common import CommandError, add_config_argument, run_with_state
from fediverse_cases.services import review as review_service
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.services.withdraw import withdraw_consent
from fediverse_cases.storage.models import Actor
from fediverse_cases.storage.repositories import cases as case_repo

STATES = ("draft", "pending", "changes_requested", "published", "rejected", "withdrawn")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cases = subparsers.add_parser("cases", help="list, approve, reject and withdraw cases")
    actions = cases.add_subparsers(dest="cases_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="list this hospital's cases")
    add_config_argument(listing)
    listing.add_argument("--state", choices=STATES, default=None)
    listing.set_defaults(handler=run_list)

    approve = actions.add_parser("approve", help="approve and publish a pending case")
    add_config_argument(approve)
    approve.add_argument("id", metavar="ID")
    approve.set_defaults(handler=run_approve)

    reject = actions.add_parser("reject", help="reject a pending case with a reason")
    add_config_argument(reject)
    reject.add_argument("id", metavar="ID")
    reject.add_argument("--reason", required=True)
    reject.set_defaults(handler=run_reject)

    withdraw = actions.add_parser("withdraw", help="withdraw consent: purge the case, leave a tombstone")
    add_config_argument(withdraw)
    withdraw.add_argument("id", metavar="ID")
    withdraw.set_defaults(handler=run_withdraw)


def run_list(args: argparse.Namespace) -> int:
    async def work(state: AppState) -> None:
        async with state.sessionmaker() as db:
            cases = await case_repo.list_local_cases(db, state=args.state)
            authors = {case.author_actor_id: await db.get(Actor, case.author_actor_id) for case in cases}
        print(f"{'ID':<6} {'PUBLIC ID':<22} {'STATE':<18} {'AUTHOR':<20} CAPTION")
        for case in cases:
            author = authors.get(case.author_actor_id)
            caption = case.caption.replace("\n", " ")
            print(
                f"{case.id:<6} {case.public_id:<22} {case.state:<18} "
                f"{author.username if author else '?':<20} {caption[:50]}"
            )

    return run_with_state(args, work)


async def _act(state: AppState, ref: str, action, done: str) -> None:  # type: ignore[no-untyped-def]
    try:
        async with state.transaction() as db:
            case = await case_repo.get_local_case_by_ref(db, ref)
            if case is None:
                raise CommandError(f"no case {ref!r} on this instance")
            await action(db, case)
    except CaseError as error:
        raise CommandError(error.message) from None
    print(done.format(id=case.id, public_id=case.public_id))


def run_approve(args: argparse.Namespace) -> int:
    async def work(state: AppState) -> None:
        async def action(db, case):  # type: ignore[no-untyped-def]
            await review_service.approve_case(db, state, case, Operator.shell())

        await _act(state, args.id, action, "case {id} ({public_id}) approved and published")

    return run_with_state(args, work)


def run_reject(args: argparse.Namespace) -> int:
    async def work(state: AppState) -> None:
        async def action(db, case):  # type: ignore[no-untyped-def]
            await review_service.reject_case(db, state, case, Operator.shell(), args.reason)

        await _act(state, args.id, action, "case {id} ({public_id}) rejected")

    return run_with_state(args, work)


def run_withdraw(args: argparse.Namespace) -> int:
    async def work(state: AppState) -> None:
        async def action(db, case):  # type: ignore[no-untyped-def]
            await withdraw_consent(db, state, case, Operator.shell())

        await _act(state, args.id, action, "case {id} ({public_id}) withdrawn; its content was purged")

    return run_with_state(args, work)
