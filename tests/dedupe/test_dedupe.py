"""dedupe: lookup keys and decisions, on targeted cases and on the labelled announcements."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from aggregator.dedupe.decide import decide, lookup_keys, make_representative, with_signature
from aggregator.models import AddSighting, Candidate, Item, NewItem, StoredSighting, UpdateSighting
from aggregator.normalise.canonical import canonical_url


def _load_memory_index() -> ModuleType:
    path = Path(__file__).parents[1] / "fixtures" / "dedupe" / "memory_index.py"
    spec = importlib.util.spec_from_file_location("dedupe_memory_index", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


memory = _load_memory_index()
T = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


def make_item(
    title: str,
    *,
    source: str = "hampshire-sab",
    key: str | None = None,
    url: str | None = None,
    summary: str = "",
    published: datetime = T,
    category: str = "reviews",
    review_type: str | None = "sar",
    event_date: date | None = None,
) -> Item:
    url = url or f"https://www.{source}.org.uk/news/{abs(hash(title)) % 10**6}/"
    return Item(
        source_id=source,
        source_key=key or url,
        title=title,
        url=url,
        canonical_url=canonical_url(url),
        summary=summary,
        content_html=None,
        published=published,
        updated=published,
        category=category,  # type: ignore[arg-type]
        review_type=review_type if category == "reviews" else None,  # type: ignore[arg-type]
        event_date=event_date,
        content_hash=memory.content_hash(title, summary),
    )


def stored(item: Item, item_id: int = 7, *, deleted: bool = False) -> Candidate:
    """The item as the store hands it back: one sighting, its signature stored."""
    item = with_signature(item)
    sighting = StoredSighting(
        item.source_id,
        item.source_key,
        item.canonical_url,
        item.content_hash,
        item.published,
        item.signature,
    )
    return Candidate(
        item_id=item_id,
        title=item.title,
        summary=item.summary,
        published=item.published,
        representative_source=item.source_id,
        sightings=(sighting,),
        deleted=deleted,
    )


def decide_against(new: Item, old: Item, **kwargs: object) -> object:
    """decide() as the store would run it: only when old shares a lookup key with new."""
    if not set(lookup_keys(new)) & set(lookup_keys(old)):
        return NewItem(new, lookup_keys(new))
    return decide(new, [stored(old)], **kwargs)  # type: ignore[arg-type]


# --- the labelled set ---------------------------------------------------------------------


def test_labelled_set_is_large_varied_and_has_hard_negatives() -> None:
    announcements = memory.load_announcements()
    groups = {g for g, _ in announcements}
    assert len(announcements) >= 300
    assert len({item.source_id for _, item in announcements}) >= 10
    assert len(memory.same_pairs([g for g, _ in announcements])) >= 150
    assert sum(g.endswith("bulletin") for g in groups) >= 10
    assert sum(g.endswith("training") for g in groups) >= 10


def test_labelled_set_precision_and_recall_on_duplicate_pairs() -> None:
    announcements = memory.load_announcements()
    assigned, _ = memory.run_labelled_set(announcements)
    precision, recall = memory.precision_recall([g for g, _ in announcements], assigned)
    assert precision >= 0.99, f"precision {precision:.3f}"
    assert recall >= 0.95, f"recall {recall:.3f}"


def test_precision_recall_counts_pairs() -> None:
    truth = ["a", "a", "a", "b", "c"]
    assert memory.precision_recall(truth, [1, 1, 1, 2, 3]) == (1.0, 1.0)
    assert memory.precision_recall(truth, [1, 1, 2, 3, 4]) == (1.0, 1 / 3)
    assert memory.precision_recall(truth, [1, 1, 1, 1, 2]) == (0.5, 1.0)


# --- keys ------------------------------------------------------------------------------------


def test_keys_are_few_stable_and_carry_the_source_identity() -> None:
    item = make_item(
        "Safeguarding Adults Review – Adult Z", summary="The board has published a SAR."
    )
    keys = lookup_keys(item)
    assert keys == lookup_keys(item)
    assert len(keys) <= 12
    assert f"src:hampshire-sab:{item.source_key}" in keys
    assert f"url:{item.canonical_url}" in keys


def test_near_duplicate_keys_expire_with_time() -> None:
    """Title keys are bucketed: a year apart, only exact identity or URL can match."""
    now = make_item("SAR – Adult Z")
    later = make_item("SAR – Adult Z", source="norfolk-sab", published=T + timedelta(days=365))
    assert not set(lookup_keys(now)) & set(lookup_keys(later))
    soon = replace(later, published=T + timedelta(days=29))
    assert set(lookup_keys(now)) & set(lookup_keys(soon))


# --- decisions -------------------------------------------------------------------------------


def test_same_source_and_key_is_an_update_changed_only_when_the_hash_differs() -> None:
    old = make_item("SAR Adult Z", key="https://hampshiresab.org.uk/?p=4312", summary="First.")
    same = decide(old, [stored(old)])
    assert isinstance(same, UpdateSighting) and not same.content_changed
    edited = replace(old, summary="First. Updated with the action plan.", content_hash="other")
    decision = decide(edited, [stored(old)])
    assert isinstance(decision, UpdateSighting)
    assert decision.item_id == 7 and decision.content_changed


def test_a_guid_repeated_by_another_source_is_not_a_merge_by_itself() -> None:
    old = make_item("Annual report 2024-25", key="?p=123", url="https://hampshiresab.org.uk/ar")
    other = make_item(
        "New multi-agency policy on hoarding",
        source="norfolk-sab",
        key="?p=123",
        url="https://norfolksab.info/policy",
        category="news",
    )
    assert isinstance(decide(other, [stored(old)]), NewItem)


def test_a_repost_with_a_tracking_link_merges_by_canonical_url() -> None:
    old = make_item("SAR Adult Z", url="https://www.hampshiresab.org.uk/2025/03/sar-adult-z/")
    repost = make_item(
        "New SAR published: Adult Z (Hampshire SAB)",
        source="regional-bulletin",
        url="http://hampshiresab.org.uk/2025/03/sar-adult-z?utm_source=bulletin&utm_medium=email",
        published=T + timedelta(days=3),
    )
    decision = decide_against(repost, old)
    assert isinstance(decision, AddSighting) and decision.reason == "canonical-url"
    assert not decision.make_representative


def test_one_listing_url_for_two_reviews_is_not_a_merge() -> None:
    listing = "https://safeguarding.southwark.gov.uk/reviews"
    old = make_item("SAR – Adult A", source="southwark-sp", key="a", url=listing)
    new = make_item("SAR – Adult B", source="southwark-sp", key="b", url=listing)
    assert isinstance(decide_against(new, old), NewItem)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Safeguarding Adults Review – Adult Z", "SAR Adult Z: executive summary published"),
        ("DHR Chloe Overview Report", "Domestic Abuse Related Death Review: 'Chloe'"),
        ("Local Child Safeguarding Practice Review – Child Q", "2025 - Hampshire - Child Q"),
        ("Safeguarding Adult Review – Mrs A & Miss G", "Mrs A and Miss G: SAR published"),
    ],
)
def test_reposts_with_other_titles_are_near_duplicates(first: str, second: str) -> None:
    rtype = "dhr" if "Chloe" in first else "cspr" if "Child" in first else "sar"
    old = make_item(first, review_type=rtype)
    repost = make_item(second, source="national-library", published=T + timedelta(days=9))
    repost = replace(repost, review_type=rtype)
    decision = decide_against(repost, old)
    assert isinstance(decision, AddSighting), decision
    assert decision.reason.startswith("near-dup") and "days=9" in decision.reason


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("SAR Adult A", "SAR Adult B"),
        ("Safeguarding Adults Review – Child Q", "Safeguarding Adults Review – Child R"),
        ("Domestic Homicide Review – Chloe", "Safeguarding Adults Review – Chloe"),
        ("Safeguarding Bulletin – March 2025", "Safeguarding Bulletin – April 2025"),
        ("7 minute briefing: self-neglect", "7 minute briefing: hoarding"),
        ("Hampshire annual report 2024-25", "Portsmouth annual report 2024-25"),
    ],
)
def test_look_alikes_are_not_merged(first: str, second: str) -> None:
    old = make_item(first, category="reviews" if "Review" in first else "news")
    new = make_item(
        second,
        source="regional-bulletin",
        published=T + timedelta(days=6),
        category="reviews" if "Review" in second else "news",
    )
    assert isinstance(decide_against(new, old), NewItem)


def test_the_same_source_announcing_the_same_title_twice_is_two_things() -> None:
    old = make_item("Safeguarding Adults Review – Adult Z", key="p1")
    again = make_item("SAR: Adult Z", key="p2", published=T + timedelta(days=2))
    assert isinstance(decide_against(again, old), NewItem)


def test_training_sessions_on_other_dates_are_not_merged_but_one_session_is() -> None:
    course = "Introduction to the Mental Capacity Act"

    def session(source: str, day: date, summary: str) -> Item:
        return make_item(
            course, source=source, summary=summary, category="training", event_date=day
        )

    hub = session("training-hub", date(2025, 4, 5), "Saturday 5 April 2025, 09:30–12:30, online.")
    next_week = session("hampshire-sab", date(2025, 4, 12), "Date: 12 April 2025. Online.")
    same_day = session("hampshire-sab", date(2025, 4, 5), "Date: 5 April 2025. Places are limited.")
    assert isinstance(decide_against(next_week, hub), NewItem)
    assert isinstance(decide_against(same_day, hub), AddSighting)


def test_too_far_apart_in_time_is_not_a_near_duplicate() -> None:
    old = make_item("SAR – Adult Z")
    late = make_item("SAR Adult Z", source="national-library", published=T + timedelta(days=45))
    assert isinstance(decide(late, [stored(old)]), NewItem)


def test_a_tombstoned_item_gets_the_sighting_and_stays_hidden() -> None:
    old = make_item("Safeguarding Adults Review – Adult Z", published=T + timedelta(days=5))
    repost = make_item("SAR Adult Z", source="regional-bulletin")  # published earlier
    decision = decide(repost, [stored(old, deleted=True)])
    assert isinstance(decision, AddSighting)
    assert decision.item_id == 7 and not decision.make_representative


def test_representative_rule_rank_first_then_earliest() -> None:
    board = make_item("SAR Adult Z", source="hampshire-sab", published=T + timedelta(days=2))
    bulletin = make_item("SAR Adult Z", source="regional-bulletin", published=T)
    rank = {"hampshire-sab": 0, "govuk": 1, "regional-bulletin": 5}.__getitem__
    assert make_representative(board, stored(bulletin), rank)  # the publisher, though later
    assert not make_representative(bulletin, stored(board), rank)
    assert make_representative(bulletin, stored(board))  # no ranking: the earliest stays
    assert not make_representative(board, stored(bulletin))
    same_rank = {"hampshire-sab": 1, "regional-bulletin": 1}.__getitem__
    assert make_representative(bulletin, stored(board), same_rank)


def test_decide_returns_the_keys_of_the_item() -> None:
    item = make_item("SAR – Adult Z")
    decision = decide(item, [])
    assert isinstance(decision, NewItem) and decision.keys == lookup_keys(item)


def test_a_repost_matching_two_stored_reviews_equally_merges_into_neither() -> None:
    """Adult Z of Hampshire and Adult Z of Leeds; a bulletin names neither area."""
    hampshire = make_item(
        "SAR – Adult Z", url="https://www.hampshiresab.org.uk/2024/07/sar-adult-z/"
    )
    leeds = make_item(
        "Safeguarding Adults Review: Adult Z",
        source="leeds-csp",
        url="https://www.safeleeds.org.uk/reviews/sar-adult-z",
        published=T + timedelta(days=1),
    )
    bulletin = make_item(
        "New SAR published: Adult Z",
        source="regional-bulletin",
        url="https://www.safeguardingsouth.org.uk/2024/07/12/new-sar/",
        published=T + timedelta(days=4),
    )
    assert isinstance(decide(leeds, [stored(hampshire)]), NewItem)  # the hosts name two areas
    both = [stored(hampshire, 1), stored(leeds, 2)]
    assert isinstance(decide(bulletin, both), NewItem)
    named = replace(bulletin, url="https://www.safeguardingsouth.org.uk/2024/07/12/adult-z-leeds/")
    decision = decide(named, both)
    assert isinstance(decision, AddSighting) and decision.item_id == 2
