"""OPML 2.0 list of the configured sources, and reading one back (for `sources import-opml`)."""

from __future__ import annotations

from lxml import etree

from aggregator.config.types import Config
from aggregator.errors import ParseError
from aggregator.publish.common import clean

TITLE = "Safeguarding feeds: sources"


def build_opml(config: Config) -> bytes:
    """Every enabled source: feeds as `type="rss"` subscriptions, other pages as `type="link"`."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = TITLE
    etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(root, "body")
    for source in config.sources:
        if not source.enabled:
            continue
        name = clean(source.name) or source.id
        outline = etree.SubElement(body, "outline", text=name, title=name)
        if source.type == "feed":
            outline.set("type", "rss")
            outline.set("xmlUrl", clean(source.url))
            outline.set("htmlUrl", clean(_home_of(source.url)))
        else:
            outline.set("type", "link")
            outline.set("url", clean(source.url))
        if source.category:
            outline.set("category", f"/{source.category}")
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def _home_of(url: str) -> str:
    """The site a feed belongs to: scheme and host of its URL."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/" if rest else url


def parse_opml(data: bytes) -> list[tuple[str, str, str | None]]:
    """(title, xmlUrl, htmlUrl) of every outline with an xmlUrl; entities and DTDs are ignored."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not a valid OPML document: {exc}") from exc
    if root.tag != "opml":
        raise ParseError(f"not an OPML document: root element is <{root.tag}>")
    found: list[tuple[str, str, str | None]] = []
    for outline in root.iter("outline"):
        xml_url = (outline.get("xmlUrl") or "").strip()
        if not xml_url:
            continue
        title = (outline.get("title") or outline.get("text") or "").strip() or xml_url
        html_url = (outline.get("htmlUrl") or "").strip() or None
        found.append((title, xml_url, html_url))
    return found
