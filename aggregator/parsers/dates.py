"""Dates as UK safeguarding boards write them, turned into aware UTC datetimes.

Handles machine forms (ISO 8601, RFC 822) and prose ("Friday 26 June 2020", "Monday 14th July 2025",
"02 Sept 2025", "New! 29 September 2021", "29/09/2021", "September 2021", "25 Jan").

Rules:
- Numeric dates are read day first (UK order) unless `dayfirst=False` (Drupal's `<time>` text is
  US order: "Tue, 09/08/2026" is 8 September there). When the preferred order is impossible
  ("09/29/2021") the other order is used.
- A string needs a month name or a full numeric date (day, month and a year): "7MB", "SAR 2",
  "2021" and "Issue 12" are not dates.
- A value without a time means midnight in Europe/London, returned in UTC.
- A value without a year ("25 Jan") is the most recent such day that is not more than
  `YEARLESS_FUTURE_WINDOW` after `now` (a listing shows recent things; a date a little ahead is a
  scheduled publication). With `upcoming=True` (event listings) it is the first such day not more
  than `YEARLESS_PAST_WINDOW` before `now`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

from dateutil.parser import isoparse

from aggregator.clock import LOCAL_TIME, utcnow

YEARLESS_FUTURE_WINDOW = timedelta(days=62)
YEARLESS_PAST_WINDOW = timedelta(days=62)
_MIN_YEAR, _MAX_YEAR = 1900, 2100

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?(?![a-z])"
_WEEKDAY = (
    r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day)(?![a-z])"
)
_WEEKDAY_PREFIX = rf"(?:{_WEEKDAY},?\s+)?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_SEP = r"[\s,\-/]+"
_DAY_RANGE_END = rf"(?:(?:-|–|\s+to\s+)\d{{1,2}}{_ORDINAL})?"  # "14–15 October": the first day

_ISO_DATE = re.compile(
    r"(?<![\d-])(?P<iso>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?)(?![\d])"
)
_DAY_MONTH = re.compile(
    rf"(?<![\w.]){_WEEKDAY_PREFIX}(?P<day>\d{{1,2}}){_ORDINAL}{_DAY_RANGE_END}(?:\s+of)?{_SEP}{_MONTH}"
    rf"(?:{_SEP}(?P<year>\d{{4}})(?!\d))?",
    re.IGNORECASE,
)
_MONTH_DAY_YEAR = re.compile(
    rf"(?<![\w.]){_WEEKDAY_PREFIX}{_MONTH}\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}})(?!\d)",
    re.IGNORECASE,
)
# not after a day number: "32 March 2024" is no date, not 1 March
_MONTH_YEAR = re.compile(
    rf"(?<![\w.])(?<!\d\s)(?<![\d/-]){_MONTH},?\s+(?P<year>\d{{4}})(?!\d)", re.IGNORECASE
)
_NUMERIC = re.compile(
    rf"(?<![\w./-]){_WEEKDAY_PREFIX}(?P<a>\d{{1,2}})(?P<sep>[/.\-])(?P<b>\d{{1,2}})(?P=sep)"
    r"(?P<year>\d{4}|(?<=/)\d{2})(?![\w/-]|\.\d)",
    re.IGNORECASE,
)
_RFC822 = re.compile(
    r"^(?:[a-z]{3},\s*)?\d{1,2}\s+[a-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}", re.IGNORECASE
)
_LEFTOVER_SEPARATORS = " \t\n-–—:|,·•"
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")


@dataclass(frozen=True)
class _Found:
    moment: datetime  # aware UTC
    day: date  # the calendar day as written (London day for timestamps)
    start: int
    end: int


def london_midnight(day: date) -> datetime:
    """Midnight at the start of `day` in Europe/London, as aware UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TIME).astimezone(UTC)


def parse_date(
    text: str, *, now: datetime | None = None, dayfirst: bool = True, upcoming: bool = False
) -> datetime | None:
    """The date `text` states (aware UTC), or None when it states none."""
    found = _parse(text, now, dayfirst, upcoming)
    return found.moment if found else None


def parse_day(
    text: str, *, now: datetime | None = None, dayfirst: bool = True, upcoming: bool = False
) -> date | None:
    """The calendar day `text` states (for event dates), or None."""
    found = _parse(text, now, dayfirst, upcoming)
    return found.day if found else None


def find_date(
    text: str, now: datetime | None = None, *, dayfirst: bool = True, upcoming: bool = False
) -> tuple[datetime, str] | None:
    """The first date inside longer text, with the text minus that date (separators tidied)."""
    found = _search(text, _now(now), dayfirst, upcoming)
    if found is None:
        return None
    return found.moment, _remove_span(text, found.start, found.end)


EVENT_DAYS_BACK, EVENT_DAYS_AHEAD = 366, 2 * 366  # how far an event announced now can lie


def event_day_in(text: str, now: datetime | None = None) -> date | None:
    """The London day of the first date in free text, when it can be an event's: within a year
    before `now` and two years after. "No. 2/1/94" in a title is no event in 2094."""
    moment = _now(now)
    found = _search(text, moment, True, True)
    if found is None:
        return None
    today = moment.astimezone(LOCAL_TIME).date()
    ahead = (found.day - today).days
    return found.day if -EVENT_DAYS_BACK <= ahead <= EVENT_DAYS_AHEAD else None


