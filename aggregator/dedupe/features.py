"""What a title and summary are made of, for dedupe: the `Features` that `dedupe` compares.

`features(title, summary)` normalises the words (review types unified, a subject such as
"Adult Z" one word) and picks out what identifies an announcement: its content words, review
type, subjects, months, days, places and word shingles. Pure and cached; no judging here.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

TYPE_TOKENS = ("dhr", "sar", "cspr")
_SYNONYMS = tuple(  # (substrings, one of which every match contains; pattern; replacement)
    (hints, re.compile(pattern), replacement)
    for hints, pattern, replacement in (
        (
            ("domestic", "dardr", "dhrs"),
            r"\bdomestic (?:homicide|abuse related death) reviews?\b|\bdardrs?\b|\bdhrs\b",
            "dhr",
        ),
        (("safeguarding adult", "sars"), r"\bsafeguarding adults? reviews?\b|\bsars\b", "sar"),
        (
            ("child safeguarding practice review", "cspr"),
            r"\b(?:local )?child safeguarding practice reviews?\b|\bl?csprs?\b",
            "cspr",
        ),
        (("serious case review", "scr"), r"\bserious case reviews?\b|\bscrs?\b", "cspr"),
        (
            ("seven minute briefing", "mb"),
            r"\bseven minute briefings?\b|\b7 ?mb\b",
            "7 minute briefing",
        ),
    )
)
_SUBJECT = re.compile(
    r"\b(?i:(adult|child|baby|infant|mrs|mr|ms|miss|family|young person|person|sibling|mother|"
    r"father))s?\s+([A-Z]{1,2}|\d{1,2})\b"
)
_SUBJECT_HINT = re.compile(r"\s(?:[A-Z]{1,2}|\d{1,2})\b")  # part of every _SUBJECT match
_SUBJECT_WORDS = (  # one of them is in every _SUBJECT match (mrs: mr, young person: person)
    "adult", "child", "baby", "infant", "mr", "ms", "miss", "family", "person", "sibling", "mother",
    "father",
)  # fmt: skip
_QUOTED = re.compile(r"[\"'‘“]([A-Z][a-z]+(?: [A-Z][a-z]+)?)[\"'’”]")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*"
_FULL_DATE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\b", re.I)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{4}})\b", re.I)
_DATE_TOKEN = re.compile(
    r"^(?:\d{1,2}(?:st|nd|rd|th)?|(?:19|20)\d\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct"
    r"|nov|dec)|january|february|march|april|june|july|august|september|october|november"
    r"|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday)$"
)
_DIGIT = re.compile(r"\d")
_DIGIT_OR_UNDERSCORE = re.compile(r"[\d_]")
_LETTERS = re.compile(r"[a-z]+")
_NON_WORD = re.compile(r"[^a-z0-9_]+")
_ASCII_NON_WORD = str.maketrans(  # _NON_WORD as a table, for ASCII text
    {chr(c): " " for c in range(128) if chr(c) not in string.ascii_lowercase + string.digits + "_"}
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP = _words(
    """a an and the of for in into on to from by with at about as is are was our your its it this
    that be has have new now published publishes publish publication read here update updated
    executive summary overview report full final latest edition issue concerning regarding death
    died circumstances re news announcement available"""
)
GENERIC = _words(
    """safeguarding adult adults child children review reviews board partnership partnerships sab
    scp lscp scb lscb csp community safety practice practitioners learning lessons response
    action plan multi agency local national panel domestic abuse homicide related briefing
    minute council borough county city page document documents pdf download case safer published
    publishes new executive summary overview report final themes theme thematic recommendations
    findings key messages practitioner guide guidance seven care health social services police
    nhs trust independent chair author"""
)
PLACES = _words(
    """hampshire portsmouth southampton isle wight southwark lambeth lewisham kent medway norfolk
    suffolk leeds bradford manchester liverpool birmingham sheffield bristol devon cornwall dorset
    essex surrey sussex oxfordshire berkshire cambridgeshire peterborough cumbria lancashire
    yorkshire somerset wiltshire gloucestershire hertfordshire bedfordshire buckinghamshire
    nottingham nottinghamshire derby derbyshire leicester leicestershire lincolnshire
    northamptonshire warwickshire coventry wolverhampton walsall sandwell dudley newcastle
    sunderland durham northumberland croydon camden hackney islington westminster barnet brent
    ealing enfield haringey harrow hillingdon hounslow newham redbridge hamlets wandsworth bromley
    bexley greenwich havering merton sutton kingston richmond plymouth torbay swindon slough luton
    milton keynes york hull brighton hove wales cardiff swansea stockport shropshire telford
    wrekin herefordshire worcestershire staffordshire stoke cheshire halton warrington wirral
    sefton knowsley trafford salford wigan bolton oldham rochdale tameside blackpool blackburn
    darwen gateshead tyneside middlesbrough stockton darlington hartlepool redcar cleveland
    calderdale kirklees wakefield barnsley rotherham doncaster rutland thurrock southend wokingham
    solihull somerset scilly kensington chelsea hammersmith fulham"""
)
_DATE_WORDS = _words(  # what _DATE_TOKEN matches in a word that does not start with a digit
    """jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july
    august september october november december monday tuesday wednesday thursday friday saturday
    sunday"""
)
_TYPES = frozenset(TYPE_TOKENS)
# A text whose words name a type (dhr, or a synonym) contains one of these, or an apostrophe
_TYPE_HINTS = ("dhr", "sar", "cspr", "scr", "dardr", "domestic", "safeguarding", "serious")
_HOST_PLACES = tuple(p for p in PLACES if len(p) > 4)
_SKIPPED = STOP | _DATE_WORDS
_NOT_NAMES = STOP | GENERIC | PLACES | _DATE_WORDS


@dataclass(frozen=True)
class Features:
    """What decide compares, computed once per title+summary."""

    content: frozenset[str]  # normalised title words (types unified; no stop words, dates, places)
    core: frozenset[str]  # content without generic safeguarding vocabulary: what it is about
    review_type: str | None
    strong: frozenset[str]  # "adult_z", "mrs_a": explicit review subjects
    subjects: frozenset[str]  # strong subjects plus names
    months: frozenset[str]  # "mar-2025" named in the title
    days: frozenset[str]  # "14-may" named in the title (or summary, for training)
    places: frozenset[str]
    shingles: frozenset[str]  # word 3-shingles of title + summary


# ~10 KB an entry (the shingles): a long-running service must not grow by 65,536 of them.
FEATURE_CACHE = 1024


@functools.lru_cache(maxsize=FEATURE_CACHE)
def features(title: str, summary: str, review: bool = False) -> Features:
    """The comparable features of a title and summary; `review` enables bare-name subjects."""
    title_text, summary_text = _plain(title), _plain(summary)
    strong = _strong_subjects(title_text)
    tokens = _normalised_tokens(title_text)
    rtype = _first_type(tokens) or _named_type(summary_text)
    names = _names(title_text) if (review or rtype) else frozenset()
    content = frozenset(tokens).difference(TYPE_TOKENS, PLACES)
    both = f"{title_text} {summary_text}"
    words = _normalised_words(both)
    return Features(
        content=content,
        core=content - GENERIC,
        review_type=rtype,
        strong=strong,
        subjects=strong | names,
        months=_months(title_text),
        days=_days(title_text),
        places=_places_among(both, words),
        shingles=_shingles(words),
    )


def _plain(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii():  # "…" becomes "...": nothing combining left
        return decomposed
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _strong_subjects(text: str) -> frozenset[str]:
    found = {_subject_token(m) for m in _subjects(text)}
    found |= {m.group(1).lower() for m in _QUOTED.finditer(text) if m.group(1).lower() not in STOP}
    return frozenset(found)


def _subjects(text: str) -> Iterable[re.Match[str]]:
    return _SUBJECT.finditer(text) if _may_name_subject(text, text.lower()) else ()


def _subject_token(match: re.Match[str]) -> str:
    """'Adult Z' -> 'adult_z', 'Young person B' -> 'youngperson_b': one token per subject."""
    return f"{match.group(1).lower().replace(' ', '')}_{match.group(2).lower()}"


def _names(text: str) -> frozenset[str]:
    """Capitalised words that are no known vocabulary: in a review title, the subject's name."""
    if _may_name_subject(text, text.lower()):
        text = _SUBJECT.sub(" ", text)
    words = (w.lower() for w in _CAPITALISED.findall(text))
    return frozenset(w for w in words if w not in _NOT_NAMES)  # letters only: no numeric dates


