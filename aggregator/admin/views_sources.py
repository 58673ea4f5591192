"""Sources: health table, add/edit/disable through sources.toml validation, preview, poll now."""

from __future__ import annotations

from aggregator.admin.health import source_health, when
from aggregator.admin.http import Response, text
from aggregator.admin.routing import Page, Route
from aggregator.admin.source_form import SourceForm
from aggregator.clock import utcnow
from aggregator.config import (
    parse_config,
)
from aggregator.config.edit import append_source, source_appended, source_updated, update_source
from aggregator.config.load import read_config_text
from aggregator.errors import ConfigErrors
from aggregator.models import CATEGORIES


def list_sources(page: Page) -> Response:
    config = page.console.config()
    rows = source_health(config.sources, page.console.storage.source_states())
    return page.render("sources.html", rows=rows, now=utcnow(), when=when)


def new_form(page: Page) -> Response:
    return _form(page, SourceForm(), editing=None)


def edit_form(page: Page) -> Response:
    source = page.console.config().source(page.params["source_id"])
    if source is None:
        return text(404, "no such source\n")
    return _form(page, SourceForm.from_source(source), editing=source.id)


def save_new(page: Page) -> Response:
    return _submit(page, SourceForm.from_post(page.request.form), editing=None)


def save_edit(page: Page) -> Response:
    source_id = page.params["source_id"]
    if page.console.config().source(source_id) is None:
        return text(404, "no such source\n")
    return _submit(page, SourceForm.from_post(page.request.form), editing=source_id)


def _submit(page: Page, form: SourceForm, editing: str | None) -> Response:
    path = str(page.console.sources_path)
    try:
        if page.request.form.get("action") == "preview":
            return _preview_unsaved(page, form, editing)
        if editing is None:
            append_source(path, form.new_source_fields())
        else:
            update_source(path, editing, form.fields())
    except ConfigErrors as exc:
        return _form(page, form, editing, errors=[str(e) for e in exc.errors], status=400)
    page.console.reload()
    verb = "added" if editing is None else "saved"
    return page.done("/sources", f"Source {form.values['id']} {verb}.")


def _preview_unsaved(page: Page, form: SourceForm, editing: str | None) -> Response:
    """Run the source as it would be after saving, without saving (selectors by trial)."""
    path = str(page.console.sources_path)
    current = read_config_text(path)
    if editing is None:
        candidate = source_appended(current, form.new_source_fields())
    else:
        candidate = source_updated(current, path, editing, form.fields())
    config = parse_config(candidate, path)  # ConfigErrors: shown on the form
    source = config.source(form.values["id"])
    if source is None:
        return _form(page, form, editing, errors=["the source has no id"], status=400)
    fetched = page.console.preview(config, source)
    return _form(page, form, editing, preview=fetched)


def _form(
    page: Page,
    form: SourceForm,
    editing: str | None,
    *,
    errors: list[str] | None = None,
    preview: object = None,
    status: int = 200,
) -> Response:
    return page.render(
        "source_form.html",
        status,
        form=form,
        editing=editing,
        errors=errors or [],
        preview=preview,
        categories=CATEGORIES,
    )


def set_enabled(page: Page) -> Response:
    source_id = page.params["source_id"]
    enable = page.request.form.get("enabled") == "1"
    try:
        update_source(
            str(page.console.sources_path), source_id, {"enabled": None if enable else False}
        )
    except ConfigErrors as exc:
        return page.done("/sources", "Not changed: " + "; ".join(str(e) for e in exc.errors))
    page.console.reload()
    return page.done("/sources", f"Source {source_id} {'enabled' if enable else 'disabled'}.")


def preview_saved(page: Page) -> Response:
    config = page.console.config()
    source = config.source(page.params["source_id"])
    if source is None:
        return text(404, "no such source\n")
    fetched = page.console.preview(config, source)
    return page.render("preview.html", source=source, preview=fetched)


def poll_now(page: Page) -> Response:
    source_id = page.params["source_id"]
    if page.console.config().source(source_id) is None:
        return text(404, "no such source\n")
    outcome = page.console.poll_now(source_id)
    if not outcome.ok:
        return page.done("/sources", f"Polled {source_id}: failed: {outcome.error}")
    counts = f"{outcome.new} new, {outcome.updated} updated, {outcome.merged} merged"
    state = "not modified" if outcome.not_modified else counts
    return page.done("/sources", f"Polled {source_id}: {state}.")


ROUTES = [
    Route("GET", "/sources", list_sources),
    Route("GET", "/sources/new", new_form),
    Route("POST", "/sources/new", save_new),
    Route("GET", "/sources/{source_id}/edit", edit_form),
    Route("POST", "/sources/{source_id}/edit", save_edit),
    Route("POST", "/sources/{source_id}/enabled", set_enabled),
    Route("POST", "/sources/{source_id}/preview", preview_saved),
    Route("POST", "/sources/{source_id}/poll", poll_now),
]
