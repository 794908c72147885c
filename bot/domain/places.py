"""The place tree (country > province > city): walks that always end, whatever the data says.

A parent link that would close a loop, or a chain deeper than MAX_DEPTH, is cut: the place becomes
a root. The catalogue is built through `acyclic`, and every walk up or down carries a visited set
and a depth bound as well, so a bad row can never make a question loop.
"""

from __future__ import annotations

from collections.abc import Mapping

# country > province > city > district is four; anything deeper is a data error.
MAX_DEPTH = 8

Parents = Mapping[int, int | None]


def ancestors(parents: Parents, place: int) -> list[int]:
    """Return the place's parent, grandparent, ... up to a root (never the place itself)."""
    out: list[int] = []
    seen = {place}
    current = parents.get(place)
    while current is not None and current not in seen and len(out) < MAX_DEPTH:
        out.append(current)
        seen.add(current)
        current = parents.get(current)
    return out


def descendants(parents: Parents, place: int) -> list[int]:
    """Return the place and every place inside it, each once, breadth first."""
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        if parent is not None and parent != child:
            children.setdefault(parent, []).append(child)
    out, seen, frontier = [place], {place}, [place]
    for _ in range(MAX_DEPTH):
        frontier = [c for p in frontier for c in children.get(p, ()) if c not in seen]
        if not frontier:
            break
        seen.update(frontier)
        out.extend(frontier)
    return out


def acyclic(parents: Parents) -> tuple[dict[int, int | None], list[int]]:
    """Return the parent links with every loop and over-deep chain cut, and the places cut."""
    fixed: dict[int, int | None] = dict(parents)
    cut: list[int] = []
    for place in sorted(fixed):
        chain = [place]
        current = fixed.get(place)
        while current is not None:
            if current in chain or len(chain) > MAX_DEPTH:
                # The last link walked closes the loop (or goes too deep): cut it there.
                fixed[chain[-1]] = None
                cut.append(chain[-1])
                break
            chain.append(current)
            current = fixed.get(current)
    return fixed, sorted(set(cut))
