"""`fediverse-cases example-config [--nginx]`: print the documented configuration files.

The files ship inside the package (``fediverse_cases/instance_config/``), so an instance
installed from a wheel can start from them without the source tree:
``fediverse-cases example-config > /etc/fediverse-cases/instance.toml``.
"""

from __future__ import annotations

import argparse
import sys
from importlib.resources import files

CONFIG_PACKAGE = "fediverse_cases.instance_config"
EXAMPLE_FILES = {"settings": "example.toml", "nginx": "nginx.conf"}


def example_text(kind: str) -> str:
    """The text of one shipped example file, read through the package (works from a wheel)."""
    return (files(CONFIG_PACKAGE) / EXAMPLE_FILES[kind]).read_text(encoding="utf-8")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "example-config", help="print the documented example settings file (or the nginx configuration)"
    )
    parser.add_argument("--nginx", action="store_true", help="print the example nginx configuration instead")
    parser.set_defaults(handler=run_example_config)


def run_example_config(args: argparse.Namespace) -> int:
    sys.stdout.write(example_text("nginx" if args.nginx else "settings"))
    return 0