def _normalised_tokens(text: str) -> list[str]:
    """Words without stop words and dates (the rare digit-led word asks _DATE_TOKEN)."""
    return [
        w
        for w in _normalised_words(text)
        if w not in _SKIPPED and not (w[0].isdigit() and _DATE_TOKEN.match(w))
    ]


def _normalised_words(text: str) -> list[str]:
    """Lower-case words of [a-z0-9_]; a subject ("Adult Z") one word; review types unified."""
    lowered = text.lower()
    if _may_name_subject(text, lowered):
        lowered = _SUBJECT.sub(lambda m: f" {_subject_token(m)} ", text).lower()
    lowered = lowered.replace("&", " and ")
    if lowered.isascii():  # the words the regexes below give, faster
        words = lowered.replace("'", "").translate(_ASCII_NON_WORD).split()
    else:
        words = _NON_WORD.sub(" ", re.sub(r"[’']", "", lowered)).split()
    text = unified = " ".join(words)
    for hints, pattern, replacement in _SYNONYMS:
        for hint in hints:  # (a plain loop: any() with a generator costs more than the search)
            if hint in unified:
                unified = pattern.sub(replacement, unified)
                break
    return words if unified is text else unified.split()


def _may_name_subject(text: str, lowered: str) -> bool:
    """False when _SUBJECT cannot match (cheaper than trying): no capital or digit, or none of
    its words (in ASCII text: elsewhere case-insensitive matching is wider than lower())."""
    if lowered == text and not _DIGIT.search(text):
        return False
    if text.isascii():
        for word in _SUBJECT_WORDS:  # (a plain loop: faster than any() with a generator)
            if word in lowered:
                break
        else:
            return False
    return _SUBJECT_HINT.search(text) is not None


