"""An attacker's check of a published table, written without the suppression module: given only what is
published (a hidden cell is ``None``) and how the cells add up, can any hidden count be worked out or narrowed
to a small count?"""

from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction

Relation = tuple[Hashable, Sequence[Hashable]]  # (total, parts): total = sum of parts


def _rank(rows: list[list[Fraction]]) -> int:
    rows = [row[:] for row in rows]
    rank = 0
    for col in range(len(rows[0]) if rows else 0):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][col] != 0:
                factor = rows[r][col] / rows[rank][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


def leaks(
    published: Mapping[Hashable, int | None], relations: Sequence[Relation], threshold: int
) -> list[str]:
    """Every way the table gives a child away; empty when it is safe."""
    problems = []
    for cell, value in published.items():
        if value is not None and 1 <= value <= threshold:
            problems.append(f"{cell}: the small count {value} is published")
    for total, parts in relations:
        hidden = [part for part in parts if published[part] is None]
        if published[total] is None:
            if not hidden:
                problems.append(f"{total}: hidden, but the sum of its published parts")
            continue
        if not hidden:
            continue
        rest = published[total] - sum(published[part] or 0 for part in parts)
        if len(hidden) == 1:
            problems.append(f"{hidden[0]}: {rest} by subtraction from {total}")
        elif rest <= threshold:
            problems.append(f"{hidden}: together {rest}, a small count, by subtraction from {total}")
    # Several relations at once: a hidden cell is pinned down when its unit vector lies in the row space of
    # the relations restricted to the hidden cells.
    unknowns = [cell for cell, value in published.items() if value is None]
    index = {cell: i for i, cell in enumerate(unknowns)}
    rows = []
    for total, parts in relations:
        row = [Fraction(0)] * len(unknowns)
        if total in index:
            row[index[total]] += 1
        for part in parts:
            if part in index:
                row[index[part]] -= 1
        if any(row):
            rows.append(row)
    if rows:
        rank = _rank(rows)
        for cell, i in index.items():
            unit = [Fraction(int(j == i)) for j in range(len(unknowns))]
            if _rank([*rows, unit]) == rank:
                problems.append(f"{cell}: determined by the relations together")
    return problems
