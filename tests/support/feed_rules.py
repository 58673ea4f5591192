"""Independent checks of Atom 1.0 and RSS 2.0 documents.

Atom: the RELAX NG schema of RFC 4287 Appendix B (tests/fixtures/validation/atom.rng) with its
Schematron assertions, plus the W3C Feed Validation Service rules the schema cannot express.
RSS: the RSS 2.0 specification (rssboard.org) and the W3C validator's RSS rules. Rule names in
the messages are the W3C validator's message ids, so a failure says which rule broke. Each
function returns a list of problems; an empty list means valid.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from html.entities import name2codepoint
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

SCHEMA = Path(__file__).parents[1] / "fixtures" / "validation" / "atom.rng"
ATOM_NS = "http://www.w3.org/2005/Atom"
A = f"{{{ATOM_NS}}}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
NS = {"atom": ATOM_NS}

# W3C validator, validators.py: RFC 3339 dates; the strict RFC 2822 form (4-digit year).
RFC3339 = re.compile(r"^\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*)?(Z|[+-]\d\d:\d\d)$")
RFC2822 = re.compile(
    r"^((Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d\d? (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" \d\d\d\d \d\d:\d\d(:\d\d)? ([+-]?\d\d[03]0|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|Z)$"
)
# Characters of a full URI (RFC 2396 as the validator reads it): no spaces, no raw non-ASCII.
FULL_URI = re.compile(r"^[a-zA-Z][0-9a-zA-Z+\-.]*:(//)?[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,#]+$")
TAG_URI = re.compile(
    r"^tag:([a-z0-9\-._]+?@)?[a-z0-9.\-]+?,\d{4}(-\d{2}(-\d{2})?)?:[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,]*"
    r"(#[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,]*)?$"
)
UUID_URN = re.compile(r"^urn:uuid:[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$")
HTML_END_TAG = re.compile(r"</(\w+)>")
HTML_ENTITY = re.compile(r"&(#?\w+)")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$", re.IGNORECASE)
# Elements the validator knows as HTML but reports as a SecurityRisk; handler/style attributes.
UNSAFE_ELEMENTS = {
    "applet", "base", "basefont", "body", "comment", "embed", "frame", "frameset", "head", "html",
    "iframe", "isindex", "link", "listing", "meta", "noframes", "object", "param", "plaintext",
    "script", "style", "title", "xmp",
}  # fmt: skip
UNSAFE_ATTRIBUTE = re.compile(r"^(on\w+|style|formaction|srcdoc)$", re.IGNORECASE)
HTML_TAGS_SAMPLE = {"a", "b", "p", "i", "em", "strong", "div", "span", "li", "ul", "br", "img"}
RSS_CHANNEL = {
    "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
    "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image",
    "rating", "textInput", "skipHours", "skipDays", "item",
}  # fmt: skip
RSS_CHANNEL_SINGLE = RSS_CHANNEL - {"category", "item"}
RSS_ITEM = {
    "title", "link", "description", "author", "category", "comments", "enclosure", "guid",
    "pubDate", "source",
}  # fmt: skip
RSS_ITEM_SINGLE = RSS_ITEM - {"category"}
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"


@cache
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


# --- Atom ---


def atom_problems(data: bytes, location: str, *, now: datetime | None = None) -> list[str]:
    """Everything the RFC 4287 schema and the W3C validator's Atom rules find in `data`."""
    root = parse(data)
    schema = atom_schema()
    problems = [f"RELAX NG: {e.message} (line {e.line})" for e in _schema_errors(schema, root)]
    problems += schematron_problems(root)
    problems += _atom_self(root, location)
    problems += _atom_ids(root)
    problems += _atom_dates(root, now or datetime.now(UTC))
    problems += _atom_links(root)
    problems += _atom_text_constructs(root)
    problems += _bad_characters(root)
    return problems


def _schema_errors(schema: etree.RelaxNG, root: etree._Element) -> list[etree._LogEntry]:
    return [] if schema.validate(root) else list(schema.error_log)


