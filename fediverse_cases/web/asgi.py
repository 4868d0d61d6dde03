"""ASGI entry point for multi-worker hypercorn: ``fediverse_cases.web.asgi:app``.

The app is built on first access from the settings file named by FEDIVERSE_CASES_CONFIG, so
importing this module alone does no work.
"""

from __future__ import annotations

import os
from typing import Any


def __getattr__(name: str) -> Any:
    if name != "app":
        raise AttributeError(name)
    from fediverse_cases.settings import load_settings
    from fediverse_cases.web.app import create_app
    from fediverse_cases.web.server import CONFIG_ENV

    application = create_app(load_settings(os.environ.get(CONFIG_ENV)))
    globals()["app"] = application
    return application
