"""Decide what an item is: a review (and which kind), news, or training.

Signals come from four fields, strongest first: the title, the source's own categories (feed
`<category>` terms), the URL path and the summary; the source's category hint breaks ties and
decides when nothing else does. Admin `KeywordRule`s (source rules, then global rules) override
all of it.

Within the title, URL and categories a signal ladder decides (first rung that matches wins; on one
rung the earliest match in the text wins):

1. administrative news: subject access requests, jobs, calls for chairs/authors, tenders,
   appointments, privacy/cookies, minutes -> news ("Call for DHR panel chairs" is news);
2. events: training, courses, webinars, workshops, conferences, forums, "book your place",
   Eventbrite, times of day -> training ("Training on how to commission a SAR", "SAR learning
   event" are training: events are training);
3. publications that are not case reviews: annual reports, newsletters, strategies, guidance,
   statistics, analyses, protocols, press releases, blogs, responses to a review -> news
   ("DHR Annual Report", "Child Safeguarding Practice Review Panel annual report" are news);
4. learning products: 7 minute briefings (7MB), learning/practice briefings, learning packs and
   summaries, "learning from", lessons learned -> reviews/learning, even when they name the review
   they draw on ("Seven minute briefing on the DHR for Adult B" is learning);
5. named non-statutory reviews: MAPPA serious case reviews, Mental Health Homicide Reviews,
   Offensive Weapons Homicide Reviews -> reviews/other;
6. statutory reviews, earliest named wins: DHR (incl. Domestic Abuse Related Death Review, DARDR),
   SAR (incl. Safeguarding Adults Board review, Welsh Adult Practice Review, adult serious case
   reviews), CSPR (local/national, LCSPR, Rapid Review, Serious Case Review, Welsh Child Practice
   Review, Scottish significant case review, NSPCC repository titles "2025 - Place - Name");
   a thematic SAR is a SAR;
7. other reviews: thematic, multi-agency, learning reviews -> reviews/other; national reviews
   and the Child Safeguarding Practice Review Panel's work -> cspr;
8. weak: pseudonyms ("Child Q" -> cspr, "Mrs A" -> a review of unknown type), bare "executive
   summary"/"overview report"/"case review", then the word "news".

In the summary, which is free prose, the earliest signal wins instead, and only unambiguous event
wording counts as training ("the review recommended training" is not an event).
A reviews item with no known type is "other". With no signal at all the hint decides, else news.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import SplitResult, unquote, urlsplit

from aggregator.config.types import KeywordRule
from aggregator.errors import AggregatorError
from aggregator.models import Category, Classification, ReviewType

__all__ = ["classify"]


@dataclass(frozen=True)
class _Verdict:
    category: Category
    review_type: ReviewType | None
    strong: bool


def _rx(*alternatives: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), flags)


_ADMIN_NARROW = _rx(
    r"subject access",
    r"\bvacanc(y|ies)\b",
    r"\bwe are recruiting\b",
    r"expressions? of interest",
    r"\binvitation to tender\b",
    r"\bappoint(ed|ment)\b.{0,40}\b(chair|manager|officer|director|lead)\b",
    r"privacy notice",
    r"freedom of information",
)
_ADMIN = _rx(
    _ADMIN_NARROW.pattern,
    r"\bjobs?\b|recruit|\bcall for\b|\btender\b|\bappoint(s|ed|ment)?\b|\bcookies?\b",
    r"\bminutes\b(?! briefing)|opening hours|\brenam(e|ed|ing)\b|\bnew name\b",
)
# A time with am/pm, or a range of times; a lone "12:00" is often a CMS post date, not an event.
_TIME_OF_DAY = (
    r"\b\d{1,2}([:.]\d{2})?\s?(am|pm)\b"
    r"|\b\d{1,2}[:.]\d{2}\s?(-|to|until)\s?\d{1,2}([:.]\d{2})?\b"
)
_EVENT = (
    r"\bwebinars?\b|\bworkshops?\b|\bseminars?\b|\bmasterclass(es)?\b|\bcourses?\b(?! of\b)",
    r"(?<!case )(?<!protection )(?<!strategy )\bconferences?\b",
    r"lunch (and|&) learn|\be-?learning\b|\blearning events?\b|eventbrite",
    r"\bbook(ing)? (your|a)? ?places?\b|\bbook now\b|\bbookings?\b|places are limited",
    r"\bregist(er|ration)\b|\bjoin us\b",
    r"\b(learning|training|briefing|drop[- ]in|online|virtual|face[- ]to[- ]face|\d+[- ]minute)"
    r" sessions?\b",
    r"\b(half|full|one|two|\d)[- ]day\b",
    _TIME_OF_DAY,
)
_TRAINING_NARROW = _rx(*_EVENT)
_TRAINING = _rx(
    *_EVENT,
    r"\btraining\b|\bevents?\b|\bforums?\b|\broadshows?\b|\bsessions?\b",
    r"\blevel [1-4]\b|what'?s on",
)
_NEWS_NARROW = _rx(
    r"^(detailed guide|corporate report|transparency data|official statistics|speech|form|notice"
    r"|correspondence|open consultation|closed consultation|impact assessment|foi release):",
    r"\bannual report\b",
    r"\bnewsletters?\b",
    r"\bconsultations?\b",
    r"\bstrateg(y|ies|ic plan)\b",
    r"\bbusiness plan\b",
    r"\bstatistics\b",
    r"\bpress release\b",
    r"\bterms of reference\b",
    r"\bhave your say\b",
    r"\btoolkits?\b",
)
_LEARNING_NARROW = _rx(
    r"\b(7|seven)[\s-]?min(ute)?s?[\s-]*briefings?\b",
    r"\b7\s?mbs?\b",
    r"\bbriefings?\b(?! session)",
    r"\blearning (packs?|summar(y|ies)|briefs?|briefings?|bulletins?|notes?|leaflets?|posters?)\b",
)
_NEWS = _rx(
    _NEWS_NARROW.pattern,
    r"\bannual review\b|\byearly report\b|\bguidance\b|\banalys[ie]s\b|\bresearch\b",
    r"\bnews story\b|\bpolicy( paper)?\b|\bprotocols?\b|\bprocedures?\b|\bprocess\b",
    r"\breferrals?\b|\bquality markers\b|\bblogs?\b|\bpodcasts?\b|\bsurveys?\b",
    r"\bstatement\b|\bresponse to\b|\bwelcomes?\b|\binspections?\b|\bwarning\b|\bwebsite\b",
)
_LEARNING = _rx(
    _LEARNING_NARROW.pattern,
    r"\blearning review summary\b",
    r"\blearning from\b",
    r"\blessons? (learn(ed|t)|from)\b",
    r"\bkey learning\b",
    r"\bsummary of learning\b",
)
_OTHER_NAMED = _rx(
    r"\bmappa\b.{0,20}\b(serious case review|scr)\b",
    r"\bmental health homicide reviews?\b",
    r"\bmhhrs?\b",
    r"\boffensive weapons? homicide reviews?\b",
    r"\bowhrs?\b",
)
_DHR = _rx(
    r"\bdomestic (violence |abuse )?homicide reviews?\b",
    r"\bdomestic abuse (related )?death reviews?\b",
    r"\bdhrs?\d*\b",
    r"\bdardrs?\b",
)
_SAR = _rx(
    r"\bsafeguarding adults? (board )?reviews?\b",
    r"\bsars?\b(?!-cov)",
    r"\badult practice reviews?\b",
    r"\baprs?\b",
    r"\b(serious|significant) case reviews?\W+(\w+\W+){0,2}adults?\b",
    r"\bsection 44 reviews?\b",
)
_CSPR = _rx(
    r"\bchild safeguarding practice reviews?\b",
    r"\bl?csprs?\b",
    r"\b(serious|significant) case reviews?\b",
    r"\bscrs?\b",
    r"\brapid reviews?\b",
    r"\bchild practice reviews?\b",
    r"\bcprs?\b",
    r"^\s*(19|20)\d\d\s*-\s*[^-]+-\s*[^-]+$",
)
_OTHER = _rx(
    r"\bthematic reviews?\b",
    r"\bmulti[- ]agency (learning )?reviews?\b",
    r"\blearning reviews?\b",
    r"\bsingle agency reviews?\b",
    r"\bhomicide reviews?\b",
    r"\bchild death reviews?\b",
)
_CSPR_CONTEXT = _rx(r"\bnational reviews?\b", r"\bpanel reviews?\b")
_CHILD_NAME = re.compile(
    r"\b(Child|Children|Baby|Babies|Infant|Family|Young [Pp]erson) [A-Z]{1,2}\b"
)
_PERSON_NAME = re.compile(r"\b(Adult|Mr|Mrs|Ms|Miss|Mx)\.? [A-Z]{1,2}\b")
_REVIEW_DOCUMENT = _rx(
    r"\bexecutive summary\b", r"\bexec summary\b", r"\boverview report\b", r"\bcase reviews?\b"
)
_REVIEW_WORD = _rx(r"\breviews?\b")
_NEWS_WEAK = _rx(r"\bnews\b", r"\blatest\b", r"\bupdates?\b", r"\bpress\b", r"\blaunch(es|ed)?\b")

_PANEL = _rx(r"\bchild safeguarding practice review panel\b")
_SAR_ABBREVIATION = _rx(r"\bsars?\b")
_DASH_CHARS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_QUOTE_CHARS = "\u2018\u2019\u201b\u2032"
_FILE_EXTENSION = re.compile(r"\.(pdf|docx?|html?|aspx?|php)$")


class _Label(NamedTuple):
    pattern: re.Pattern[str]
    # Every match of the pattern contains one of its anchors, in _folded text (a test checks that
    # against the pattern), so a text holding none of them need not be searched: searching is
    # slow, `in` is fast. The anchors are grouped under a part they share (see _GATES).
    anchors: tuple[tuple[str, tuple[str, ...]], ...]
    verdict: _Verdict


_GATES = ("review", "learn", "0", ":")


def _label(
    pattern: re.Pattern[str],
    anchors: str,
    category: Category,
    review_type: ReviewType | None = None,
    strong: bool = True,
) -> _Label:
    groups: dict[str, list[str]] = {}
    for anchor in anchors.split("|"):
        gate = next((gate for gate in _GATES if gate in anchor), anchor)
        groups.setdefault(gate, []).append(anchor)
    grouped = tuple((gate, tuple(group)) for gate, group in groups.items())
    return _Label(pattern, grouped, _Verdict(category, review_type, strong))


_ADMIN_ANCHORS = "appoint|expression|freedom of information|privacy notice|subject access|vacanc"
_EVENT_ANCHORS = (
    "0am|0 am|0pm|0 pm|0:00|0.00| day|-day|book|conference|course|e-learning|elearning|join us"
    "|lunch|masterclass|places are limited|regist|seminar|webinar|workshop"
)
_NEWS_ANCHORS = (
    "guide:|report:|data:|speech:|form:|notice:|correspondence:|assessment:|release|annual report"
    "|newsletter|consultation|strateg|business plan|statistics|terms of reference|have your say"
    "|toolkit"
)
_LEARNING_ANCHORS = (
    "0mb|0 mb|briefing|learning pack|learning summar|learning brief|learning bulletin"
    "|learning note|learning leaflet|learning poster"
)
_LABELS: dict[str, _Label] = {
    "admin": _label(
        _ADMIN,
        f"{_ADMIN_ANCHORS}|recruit|job|call for|tender|cookie|minutes|opening hours|renam|new name",
        "news",
    ),
    "training": _label(
        _TRAINING,
        f"{_EVENT_ANCHORS}|event|session|training|forum|roadshow|level 0|what's on|whats on",
        "training",
    ),
    "event": _label(
        _TRAINING_NARROW, f"{_EVENT_ANCHORS}|eventbrite|learning event| session", "training"
    ),
    "news": _label(
        _NEWS,
        f"{_NEWS_ANCHORS}|annual review|yearly report|guidance|analys|research|news story|policy"
        "|protocol|procedure|process|referral|quality markers|blog|podcast|survey|statement"
        "|response to|welcome|inspection|warning|website",
        "news",
    ),
    "learning": _label(
        _LEARNING,
        f"{_LEARNING_ANCHORS}|learning review summary|learning from|lesson|key learning"
        "|summary of learning",
        "reviews",
        "learning",
    ),
    "admin-prose": _label(
        _ADMIN_NARROW, f"{_ADMIN_ANCHORS}|we are recruiting|invitation to tender", "news"
    ),
    "news-prose": _label(_NEWS_NARROW, _NEWS_ANCHORS, "news"),
    "learning-prose": _label(_LEARNING_NARROW, _LEARNING_ANCHORS, "reviews", "learning"),
    "other-named": _label(
        _OTHER_NAMED,
        "mappa|mental health homicide review|mhhr|offensive weapon|owhr",
        "reviews",
        "other",
    ),
    "dhr": _label(_DHR, "dhr|dardr|homicide review|death review", "reviews", "dhr"),
    "sar": _label(
        _SAR,
        "sar|apr|safeguarding adult|adult practice review|case review|section 00 review",
        "reviews",
        "sar",
    ),
    "cspr": _label(
        _CSPR,
        # "\x00" is the start of the text (see _folded): "2025 - Place - Name"
        "\x000000-|\x000000 -|\x000000  |\x00 |cspr|scr|cpr|case review|rapid review"
        "|child practice review|child safeguarding practice review",
        "reviews",
        "cspr",
    ),
    "other": _label(
        _OTHER,
        "thematic review|agency review|learning review|homicide review|child death review",
        "reviews",
        "other",
    ),
    "cspr-context": _label(_CSPR_CONTEXT, "national review|panel review", "reviews", "cspr"),
    "child-name": _label(
        _CHILD_NAME,
        "child |children |baby |babies |infant |family |young person ",
        "reviews",
        "cspr",
        strong=False,
    ),
    "person-name": _label(
        _PERSON_NAME, "adult |adult. |mr |mr. |mrs|miss|ms |ms. |mx |mx. ", "reviews", strong=False
    ),
    "review-document": _label(
        _REVIEW_DOCUMENT, "exec|overview report|case review", "reviews", strong=False
    ),
    "review-word": _label(_REVIEW_WORD, "review", "reviews", strong=False),
    "news-weak": _label(_NEWS_WEAK, "news|latest|update|press|launch", "news", strong=False),
}

_Ladder = tuple[tuple[str, ...], ...]
_REVIEW_RUNGS: _Ladder = (
    ("learning",),
    ("other-named",),
    ("dhr", "sar", "cspr"),
    ("other", "cspr-context"),
)
_TITLE_LADDER: _Ladder = (
    ("admin",),
    ("training",),
    ("news",),
    *_REVIEW_RUNGS,
    ("child-name", "person-name"),
    ("review-document",),
    ("news-weak",),
)
_PATH_LADDER: _Ladder = (*_TITLE_LADDER[:-1], ("review-word",), ("news-weak",))
# Prose: only unambiguous wording; "lost his job", "a referral", "within minutes" say nothing.
_SUMMARY_LADDER: _Ladder = (
    (
        "admin-prose",
        "event",
        "news-prose",
        "learning-prose",
        "other-named",
        "dhr",
        "sar",
        "cspr",
        "other",
        "cspr-context",
        "child-name",
        "review-document",
        "review-word",
    ),
)

# How much each field's verdict counts; a weak verdict counts _WEAK times as much.
_TITLE_WEIGHT = 8.0
_CATEGORIES_WEIGHT = 2.5
_URL_WEIGHT = 2.0
_SUMMARY_WEIGHT = 1.5
_HINT_WEIGHT = 1.2  # below any strong signal: the hint only breaks ties
_WEAK = 0.4


def classify(
    title: str,
    summary: str,
    url: str | None,
    source_categories: Sequence[str],
    *,
    hint: Category | None = None,
    rules: Sequence[KeywordRule] = (),
) -> Classification:
    """What an item is. `rules` are the source's rules followed by the global rules."""
    ruled_category, ruled_type = _apply_rules(rules, "\n".join((title, summary, url or "")))
    if ruled_category is not None and ruled_category != "reviews":
        return Classification(ruled_category, None)
    fields = _fields(title, summary, url, source_categories)
    verdicts = [(weight, verdict) for weight, verdict in fields if verdict is not None]
    category = ruled_category or _decide_category(verdicts, hint)
    if category != "reviews":
        return Classification(category, None)
    return Classification("reviews", ruled_type or _decide_review_type(verdicts))


