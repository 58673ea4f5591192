"""The classifier's shortcuts change no verdict.

classify skips a label's regex when the text holds none of the label's anchors (plain substrings
of the fold()ed text). That is only right if every match of the pattern contains an anchor: proved
here from the parsed pattern, and checked on examples. The faster _clean and _url_words are checked
against the regex versions they replaced.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from re import _constants as sre
from re import _parser as sre_parse
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.normalise import classify as C
from aggregator.normalise import signals as S

# --- what every match of a pattern must contain ---------------------------------------------------

CAP = 256  # most strings a set may hold before it is shortened
Strings = frozenset[tuple[str, bool]]  # (s, whole): the piece is s, or (whole=False) starts with s


@dataclass(frozen=True)
class Piece:
    """What is known of every match of a piece of a pattern, in _folded form."""

    exact: frozenset[str] | None  # every string it can match, when few
    starts: Strings  # each match starts with (or is) one of these
    ends: Strings  # each match ends with (or is) one of these
    covered: bool  # each match contains an anchor


def _fold(char: str) -> str:
    return "0" if char.isdecimal() else char.lower()


def _shorten(strings: set[tuple[str, bool]], keep_start: bool) -> Strings:
    size = max((len(s) for s, _ in strings), default=0)
    while len(strings) > CAP:
        size -= 1
        strings = {(s[:size] if keep_start else s[len(s) - size :], False) for s, _ in strings}
    return frozenset(strings)


class Checker:
    def __init__(self, anchors: list[str]) -> None:
        self.anchors = anchors

    def has_anchor(self, text: str) -> bool:
        return any(anchor in text for anchor in self.anchors)

    def exact(self, strings: set[str]) -> Piece:
        if len(strings) > CAP:
            return self.unknown()
        whole = frozenset((s, True) for s in strings)
        covered = all(self.has_anchor(s) for s in strings)
        return Piece(frozenset(strings), whole, whole, covered)

    def unknown(self) -> Piece:
        return Piece(None, frozenset({("", False)}), frozenset({("", False)}), False)

    def concat(self, x: Piece, y: Piece) -> Piece:
        if x.exact is not None and y.exact is not None and len(x.exact) * len(y.exact) <= CAP:
            return self.exact({a + b for a in x.exact for b in y.exact})
        starts = {(a + b, whole) for a, done in x.starts if done for b, whole in y.starts}
        starts |= {(a, False) for a, done in x.starts if not done}
        ends = {(a + b, whole) for b, done in y.ends if done for a, whole in x.ends}
        ends |= {(b, False) for b, done in y.ends if not done}
        across = all(self.has_anchor(a + b) for a, _ in x.ends for b, _ in y.starts)
        covered = x.covered or y.covered or across
        covered = covered or all(self.has_anchor(s) for s, _ in starts | ends)
        return Piece(None, _shorten(starts, True), _shorten(ends, False), covered)

    def union(self, pieces: list[Piece]) -> Piece:
        exacts = [piece.exact for piece in pieces]
        if all(exact is not None for exact in exacts):
            return self.exact({s for exact in exacts if exact is not None for s in exact})
        return Piece(
            None,
            _shorten({s for piece in pieces for s in piece.starts}, True),
            _shorten({s for piece in pieces for s in piece.ends}, False),
            all(piece.covered for piece in pieces),
        )

    def sequence(self, items: list[tuple[object, object]]) -> Piece:
        piece = self.exact({""})
        for op, av in items:
            piece = self.concat(piece, self.item(op, av))
        return piece

    def item(self, op: object, av: object) -> Piece:
        if op is sre.LITERAL:
            return self.exact({_fold(chr(av))})
        if op is sre.AT:
            # _folded puts "\x00" before the text; "^" matches only there (no MULTILINE).
            begins = av in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING)
            return self.exact({"\x00" if begins else ""})
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            return self.exact({""})
        if op is sre.IN:
            chars = _charset(av)
            return self.exact(chars) if chars is not None else self.unknown()
        if op is sre.SUBPATTERN:
            return self.sequence(av[3].data)
        if op is sre.BRANCH:
            return self.union([self.sequence(alt.data) for alt in av[1]])
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, sub = av
            return self.repeat(low, high, self.sequence(sub.data))
        return self.unknown()

    def repeat(self, low: int, high: int, inner: Piece) -> Piece:
        if inner.exact is not None:
            pieces = [self.power(inner, n) for n in range(low, min(high, low + 2) + 1)]
            if high > low + 2:  # low+3 copies or more: starts, ends, contains low+3 copies
                more = self.power(inner, low + 3)
                starts = self.concat(more, self.unknown()).starts
                ends = self.concat(self.unknown(), more).ends
                pieces.append(Piece(None, starts, ends, more.covered))
            return self.union(pieces)
        starts = {(s, False) for s, _ in inner.starts}
        ends = {(s, False) for s, _ in inner.ends}
        if low == 0:
            return Piece(
                None, frozenset(starts | {("", True)}), frozenset(ends | {("", True)}), False
            )
        return Piece(None, frozenset(starts), frozenset(ends), inner.covered)

    def power(self, inner: Piece, times: int) -> Piece:
        piece = self.exact({""})
        for _ in range(times):
            piece = self.concat(piece, inner)
        return piece


def _charset(items: list[tuple[object, object]]) -> set[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            chars.add(_fold(chr(av)))
        elif op is sre.RANGE and av[1] - av[0] < 16:
            chars |= {_fold(chr(c)) for c in range(av[0], av[1] + 1)}
        elif op is sre.CATEGORY and av is sre.CATEGORY_SPACE:
            chars.add(" ")  # the only whitespace in _clean text
        elif op is sre.CATEGORY and av is sre.CATEGORY_DIGIT:
            chars.add("0")
        else:
            return None
    return chars


def _anchors(label: S.Label) -> list[str]:
    return [anchor for _, group in label.anchors for anchor in group]


def _covered(pattern: re.Pattern[str], anchors: list[str]) -> bool:
    parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    return Checker(anchors).sequence(parsed.data).covered


@pytest.mark.parametrize("name", sorted(S.LABELS))
def test_every_match_of_a_label_contains_one_of_its_anchors(name: str) -> None:
    label = S.LABELS[name]
    assert all(anchor.isascii() for anchor in _anchors(label))  # _folded lowercases only ASCII
    assert _covered(label.pattern, _anchors(label))
    for gate, group in label.anchors:
        assert all(gate in anchor for anchor in group)


def test_each_anchor_is_needed_so_the_proof_can_fail() -> None:
    for name, label in S.LABELS.items():
        for anchor in _anchors(label):
            fewer = [a for a in _anchors(label) if a != anchor]
            assert not _covered(label.pattern, fewer), (name, anchor)


def test_folding_sees_every_character_a_pattern_can_match() -> None:
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    non_ascii = everything[128:]
    lookalikes = set(re.findall(r"[a-z]", non_ascii, re.IGNORECASE))
    assert lookalikes == S.ASCII_LOOKALIKES
    assert all(S.fold(f"sar {char}") is None for char in [*lookalikes, "٣", "７"])
    assert S.fold("Sar 12 … é") == "\x00sar 00 … é"
    assert re.findall(r"\s", everything) == [char for char in everything if char.isspace()]
    assert re.findall(r"\d", everything) == [char for char in everything if char.isdecimal()]


# --- the same verdicts on examples ----------------------------------------------------------------

_WORDS = sorted(
    {
        word
        for label in S.LABELS.values()
        for anchor in _anchors(label)
        for word in (anchor, *anchor.split())
        if word.strip("\x00 ")
    }
    | {"Child Q", "Mrs A", "2025 - Leeds - Child A", "10am", "9.30 to 12.30", "SARS-CoV-2"}
)
_TEXT = st.lists(
    st.sampled_from(_WORDS).map(lambda word: word.replace("\x00", "").replace("0", "7"))
    | st.sampled_from(["٣", "İ", "ı", "ſ", "K", "’", "–", "\u00a0", "…", "é", "\ud800"])
    | st.text(max_size=4),
    max_size=12,
).map(lambda words: " ".join(words))


def _verdict_without_anchors(text: str, ladder: S.Ladder) -> S.Verdict | None:
    if not text:
        return None
    for rung in ladder:
        found = [
            (match.start(), -len(match.group()), name)
            for name in rung
            if (match := S.LABELS[name].pattern.search(text)) is not None
        ]
        if found:
            return S.LABELS[min(found)[2]].verdict
    return None


@settings(max_examples=500)
@given(raw=_TEXT, sar_silenced=st.booleans())
def test_anchors_skip_no_match(raw: str, sar_silenced: bool) -> None:
    text = C._clean(raw.swapcase() if len(raw) % 3 == 0 else raw)
    if sar_silenced:
        text = S.SAR_ABBREVIATION.sub(" ", text)
    folded = S.fold(text)
    for label in S.LABELS.values():
        if label.pattern.search(text) and folded is not None:
            assert S.may_match(folded, label.anchors)
    for ladder in (S.TITLE_LADDER, S.PATH_LADDER, S.SUMMARY_LADDER):
        assert C._verdict(text, ladder) == _verdict_without_anchors(text, ladder)


# --- the rewritten helpers ------------------------------------------------------------------------


def _old_clean(text: str) -> str:
    text = re.sub(r"[\u2018\u2019\u201b\u2032]", "'", re.sub(r"[\u2010-\u2015\u2212]", "-", text))
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()
    return S.PANEL.sub("panel", text)


def _old_url_words(url: str) -> str:
    path = unquote(urlsplit(url).path).lower()
    path = re.sub(r"\.(pdf|docx?|html?|aspx?|php)$", "", path)
    return _old_clean(re.sub(r"[-_/.+]+", " ", path))


_MESSY = st.text(
    st.sampled_from(list("aA -_/.+%20:'\t\n\u00a0\u2010\u2013\u2212\u2018\u2019\u2032\u3000é"))
    | st.just("\ud800")  # a lone surrogate: a JSON feed can carry one
    | st.characters(),
    max_size=40,
)


@given(text=_MESSY | st.just("Child Safeguarding Practice Review\u00a0Panel – annual report"))
def test_clean_is_the_regex_version(text: str) -> None:
    cleaned = C._clean(text)
    assert cleaned == _old_clean(text)
    assert not any(char.isspace() and char != " " for char in cleaned)


@given(path=_MESSY | st.just("/Safeguarding_Adults-Reviews/mr-x.PDF"))
def test_url_words_are_the_regex_version(path: str) -> None:
    url = f"https://x.example/{path}"
    try:
        expected = _old_url_words(url)
    except ValueError:
        return
    assert C._url_words(urlsplit(url)) == expected


def test_a_lone_surrogate_is_classified_as_before() -> None:
    got = C.classify("Child Q \ud800", "\udfff", "https://x.example/a\ud800", ("SAR \ud800",))
    assert (got.category, got.review_type) == ("reviews", "cspr")