def _named_type(text: str) -> str | None:
    """_first_type of the text's words, without normalising a text that cannot name one."""
    lowered = text.lower()
    if "'" in lowered or "’" in lowered or any(hint in lowered for hint in _TYPE_HINTS):
        return _first_type(_normalised_words(text))
    return None


def _first_type(tokens: list[str]) -> str | None:
    if _TYPES.isdisjoint(tokens):
        return None
    return next(t for t in tokens if t in _TYPES)


def _months(text: str) -> frozenset[str]:
    if not _DIGIT.search(text):
        return frozenset()
    return frozenset(f"{m.group(1)[:3].lower()}-{m.group(2)}" for m in _MONTH_YEAR.finditer(text))


def _days(text: str) -> frozenset[str]:
    if not _DIGIT.search(text):
        return frozenset()
    return frozenset(
        f"{int(m.group(1))}-{m.group(2)[:3].lower()}" for m in _FULL_DATE.finditer(text)
    )


def _places(text: str, hosts: str = "") -> frozenset[str]:
    """Places named in the text (whole words) or inside a host name (hampshiresab.org.uk)."""
    named = PLACES.intersection(_LETTERS.findall(text.lower()))
    return (named | frozenset(p for p in _HOST_PLACES if p in hosts)) if hosts else named


def _places_among(text: str, words: list[str]) -> frozenset[str]:
    """_places(text), given its normalised words: they are its lower-case letter runs, places
    kept, unless an apostrophe joined two runs or a digit or underscore is in a word."""
    if "'" in text or "’" in text or _DIGIT_OR_UNDERSCORE.search(text):
        return _places(text)
    return PLACES.intersection(words)


def _shingles(words: list[str], size: int = 3) -> frozenset[str]:
    if len(words) < size:
        return frozenset([" ".join(words)] if words else [])
    return frozenset(map(" ".join, zip(*[words[i:] for i in range(size)], strict=False)))


def _url_places(url: str) -> frozenset[str]:
    """Places in a URL: in the host (hampshiresab.org.uk) or words of the path (adult-z-leeds)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return frozenset()
    return _places(parts.path.replace("-", " "), parts.hostname or "")