def _fields(
    title: str, summary: str, url: str | None, source_categories: Sequence[str]
) -> list[tuple[float, _Verdict | None]]:
    parts = urlsplit(url) if url else None
    texts = [
        _clean(title),
        _clean(" | ".join(source_categories)),
        _url_words(parts),
        _clean(summary),
    ]
    if any("subject access" in text.lower() and _ADMIN.search(text) for text in texts):
        texts = [_SAR_ABBREVIATION.sub(" ", text) for text in texts]
    title_text, categories_text, url_text, summary_text = texts
    return [
        (_TITLE_WEIGHT, _verdict(title_text, _TITLE_LADDER)),
        (_CATEGORIES_WEIGHT, _categories_verdict(categories_text)),
        (_URL_WEIGHT, _url_verdict(parts, url_text)),
        (_SUMMARY_WEIGHT, _verdict(summary_text, _SUMMARY_LADDER)),
    ]


_PUNCTUATION = (
    ("\u00a0", " "),
    *((dash, "-") for dash in _DASH_CHARS),
    *((quote, "'") for quote in _QUOTE_CHARS),
)


def _clean(text: str) -> str:
    if not text.isascii():
        for char, replacement in _PUNCTUATION:  # faster than str.translate
            text = text.replace(char, replacement)
    text = " ".join(text.split())  # the same whitespace as a regex \s
    return _PANEL.sub("panel", text) if "panel" in text.lower() else text


