"""Subcommands that create and run an instance: init, serve, demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import secrets
import sys
from pathlib import Path

from fediverse_cases.cli.common import CommandError, add_config_argument, run_with_state, settings_from_args
from fediverse_cases.core.accounts import EMAIL_RE, RegistrationForm, Role
from fediverse_cases.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from fediverse_cases.services.instance import ensure_account, initialize
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import SettingsError, load_settings
from fediverse_cases.web.server import serve_forever

ADMIN_PASSWORD_ENV = "FEDIVERSE_CASES_ADMIN_PASSWORD"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    init = subparsers.add_parser("init", help="create the database, the instance keys and the first admin")
    add_config_argument(init)
    init.add_argument("--admin-username", default="admin")
    init.add_argument("--admin-email", default=None, help="defaults to <username>@<instance host>")
    init.add_argument(
        "--default-groups",
        action="store_true",
        help="also create the default specialty groups (one per specialty, the admin moderates)",
    )
    init.set_defaults(handler=run_init)

    serve = subparsers.add_parser("serve", help="run the web server (and background workers)")
    add_config_argument(serve)
    serve.add_argument("--host", default=None, help="overrides server.host")
    serve.add_argument("--port", type=int, default=None, help="overrides server.port")
    serve.set_defaults(handler=run_serve)

    demo = subparsers.add_parser("demo", help="create (or reuse) a demo hospital on SQLite and serve it")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--data-dir", default="demo-data", type=Path)
    demo.add_argument("--base-url", default=None, help="defaults to http://127.0.0.1:PORT")
    demo.add_argument("--no-serve", action="store_true", help="prepare and seed, then exit")
    demo.set_defaults(handler=run_demo)


def run_init(args: argparse.Namespace) -> int:
    password = os.environ.get(ADMIN_PASSWORD_ENV)
    if not password:
        if not sys.stdin.isatty():
            print(f"fediverse-cases: set {ADMIN_PASSWORD_ENV} or run init in a terminal", file=sys.stderr)
            return 2
        password = getpass.getpass(f"Password for the admin account {args.admin_username!r}: ")
        if password != getpass.getpass("Repeat the password: "):
            print("fediverse-cases: the passwords differ", file=sys.stderr)
            return 2

    async def work(state: AppState) -> None:
        await initialize(state)
        email = args.admin_email or default_admin_email(args.admin_username, state.settings.instance.host)
        from fediverse_cases.services.accounts import AccountError

        try:
            created = await ensure_account(
                state,
                RegistrationForm(username=args.admin_username, email=email, password=password),
                role=Role.ADMIN,
                verified=False,
                operator=Operator.shell(),
            )
        except AccountError as error:
            problems = "; ".join(f"{name}: {text}" for name, text in error.field_errors.items())
            raise CommandError(f"cannot create the admin account: {problems or error.message}") from None
        groups_line = await _offer_default_groups(state, args)
        print(
            f"Instance ready at {state.settings.instance.base_url}; "
            + (
                f"admin account {args.admin_username!r} created."
                if created
                else "admin account already existed."
            )
        )
        print(groups_line)

    return run_with_state(args, work)


async def _offer_default_groups(state: AppState, args: argparse.Namespace) -> str:
    """Create the default specialty groups when asked; otherwise say how to."""
    from fediverse_cases.cli.groups import create_defaults

    if not args.default_groups:
        return (
            "Specialty groups: none created by this run; `fediverse-cases groups create --defaults` "
            "(or `init --default-groups`) creates one per specialty."
        )
    async with state.transaction() as db:
        created = await create_defaults(db, state, [args.admin_username])
    return f"Specialty groups: created {len(created)} ({', '.join(created) or 'all existed'})."


def default_admin_email(username: str, host: str) -> str:
    """The instance's own domain when it has one; loopback/IP test instances get a .invalid one."""
    candidate = f"{username}@{host.split(':')[0]}"
    return candidate if EMAIL_RE.match(candidate) else f"{username}@instance.invalid"


def run_serve(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    print(f"Serving {settings.instance.name} at {settings.instance.base_url}", flush=True)
    serve_forever(settings, args.host, args.port)
    return 0


DEMO_CONFIG_TEMPLATE = """# Demo hospital written by `fediverse-cases demo`. Not for real patient data.
[instance]
name = "Demo General Hospital"
description = "A demo fediverse-cases instance with sample cases. Do not upload real patient data."
base_url = "{base_url}"
demo = true

[database]
url = "sqlite+aiosqlite:///{db_path}"

[media]
dir = "media"
private_dir = "private"

[session]
secret = "{secret}"

[registration]
policy = "open"

[server]
host = "{host}"
port = {port}

[federation]
mode = "allowlist"
allowlist = []
"""


def write_demo_config(data_dir: Path, host: str, port: int, base_url: str) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = data_dir / "instance.toml"
    secret = secrets.token_urlsafe(48)
    if config_path.exists():
        # An unreadable old file is replaced with a fresh secret: the demo owns that file.
        with contextlib.suppress(SettingsError):
            secret = load_settings(config_path, env={}).session_secret
    config_path.write_text(
        DEMO_CONFIG_TEMPLATE.format(
            base_url=base_url,
            db_path=(data_dir / "instance.db").resolve(),
            secret=secret,
            host=host,
            port=port,
        ),
        encoding="utf-8",
    )
    return config_path


def run_demo(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir.resolve()
    base_url = (args.base_url or f"http://127.0.0.1:{args.port}").rstrip("/")
    config_path = write_demo_config(data_dir, args.host, args.port, base_url)
    try:
        settings = load_settings(config_path)
    except SettingsError as error:
        print(f"fediverse-cases: {error}", file=sys.stderr)
        return 2

    async def prepare() -> None:
        state = AppState.from_settings(settings)
        try:
            await initialize(state)
            await seed_demo(state)
        finally:
            await state.close()

    asyncio.run(prepare())
    print("=" * 72)
    print(f" DEMO hospital: {base_url}   (data in {data_dir})")
    print(f" Accounts: {', '.join(name for name, *_ in DEMO_ACCOUNTS)} - password: {DEMO_PASSWORD}")
    print(f" Other commands: fediverse-cases <command> --config {config_path}")
    print(" Not for real patient data.")
    print("=" * 72, flush=True)
    if args.no_serve:
        return 0
    serve_forever(settings, args.host, args.port)
    return 0