def schematron_problems(root: etree._Element) -> list[str]:
    """The RFC's own Schematron assertions, read from the schema's annotations."""
    rng = etree.parse(str(SCHEMA))
    problems = []
    for rule in rng.iter("{http://www.ascc.net/xml/schematron}rule"):
        context = rule.get("context")
        for check in rule.iter("{http://www.ascc.net/xml/schematron}assert"):
            nodes = [root] if root.xpath(f"self::{context}", namespaces=NS) else []
            nodes += root.xpath(f".//{context}", namespaces=NS)
            problems += [
                f"Schematron: {' '.join(check.text.split())}"
                for node in nodes
                if not node.xpath(f"boolean({check.get('test')})", namespaces=NS)
            ]
    return problems


def _atom_self(root: etree._Element, location: str) -> list[str]:
    selves = root.findall(f"{A}link[@rel='self']")
    if not selves:
        return ["MissingSelf"]
    return [
        f"SelfDoesntMatchLocation: {link.get('href')} != {location}"
        for link in selves
        if link.get("href") != location
    ]


def _atom_ids(root: etree._Element) -> list[str]:
    problems = []
    ids = [root.findtext(f"{A}id") or ""] + [e.findtext(f"{A}id") or "" for e in _entries(root)]
    problems += [f"InvalidIRI or NonCanonicalURI: {value!r}" for value in ids if not _id_ok(value)]
    entry_ids = Counter(ids[1:])
    problems += [f"DuplicateEntries: {value}" for value, n in entry_ids.items() if n > 1]
    return problems


def _id_ok(value: str) -> bool:
    if value != value.strip() or not value:
        return False  # UnexpectedWhitespace / NotBlank
    scheme = value.split(":", 1)[0]
    if scheme == "tag":
        return bool(TAG_URI.match(value))
    if scheme.lower() == "urn":
        return bool(UUID_URN.match(value)) or not value.lower().startswith("urn:uuid:")
    return bool(FULL_URI.match(value)) and is_canonical(value)


def is_canonical(uri: str) -> bool:
    """The validator's NonCanonicalURI: lower-case scheme and host, no default port, no
    percent-encoded unreserved characters, upper-case percent escapes, a path on http(s)."""
    parts = urlsplit(uri)
    if parts.scheme != parts.scheme.lower() or parts.netloc != parts.netloc.lower():
        return False
    if (parts.scheme, parts.port) in {("http", 80), ("https", 443)}:
        return False
    if parts.scheme in {"http", "https"} and not parts.path:
        return False
    escapes = re.findall(r"%([0-9A-Fa-f]{2})", uri)
    unreserved = re.compile(r"[A-Za-z0-9\-._~]")
    return all(e == e.upper() and not unreserved.match(chr(int(e, 16))) for e in escapes)


def _atom_dates(root: etree._Element, now: datetime) -> list[str]:
    problems = []
    for node in root.iter(f"{A}updated", f"{A}published"):
        value = node.text or ""
        if not RFC3339.match(value):
            problems.append(f"InvalidRFC3339Date: {value!r}")
        elif not _plausible(datetime.fromisoformat(value.replace("Z", "+00:00")), now):
            problems.append(f"ImplausibleDate: {value}")
    updated = Counter(e.findtext(f"{A}updated") for e in _entries(root))
    problems += [f"DuplicateUpdated: {value}" for value, n in updated.items() if n > 1]
    return problems


def _plausible(moment: datetime, now: datetime) -> bool:
    return datetime(1990, 1, 1, tzinfo=UTC) <= moment <= now + timedelta(days=1)


def _atom_links(root: etree._Element) -> list[str]:
    problems = []
    for node in root.iter(f"{A}link", f"{A}uri", f"{A}icon", f"{A}logo", f"{A}content"):
        value = node.get("href") if node.tag == f"{A}link" else node.get("src")
        if node.tag in {f"{A}uri", f"{A}icon", f"{A}logo"}:
            value = node.text
        if value is None:
            continue
        has_base = any(a.get(XML_BASE) for a in node.iterancestors()) or node.get(XML_BASE)
        if not FULL_URI.match(value) and not (has_base and not value.startswith("/")):
            problems.append(f"InvalidFullLink or relative URI without xml:base: {value!r}")
    for parent in [root, *_entries(root)]:
        alternates = Counter(
            (link.get("type"), link.get("hreflang"))
            for link in parent.findall(f"{A}link")
            if link.get("rel", "alternate") == "alternate"
        )
        problems += ["DuplicateAtomLink" for n in alternates.values() if n > 1]
    return problems


