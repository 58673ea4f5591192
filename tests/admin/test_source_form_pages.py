"""The console's source form carries `next` and `max_pages` for listings that page."""

from __future__ import annotations

from aggregator.admin.source_form import SourceForm
from aggregator.config.types import Selectors, SourceConfig

POSTED = {
    "id": "northshire", "name": "Northshire SAB", "type": "html",
    "url": "https://www.northshiresab.org.uk/sars/", "select_item": "article.sar-card",
    "select_next": "a.next", "max_pages": "3", "enabled": "on",
}  # fmt: skip


def test_pages_and_next_go_into_the_source() -> None:
    fields = SourceForm.from_post(POSTED).fields()
    assert fields["max_pages"] == 3
    assert fields["select"] == {"item": "article.sar-card", "next": "a.next"}


def test_no_pages_for_other_types_and_an_empty_box_is_the_default() -> None:
    assert SourceForm.from_post({**POSTED, "type": "feed"}).fields()["max_pages"] is None
    assert SourceForm.from_post({**POSTED, "max_pages": ""}).fields()["max_pages"] is None
    assert SourceForm.from_post({**POSTED, "max_pages": "many"}).fields()["max_pages"] == "many"


def test_a_saved_source_fills_the_form() -> None:
    select = Selectors(item="article.sar-card", next="a.next")
    source = SourceConfig("n", "N", "html", "https://n.example/", select=select, max_pages=4)
    form = SourceForm.from_source(source)
    assert (form.values["max_pages"], form.values["select_next"]) == ("4", "a.next")
    assert (
        SourceForm.from_source(SourceConfig("f", "F", "feed", "https://f.example/")).values[
            "max_pages"
        ]
        == ""
    )
