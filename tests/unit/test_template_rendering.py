"""The templates' shortcuts (``web/template_urls.py``, ``web/rendering.py``) give what Quart and
Jinja would: links built once and then read from memory still name their own values, host, root
path and blueprint, and a macro imported by a template that was given globals of its own still
sees them."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader
from quart import Blueprint, Quart

from fediverse_cases.web.rendering import sync_templates
from fediverse_cases.web.template_urls import TemplateUrls

TEMPLATES = {
    "_macros.html": '{% macro signed() %}[{{ signature | default("no signature") }}]{% endmacro %}',
    "page.html": '{% from "_macros.html" import signed %}{{ signed() }}',
}


def make_app(max_urls: int = 4096) -> Quart:
    app = Quart(__name__)
    app.jinja_loader = DictLoader(TEMPLATES)

    @app.route("/cases/<public_id>")
    async def show(public_id: str) -> str:
        return public_id

    for name in ("ward", "theatre"):
        unit = Blueprint(name, __name__, url_prefix=f"/{name}")

        @unit.route("/<int:bed>")
        async def bed(bed: int) -> str:
            return str(bed)

        app.register_blueprint(unit)
    app.jinja_env.globals["url_for"] = TemplateUrls(app.url_for, max_urls=max_urls)
    return app


def render(app: Quart, source: str) -> str:
    """``source`` rendered the way our pages are (``app`` is the current app)."""
    assert app.jinja_env.globals["url_for"] is sync_templates().globals["url_for"]
    return sync_templates().from_string(source).render()


async def test_each_link_names_its_own_values() -> None:
    app = make_app()
    async with app.test_request_context("/"):
        twice = "{{ url_for('show', public_id='a') }} {{ url_for('show', public_id='b') }}"
        assert render(app, twice) == "/cases/a /cases/b"
        assert render(app, twice) == "/cases/a /cases/b"
        assert render(app, "{{ url_for('show', public_id='a', page=2) }}") == "/cases/a?page=2"
        assert render(app, "{{ url_for('show', public_id='a', _anchor='c-1') }}") == "/cases/a#c-1"


async def test_links_follow_the_request_they_are_built_in() -> None:
    app = make_app()
    link = "{{ url_for('show', public_id='a') }}"
    async with app.test_request_context("/", root_path="/general"):
        assert render(app, link) == "/general/cases/a"
    async with app.test_request_context("/"):
        assert render(app, link) == "/cases/a"
    external = "{{ url_for('show', public_id='a', _external=True) }}"
    async with app.test_request_context("/", headers={"Host": "one.example"}):
        assert render(app, external) == "http://one.example/cases/a"
    async with app.test_request_context("/", headers={"Host": "two.example"}):
        assert render(app, external) == "http://two.example/cases/a"
    async with app.test_request_context("/ward/3"):
        assert render(app, "{{ url_for('.bed', bed=4) }}") == "/ward/4"
    async with app.test_request_context("/theatre/3"):
        assert render(app, "{{ url_for('.bed', bed=4) }}") == "/theatre/4"


async def test_links_are_right_after_the_kept_ones_were_dropped() -> None:
    app = make_app(max_urls=2)
    async with app.test_request_context("/"):
        for round_ in range(2):
            built = [render(app, f"{{{{ url_for('show', public_id='{n}') }}}}") for n in range(5)]
            assert built == [f"/cases/{n}" for n in range(5)], round_


async def test_values_that_cannot_be_kept_are_built_each_time() -> None:
    app = make_app()
    async with app.test_request_context("/"):
        assert (
            render(app, "{{ url_for('show', public_id='a', tag=['x', 'y']) }}") == "/cases/a?tag=x&amp;tag=y"
        )


@pytest.mark.parametrize("signature", [None, "Dr Ada"])
async def test_an_imported_macro_sees_the_globals_its_importer_was_given(signature: str | None) -> None:
    app = make_app()
    async with app.app_context():
        templates = sync_templates()
        own_globals = {"signature": signature} if signature else None
        page = templates.get_template("page.html", globals=own_globals)
        assert page.render() == f"[{signature or 'no signature'}]"
