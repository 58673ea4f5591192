"""canonical_url: one spelling per page, and idempotent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.normalise.canonical import canonical_url

BASE = "https://hampshiresab.org.uk/2025/03/sar-adult-z"


@pytest.mark.parametrize(
    "url",
    [
        "http://www.hampshiresab.org.uk/2025/03/sar-adult-z/",
        "HTTPS://WWW.HampshireSAB.org.uk:443/2025/03/sar-adult-z",
        "http://hampshiresab.org.uk:80/2025/03/sar-adult-z/#comments",
        "https://hampshiresab.org.uk/2025/03/sar-adult-z/?utm_source=bulletin&utm_medium=email",
        "https://hampshiresab.org.uk/2025/03/sar-adult-z?fbclid=IwAR0x&gclid=abc&mc_cid=1&mc_eid=2",
        "https://hampshiresab.org.uk//2025/03/./sar-adult-z/index.html",
        "https://user:pw@hampshiresab.org.uk/2025/03/sar-adult-%7Ez/../sar-adult-z",
        "  https://hampshiresab.org.uk/2025/03/sar-adult-z?_ga=2.1&msclkid=x  ",
    ],
)
def test_spellings_of_one_page_share_a_canonical_url(url: str) -> None:
    assert canonical_url(url) == BASE


def test_wordpress_post_id_is_kept_and_params_are_sorted() -> None:
    assert (
        canonical_url("http://www.lscp.org.uk/?utm_campaign=x&p=123")
        == "https://lscp.org.uk/?p=123"
    )
    assert canonical_url("https://a.org/s?b=2&a=1&a=0") == "https://a.org/s?a=0&a=1&b=2"
    assert canonical_url("https://a.org/?p=123") != canonical_url("https://a.org/?p=124")


def test_root_keeps_its_slash_and_other_ports_are_kept() -> None:
    assert canonical_url("http://www.example.org") == "https://example.org/"
    assert canonical_url("http://example.org:8080/x/") == "https://example.org:8080/x"


def test_ref_is_kept_unless_configured_as_tracking() -> None:
    url = "https://a.org/doc?ref=SAR-2025-04"
    assert canonical_url(url) == url
    assert canonical_url(url, extra_params=["REF"]) == "https://a.org/doc"


def test_percent_escapes_are_normalised_not_decoded_blindly() -> None:
    assert canonical_url("https://a.org/a%2fb%7e") == "https://a.org/a%2Fb~"
    assert canonical_url("https://a.org/100%") == "https://a.org/100%25"
    assert canonical_url("https://a.org/a b") == "https://a.org/a%20b"


def test_non_http_strings_come_back_stripped() -> None:
    assert canonical_url(" tag:www.gov.uk,2005:/x ") == "tag:www.gov.uk,2005:/x"
    assert canonical_url("mailto:info@lscp.org.uk") == "mailto:info@lscp.org.uk"
    assert canonical_url("/relative/path/") == "/relative/path/"


url_parts = st.builds(
    lambda scheme, www, host, port, path, query, frag: (
        f"{scheme}://{www}{host}{port}{path}{query}{frag}"
    ),
    st.sampled_from(["http", "https", "HTTP", "Https"]),
    st.sampled_from(["", "www.", "WWW.", "www.www."]),
    st.from_regex(r"[A-Za-z0-9-]{1,12}(\.[A-Za-z]{2,5}){1,2}\.?", fullmatch=True),
    st.sampled_from(["", ":80", ":443", ":8080", ":"]),
    st.lists(
        st.sampled_from(
            [".", "..", "", "index.html", "a b", "%7e", "%2f", "%", "%%3641", "é", "x"]
        ),
        max_size=6,
    ).map(lambda segs: "/" + "/".join(segs)),
    st.lists(
        st.tuples(
            st.sampled_from(["p", "utm_source", "a", "fbclid", "Q", "", "x y"]),
            st.text(max_size=5),
        ),
        max_size=4,
    ).map(lambda kv: ("?" + "&".join(f"{k}={v}" for k, v in kv)) if kv else ""),
    st.sampled_from(["", "#", "#frag"]),
)


@given(url_parts)
def test_canonical_url_is_idempotent_on_url_shapes(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


@given(st.text(max_size=60))
def test_canonical_url_is_idempotent_on_any_text(text: str) -> None:
    once = canonical_url(text)
    assert canonical_url(once) == once


@given(st.text(max_size=40))
def test_canonical_url_is_idempotent_on_http_prefixed_text(text: str) -> None:
    once = canonical_url("http://" + text)
    assert canonical_url(once) == once
