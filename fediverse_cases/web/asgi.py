"""ASGI entry point for multi-worker hypercorn: ``fediverse_cases.web.asgi:app_from_environment()``.

Hypercorn evaluates that expression in each worker process, which builds the app from the
settings file named by FEDIVERSE_CASES_CONFIG; importing this module alone does no work.
"""

from __future__ import annotations

import gc
import os

from quart import Quart

from fediverse_cases.settings import Settings, load_settings
from fediverse_cases.web.app import create_app

CONFIG_ENV = "FEDIVERSE_CASES_CONFIG"


def app_from_environment() -> Quart:
    return serving_app(load_settings(os.environ.get(CONFIG_ENV)))


def serving_app(settings: Settings) -> Quart:
    """The app of a serving process. What start-up built (modules, templates, mappers) lives as
    long as the process: frozen out of the garbage collector's sight, so a full collection under
    load does not walk it again (under 32 connections those walks were the slowest 1 % of a
    signed-in page's answers)."""
    app = create_app(settings)
    gc.freeze()
    return app
