"""cluster.partition: the groups of a set of sightings depend on the set, not on its order."""

from __future__ import annotations

from itertools import permutations

from aggregator.dedupe.cluster import partition

# A and B: one board's two reviews that both name "Joanna" (they contradict each other);
# U: a bulletin on B's page (the same URL: strongest evidence); L: a library entry like both.
TIERS = {frozenset("AL"): 0, frozenset("BL"): 0, frozenset("BU"): 2, frozenset("AU"): 0}
CLASH = {frozenset("AB")}


def tier(a: str, b: str) -> int | None:
    return TIERS.get(frozenset((a, b)))


def clash(a: str, b: str) -> bool:
    return frozenset((a, b)) in CLASH


def test_an_ambiguous_sighting_stays_alone_and_the_same_page_stays_together() -> None:
    groups = partition(list("ABLU"), tier, clash)
    assert set(groups) == {frozenset("A"), frozenset("BU"), frozenset("L")}


def test_every_order_gives_the_same_groups() -> None:
    expected = partition(list("ABLU"), tier, clash)
    assert all(partition(list(order), tier, clash) == expected for order in permutations("ABLU"))


def test_without_a_contradiction_what_is_connected_is_one_group() -> None:
    assert partition(list("ALU"), tier, clash) == [frozenset("ALU")]
    assert partition(list("AX"), tier, clash) == [frozenset("A"), frozenset("X")]
