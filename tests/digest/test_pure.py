"""Digest decisions: periods, retries, signed links and the message (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from aggregator.config.types import DEFAULT_FEEDS
from aggregator.digest import tokens
from aggregator.digest.compose import chosen_items, compose
from aggregator.digest.periods import DROP_AFTER, period_end, retry_after_failure
from aggregator.models import StoredItem

KEY = b"k" * 32
NOW = datetime(2026, 12, 9, 15, 30, tzinfo=UTC)  # a Wednesday


def item(item_id: int, title: str, category: str, **extra: object) -> StoredItem:
    published = datetime(2026, 12, 8, 9, tzinfo=UTC) + timedelta(hours=item_id)
    return StoredItem(
        item_id, f"p{item_id}", title, f"https://board.example/{item_id}", None, "", None,
        published, published, category, None, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def test_periods_end_at_midnight_and_on_mondays() -> None:
    assert period_end("daily", NOW) == datetime(2026, 12, 9, tzinfo=UTC)
    assert period_end("weekly", NOW) == datetime(2026, 12, 7, tzinfo=UTC)
    monday = datetime(2026, 12, 7, tzinfo=UTC)
    assert period_end("weekly", monday) == monday


def test_hard_failures_drop_the_address_soft_ones_never() -> None:
    assert retry_after_failure(DROP_AFTER - 2, NOW, hard=True) is not None
    assert retry_after_failure(DROP_AFTER - 1, NOW, hard=True) is None
    later = [retry_after_failure(n, NOW, hard=False) for n in range(10)]
    assert all(when is not None and when > NOW for when in later)
    assert later == sorted(later)  # type: ignore[type-var]


def test_a_confirmation_link_carries_the_request_and_expires() -> None:
    wanted = tokens.Request("a@example.org", ("news", "reviews"), "weekly")
    token = tokens.confirm_token(KEY, wanted, now=1000.0)
    assert tokens.read_confirm(KEY, token, now=1000.0 + tokens.CONFIRM_SECONDS - 1) == wanted
    assert tokens.read_confirm(KEY, token, now=1000.0 + tokens.CONFIRM_SECONDS) is None
    assert tokens.read_confirm(b"x" * 32, token, now=1000.0) is None
    body, _, mac = token.partition(".")
    assert tokens.read_confirm(KEY, body[:-2] + "AA." + mac, now=1000.0) is None


def test_an_unsubscribe_link_is_not_a_confirmation() -> None:
    token = tokens.unsubscribe_token(KEY, 7, "a@example.org")
    assert tokens.read_unsubscribe(KEY, token) == (7, "a@example.org")
    assert tokens.read_confirm(KEY, token, now=0) is None
    wanted = tokens.Request("a@example.org", ("news",), "daily")
    assert tokens.read_unsubscribe(KEY, tokens.confirm_token(KEY, wanted, 0)) is None


def test_the_digest_groups_items_with_event_dates_and_one_click_headers() -> None:
    items = [
        item(1, "Board newsletter", "news"),
        item(2, "SAR: Adult Z", "reviews"),
        item(3, "Course later", "training", event_date=date(2027, 2, 1)),
        item(4, "Course sooner", "training", event_date=date(2027, 1, 14)),
    ]
    digest = compose(
        items,
        frequency="weekly",
        period_end=NOW,
        unsubscribe_url="https://feeds.example.org/unsubscribe?t=abc",
        site_url="https://feeds.example.org",
    )
    assert digest is not None
    assert digest.subject == "Safeguarding weekly digest: 4 new items"
    assert [i.title for i in digest.items] == [
        "SAR: Adult Z", "Board newsletter", "Course sooner", "Course later",
    ]  # fmt: skip
    assert digest.headers == {
        "List-Unsubscribe": "<https://feeds.example.org/unsubscribe?t=abc>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert "* Course sooner (Thu 14 Jan 2027)" in digest.text
    assert '<a href="https://board.example/2">SAR: Adult Z</a>' in digest.html
    assert compose([], frequency="daily", period_end=NOW, unsubscribe_url="u", site_url="s") is None


def test_only_the_chosen_feeds_items_each_once() -> None:
    items = [item(1, "News", "news"), item(2, "Review", "reviews"), item(3, "Course", "training")]
    feeds = [feed for feed in DEFAULT_FEEDS if feed.id in ("news", "all")]
    assert [i.id for i in chosen_items(items, feeds, NOW)] == [1, 2, 3]
    news = [feed for feed in DEFAULT_FEEDS if feed.id == "news"]
    assert [i.id for i in chosen_items(items, news, NOW)] == [1]
