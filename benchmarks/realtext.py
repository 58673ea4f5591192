"""Realistic text for the feed farm: real English prose, titles as safeguarding boards write them.

Pure and deterministic: every function takes a `random.Random`, and the same seed gives the same
text (on the same Python version: the prose comes from the interpreter's own files). Stdlib only.

- Prose: sentences of the Python language reference as shipped in the standard library
  (`pydoc_data.topics`, some 500-700 KB of English), so unrelated stories share common words
  and phrases as real text does. No generated or pseudo words anywhere.
- Titles: the formulaic ones boards publish, many identical from board to board ("Safeguarding
  Adults Review – Mr C", "7 Minute Briefing: Self-neglect", "Christmas opening hours").
- Stress: titles and bodies drawn from a 30-word vocabulary, so every item resembles every other.

    .venv/bin/python benchmarks/realtext.py [--titles 20] [--seed 1]   # prints samples
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
from datetime import date, datetime, timedelta
from functools import cache

# --- prose -------------------------------------------------------------------------------------

_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "Mr.", "Dr.", "approx.")
_ROLE = re.compile(r":[\w:+-]+:`(?:[^`<]*<)?([^`>]*)>?`")  # :func:`x`, :ref:`text <label>`
_LITERAL = re.compile(r"``([^`]*)``|`([^`]*)`")
_EMPHASIS = re.compile(r"\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“‘(]?[A-Z])")
_ALLOWED = re.compile(r"[A-Za-z0-9 ,.;:'\"()’‘“”!?–—-]+")
_WORD = re.compile(r"[A-Za-z]+(?:[-’'][A-Za-z]+)*")
_LABEL = re.compile(r"^(Note|See also|Warning|Tip|Important):\s*")


def _strip_markup(text: str) -> str:
    text = _ROLE.sub(r"\1", text)
    text = _LITERAL.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    text = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    return re.sub(r"\s+", " ", text).strip()


def _paragraphs(text: str) -> list[str]:
    """Running-text paragraphs: no headings, grammar rules, code examples or tables."""
    kept = []
    for block in re.split(r"\n\s*\n", text):
        raw = block.strip("\n").splitlines()
        if len(raw) > 1 and _indent(raw[1]) > _indent(raw[0]):
            raw = raw[1:]  # a definition list's term, then its indented definition
        lines = [line.strip() for line in raw]
        if not lines or not lines[0]:
            continue
        if re.fullmatch(r"[*=\-~^\"#+]{3,}", lines[-1]) or any(
            line.startswith((">>>", "...", "+--", "|")) or "::=" in line for line in lines
        ):
            continue
        paragraph = " ".join(re.sub(r"^(?:\* |\d+\. )", "", line) for line in lines)
        kept.append(_LABEL.sub("", paragraph))
    return kept


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _good(sentence: str) -> bool:
    """8 to 40 words, nearly all of them alphabetic, plain punctuation, balanced brackets."""
    if not _ALLOWED.fullmatch(sentence) or not sentence[0].isupper() or sentence[-1] not in ".?!":
        return False
    if "()" in sentence or " i.e. " in sentence.replace(",", " ") or "0x" in sentence:
        return False  # calls to functions and lists of values read as code, not prose
    words = sentence.split()
    if not 8 <= len(words) <= 40:
        return False
    alphabetic = sum(1 for word in words if _WORD.fullmatch(word.strip(",.;:()\"'’‘“”!?")))
    balanced = sentence.count("(") == sentence.count(")") and sentence.count('"') % 2 == 0
    return balanced and alphabetic >= 0.9 * len(words)


@cache
def sentences() -> tuple[str, ...]:
    """Real English sentences from the standard library's copy of the language reference, in
    document order, without duplicates."""
    from pydoc_data.topics import topics

    found: dict[str, None] = {}
    for key in sorted(topics):
        for paragraph in _paragraphs(topics[key]):
            text = _strip_markup(paragraph)
            for abbreviation in _ABBREVIATIONS:
                text = text.replace(abbreviation, abbreviation.replace(".", "\0"))
            for sentence in _SENTENCE_END.split(text):
                sentence = sentence.replace("\0", ".").strip()
                if _good(sentence):
                    found[sentence] = None
    if len(found) < 500:
        raise RuntimeError(f"pydoc_data.topics gave only {len(found)} usable sentences")
    return tuple(found)


def _run(rng: random.Random, count: int) -> list[str]:
    """`count` real sentences: mostly a consecutive run (as in a real text), else a random pick."""
    pool = sentences()
    if rng.random() < 0.7:
        start = rng.randrange(len(pool) - count)
        return list(pool[start : start + count])
    return [rng.choice(pool) for _ in range(count)]


def _groups(rng: random.Random, low: int, high: int) -> list[list[str]]:
    count = rng.randint(low, high)
    parts = rng.randint(min(2, count), min(3, count))
    cuts = sorted(rng.sample(range(1, count), parts - 1))
    bounds = [0, *cuts, count]
    return [_run(rng, b - a) for a, b in itertools.pairwise(bounds)]


def paragraphs(rng: random.Random, low: int = 2, high: int = 6) -> list[str]:
    """`low` to `high` real sentences in one to three paragraphs, each paragraph a run of its own
    (so unrelated stories share sentences and words, but rarely a whole body)."""
    return [" ".join(group) for group in _groups(rng, low, high)]


def prose(rng: random.Random, low: int = 2, high: int = 6) -> list[str]:
    """`low` to `high` real sentences, drawn as paragraphs() draws them."""
    return [sentence for group in _groups(rng, low, high) for sentence in group]


# --- titles as boards write them -----------------------------------------------------------------

ADULTS = (
    "Mr C", "Mrs B", "Ms D", "Mr K", "Mrs F", "Mr Y", "Adult A", "Adult B", "Adult C", "Adult X",
    "'Joan'", "'Peter'", "'Ann'", "'Frank'", "'Ruth'", "Jasmine", "Thomas", "'Michael'",
)  # fmt: skip
VICTIMS = (
    "'Joan'", "'Sarah'", "'Anne'", "'Mary'", "'Kate'", "'Helen'", "'Susan'", "'Rose'", "'Amira'",
    "'Daisy'", "'Grace'", "Adult A", "Adult B", "Ms J", "Mrs M",
)  # fmt: skip
CHILDREN = (
    "Child D", "Child H", "Child J", "Child A", "Child B", "Child L", "Child T", "Baby T",
    "Baby M", "Children A and B", "Sibling Group C", "Child Q", "'Oliver'", "'Leo'",
)  # fmt: skip
TOPICS = (
    "Self-neglect", "Cuckooing", "Hoarding", "Professional Curiosity", "Financial Abuse",
    "Modern Slavery", "Coercive Control", "Mental Capacity Act", "Transitional Safeguarding",
    "Making Safeguarding Personal", "Think Family", "County Lines", "Fire Safety",
    "Pressure Ulcers", "Scams", "Child Criminal Exploitation", "Child Sexual Exploitation",
    "Neglect", "Bruising in Non-Mobile Babies", "Safe Sleep", "Elective Home Education",
    "ICON", "Escalation Policy", "Was Not Brought", "Hidden Men",
    "Adolescent to Parent Violence", "Online Safety", "Fabricated or Induced Illness",
    "Female Genital Mutilation", "Honour-Based Abuse", "Prevent", "Trauma-Informed Practice",
    "Information Sharing", "Section 42 Enquiries", "Legal Literacy",
    "Deprivation of Liberty Safeguards", "Suicide Prevention", "Carers", "Homelessness",
    "Substance Misuse", "Domestic Abuse and Older People", "Contextual Safeguarding",
)  # fmt: skip
TOWNS = (
    "Maidstone", "Canterbury", "Ashford", "Dartford", "Folkestone", "Tunbridge Wells",
    "Chelmsford", "Colchester", "Ipswich", "Norwich", "Derby", "Leicester", "Lincoln",
    "Taunton", "Truro", "Exeter", "online via Teams",
)  # fmt: skip

REVIEWS = (
    ("Safeguarding Adults Review{sep}{adult}", 6),
    ("Safeguarding Adult Review: {adult}", 2),
    ("SAR{sep}{adult} published", 2),
    ("Domestic Homicide Review{sep}{victim}", 5),
    ("DHR{sep}{victim} published", 2),
    ("Domestic Abuse Related Death Review{sep}{victim}", 1),
    ("Child Safeguarding Practice Review{sep}{child}", 5),
    ("LCSPR: {child}", 2),
    ("Local Child Safeguarding Practice Review{sep}{child}", 2),
    ("Rapid Review{sep}{child}", 1),
    ("Thematic Review: {topic}", 1),
)
BRIEFINGS = (
    ("7 Minute Briefing: {topic}", 5),
    ("Seven Minute Briefing{sep}{topic}", 2),
    ("Learning Briefing{sep}{topic}", 3),
    ("{topic}{sep}practice guidance updated", 1),
    ("New guidance: {topic}", 1),
    ("{topic} toolkit launched", 1),
    ("Practice Guidance{sep}{topic}", 1),
)
EVENTS = (
    ("{topic}{sep}online workshop, {day}", 4),
    ("{topic} training{sep}{town}", 3),
    ("{topic} webinar{sep}{day}", 2),
    ("Multi-agency training: {topic}, {day}", 1),
    ("Lunch and Learn: {topic}", 1),
    ("Bitesize session: {topic}, {day}", 1),
    ("Annual Safeguarding Conference{sep}{day}", 1),
    ("Practitioner Forum{sep}{day}", 1),
)
NEWSLETTERS = (
    ("Safeguarding Newsletter{sep}{month}", 5),
    ("Partnership Bulletin{sep}Issue {issue}", 2),
    ("Practitioner Newsletter{sep}{month}", 2),
    ("{season} Newsletter {year}", 1),
    ("Safeguarding Adults Board Newsletter{sep}{season} {year}", 1),
    ("Children's Partnership Briefing{sep}{month}", 1),
    ("Newsletter{sep}Issue {issue}", 1),
)
NOTICES = (
    ("Annual Report {fy} published", 4),
    ("Safeguarding Adults Board Annual Report {fy}", 1),
    ("Strategic Plan {plan}", 1),
    ("Business Plan {fy_next} published", 1),
    ("Updated multi-agency safeguarding procedures", 2),
    ("Have your say: {topic} survey", 1),
    ("Board meeting dates {meetings_year}", 1),
    ("New website launched", 1),
    ("Independent Scrutineer appointed", 1),
    ("Winter safety: keeping warm and well", 1),
)
KINDS = (("review", 25), ("briefing", 20), ("event", 25), ("newsletter", 12), ("notice", 18))
SEPARATORS = ((" – ", 6), (" - ", 3), (": ", 1))


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


def _day(when: date) -> str:
    return f"{when.day} {when:%B %Y}"


def _seasonal(when: date) -> list[tuple[str, int]]:
    """Notices of their season: Safeguarding Adults Week (November), 16 Days of Action
    (25 November to 10 December), Christmas opening hours (late November to 23 December)."""
    found = []
    if when.month == 11:
        found += [(f"Safeguarding Adults Week {when.year}", 6)]
        found += [(f"National Safeguarding Adults Week {when.year}", 2)]
        found += [(f"Anti-Bullying Week {when.year}", 2)]
    if (11, 20) <= (when.month, when.day) <= (12, 10):
        found += [
            ("16 Days of Action against Domestic Abuse", 2),
            (f"White Ribbon Day {when.year}", 1),
        ]
    if (11, 25) <= (when.month, when.day) <= (12, 23):
        found += [("Christmas opening hours", 8), ("Christmas and New Year opening hours", 4)]
        found += [("Office closure over the festive period", 2)]
    if when.month == 1 and when.day <= 20:
        found += [(f"Dry January {when.year}", 1), ("Blue Monday: looking after your wellbeing", 1)]
    return found


def board_title(rng: random.Random, published: datetime | date) -> str:
    """A title as boards write it, plausible for a post published on `published`."""
    when = published.date() if isinstance(published, datetime) else published
    kind = _weighted(rng, KINDS)
    ending = when.year if when.month >= 4 else when.year - 1  # last financial year's end
    later = when + timedelta(days=rng.randint(7, 49))
    while (
        later.weekday() >= 5
        or (later.month, later.day) >= (12, 22)
        or (later.month, later.day) <= (1, 3)
    ):
        later += timedelta(days=1)  # events fall on working days, not over Christmas
    month = when if when.day > 10 else when.replace(day=1) - timedelta(days=1)
    values = {
        "sep": _weighted(rng, SEPARATORS),
        "adult": rng.choice(ADULTS),
        "victim": rng.choice(VICTIMS),
        "child": rng.choice(CHILDREN),
        "topic": rng.choice(TOPICS),
        "town": rng.choice(TOWNS),
        "day": _day(later),
        "month": f"{month:%B %Y}",
        "issue": rng.randint(30, 60),
        "season": "Winter" if when.month in (12, 1, 2) else "Autumn",
        "year": when.year,
        "meetings_year": when.year + (when.month >= 9),
        "fy": f"{ending - 1}-{ending % 100:02d}",
        "fy_next": f"{ending}-{(ending + 1) % 100:02d}",
        "plan": f"{ending}-{(ending + 3) % 100:02d}",
    }
    if kind == "notice":
        template = _weighted(rng, NOTICES + tuple(_seasonal(when)) * 2)
    else:
        table = {
            "review": REVIEWS,
            "briefing": BRIEFINGS,
            "event": EVENTS,
            "newsletter": NEWSLETTERS,
        }[kind]
        template = _weighted(rng, table)
    return template.format(**values)


def near_title(rng: random.Random, title: str, source: str) -> str:
    """How another board heads its own post about the same story: often the very title, else
    another dash, a prefix or suffix naming `source`, or 'published' added or dropped."""
    roll = rng.random()
    if roll < 0.45:
        return title
    if roll < 0.6:
        for old, new in ((" – ", " - "), (" - ", " – "), (": ", " – ")):
            if old in title:
                return title.replace(old, new, 1)
        return _toggle_published(title)
    if roll < 0.75:
        return f"{rng.choice(('Shared', 'From our partners', 'Repost'))}: {title}"
    if roll < 0.9:
        return f"{title} ({source})"
    return _toggle_published(title)


def _toggle_published(title: str) -> str:
    return (
        title.removesuffix(" published") if title.endswith(" published") else f"{title} published"
    )


# --- stress: every item resembles every other -----------------------------------------------------

STRESS_WORDS = tuple(
    str.split(
        "safeguarding adults children review board partnership learning briefing training "
        "neglect abuse domestic exploitation practice multi-agency published workshop online "
        "newsletter annual report guidance update professional curiosity self-neglect mental "
        "capacity families support"
    )
)
assert len(STRESS_WORDS) == 30


def _stress_words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(STRESS_WORDS) for _ in range(count))


def stress_title(rng: random.Random) -> str:
    return _stress_words(rng, rng.randint(5, 11)).capitalize()


def stress_sentence(rng: random.Random, low: int = 25, high: int = 60) -> str:
    return _stress_words(rng, rng.randint(low, high)).capitalize() + "."


def stress_paragraphs(rng: random.Random) -> list[str]:
    return [stress_sentence(rng) for _ in range(rng.randint(2, 5))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"{len(sentences())} sentences in pydoc_data.topics")
    start = datetime(2026, 11, 16, 9)
    for _ in range(args.titles):
        published = start + timedelta(days=rng.randint(0, 60))
        print(f"{published:%Y-%m-%d}  {board_title(rng, published)}")
    print()
    print("\n\n".join(paragraphs(rng)))
    print()
    print(stress_title(rng), "/", stress_paragraphs(rng)[0])


if __name__ == "__main__":
    main()
