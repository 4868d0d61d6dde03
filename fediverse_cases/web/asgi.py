"""ASGI entry point for multi-worker hypercorn: ``fediverse_cases.web.asgi:app_from_environment()``.

Hypercorn evaluates that expression in each worker process, which builds the app from the
settings file named by FEDIVERSE_CASES_CONFIG; importing this module alone does no work.
"""

from __future__ import annotations

import os

from quart import Quart

from fediverse_cases.settings import load_settings
from fediverse_cases.web.app import create_app

CONFIG_ENV = "FEDIVERSE_CASES_CONFIG"


def app_from_environment() -> Quart:
    return create_app(load_settings(os.environ.get(CONFIG_ENV)))