def _atom_text_constructs(root: etree._Element) -> list[str]:
    problems = []
    texts = ("title", "subtitle", "summary", "content", "rights")
    for node in root.iter(*(A + name for name in texts)):
        if not _language_of(node):
            problems.append(f"MissingDCLanguage: {etree.QName(node).localname}")
        kind = node.get("type", "text")
        value = node.text or ""
        if kind == "html":
            problems += html_problems(value, etree.QName(node).localname)
        elif kind == "text":
            problems += non_html_problems(value, f"atom:{etree.QName(node).localname}")
    for name in root.iter(f"{A}name"):
        problems += non_html_problems(name.text or "", "atom:name")
    return problems


def _language_of(node: etree._Element) -> str | None:
    for element in [node, *node.iterancestors()]:
        if element.get(XML_LANG):
            return element.get(XML_LANG)
    return None


def _entries(root: etree._Element) -> list[etree._Element]:
    return root.findall(f"{A}entry")


# --- shared text rules ---


def non_html_problems(value: str, element: str) -> list[str]:
    """ContainsHTML / ContainsUndeclaredHTML: plain text that a reader would take for markup."""
    tags = [tag for tag in HTML_END_TAG.findall(value) if tag.lower() in HTML_TAGS_SAMPLE]
    if tags:
        return [f"ContainsUndeclaredHTML: {element} has </{tags[0]}>"]
    entities = [
        name
        for name in HTML_ENTITY.findall(value)
        if name in name2codepoint or name == "apos" or not name.isalpha()
    ]
    return [f"ContainsUndeclaredHTML: {element} has &{entities[0]};"] if entities else []


def html_problems(markup: str, element: str) -> list[str]:
    """SecurityRisk, SecurityRiskAttr and ContainsRelRef in an HTML fragment."""
    if not markup.strip():
        return []
    problems = []
    for node in lxml.html.fragments_fromstring(f"<div>{markup}</div>")[0].iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag.lower() in UNSAFE_ELEMENTS:
            problems.append(f"SecurityRisk: {element} has <{node.tag}>")
        for attribute in node.attrib:
            if UNSAFE_ATTRIBUTE.match(attribute):
                problems.append(f"SecurityRiskAttr: {element} has {attribute}=")
        ref = {"a": node.get("href"), "img": node.get("src")}.get(node.tag)
        if ref is not None and not re.match(r"^\w+:", ref.strip()):
            problems.append(f"ContainsRelRef: {element} has {ref!r}")
    return problems


def _bad_characters(root: etree._Element) -> list[str]:
    text = "".join(root.itertext()) + "".join(v for n in root.iter() for v in n.attrib.values())
    bad = [c for c in text if 0x80 <= ord(c) <= 0x9F or c == "\ufffd"]
    return [f"BadCharacters: {bad[0]!r}"] if bad else []


# --- RSS 2.0 ---


def rss_problems(data: bytes, location: str, *, now: datetime | None = None) -> list[str]:
    """Everything the RSS 2.0 specification and the W3C validator's RSS rules find in `data`."""
    root = parse(data)
    if root.tag != "rss" or root.get("version") != "2.0":
        return [f"not RSS 2.0: <{root.tag} version={root.get('version')!r}>"]
    channels = root.findall("channel")
    if len(channels) != 1 or len(root) != 1:
        return [f"an rss element holds exactly one channel, found {len(root)} children"]
    channel = channels[0]
    problems = _rss_elements(channel, RSS_CHANNEL, RSS_CHANNEL_SINGLE, "channel")
    problems += [
        f"MissingElement: channel {name}"
        for name in ("title", "link", "description")
        if not (channel.findtext(name) or "").strip()
    ]
    problems += _rss_self(channel, location)
    language = channel.findtext("language")
    if language is not None and not LANGUAGE.match(language):
        problems.append(f"InvalidLanguage: {language!r}")
    problems += _rss_dates(channel, now or datetime.now(UTC))
    problems += _rss_links(channel)
    problems += _rss_items(channel)
    problems += _bad_characters(root)
    return problems


def _rss_elements(
    parent: etree._Element, known: set[str], single: set[str], where: str
) -> list[str]:
    problems = []
    names = Counter(child.tag for child in parent if isinstance(child.tag, str))
    for name, count in names.items():
        if "}" not in name and name not in known:
            problems.append(f"UndefinedElement: {where} element {name}")
        if name in single and count > 1:
            problems.append(f"DuplicateElement: {where} contains more than one {name}")
    for child in parent:
        if isinstance(child.tag, str) and "}" not in child.tag:
            problems += [
                f"UseOfExtensionAttr: {child.tag}@{attribute}"
                for attribute in child.attrib
                if attribute.startswith("{")
            ]
    return problems


