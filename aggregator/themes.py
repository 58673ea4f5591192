"""The themes an item can carry: one fixed vocabulary of slugs, each with its label.

A narrower theme implies its broader one (hoarding is a form of self-neglect, cuckooing and
county lines are criminal exploitation), so whoever assigns themes (the heuristics, a rule, a
curator) gives the broader one too, and a feed asking for the broader theme gets them all.
"""

from __future__ import annotations

from collections.abc import Iterable

THEMES: dict[str, str] = {
    "domestic-abuse": "Domestic abuse",
    "coercive-control": "Coercive control",
    "self-neglect": "Self-neglect",
    "hoarding": "Hoarding",
    "neglect": "Neglect",
    "exploitation": "Exploitation",
    "criminal-exploitation": "Criminal exploitation",
    "sexual-exploitation": "Sexual exploitation",
    "county-lines": "County lines",
    "cuckooing": "Cuckooing",
    "modern-slavery": "Modern slavery",
    "child-sexual-abuse": "Child sexual abuse",
    "financial-abuse": "Financial abuse and scams",
    "mental-capacity": "Mental capacity",
    "mental-health": "Mental health",
    "suicide-self-harm": "Suicide and self-harm",
    "substance-misuse": "Substance misuse",
    "homelessness": "Homelessness",
    "disability": "Disability, learning disability and autism",
    "transitions": "Transitions",
    "safer-sleep": "Safer sleep",
    "online-safety": "Online safety",
    "radicalisation": "Radicalisation and Prevent",
    "hate-crime": "Hate crime",
    "fabricated-illness": "Fabricated or induced illness",
    "professional-curiosity": "Professional curiosity",
    "information-sharing": "Information sharing",
}

BROADER: dict[str, str] = {
    "coercive-control": "domestic-abuse",
    "hoarding": "self-neglect",
    "criminal-exploitation": "exploitation",
    "sexual-exploitation": "exploitation",
    "county-lines": "criminal-exploitation",
    "cuckooing": "criminal-exploitation",
}

_ORDER = {slug: index for index, slug in enumerate(THEMES)}


def unknown_themes(slugs: Iterable[str]) -> list[str]:
    """The slugs that are not in the vocabulary, in the order given."""
    return [slug for slug in slugs if slug not in THEMES]


def with_broader(slugs: Iterable[str]) -> tuple[str, ...]:
    """The known slugs and every broader theme they imply, once each, in vocabulary order."""
    found: set[str] = set()
    for slug in slugs:
        while slug in THEMES and slug not in found:
            found.add(slug)
            slug = BROADER.get(slug, "")
    return tuple(sorted(found, key=_ORDER.__getitem__))


def theme_label(slug: str) -> str:
    return THEMES.get(slug, slug)
