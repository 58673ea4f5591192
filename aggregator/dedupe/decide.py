"""Dedupe: which stored item, if any, an incoming Item announces. Pure: no HTTP, no database.

This module holds the keys and the judging; what a title and summary are made of (`Features`)
is computed in `aggregator.dedupe.features`.

Lookup keys (`lookup_keys`) are what the store indexes; `Storage.candidates(keys)` returns the
stored items sharing any key, and `decide` judges them, in this order:

1. same (source_id, source_key) -> UpdateSighting (content_changed when the hash differs).
   GUIDs are compared only within their own source: `src:` keys carry the source id.
2. same canonical URL, and nothing says they differ (review type, subject, period, place)
   -> AddSighting(reason="canonical-url").
3. near-duplicate: published within 30 days; compatible (same review type and subject when both
   are known: "Adult A" never matches "Adult B"; same month, event day, place when both name one);
   not announced by the same source under another key; the same subject, or similar titles (and
   summaries); and clearly better than any other candidate -> AddSighting("near-dup title=..").
4. otherwise NewItem.

Precision over recall: a wrong merge hides a review, a missed one only shows it twice.

Representative rule (`make_representative`): the original publisher wins over reposts. With a
`source_rank` (lower is more authoritative, e.g. the publishing board over gov.uk over a
bulletin) the new sighting becomes representative when its rank is strictly lower than the
current representative's; on equal rank, or with no ranking, the earliest published sighting
stays representative (the new one wins only if published strictly earlier). A source that
re-announces its own representative story under a new GUID or URL spelling (same canonical URL)
supersedes it, so a retitle shows, unless the new entry is older. A tombstoned
(deleted) item still receives the sighting, so it is never re-created, but never changes
representative: it stays hidden.

Near-duplicate keys are bucketed by 30-day window (an item indexes its window and the next), so
a key is only shared by items published within ~60 days: candidates per lookup stay bounded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from aggregator.dedupe import minhash
from aggregator.dedupe.features import (
    FEATURE_CACHE,
    MONTHS,
    TYPE_TOKENS,
    Features,
    _days,
    _plain,
    _url_places,
)
from aggregator.dedupe.features import features as features  # re-exported: dedupe.features
from aggregator.models import AddSighting, Candidate, Decision, Item, NewItem, UpdateSighting
from aggregator.normalise.canonical import canonical_url

MAX_DAYS = 30
AMBIGUITY_MARGIN = 0.5  # two near-duplicates scoring closer than this: merge into neither
BUCKET_DAYS = 30


def lookup_keys(item: Item) -> tuple[str, ...]:
    """Keys the store indexes for item; a stored item sharing any of them is a candidate."""
    feats = features(item.title, item.summary, item.category == "reviews")
    buckets = _buckets(item.published)
    keys = [f"src:{item.source_id}:{item.source_key}"]
    url = _item_url(item)
    if url:
        keys.append(f"url:{url}")
    if feats.core:  # a month (not a day) named in the title is part of a bulletin's identity
        words = feats.core if feats.days else feats.core | feats.months
        title = minhash.digest(" ".join(sorted(words)))
        keys += [f"title:{title}:{b}" for b in buckets]
    for subject in sorted(feats.subjects)[:2]:
        keys += [f"subj:{subject}:{b}" for b in buckets]
    for n, band in enumerate(minhash.bands(feats.content | feats.shingles)):
        keys += [f"mh{n}:{band}:{b}" for b in buckets]
    return tuple(dict.fromkeys(keys))


def decide(
    item: Item,
    candidates: Sequence[Candidate],
    *,
    source_rank: Callable[[str], int] | None = None,
    keys: tuple[str, ...] | None = None,
) -> Decision:
    """Judge item against the stored candidates (see the module docstring for the rules).

    `keys` are the item's lookup_keys when the caller has them already."""
    keys = lookup_keys(item) if keys is None else keys
    identity = (item.source_id, item.source_key)
    for cand in candidates:
        if identity in cand.source_keys:
            old_hash = cand.sighting_hashes.get(identity)
            return UpdateSighting(
                cand.item_id, item, keys, content_changed=old_hash != item.content_hash
            )
    mine = _with_item_facts(features(item.title, item.summary, item.category == "reviews"), item)
    url = _item_url(item)
    for cand in candidates:
        if url and url in cand.canonical_urls and compatible(mine, _cand_features(cand)):
            return _add(item, cand, keys, "canonical-url", source_rank)
    judged = [(j[0], j[1], c) for c in candidates if (j := near_duplicate(item, mine, c))]
    judged.sort(key=lambda match: match[0], reverse=True)
    if judged and (len(judged) == 1 or judged[0][0] - judged[1][0] >= AMBIGUITY_MARGIN):
        return _add(item, judged[0][2], keys, judged[0][1], source_rank)
    return NewItem(item, keys)


