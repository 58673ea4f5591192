"""Dedupe on what boards really publish: generic titles kept apart, reposts found, and the same
groups whatever the order in which items arrive (the labelled families of
tests/fixtures/dedupe/generic_families.jsonl, written before the matcher they score)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from aggregator.dedupe.decide import decide
from aggregator.models import AddSighting, NewItem, Regroup
from tests.dedupe.test_dedupe import T, decide_against, make_item, memory, stored

FAMILIES = Path(__file__).parents[1] / "fixtures" / "dedupe" / "generic_families.jsonl"
BOARD_TEXT = {
    "kent-scp": "Our office at Maidstone closes at noon on 24 December and reopens on 2 January. "
    "If a child is at risk call the children's social care out of hours team.",
    "leeds-sab": "The board's business unit is closed from 25 December until 1 January. Concerns "
    "about an adult should be reported to Adult Social Care on the usual number.",
}


def groups_in(
    order: list[int], announcements: list[tuple[str, object]]
) -> frozenset[frozenset[int]]:
    assigned, _ = memory.run_labelled_set([announcements[n] for n in order])  # type: ignore[misc]
    found: dict[int, set[int]] = defaultdict(set)
    for position, n in enumerate(order):
        found[assigned[position]].add(n)
    return frozenset(frozenset(members) for members in found.values())


def test_the_families_are_many_boards_with_their_truth() -> None:
    families = memory.load_announcements(FAMILIES)
    assert len(families) >= 200
    assert len({item.source_id for _, item in families}) >= 30
    assert len(memory.same_pairs([group for group, _ in families])) >= 50  # reposts to find


def test_generic_titles_are_never_merged_and_reposts_are_found() -> None:
    families = memory.load_announcements(FAMILIES)
    assigned, _ = memory.run_labelled_set(families)
    truth = [group for group, _ in families]
    wrong = memory.same_pairs(assigned) - memory.same_pairs(truth)
    assert not wrong, [(families[a][1].title, families[b][1].title) for a, b in sorted(wrong)]
    _, recall = memory.precision_recall(truth, assigned)
    assert recall >= 0.95, f"recall {recall:.3f}"


@pytest.mark.parametrize(
    "path", [FAMILIES, memory.ANNOUNCEMENTS], ids=["families", "announcements"]
)
def test_the_same_items_make_the_same_groups_in_any_order(path: Path) -> None:
    announcements = memory.load_announcements(path)
    natural = list(range(len(announcements)))
    expected = groups_in(natural, announcements)
    for seed in range(5):  # benchmarks/dedupe_quality.py tries 20
        order = natural[:]
        random.Random(seed).shuffle(order)
        assert groups_in(order, announcements) == expected, f"seed {seed}"


def test_two_boards_own_notices_under_one_title_stay_apart() -> None:
    kent, leeds = (
        make_item("Christmas opening hours", source=s, summary=text, category="news")
        for s, text in BOARD_TEXT.items()
    )
    assert isinstance(
        decide_against(replace(leeds, published=T + timedelta(days=1)), kent), NewItem
    )


def test_a_repost_quoting_the_story_is_one_item() -> None:
    text = BOARD_TEXT["kent-scp"]
    kent = make_item("Christmas opening hours", source="kent-scp", summary=text, category="news")
    repost = make_item(
        "Kent SCP: Christmas opening hours",
        source="regional-bulletin",
        summary="From our partners in Kent: " + text,
        category="news",
        published=T + timedelta(days=2),
    )
    decision = decide_against(repost, kent)
    assert isinstance(decision, AddSighting) and decision.reason.startswith("near-dup")


def test_a_page_linking_to_the_story_is_one_item() -> None:
    story = make_item(
        "Safeguarding Adults Review – 'Joan'",
        source="norfolk-sab",
        url="https://www.norfolksafeguardingadultsboard.info/2026/11/sar-joan/",
    )
    link = make_item(
        "Norfolk SAB publishes Safeguarding Adults Review 'Joan'",
        source="suffolk-sab",
        summary="Read it at https://www.norfolksafeguardingadultsboard.info/2026/11/sar-joan/",
        published=T + timedelta(days=4),
    )
    decision = decide_against(link, story)
    assert isinstance(decision, AddSighting) and decision.reason.startswith("link")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Safeguarding Adults Review – Mr C", "Safeguarding Adults Review – Mrs C"),
        ("Partnership Bulletin – Issue 41", "Partnership Bulletin – Issue 42"),
        ("Annual Report 2024-25 published", "Annual Report 2025-26 published"),
        ("Learning from reviews – phase 1", "Learning from reviews – phase 2"),
        ("Safeguarding Newsletter – November 2026", "Safeguarding Newsletter – December 2026"),
    ],
)
def test_honorifics_numbers_and_months_distinguish(first: str, second: str) -> None:
    text = "The board has published this today; practitioners across the county should read it."
    old = make_item(first, source="kent-scp", summary=text, category="news")
    new = make_item(second, source="regional-bulletin", summary=text, category="news")
    assert isinstance(decide(new, [stored(old)]), NewItem)


def test_a_later_item_brings_two_stored_items_together_unless_a_curator_grouped_them() -> None:
    text = BOARD_TEXT["kent-scp"]
    url = "https://www.kscmp.org.uk/news/christmas-opening-hours/"
    board = make_item("Christmas opening hours", source="kent-scp", url=url, summary=text)
    quoted = make_item(
        "Kent SCP: Christmas opening hours",
        source="regional-bulletin",
        summary="From our partners in Kent: " + text,
        published=T + timedelta(days=1),
    )
    tracked = make_item(
        "Christmas opening hours | Kent SCP",
        source="sab-network-bulletin",
        url=url + "?utm_source=newsletter",
        published=T + timedelta(days=2),
    )
    both = [stored(quoted, 1), stored(tracked, 2)]  # each alone says nothing of the other
    decision = decide(board, both)
    assert isinstance(decision, Regroup) and decision.groups == (
        tuple(sorted({(i.source_id, i.source_key) for i in (board, quoted, tracked)})),
    )
    by_hand = [replace(both[0], grouped_by_hand=True), both[1]]
    assert isinstance(decide(board, by_hand), NewItem)  # two clear matches, one a curator's
