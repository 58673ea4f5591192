"""A training item from a feed that states no event date takes the one its title or summary
gives, so the block and the calendars can list it; other items and stated dates are left alone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aggregator.config.types import Config, Settings, SourceConfig
from aggregator.models import FetchResult
from aggregator.poll.itemize import items_and_keys

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SOURCE = SourceConfig(
    "scp", "Exampleshire SCP", "feed", "https://www.exampleshire-scp.org.uk/feed/"
)
WORDPRESS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Exampleshire Safeguarding Children Partnership</title>
  <link>https://www.exampleshire-scp.org.uk</link>
  <item>
    <title>Domestic Abuse and Coercive Control – Thursday 14 January 2027</title>
    <link>https://www.exampleshire-scp.org.uk/events/domestic-abuse-coercive-control/</link>
    <pubDate>Mon, 30 Nov 2026 10:00:00 +0000</pubDate>
    <category>Training</category>
    <description>A multi-agency course on Teams, 10:00 to 12:30. Places are limited.</description>
  </item>
  <item>
    <title>Professional curiosity: new multi-agency course</title>
    <link>https://www.exampleshire-scp.org.uk/events/professional-curiosity/</link>
    <pubDate>Tue, 01 Dec 2026 10:00:00 +0000</pubDate>
    <category>Training</category>
    <description>Join us on 3rd February for a half-day session in Exampletown.</description>
  </item>
  <item>
    <title>Neglect toolkit training: dates to follow</title>
    <link>https://www.exampleshire-scp.org.uk/events/working-together/</link>
    <pubDate>Wed, 02 Dec 2026 10:00:00 +0000</pubDate>
    <category>Training</category>
    <description>We will publish the dates shortly.</description>
  </item>
  <item>
    <title>Safer Sleep Conference – Thursday 10 June 2027</title>
    <link>https://www.exampleshire-scp.org.uk/events/safer-sleep-conference/</link>
    <pubDate>Thu, 03 Dec 2026 10:00:00 +0000</pubDate>
    <category>Training</category>
    <description>A day for midwives, health visitors and family practitioners.</description>
  </item>
  <item>
    <title>Safeguarding training: amendment to Part 1 of Schedule No. 2 (No. 2/1/94)</title>
    <link>https://www.exampleshire-scp.org.uk/events/schedule-amendment/</link>
    <pubDate>Fri, 04 Dec 2026 10:00:00 +0000</pubDate>
    <category>Training</category>
    <description>What the amendment changes for practitioners.</description>
  </item>
  <item>
    <title>Partnership newsletter – 1 December 2026</title>
    <link>https://www.exampleshire-scp.org.uk/news/newsletter-december/</link>
    <pubDate>Tue, 01 Dec 2026 09:00:00 +0000</pubDate>
    <category>News</category>
    <description>This month: the annual report and the safer sleep campaign.</description>
  </item>
</channel>
</rss>
"""


def test_training_items_take_the_date_their_words_give() -> None:
    result = FetchResult(
        "scp", SOURCE.url, 200, WORDPRESS.encode(), content_type="application/rss+xml"
    )
    items, _ = items_and_keys(result, SOURCE, Config("sources.toml", Settings()), NOW)
    dates = {item.title: (item.category, item.event_date) for item in items}
    assert dates == {
        "Domestic Abuse and Coercive Control – Thursday 14 January 2027": (
            "training",
            date(2027, 1, 14),
        ),
        "Professional curiosity: new multi-agency course": ("training", date(2027, 2, 3)),
        "Neglect toolkit training: dates to follow": ("training", None),
        # British Summer Time: the London day, not the UTC day of its midnight (9 June)
        "Safer Sleep Conference – Thursday 10 June 2027": ("training", date(2027, 6, 10)),
        # a numbered document in a title (seen in a real Drupal feed) is no event in 2094
        "Safeguarding training: amendment to Part 1 of Schedule No. 2 (No. 2/1/94)": (
            "training",
            None,
        ),
        "Partnership newsletter – 1 December 2026": ("news", None),
    }
