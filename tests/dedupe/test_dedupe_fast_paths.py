"""dedupe's fast paths give what the plain computation gives: keys are stored, so never change.

The golden keys below were computed by the straightforward implementation (a blake2b and a
Python loop of (a*h + b) mod p per token; every regex on every text) before it was sped up.
"""

from __future__ import annotations

import random
import re

import pytest

from aggregator.dedupe import decide as dedupe
from aggregator.dedupe import features as dedupe_features
from aggregator.dedupe import minhash
from tests.dedupe.test_dedupe import make_item

URL = "https://www.hampshiresab.org.uk/2025/03/x/?utm_source=rss"
GOLDEN = [
    (
        ("Safeguarding Adults Review – Adult Z (Leeds)", "reviews", "sar"),
        "The board has published a SAR about Adult Z, who lived in Leeds.",
        "title:afa5ce9d3d2c4ff5 subj:adult_z mh0:5342160b0404aa84 mh1:da95342fba8ffed0",
    ),
    (
        ("Hampshire Safeguarding Bulletin – March 2025", "news", None),
        "News from the partnership: training, the 7MB on hoarding…",
        "title:eb0e34e4af629de4 mh0:285635565cbe4f32 mh1:6497d4a63123455a",
    ),
    (
        ("Course: self-neglect – 14 May 2025", "training", None),
        "A half-day course for practitioners on self-neglect.",
        "title:c4e553516fb6eb1a mh0:ea17e13f1bd5ecc0 mh1:3476586a09c06623",
    ),
    (
        ("Domestic Homicide Review ‘Anna’", "reviews", "dhr"),
        "Café naïve résumé: the DHR into the death of Anna.",
        "title:d04474cc4b844a8c subj:anna mh0:2a697af1ab3385c7 mh1:cb1213ae5d2e674e",
    ),
]
TEXTS = [
    "Safeguarding Adults Review – Adult Z (Leeds)",
    "SAR: Mrs A and Young person B, 14th May 2025",
    "Child Safeguarding Practice Reviews in Kent; the LCSPRs and SCRs",
    "seven minute briefing: 7MB on d'hr & s’ar",
    "hampshire's review of leeds2024 and york_x",
    "Domestic abuse related death reviews (DARDRs) – Mr X1",
    "ADULTS  Z and mother\tAB: isle of wight, milton keynes",
    "chıld A, Kelvin K, ſar: non-ASCII that matches case-insensitively",
    "the news in brief… nothing to see here",
    "",
]


@pytest.mark.parametrize(("head", "summary", "expected"), GOLDEN)
def test_keys_are_those_already_stored(
    head: tuple[str, str, str | None], summary: str, expected: str
) -> None:
    dedupe.features.cache_clear()
    title, category, review_type = head
    item = make_item(
        title, key="k1", url=URL, summary=summary, category=category, review_type=review_type
    )
    keys = dedupe.lookup_keys(item)
    buckets = (24643, 24644)
    assert keys == (
        "src:hampshire-sab:k1",
        "url:https://hampshiresab.org.uk/2025/03/x",
        *(f"{key}:{b}" for key in expected.split() for b in buckets),
    )


def _hashes_hitting_the_edges() -> list[int]:
    prime = minhash._PRIME
    edges = [0, 1, prime - 1, prime, prime + 1, 2**61, 2**63, 2**64 - 1]
    for a, b in minhash._COEFFICIENTS:  # a*h + b = 0, 1, 130 or prime-1 (mod prime)
        for target in (0, 1, 130, prime - 1):
            h = (target - b) * pow(a, -1, prime) % prime
            edges += [x for x in (h + k * prime for k in range(9)) if x < 2**64]
    return edges


def test_packed_signature_is_the_per_token_minimum() -> None:
    rng = random.Random(7)
    edges = _hashes_hitting_the_edges()
    prime, coefficients = minhash._PRIME, minhash._COEFFICIENTS
    for _ in range(3000):
        count = rng.choice([1, 2, 3, rng.randint(1, 120)])
        hashes = [
            rng.choice(edges) if rng.random() < 0.3 else rng.getrandbits(64) for _ in range(count)
        ]
        expected = [min((a * h + b) % prime for h in hashes) for a, b in coefficients]
        assert minhash._signature([h.to_bytes(8, "big") for h in hashes]) == expected


@pytest.mark.parametrize("text", TEXTS)
def test_shortcuts_agree_with_the_regexes(text: str) -> None:
    if not dedupe_features._may_name_subject(text, text.lower()):
        assert not dedupe_features._SUBJECT.search(text)
    words = dedupe_features._normalised_words(text)
    assert dedupe_features._named_type(text) == dedupe_features._first_type(words)
    assert dedupe_features._places_among(text, words) == dedupe_features._places(text)
    slow = re.sub(r"[’']", "", text.lower().replace("&", " and "))
    if not dedupe_features._may_name_subject(text, text.lower()):
        slow_words = dedupe_features._NON_WORD.sub(" ", slow).split()
        for _, pattern, replacement in dedupe_features._SYNONYMS:
            slow_words = pattern.sub(replacement, " ".join(slow_words)).split()
        assert words == slow_words


def test_date_words_are_what_the_date_pattern_matches() -> None:
    letters = re.findall(r"[a-z]+", dedupe_features._DATE_TOKEN.pattern)
    assert {
        w for w in letters if dedupe_features._DATE_TOKEN.match(w)
    } == dedupe_features._DATE_WORDS
