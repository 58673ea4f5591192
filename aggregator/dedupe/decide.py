"""Dedupe: which stored item, if any, an incoming Item announces. Pure: no HTTP, no database.

Lookup keys (`lookup_keys`) are what the store indexes; for an incoming item it reads the
stored items sharing a key (at most BLOCK_LIMIT per key, newest first; a blocking key held by
more is too common to block on) with their sightings' stored signatures, and `decide` judges:

1. the same (source_id, source_key) -> UpdateSighting (content_changed when the hash differs);
2. each candidate item is judged sighting by sighting (`evidence.same_story`): the item matches
   it when some sighting is the same story and none contradicts it (another subject, date,
   place, number or review type; the same source under another key and URL);
3. one match -> AddSighting; several, none contradicting another -> AddSighting into the oldest,
   the others merged into it (a later item can show two stored ones to be one story); several
   that contradict each other -> NewItem (an ambiguous repost merges into neither);
4. otherwise NewItem.

Every judgement is between two sightings alone, so the groups do not depend on the order in
which items arrive. Precision over recall: a wrong merge hides a board's notice or a review, a
missed one only shows it twice.

Representative rule (`make_representative`): the original publisher wins over reposts. With a
`source_rank` (lower is more authoritative, e.g. the publishing board over gov.uk over a
bulletin) the new sighting becomes representative when its rank is strictly lower than the
current representative's; on equal rank, or with no ranking, the earliest published sighting
stays representative (the new one wins only if published strictly earlier). A source that
re-announces its own representative story under a new GUID or URL spelling (same canonical URL)
supersedes it, so a retitle shows, unless the new entry is older. A tombstoned (deleted) item
still receives the sighting, so it is never re-created, but never changes representative.

Near-duplicate keys are bucketed by 30-day window (an item indexes its window and the next), so
a key is only shared by items published within ~60 days.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from aggregator.dedupe import minhash
from aggregator.dedupe.cluster import partition
from aggregator.dedupe.evidence import Evidence, Seen, contradicts, same_story
from aggregator.dedupe.features import features
from aggregator.dedupe.signature import Signature, dumps, loads, signature, text_signature
from aggregator.models import (
    AddSighting,
    Candidate,
    Decision,
    Item,
    NewItem,
    Regroup,
    StoredSighting,
    UpdateSighting,
)
from aggregator.normalise.canonical import canonical_url

BUCKET_DAYS = 30
BLOCK_LIMIT = 16  # holders read per lookup key; a blocking key held by more stops blocking
_IDENTITY = ("src:", "url:")


def is_identity_key(key: str) -> bool:
    """The source's own key and a canonical URL: never too common to look up."""
    return key.startswith(_IDENTITY)


def with_signature(item: Item) -> Item:
    """The item carrying its signature (made once, where the item is made; stored with it)."""
    return item if item.signature else replace(item, signature=dumps(signature(item)))


def lookup_keys(item: Item) -> tuple[str, ...]:
    """Keys the store indexes for item; a stored item sharing any of them is a candidate."""
    feats = features(item.title, item.summary, item.category == "reviews")
    buckets = _buckets(item.published)
    keys = [f"src:{item.source_id}:{item.source_key}"]
    url = _item_url(item)
    if url:
        keys.append(f"url:{url}")
    keys += [f"url:{link}" for link in sorted(_signature_of(item).links)]  # pages it links to
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
    mine = Seen(item.source_id, _item_url(item), item.published, _signature_of(item))
    new = NewItem(item, keys, frozenset(c.item_id for c in candidates))
    judged = [(judge(mine, c), c) for c in candidates]
    touched = [(j, c) for j, c in judged if j.evidence]
    if not touched:
        return new
    live = [(j, c) for j, c in touched if not c.deleted]
    if not live:  # only tombstones: the sighting goes to one, and stays hidden
        best = max(touched, key=lambda m: (m[0].score, -m[1].item_id))
        if best[0].conflicted:
            return new
        return _add(item, best[1], keys, best[0].reason, source_rank)
    if len(live) == 1 and not live[0][0].conflicted:
        ((found, cand),) = live
        return _add(item, cand, keys, found.reason, source_rank)
    if any(c.grouped_by_hand for _, c in live):  # what a curator grouped stays as it is
        return _by_hand(new, live, source_rank)
    return _regroup(new, mine, [c for _, c in live], source_rank)


def _by_hand(
    new: NewItem,
    live: Sequence[tuple[Judged, Candidate]],
    source_rank: Callable[[str], int] | None,
) -> Decision:
    """Beside a curator's grouping: join the one clear candidate, else stand alone."""
    clear = [(j, c) for j, c in live if not j.conflicted]
    if len(clear) != 1:
        return new
    ((found, cand),) = clear
    return _add(new.item, cand, new.keys, found.reason, source_rank)


@dataclass(frozen=True)
class Judged:
    """What the sightings of one candidate say of an incoming item."""

    evidence: Evidence | None  # the best
    conflicted: bool  # some sighting contradicts it

    @property
    def score(self) -> float:
        return self.evidence.score if self.evidence else 0.0

    @property
    def reason(self) -> str:
        return self.evidence.reason if self.evidence else ""


def judge(mine: Seen, cand: Candidate) -> Judged:
    best: Evidence | None = None
    conflicted = False
    for sighting in _seen(cand):
        if contradicts(mine, sighting):
            conflicted = True
        elif (found := same_story(mine, sighting)) and (best is None or found.score > best.score):
            best = found
    return Judged(best, conflicted)


def _regroup(
    new: NewItem,
    mine: Seen,
    cands: Sequence[Candidate],
    source_rank: Callable[[str], int] | None,
) -> Decision:
    """Group the item and the candidates' sightings anew (aggregator.dedupe.cluster)."""
    item, keys = new.item, new.keys
    pair = (item.source_id, item.source_key)
    seen = {pair: mine}
    for cand in cands:
        seen.update(zip(cand.source_keys, _seen(cand), strict=True))

    def tier(a: tuple[str, str], b: tuple[str, str]) -> int | None:
        found = same_story(seen[a], seen[b])
        return found.tier if found else None

    def clash(a: tuple[str, str], b: tuple[str, str]) -> bool:
        return contradicts(seen[a], seen[b])

    groups = partition(list(seen), tier, clash)
    mine_group = next(g for g in groups if pair in g)
    before = [frozenset(c.source_keys) for c in cands]
    if set(groups) == {frozenset([pair]), *before}:
        return new
    for cand, held in zip(cands, before, strict=True):
        if set(groups) == {held | {pair}, *(b for b in before if b is not held)}:
            return _add(item, cand, keys, "regroup: joins one", source_rank)
    return Regroup(
        item_id=min(c.item_id for c in cands),
        item=item,
        keys=keys,
        items=tuple(sorted(c.item_id for c in cands)),
        groups=tuple(tuple(sorted(g)) for g in groups),
        reason=f"regroup of {len(seen)} sightings into {len(groups)} (the new one with "
        f"{len(mine_group) - 1})",
    )


def _seen(cand: Candidate) -> list[Seen]:
    return [_seen_one(s) for s in cand.sightings]


@functools.lru_cache(maxsize=1024)  # the same candidates are judged by the batch's next items
def _seen_one(sighting: StoredSighting) -> Seen:
    if sighting.signature:
        sig = loads(sighting.signature)
    else:
        sig = text_signature(sighting.title, sighting.summary)
    return Seen(sighting.source_id, sighting.canonical_url, sighting.published, sig)


def _signature_of(item: Item) -> Signature:
    return loads(item.signature) if item.signature else signature(item)


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