def make_representative(
    item: Item, cand: Candidate, source_rank: Callable[[str], int] | None = None
) -> bool:
    """True when the new sighting should be what subscribers see (module docstring: the rule)."""
    if cand.deleted:
        return False
    if item.source_id == cand.representative_source:  # its own story under a new GUID/URL
        return item.published >= cand.published
    if source_rank is not None:
        new_rank, old_rank = source_rank(item.source_id), source_rank(cand.representative_source)
        if new_rank != old_rank:
            return new_rank < old_rank
    return item.published < cand.published


def near_duplicate(item: Item, mine: Features, cand: Candidate) -> tuple[float, str] | None:
    """(score, audit reason) when cand is judged the same announcement as item, else None."""
    if any(source == item.source_id for source, _ in cand.source_keys):
        return None  # a source announces a thing once; two keys there are two things
    days = abs((item.published - cand.published).total_seconds()) / 86400
    theirs = _cand_features(cand)
    if days > MAX_DAYS or not compatible(mine, theirs):
        return None
    title = jaccard(mine.core, theirs.core)
    text = jaccard(mine.shingles, theirs.shingles)
    if not _similar(mine, theirs, title, text):
        return None
    score = title + text / 2 + (1.0 if mine.subjects & theirs.subjects else 0.0) - days / 100
    return score, f"near-dup title={title:.2f} text={text:.2f} days={days:.0f}"


def _similar(mine: Features, theirs: Features, title: float, text: float) -> bool:
    if mine.subjects and theirs.subjects:  # one may name more people, but none the other lacks
        return mine.subjects <= theirs.subjects or theirs.subjects <= mine.subjects
    if mine.subjects or theirs.subjects:
        return title >= 0.8
    thin = len(mine.core | theirs.core) < 2 and not mine.days & theirs.days
    if thin:  # one shared word, no shared date: thin evidence on its own
        return title >= 1.0 and text >= 0.3
    return title >= 0.75 or (title >= 0.5 and text >= 0.5)


def compatible(a: Features, b: Features) -> bool:
    """False when something both name differs: review type, subject, month, day or place."""
    if a.review_type and b.review_type and a.review_type != b.review_type:
        return False
    if a.strong and b.strong and not a.strong & b.strong:
        return False
    return all(
        not (x and y) or bool(x & y)
        for x, y in ((a.months, b.months), (a.days, b.days), (a.places, b.places))
    )


def _with_item_facts(feats: Features, item: Item) -> Features:
    """Add what only the Item knows: its classified review type and, for training, its dates."""
    rtype = feats.review_type
    if rtype is None and item.review_type in TYPE_TOKENS:
        rtype = item.review_type
    days = set(feats.days)
    if item.category == "training":
        days |= _days(_plain(item.summary))
        if item.event_date:
            days.add(f"{item.event_date.day}-{MONTHS[item.event_date.month - 1]}")
    places = feats.places | _url_places(item.url or item.canonical_url or "")
    return replace(feats, review_type=rtype, days=frozenset(days), places=places)


def _cand_features(cand: Candidate) -> Features:
    return _stored_features(cand.title, cand.summary, cand.canonical_urls)


@functools.lru_cache(maxsize=FEATURE_CACHE)
def _stored_features(title: str, summary: str, urls: tuple[str, ...]) -> Features:
    """A stored item's features: its sightings' hosts name places; its summary may name the day."""
    feats = features(title, summary)
    feats = replace(feats, places=feats.places.union(*(_url_places(u) for u in urls)))
    training_days = _days(_plain(summary))
    if feats.days or not training_days:
        return feats
    return replace(feats, days=training_days)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _buckets(published: datetime) -> tuple[int, int]:
    bucket = published.date().toordinal() // BUCKET_DAYS
    return bucket, bucket + 1


def _item_url(item: Item) -> str | None:
    if item.canonical_url:
        return item.canonical_url
    return canonical_url(item.url) if item.url else None


def _add(
    item: Item,
    cand: Candidate,
    keys: tuple[str, ...],
    reason: str,
    rank: Callable[[str], int] | None,
) -> AddSighting:
    representative = make_representative(item, cand, rank)
    return AddSighting(cand.item_id, item, keys, reason=reason, make_representative=representative)
