"""The signals classify looks for: one regex per label, its verdict, and the ladders ordering them.

Every label also lists anchors: plain substrings, one of which every match of its regex contains
(tests/test_classify_speed_equivalence.py proves it from the pattern). A text holding none of a
label's anchors is not searched with the label's regex: searching is slow, `in` is fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from aggregator.models import Category, ReviewType


@dataclass(frozen=True)
class Verdict:
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
ADMIN = _rx(
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

PANEL = _rx(r"\bchild safeguarding practice review panel\b")
SAR_ABBREVIATION = _rx(r"\bsars?\b")
DASH_CHARS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
QUOTE_CHARS = "\u2018\u2019\u201b\u2032"
FILE_EXTENSION = re.compile(r"\.(pdf|docx?|html?|aspx?|php)$")


class Label(NamedTuple):
    pattern: re.Pattern[str]
    # Every match of the pattern contains one of its anchors, in fold()ed text (a test checks that
    # against the pattern), so a text holding none of them need not be searched: searching is
    # slow, `in` is fast. The anchors are grouped under a part they share (see _GATES).
    anchors: tuple[tuple[str, tuple[str, ...]], ...]
    verdict: Verdict


_GATES = ("review", "learn", "0", ":")


def _label(
    pattern: re.Pattern[str],
    anchors: str,
    category: Category,
    review_type: ReviewType | None = None,
    strong: bool = True,
) -> Label:
    groups: dict[str, list[str]] = {}
    for anchor in anchors.split("|"):
        gate = next((gate for gate in _GATES if gate in anchor), anchor)
        groups.setdefault(gate, []).append(anchor)
    grouped = tuple((gate, tuple(group)) for gate, group in groups.items())
    return Label(pattern, grouped, Verdict(category, review_type, strong))


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
LABELS: dict[str, Label] = {
    "admin": _label(
        ADMIN,
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
        # "\x00" is the start of the text (see fold): "2025 - Place - Name"
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

Ladder = tuple[tuple[str, ...], ...]
_REVIEW_RUNGS: Ladder = (
    ("learning",),
    ("other-named",),
    ("dhr", "sar", "cspr"),
    ("other", "cspr-context"),
)
TITLE_LADDER: Ladder = (
    ("admin",),
    ("training",),
    ("news",),
    *_REVIEW_RUNGS,
    ("child-name", "person-name"),
    ("review-document",),
    ("news-weak",),
)
PATH_LADDER: Ladder = (*TITLE_LADDER[:-1], ("review-word",), ("news-weak",))
# Prose: only unambiguous wording; "lost his job", "a referral", "within minutes" say nothing.
SUMMARY_LADDER: Ladder = (
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


_FOLD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", b"abcdefghijklmnopqrstuvwxyz0000000000"
)
_ASCII = bytes(range(128))
# Non-ASCII characters that re.IGNORECASE matches to an ASCII letter: İ and ı (i), ſ (s), K (k).
ASCII_LOOKALIKES = frozenset("\u0130\u0131\u017f\u212a")


def fold(text: str) -> str | None:
    """Clean text for the labels' anchors: lowercase, every digit a "0", "\\x00" in front; None
    when a character could match a pattern without showing in it (a non-ASCII digit or letter)."""
    data = text.encode("utf-8", "surrogatepass")  # a JSON feed can carry a lone surrogate
    if not text.isascii():
        others = data.translate(None, _ASCII).decode("utf-8", "surrogatepass")
        if any(char.isdecimal() or char in ASCII_LOOKALIKES for char in others):
            return None
    return "\x00" + data.translate(_FOLD).decode("utf-8", "surrogatepass")


def may_match(folded: str, anchors: tuple[tuple[str, tuple[str, ...]], ...]) -> bool:
    for gate, group in anchors:
        if gate in folded:
            for anchor in group:
                if anchor in folded:
                    return True
    return False