def _rss_self(channel: etree._Element, location: str) -> list[str]:
    selves = channel.findall(f"{A}link[@rel='self']")
    if not selves:
        return ["MissingAtomSelfLink"]
    problems = ["MissingTypeAttr: atom:link type" for link in selves if not link.get("type")]
    problems += [
        f"SelfDoesntMatchLocation: {link.get('href')} != {location}"
        for link in selves
        if link.get("href") != location
    ]
    return problems


def _rss_dates(channel: etree._Element, now: datetime) -> list[str]:
    problems = []
    for node in channel.iter("pubDate", "lastBuildDate"):
        problems += rfc822_problems(node.text or "", now)
    return problems


def rfc822_problems(value: str, now: datetime) -> list[str]:
    if not RFC2822.match(value):
        return [f"InvalidRFC2822Date or ProblematicalRFC822Date: {value!r}"]
    moment = parsedate_to_datetime(value)
    if "," in value and moment.strftime("%a") != value[:3]:
        return [f"IncorrectDOW: {value}"]
    if not _plausible(moment, now):
        return [f"ImplausibleDate: {value}"]
    return []


def _rss_links(channel: etree._Element) -> list[str]:
    values = [node.text or "" for node in channel.iter("link", "docs", "comments")]
    values += [node.get("href") or "" for node in channel.iter(f"{A}link")]
    return [f"InvalidFullLink: {value!r}" for value in values if not FULL_URI.match(value)]


def _rss_items(channel: etree._Element) -> list[str]:
    problems = []
    guids = Counter(item.findtext("guid") for item in channel.iter("item"))
    problems += [f"DuplicateValue: guid {value}" for value, n in guids.items() if value and n > 1]
    for item in channel.iter("item"):
        problems += _rss_elements(item, RSS_ITEM, RSS_ITEM_SINGLE, "item")
        if not (item.findtext("title") or item.findtext("description") or "").strip():
            problems.append("ItemMustContainTitleOrDescription")
        problems += _rss_guid(item)
        if item.find("author") is not None and item.find(DC_CREATOR) is not None:
            problems.append("DuplicateItemSemantics: author and dc:creator")
        for name in ("title", "category", "author", DC_CREATOR):
            for node in item.iter(name):
                problems += non_html_problems(node.text or "", f"item {name}")
        problems += html_problems(item.findtext("description") or "", "description")
        problems += html_problems(item.findtext(CONTENT_ENCODED) or "", "content:encoded")
    return problems


def _rss_guid(item: etree._Element) -> list[str]:
    guid = item.find("guid")
    if guid is None:
        return ["MissingGuid"]
    permalink = guid.get("isPermaLink", "true")
    if permalink not in {"true", "false"}:
        return ["InvalidBooleanAttribute: guid isPermaLink"]
    if permalink == "true" and not FULL_URI.match(guid.text or ""):
        return [f"InvalidPermalink: {guid.text!r}"]
    return []


# --- OPML 2.0 (http://opml.org/spec2.opml) ---


def opml_problems(data: bytes) -> list[str]:
    root = parse(data)
    if root.tag != "opml" or root.get("version") != "2.0":
        return [f"not OPML 2.0: <{root.tag} version={root.get('version')!r}>"]
    if [child.tag for child in root] != ["head", "body"]:
        return ["an opml element holds one head, then one body"]
    outlines = list(root.iter("outline"))
    problems = [] if outlines else ["body: at least one outline"]
    for outline in outlines:
        if not outline.get("text"):
            problems.append("outline: text attribute required")
        if outline.get("type") == "rss" and not outline.get("xmlUrl"):
            problems.append("MissingXmlURL")
        problems += [
            f"InvalidFullLink: {name}={outline.get(name)!r}"
            for name in ("xmlUrl", "htmlUrl")
            if outline.get(name) is not None and not FULL_URI.match(outline.get(name, ""))
        ]
    for name in ("dateCreated", "dateModified"):
        value = root.findtext(f"head/{name}")
        if value is not None:
            problems += rfc822_problems(value, datetime.now(UTC))
    return problems
