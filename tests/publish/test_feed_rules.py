"""The outside checkers catch what they claim to: each broken rule, planted in one of our real
outputs, must be reported (tests/feed_rules.py, the RFC 4287 schema, the JSON Feed schema)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lxml import etree

from tests.support.feed_rules import ATOM_NS, A, atom_problems, parse, rss_problems
from tests.support.validation import SITE, output

# --- the checkers themselves catch what they claim to (each mutation must be reported) ---

Mutation = Callable[[etree._Element], None]


def _first_entry(root: etree._Element) -> etree._Element:
    return root.find(f"{A}entry")


def _set(path: str, value: str) -> Mutation:
    return lambda root: setattr(root.find(path), "text", value)


def _add(parent: str, markup: str) -> Mutation:
    return lambda root: root.find(parent).append(etree.fromstring(markup))


def _remove(path: str) -> Mutation:
    return lambda root: [node.getparent().remove(node) for node in root.findall(path)]


def _drop_links_and_content(root: etree._Element) -> None:
    for entry in root.findall(f"{A}entry"):
        for node in entry.findall(f"{A}link") + entry.findall(f"{A}content"):
            entry.remove(node)


def _duplicate_first_entry(root: etree._Element) -> None:
    root.append(copy.deepcopy(_first_entry(root)))


def _entry_child(markup: str) -> Mutation:
    """Append `markup` (an element in the Atom namespace) to the first entry."""
    return _add(f"{A}entry", markup.replace(" ", f' xmlns="{ATOM_NS}" ', 1))


def _html_content(escaped: str) -> Mutation:
    return _entry_child(f'<content type="html">{escaped}</content>')


def _self_elsewhere(root: etree._Element) -> None:
    root.find(f"{A}link[@rel='self']").set("href", "http://x.org/a")


def _no_language(root: etree._Element) -> None:
    root.attrib.pop("{http://www.w3.org/XML/1998/namespace}lang")


ENTRY_UPDATED = f"{A}entry/{A}updated"
ATOM_MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "feed without id": (_remove(f"{A}id"), "RELAX NG"),
    "unknown atom element": (_entry_child("<rating >5</rating>"), "RELAX NG"),
    "updated not a dateTime": (_set(ENTRY_UPDATED, "14 Oct 2025"), "RELAX NG"),
    "updated without zone": (_set(ENTRY_UPDATED, "2025-10-14T09:12:44"), "RFC3339"),
    "no author anywhere": (_remove(f"{A}author"), "Schematron"),
    "entry without link or content": (_drop_links_and_content, "Schematron"),
    "self elsewhere": (_self_elsewhere, "SelfDoesntMatchLocation"),
    "duplicate entry": (_duplicate_first_entry, "DuplicateEntries"),
    "id with a space": (_set(f"{A}entry/{A}id", "https://x.org/a b"), "InvalidIRI"),
    "non-canonical id": (_set(f"{A}entry/{A}id", "HTTP://X.org:80/a"), "NonCanonicalURI"),
    "pre-1990 date": (_set(ENTRY_UPDATED, "1970-01-01T00:00:00Z"), "ImplausibleDate"),
    "relative href": (_entry_child('<link rel="related" href="/x"/>'), "relative"),
    "raw IRI href": (_entry_child('<link rel="related" href="http://x.org/é"/>'), "FullLink"),
    "script in html": (_html_content("&lt;script&gt;x()&lt;/script&gt;"), "SecurityRisk"),
    "handler in html": (_html_content('&lt;p onclick="x()"&gt;a&lt;/p&gt;'), "SecurityRiskAttr"),
    "relative ref in html": (_html_content('&lt;a href="a/b"&gt;a&lt;/a&gt;'), "ContainsRelRef"),
    "markup in text title": (_set(f"{A}entry/{A}title", "a </b> b"), "UndeclaredHTML"),
    "entity in text title": (_set(f"{A}entry/{A}title", "Smith &amp; Jones"), "UndeclaredHTML"),
    "no xml:lang": (_no_language, "MissingDCLanguage"),
}


@pytest.mark.parametrize("name", ATOM_MUTATIONS)
def test_atom_checks_report_each_broken_rule(published: Path, name: str) -> None:
    mutate, expected = ATOM_MUTATIONS[name]
    root = parse(output(published, "all.atom"))
    mutate(root)
    problems = atom_problems(etree.tostring(root), f"{SITE}/all.atom")
    assert any(expected in problem for problem in problems), problems


def _item(root: etree._Element) -> etree._Element:
    return root.find("channel/item")


def _item_guid(value: str, permalink: str | None) -> Mutation:
    def mutate(root: etree._Element) -> None:
        guid = root.find("channel/item/guid")
        guid.text = value
        guid.attrib.pop("isPermaLink")
        if permalink is not None:
            guid.set("isPermaLink", permalink)

    return mutate


def _empty_item(root: etree._Element) -> None:
    _item(root).clear()
    etree.SubElement(_item(root), "guid", isPermaLink="false").text = "x"


def _both_authors(root: etree._Element) -> None:
    _add("channel/item", "<author>a@b.org (A)</author>")(root)
    _add("channel/item", '<c:creator xmlns:c="http://purl.org/dc/elements/1.1/">A</c:creator>')(
        root
    )


def _second_channel(root: etree._Element) -> None:
    root.append(copy.deepcopy(root.find("channel")))


def _self_without_type(root: etree._Element) -> None:
    root.find(f"channel/{A}link").attrib.pop("type")


def _duplicate_item(root: etree._Element) -> None:
    root.find("channel").append(copy.deepcopy(_item(root)))


PUB_DATE = "channel/item/pubDate"
_CONTENT_WITH_HANDLER = (
    '<c:encoded xmlns:c="http://purl.org/rss/1.0/modules/content/">&lt;b onmouseover="x()"&gt;'
    "</c:encoded>"
)
RSS_MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "no channel description": (_remove("channel/description"), "MissingElement"),
    "unknown element": (_add("channel", "<rating2>x</rating2>"), "UndefinedElement"),
    "two titles": (_add("channel", "<title>again</title>"), "DuplicateElement"),
    "two channels": (_second_channel, "one channel"),
    "empty item": (_empty_item, "ItemMustContainTitleOrDescription"),
    "non-URL permalink guid": (_item_guid("tricky-1", None), "InvalidPermalink"),
    "bad isPermaLink": (_item_guid("tricky-1", "no"), "InvalidBooleanAttribute"),
    "2-digit year": (_set(PUB_DATE, "Tue, 14 Oct 25 09:12:44 +0000"), "RFC822"),
    "wrong weekday": (_set(PUB_DATE, "Wed, 14 Oct 2025 09:12:44 +0000"), "IncorrectDOW"),
    "no self link": (_remove(f"channel/{A}link"), "MissingAtomSelfLink"),
    "self without type": (_self_without_type, "MissingTypeAttr"),
    "author and dc:creator": (_both_authors, "DuplicateItemSemantics"),
    "duplicate guid": (_duplicate_item, "DuplicateValue"),
    "script in description": (_set("channel/item/description", "<script>x()</script>"), "Risk"),
    "handler in content": (_add("channel/item", _CONTENT_WITH_HANDLER), "SecurityRiskAttr"),
    "link with a space": (_set("channel/item/link", "http://x.org/a b"), "InvalidFullLink"),
    "bad language": (_set("channel/language", "english"), "InvalidLanguage"),
}


@pytest.mark.parametrize("name", RSS_MUTATIONS)
def test_rss_checks_report_each_broken_rule(published: Path, name: str) -> None:
    mutate, expected = RSS_MUTATIONS[name]
    root = parse(output(published, "reviews.rss"))
    mutate(root)
    problems = rss_problems(etree.tostring(root), f"{SITE}/reviews.rss")
    assert any(expected in problem for problem in problems), problems


JSON_MUTATIONS: dict[str, Callable[[dict[str, Any]], object]] = {
    "no version": lambda d: d.pop("version"),
    "no items": lambda d: d.pop("items"),
    "numeric id": lambda d: d["items"][0].update(id=1),
    "no content": lambda d: [d["items"][0].pop(k, None) for k in ("content_html", "content_text")],
    "date not RFC 3339": lambda d: d["items"][0].update(date_published="14 Oct 2025"),
    "tags not strings": lambda d: d["items"][0].update(tags=[1]),
    "unprefixed extension": lambda d: d["items"][0].update(aggregator={}),
    "dotted extension key": lambda d: d["items"][0].update(_x={"a.b": 1}),
    "empty author": lambda d: d.update(authors=[{}]),
    "url with a space": lambda d: d["items"][0].update(url="http://x.org/a b"),
    "hub without type": lambda d: d.update(hubs=[{"url": "https://hub.example.org/"}]),
}


@pytest.mark.parametrize("name", JSON_MUTATIONS)
def test_json_feed_schema_reports_each_broken_rule(
    published: Path, json_feed_validator: jsonschema.Draft202012Validator, name: str
) -> None:
    document = json.loads(output(published, "all.json"))
    JSON_MUTATIONS[name](document)
    assert list(json_feed_validator.iter_errors(document))
