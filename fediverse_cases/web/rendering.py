"""Rendering our templates: Quart's ``render_template`` contract (the app's context processors,
globals and filters), rendered by Jinja without async mode.

Quart's own environment runs in async mode, which wraps every expression and macro call in an
await check; none of our templates awaits anything (the context processors, which do, run
before), and in async mode the page templates cost more than the queries behind them. The sync
environment is an overlay of the app's, so it shares its loader, globals, filters and
autoescaping.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, Template
from jinja2.runtime import Context
from markupsafe import Markup
from quart import Quart, current_app

__all__ = ["drop_flask_context_processors", "render_fragment", "render_template", "sync_templates"]

EXTENSION = "fediverse_cases.sync_jinja"


class _EnvironmentGlobalsTemplate(Template):
    """A template whose imports (``{% from "_macros.html" import csrf %}``) reuse the imported
    template's module when the importer has only the environment's globals, which is always here.

    Jinja decides that on every import by subtracting the imported template's globals (a
    ``ChainMap``) from the importer's: about 20 microseconds, three times per case page. Every
    importer's globals include the environment's, so when it has no more of them than the
    environment has, it has nothing the imported template lacks and the set difference is empty.
    """

    def _get_default_module(self, ctx: Context | None = None) -> Any:
        if ctx is not None and len(ctx.globals_keys) == len(self.environment.globals):
            ctx = None
        return super()._get_default_module(ctx)


def sync_templates() -> Environment:
    """The app's templates, filters and globals, rendered without async."""
    environment = current_app.extensions.get(EXTENSION)
    if environment is None:
        environment = current_app.jinja_env.overlay(enable_async=False)
        environment.template_class = _EnvironmentGlobalsTemplate
        current_app.extensions[EXTENSION] = environment
    return environment  # type: ignore[no-any-return]


async def render_template(template_name_or_list: str | list[str], **context: Any) -> str:
    """The template (the first that exists, of a list) rendered with ``context`` and what the
    context processors add; Quart's signature."""
    await current_app.update_template_context(context)
    return sync_templates().get_or_select_template(template_name_or_list).render(context)


def drop_flask_context_processors(app: Quart) -> None:
    """Take Flask's default context processor off every blueprint (call once they are registered).

    Quart's blueprints inherit Flask's scaffold, which gives each one Flask's own default
    processor, and registering a blueprint files it under the blueprint's name. It is synchronous,
    so Quart runs it in a thread on every render of a blueprint's page (a thread hop and a wake-up
    of the event loop per page), and it reads Flask's request context, which is never set here,
    so it adds nothing: Quart's own default processor, kept, gives ``g``, ``request`` and
    ``session``.
    """
    for processors in app.template_context_processors.values():
        processors[:] = [processor for processor in processors if processor.__module__ != "flask.templating"]


def render_fragment(template_name: str, **context: Any) -> Markup:
    """Part of a page, rendered from ``context`` and the globals alone: no context processor adds
    the signed-in reader's account or counts, so the result is nobody's own and may be kept and
    shown to every reader."""
    return Markup(sync_templates().get_template(template_name).render(context))
