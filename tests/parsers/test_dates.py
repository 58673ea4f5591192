"""Prose and machine dates as UK boards and gov.uk write them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.parsers.dates import find_date, leading_date, london_midnight, parse_date, parse_day

NOW = datetime(2025, 10, 1, 12, 0, tzinfo=UTC)
BST = timedelta(hours=1)  # London is UTC+1 in summer: a summer midnight is 23:00 UTC the day before


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def summer_midnight(y: int, m: int, d: int) -> datetime:
    return utc(y, m, d) - BST


# (text, expected aware UTC datetime)
TABLE: list[tuple[str, datetime]] = [
    # machine forms
    ("2017-12-07T12:54:39Z", utc(2017, 12, 7, 12, 54, 39)),
    ("2023-08-16T11:17:43.000+01:00", utc(2023, 8, 16, 10, 17, 43)),
    ("2025-01-20T09:00:00+00:00", utc(2025, 1, 20, 9)),
    ("2025-07-14T09:30:00", utc(2025, 7, 14, 8, 30)),  # naive: London wall-clock time
    ("2016-12-09", utc(2016, 12, 9)),
    ("2023-08-16", summer_midnight(2023, 8, 16)),
    ("Thu, 07 Dec 2017 12:54:39 +0000", utc(2017, 12, 7, 12, 54, 39)),
    ("Mon, 14 Jul 2025 09:30:00 +0100", utc(2025, 7, 14, 8, 30)),
    ("Wed, 02 Oct 2002 13:00:00 GMT", utc(2002, 10, 2, 13)),
    ("Tue, 10 Jun 2003 04:00:00 -0500", utc(2003, 6, 10, 9)),
    # prose, UK order
    ("Friday 26 June 2020", summer_midnight(2020, 6, 26)),
    ("Monday 14th July 2025", summer_midnight(2025, 7, 14)),
    ("02 Sept 2025", summer_midnight(2025, 9, 2)),
    ("2 Sep 2025", summer_midnight(2025, 9, 2)),
    ("3rd March 2024", utc(2024, 3, 3)),
    ("1st December 2023", utc(2023, 12, 1)),
    ("22nd Feb. 2022", utc(2022, 2, 22)),
    ("31 Jan 2025", utc(2025, 1, 31)),
    ("Tues 4 November 2025", utc(2025, 11, 4)),
    ("Thurs, 6th November 2025", utc(2025, 11, 6)),
    ("14 of August 2024", summer_midnight(2024, 8, 14)),
    ("14–15 January 2026", utc(2026, 1, 14)),
    ("02-Sep-2025", summer_midnight(2025, 9, 2)),
    ("14th July, 2025", summer_midnight(2025, 7, 14)),
    ("June 26, 2020", summer_midnight(2020, 6, 26)),
    ("December 1st, 2023", utc(2023, 12, 1)),
    ("New! 29 September 2021", summer_midnight(2021, 9, 29)),
    ("Posted on 3rd March 2024 by Admin", utc(2024, 3, 3)),
    ("Published: 12 February 2024", utc(2024, 2, 12)),
    ("September 2021", summer_midnight(2021, 9, 1)),
    ("Jan 2024", utc(2024, 1, 1)),
    ("MARCH 2019", utc(2019, 3, 1)),
    ("Last updated 29 October 2023", summer_midnight(2023, 10, 29)),  # clocks go back at 02:00
    # numeric, day first
    ("29/09/2021", summer_midnight(2021, 9, 29)),
    ("29.09.2021", summer_midnight(2021, 9, 29)),
    ("29-09-2021", summer_midnight(2021, 9, 29)),
    ("05/02/2026", utc(2026, 2, 5)),
    ("5/3/2024", utc(2024, 3, 5)),
    ("01/12/23", utc(2023, 12, 1)),
    ("Tue, 09/08/2026", summer_midnight(2026, 8, 9)),
    ("09/29/2021", summer_midnight(2021, 9, 29)),  # impossible day first: read month first
    ("Published 29/09/2021.", summer_midnight(2021, 9, 29)),
    # no year: the most recent such day not more than two months after NOW (1 October 2025)
    ("25 Jan", utc(2025, 1, 25)),
    ("25 Nov", utc(2025, 11, 25)),
    ("25 Dec", utc(2024, 12, 25)),
    ("Friday 3rd October", summer_midnight(2025, 10, 3)),
]

JUNK = [
    "",
    "   ",
    "7MB",
    "7MB – Neglect",
    "SAR 2",
    "CSPR 4",
    "2021",
    "Issue 12",
    "Working Together 2023",
    "SAR 2 may be published soon",
    "Annual report 2023–24",
    "Version 1.2.3",
    "Call 0300 123 4567",
    "9.30 to 16.00",
    "Page 1 of 12",
    "31/02/2024",
    "45/13/2024",
    "Dated 32 March",
    "Dated 32 March 2024",
    "Date to be confirmed",
    "TBC",
    "Mayfair Room, Level 2",
    "Marchmont Street",
    "Decision 3",
    "£1,204",
    "1,204 KB",
    "12:30",
    "Room 3-15",
    "2023-02-30",  # ISO shape, impossible day
    "Thu, 32 Dec 2017 12:54:39 +0000",
    "26 June 1850",  # outside the years a listing can mean
    "1 Jan 9999",
]


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_real_world_dates(text: str, expected: datetime) -> None:
    parsed = parse_date(text, now=NOW)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", JUNK)
def test_junk_is_not_a_date(text: str) -> None:
    assert parse_date(text, now=NOW) is None
    assert find_date(text, NOW) is None


def test_table_is_large_enough() -> None:
    assert len(TABLE) >= 40


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 09/08/2026", summer_midnight(2026, 9, 8)),  # Drupal <time> text
        ("12/25/2024", utc(2024, 12, 25)),
        ("25/12/2024", utc(2024, 12, 25)),  # impossible month first: read day first
        ("02 Sept 2025", summer_midnight(2025, 9, 2)),  # month names are unaffected
    ],
)
def test_us_order_on_request(text: str, expected: datetime) -> None:
    assert parse_date(text, now=NOW, dayfirst=False) == expected


def test_yearless_dates_for_events_look_ahead() -> None:
    assert parse_date("25 Jan", now=NOW, upcoming=True) == utc(2026, 1, 25)
    assert parse_date("15 Sep", now=NOW, upcoming=True) == summer_midnight(2025, 9, 15)
    assert parse_date("25 Dec", now=NOW, upcoming=False) == utc(2024, 12, 25)


def test_yearless_29_february_takes_the_last_leap_year() -> None:
    assert parse_day("29 Feb", now=NOW) == date(2024, 2, 29)


def test_parse_day_keeps_the_calendar_day() -> None:
    assert parse_day("Friday 26 June 2020") == date(2020, 6, 26)
    assert parse_day("2023-08-16T23:30:00Z") == date(2023, 8, 17)  # 00:30 in London
    assert parse_day("7MB") is None


def test_now_defaults_to_the_current_time() -> None:
    parsed = parse_date("1 Jan")
    assert parsed is not None
    assert parsed <= datetime.now(UTC) + timedelta(days=63)


@pytest.mark.parametrize(
    ("text", "expected_date", "rest"),
    [
        (
            "Friday 26 June 2020 - Safeguarding Adult Review – Mrs A & Miss G",
            summer_midnight(2020, 6, 26),
            "Safeguarding Adult Review – Mrs A & Miss G",
        ),
        ("Posted on 3rd March 2024 by Admin", utc(2024, 3, 3), "Posted on by Admin"),
        ("SAR Adult K (29/11/2019)", utc(2019, 11, 29), "SAR Adult K"),
        (
            "Learning briefing | 02 Sept 2025 | 7MB",
            summer_midnight(2025, 9, 2),
            "Learning briefing 7MB",
        ),
        (
            "Report 2023-24, published 1 May 2024",
            summer_midnight(2024, 5, 1),
            "Report 2023-24, published",
        ),
    ],
)
def test_find_date_in_longer_text(text: str, expected_date: datetime, rest: str) -> None:
    assert find_date(text, NOW) == (expected_date, rest)


def test_find_date_takes_the_first_date() -> None:
    found = find_date("Updated 2 May 2024 (first published 29 September 2021)", NOW)
    assert found is not None and found[0] == summer_midnight(2024, 5, 2)


def test_leading_date_only_at_the_start() -> None:
    assert leading_date("Monday 2nd March 2020 – SAR – Mr D", NOW) == (
        utc(2020, 3, 2),
        "SAR – Mr D",
    )
    assert leading_date("29/11/2019: Adult K", NOW) == (utc(2019, 11, 29), "Adult K")
    assert leading_date("SAR Mr D, 2nd March 2020", NOW) is None
    assert leading_date("2nd March 2020", NOW) is None  # nothing would be left of a title
    assert leading_date("7MB - Seven Minute Briefing: SAR 2", NOW) is None


def test_london_midnight_across_daylight_saving() -> None:
    assert london_midnight(date(2025, 1, 15)) == utc(2025, 1, 15)
    assert london_midnight(date(2025, 7, 15)) == utc(2025, 7, 14, 23)
    assert london_midnight(date(2025, 3, 30)) == utc(2025, 3, 30)  # clocks go forward at 01:00


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)))
def test_every_written_form_round_trips(day: date) -> None:
    expected = london_midnight(day)
    forms = [
        day.strftime("%A %d %B %Y"),
        day.strftime("%d %b %Y"),
        day.strftime("%d/%m/%Y"),
        day.strftime("%d.%m.%Y"),
        day.isoformat(),
        f"{day.day}{'th'} {day.strftime('%B %Y')}",
    ]
    for text in forms:
        assert parse_date(text, now=NOW) == expected, text


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_arbitrary_text_never_raises(text: str) -> None:
    result = parse_date(text, now=NOW)
    assert result is None or result.tzinfo is not None
