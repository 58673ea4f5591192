"""Grouping sightings that contradict each other: a deterministic partition of a small set.

When an incoming item is evidence for two stored groups that cannot be one story (two reviews
of one board that name the same pseudonym), or is like a group that also holds something it
contradicts, the sightings concerned are grouped again from their pairwise judgements alone:

1. sightings of one page (the same canonical URL) are one atom;
2. an atom keeps only its strongest kind of evidence (the same page, a link, resemblance);
3. an atom whose evidence points at two atoms that contradict each other is ambiguous: it stays
   on its own (a bulletin that could announce either review merges into neither);
4. what is left connected is one group, unless it still holds a contradiction: then each of its
   atoms is a group of its own.

The result depends on the set of sightings only, never on their order.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from itertools import combinations
from typing import TypeVar

from aggregator.dedupe.evidence import SAME_PAGE

K = TypeVar("K", bound=Hashable)
Judge = Callable[[K, K], int | None]  # a pair's strongest evidence tier, None: no evidence
Conflict = Callable[[K, K], bool]


def partition(nodes: Sequence[K], judge: Judge[K], conflict: Conflict[K]) -> list[frozenset[K]]:
    """The groups of `nodes` (sorted, so that equal sets give equal lists)."""
    ordered = sorted(set(nodes), key=repr)
    tiers = {(a, b): t for a, b in combinations(ordered, 2) if (t := judge(a, b)) is not None}
    atoms = _components(ordered, [pair for pair, tier in tiers.items() if tier >= SAME_PAGE])
    atom_of = {node: atom for atom in atoms for node in atom}
    clash = {
        frozenset((atom_of[a], atom_of[b]))
        for a, b in combinations(ordered, 2)
        if atom_of[a] is not atom_of[b] and conflict(a, b)
    }
    evidence: dict[frozenset[K], dict[frozenset[K], int]] = {atom: {} for atom in atoms}
    for (a, b), tier in tiers.items():
        x, y = atom_of[a], atom_of[b]
        if x is not y:
            evidence[x][y] = max(tier, evidence[x].get(y, 0))
            evidence[y][x] = max(tier, evidence[y].get(x, 0))
    kept = {atom: _strongest(links) for atom, links in evidence.items()}
    ambiguous = {atom for atom, links in kept.items() if _points_at_a_clash(links, clash)}
    edges = [
        (x, y)
        for x in atoms
        for y in kept[x]
        if x not in ambiguous and y not in ambiguous and x in kept[y]
    ]
    groups: list[frozenset[K]] = []
    for component in _components(atoms, edges):
        members = list(component)
        if any(frozenset(pair) in clash for pair in combinations(members, 2)):
            groups.extend(members)
        else:
            groups.append(frozenset().union(*members))
    return sorted(groups, key=lambda group: sorted(map(repr, group)))


def _strongest(links: dict[K, int]) -> set[K]:
    if not links:
        return set()
    top = max(links.values())
    return {other for other, tier in links.items() if tier == top}


def _points_at_a_clash(links: set[K], clash: set[frozenset[K]]) -> bool:
    return any(frozenset(pair) in clash for pair in combinations(links, 2))


def _components(nodes: Sequence[K], edges: Sequence[tuple[K, K]]) -> list[frozenset[K]]:
    parent = {node: node for node in nodes}

    def root(node: K) -> K:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb, key=repr)] = min(ra, rb, key=repr)
    found: dict[K, set[K]] = {}
    for node in nodes:
        found.setdefault(root(node), set()).add(node)
    return [frozenset(members) for members in found.values()]