def _url_words(parts: SplitResult | None) -> str:
    if parts is None:
        return ""
    path = _FILE_EXTENSION.sub("", unquote(parts.path).lower())
    for separator in "-_/.+":  # each a space, which _clean collapses: faster than a regex
        path = path.replace(separator, " ")
    return _clean(path)


def _url_verdict(parts: SplitResult | None, words: str) -> _Verdict | None:
    host = (parts.hostname or "") if parts is not None else ""
    if "eventbrite." in host:
        return _Verdict("training", None, True)
    if "nspcc." in host and "library" in host:
        return _Verdict("reviews", "cspr", True)
    return _verdict(words, _PATH_LADDER)


@lru_cache(maxsize=1024)
def _categories_verdict(text: str) -> _Verdict | None:
    return _verdict(text, _PATH_LADDER)


def _verdict(text: str, ladder: _Ladder) -> _Verdict | None:
    """The verdict of the first rung with a match; on a rung, the earliest (then longest) wins."""
    if not text:
        return None
    folded = _folded(text)
    for rung in ladder:
        found = []
        for name in rung:
            label = _LABELS[name]
            if folded is not None and not _may_match(folded, label.anchors):
                continue
            if (match := label.pattern.search(text)) is not None:
                found.append((match.start(), -len(match.group()), name))
        if found:
            return _LABELS[min(found)[2]].verdict
    return None


