"""The fast paths of normalise/sanitize/canonical give what the plain computation gives."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from aggregator.normalise.canonical import canonical_url
from aggregator.normalise.item import _WORDPRESS_TAILS, remove_wordpress_tails
from aggregator.normalise.sanitize import (
    _CONTROL,
    absolute_url,
    html_to_text,
    sanitize_html,
    strip_control_chars,
)

PIECES = [
    "The post", "THE POST", "The poſt", "appeared first on", "Appeared Fırst On",
    "Continue reading", "continue reading", "Read more", "READ MORE", "Read moRe",
    "Read the full story", "read the full ſtory", "Read\tmore", "[", "]", "[…]", "[ … ]", "[...]",
    "[&#8230;]", "[&hellip;]", "…", "&#8230;", "&hellip;", "...", ".", "→", "»", "x", "Adult Z",
    "İ", "K", "é", " ", "\u00a0", "\n", "\t",
]  # fmt: skip


def _plain_removal(text: str) -> str:
    """remove_wordpress_tails as it was: every pattern tried at every position."""
    previous = None
    while previous != text:
        previous = text
        for tail, *_ in _WORDPRESS_TAILS:
            text = tail.sub("", text)
    return text.strip()


def test_tails_removed_as_by_plain_substitution() -> None:
    rng = random.Random(3)
    texts = ["".join(rng.choices(PIECES, k=rng.randint(0, 12))) for _ in range(20000)]
    texts += [
        f"{post} x appeared first on {'y' * n}{end}"
        for post, n, end in itertools.product(("The post", "The poſt"), range(190, 215), ("", "."))
    ]
    for text in texts:
        assert remove_wordpress_tails(text) == _plain_removal(text), text


@pytest.mark.parametrize(
    "markup",
    [
        "<P>One</P><DIV>Two<br/>Three</div><param>x</param>",
        "<p>a\u00a0 b\n\tc</p>\u2028<li>d &amp;amp; &#1; e</li>",
        "<time>12</time><pre> x  y </pre><picture>z</picture>",
    ],
)
def test_html_to_text_spaces_block_tags_as_before(markup: str) -> None:
    block = re.compile(r"<(/?(?:p|div|br|li|time|pre)\b)", re.IGNORECASE)
    assert html_to_text(markup) == html_to_text(block.sub(r" <\1", markup))
    assert html_to_text(markup) == " ".join(html_to_text(markup).split())


def test_cached_url_resolution_and_reused_cleaners_are_pure() -> None:
    base = "https://example.org/dir/page.html"
    first = sanitize_html('<a href="../x?a=1#f">x</a><img src="y.png" onerror="z">', base)
    assert sanitize_html('<a href="../x?a=1#f">x</a><img src="y.png" onerror="z">', base) == first
    assert 'href="https://example.org/x?a=1#f"' in first
    assert absolute_url("../x", base) == absolute_url("../x", base) == "https://example.org/x"
    assert absolute_url("javascript:alert(1)", base) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://www.Example.org:80/a/./b/../index.html?utm_source=x", "https://example.org/a"),
        ("https://example.org/%7euser/%zz?b=2&a=1#top", "https://example.org/~user/%25zz?a=1&b=2"),
        ("https://example.org/a?", "https://example.org/a"),
    ],
)
def test_canonical_without_escapes_or_query(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_control_characters_stripped_as_by_the_regex() -> None:
    odd = [0xD800, 0xDFFF, 0xFFFE, 0xFFFF, 0x10000, 0x2028, 0xA0]
    for char in map(chr, [*range(0x3000), *odd]):
        for text in (char, f"a{char}b", f"{char}\n{char} x"):
            assert strip_control_chars(text) == _CONTROL.sub("", text)