def leading_date(
    text: str, now: datetime | None = None, *, dayfirst: bool = True, upcoming: bool = False
) -> tuple[datetime, str] | None:
    """A date that opens `text` ("Friday 26 June 2020 - SAR Mrs A"), with the rest of the text.

    None when the text does not start with a date or holds nothing after it.
    """
    found = _search(text, _now(now), dayfirst, upcoming)
    if found is None or text[: found.start].strip():
        return None
    rest = text[found.end :].lstrip(_LEFTOVER_SEPARATORS).strip()
    return (found.moment, rest) if rest else None


def _now(now: datetime | None) -> datetime:
    return now if now is not None else utcnow()


def _parse(text: str, now: datetime | None, dayfirst: bool, upcoming: bool) -> _Found | None:
    stripped = " ".join(text.split())
    if not stripped:
        return None
    machine = _parse_rfc822(stripped)
    if machine is not None:
        return _Found(machine, machine.astimezone(LOCAL_TIME).date(), 0, len(stripped))
    return _search(stripped, _now(now), dayfirst, upcoming)


def _search(text: str, now: datetime, dayfirst: bool, upcoming: bool) -> _Found | None:
    """The earliest valid date in `text`, trying every pattern."""
    candidates = [
        found
        for finder in (_find_iso, _find_day_month, _find_month_day_year, _find_month_year)
        for found in finder(text, now, upcoming)
    ]
    candidates.extend(_find_numeric(text, dayfirst))
    # at equal start the longest match wins ("Friday 26 June 2020" over "June 2020")
    return min(candidates, key=lambda f: (f.start, -f.end), default=None)


def _parse_rfc822(text: str) -> datetime | None:
    if not _RFC822.match(text):
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return _aware(parsed).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    """Naive values are London wall-clock time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LOCAL_TIME)


def _day_found(day: date, match: re.Match[str]) -> _Found:
    return _Found(london_midnight(day), day, match.start(), match.end())


def _find_iso(text: str, now: datetime, upcoming: bool) -> list[_Found]:
    found = []
    for match in _ISO_DATE.finditer(text):
        value = match["iso"]
        try:
            parsed = isoparse(value)
        except (ValueError, OverflowError):
            continue
        if len(value) == 10:
            found.append(_day_found(parsed.date(), match))
        else:
            moment = _aware(parsed).astimezone(UTC)
            found.append(_Found(moment, moment.astimezone(LOCAL_TIME).date(), *match.span()))
    return found


def _find_day_month(text: str, now: datetime, upcoming: bool) -> list[_Found]:
    return _with_month_names(_DAY_MONTH, text, now, upcoming)


def _find_month_day_year(text: str, now: datetime, upcoming: bool) -> list[_Found]:
    return _with_month_names(_MONTH_DAY_YEAR, text, now, upcoming)


def _find_month_year(text: str, now: datetime, upcoming: bool) -> list[_Found]:
    found = []
    for match in _MONTH_YEAR.finditer(text):
        day = _valid_day(int(match["year"]), _MONTHS[match["month"].lower()], 1)
        if day is not None:
            found.append(_day_found(day, match))
    return found


def _with_month_names(
    pattern: re.Pattern[str], text: str, now: datetime, upcoming: bool
) -> list[_Found]:
    found = []
    for match in pattern.finditer(text):
        month, day_number = _MONTHS[match["month"].lower()], int(match["day"])
        if match["year"]:
            day = _valid_day(int(match["year"]), month, day_number)
        elif match["month"][0].islower():  # "SAR 2 may be published": not a date
            continue
        else:
            day = _infer_year(month, day_number, now, upcoming)
        if day is not None:
            found.append(_day_found(day, match))
    return found


def _find_numeric(text: str, dayfirst: bool) -> list[_Found]:
    found = []
    for match in _NUMERIC.finditer(text):
        year = int(match["year"])
        year += 2000 if year < 100 else 0
        first, second = int(match["a"]), int(match["b"])
        day_month = (first, second) if dayfirst else (second, first)
        day = _valid_day(year, day_month[1], day_month[0])
        if day is None:  # impossible in the preferred order: "09/29/2021" read as 29 September
            day = _valid_day(year, day_month[0], day_month[1])
        if day is not None:
            found.append(_day_found(day, match))
    return found


def _valid_day(year: int, month: int, day: int) -> date | None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _infer_year(month: int, day_number: int, now: datetime, upcoming: bool) -> date | None:
    today = now.astimezone(LOCAL_TIME).date()
    years = (today.year - 1, today.year, today.year + 1)
    days = [d for d in (_valid_day(y, month, day_number) for y in years) if d is not None]
    if upcoming:
        earliest = today - YEARLESS_PAST_WINDOW
        return next((d for d in days if d >= earliest), None)
    latest = today + YEARLESS_FUTURE_WINDOW
    return next((d for d in reversed(days) if d <= latest), None)


def _remove_span(text: str, start: int, end: int) -> str:
    before = text[:start].rstrip(_LEFTOVER_SEPARATORS)
    after = text[end:].lstrip(_LEFTOVER_SEPARATORS)
    joined = f"{before} {after}" if before and after else before or after
    return " ".join(_EMPTY_BRACKETS.sub(" ", joined).split()).strip(_LEFTOVER_SEPARATORS)