_FOLD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", b"abcdefghijklmnopqrstuvwxyz0000000000"
)
_ASCII = bytes(range(128))
# Non-ASCII characters that re.IGNORECASE matches to an ASCII letter: İ and ı (i), ſ (s), K (k).
_ASCII_LOOKALIKES = frozenset("\u0130\u0131\u017f\u212a")


def _folded(text: str) -> str | None:
    """Clean text for the labels' anchors: lowercase, every digit a "0", "\\x00" in front; None
    when a character could match a pattern without showing in it (a non-ASCII digit or letter)."""
    data = text.encode("utf-8", "surrogatepass")  # a JSON feed can carry a lone surrogate
    if not text.isascii():
        others = data.translate(None, _ASCII).decode("utf-8", "surrogatepass")
        if any(char.isdecimal() or char in _ASCII_LOOKALIKES for char in others):
            return None
    return "\x00" + data.translate(_FOLD).decode("utf-8", "surrogatepass")


def _may_match(folded: str, anchors: tuple[tuple[str, tuple[str, ...]], ...]) -> bool:
    for gate, group in anchors:
        if gate in folded:
            for anchor in group:
                if anchor in folded:
                    return True
    return False


def _decide_category(verdicts: list[tuple[float, _Verdict]], hint: Category | None) -> Category:
    scores: dict[Category, float] = {}
    for weight, verdict in verdicts:
        gain = weight if verdict.strong else weight * _WEAK
        scores[verdict.category] = scores.get(verdict.category, 0.0) + gain
    if hint is not None:
        scores[hint] = scores.get(hint, 0.0) + _HINT_WEIGHT
    if not scores:
        return "news"
    best = max(scores.values())
    tied = [category for category, score in scores.items() if score == best]
    return hint if hint in tied else tied[0]


def _decide_review_type(verdicts: list[tuple[float, _Verdict]]) -> ReviewType:
    scores: dict[ReviewType, float] = {}
    for weight, verdict in verdicts:
        if verdict.category == "reviews" and verdict.review_type is not None:
            gain = weight if verdict.strong else weight * _WEAK
            scores[verdict.review_type] = scores.get(verdict.review_type, 0.0) + gain
    if not scores:
        return "other"
    return max(scores, key=lambda review_type: scores[review_type])


def _apply_rules(
    rules: Sequence[KeywordRule], text: str
) -> tuple[Category | None, ReviewType | None]:
    """First matching rule wins for each field it sets; a review_type implies reviews."""
    category: Category | None = None
    review_type: ReviewType | None = None
    for rule in rules:
        if category is not None and review_type is not None:
            break
        if not _compile_rule(rule.pattern).search(text):
            continue
        if category is None:
            category = rule.category or ("reviews" if rule.review_type else None)
        if review_type is None:
            review_type = rule.review_type
    return category, review_type


@lru_cache(maxsize=1024)
def _compile_rule(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise AggregatorError(f"invalid rule pattern {pattern!r}: {error}") from error
