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
GC_YOUNG_THRESHOLD = 20_000


def app_from_environment() -> Quart:
    return serving_app(load_settings(os.environ.get(CONFIG_ENV)))


def serving_app(settings: Settings) -> Quart:
    """The app of a serving process. What start-up built (modules, templates, mappers) lives as
    long as the process: frozen out of the garbage collector's sight, so a full collection under
    load does not walk it again (under 32 connections those walks were the slowest 1 % of a
    signed-in page's answers). Young collections run every 20,000 net allocations instead of
    every 700: a signed-in page allocates thousands of short-lived objects (rows, template
    frames), almost none in cycles, and the default ran several collections per page for nothing
    (``bench/http_load.py``: about a fifth of a signed-in page's CPU)."""
    app = create_app(settings)
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 50, 50)
    return app
