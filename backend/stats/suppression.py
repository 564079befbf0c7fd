"""Small-cell suppression: the one rule for every count of minors that leaves Qinghu as statistics.

Primary suppression hides every count from 1 up to the threshold (zero is published: it singles no one out).
Secondary suppression then hides more cells until no hidden cell can be worked out from what is published.
A table is described by its additive relations — "this cell is the sum of those cells" (a township is the sum
of its schools, a total the sum of its rows) — and a hidden cell counts as recoverable when

1. it is the only hidden cell of a relation (subtraction gives it back);
2. the hidden parts of a relation whose total is published add up to no more than the threshold (together
   they are a small count again, and since a hidden count is never 0, two hidden cells of sum 2 are both 1);
3. the published cells pin it down through several relations at once: the hidden cells are the unknowns of the
   linear system the relations form, and a cell is recoverable when that system determines it (exact
   elimination over the rationals, one connected group of relations at a time).

While a cell is recoverable, the smallest published positive part of one of its relations is hidden as well
(the relation's total when no part is left). Cells are only ever added, so the loop ends.
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

DEFAULT_THRESHOLD = 4


@dataclass(frozen=True)
class Additive:
    """``total`` is published as the sum of ``parts``."""

    total: Hashable
    parts: tuple[Hashable, ...]

    @property
    def cells(self) -> tuple[Hashable, ...]:
        return (self.total, *self.parts)


def is_primary(value: int, threshold: int) -> bool:
    return 1 <= value <= threshold


def suppress(
    values: Mapping[Hashable, int], relations: Sequence[Additive], *, threshold: int = DEFAULT_THRESHOLD
) -> frozenset[Hashable]:
    """The cells to hide: primary (1..threshold) and secondary (so that no hidden cell can be recovered)."""
    hidden = {cell for cell, value in values.items() if is_primary(value, threshold)}
    relations = [relation for relation in relations if relation.parts]
    while True:
        relation = _first_leak(values, relations, hidden, threshold)
        if relation is None:
            return frozenset(hidden)
        cell = _next_to_hide(values, relation, hidden)
        if cell is None:  # nothing left to hide in that relation; cannot happen for consistent sums
            return frozenset(hidden)
        hidden.add(cell)


def _first_leak(
    values: Mapping[Hashable, int], relations: Sequence[Additive], hidden: set[Hashable], threshold: int
) -> Additive | None:
    for relation in relations:
        if sum(cell in hidden for cell in relation.cells) == 1:
            return relation
    for relation in relations:
        if relation.total in hidden:
            continue
        hidden_parts = [part for part in relation.parts if part in hidden]
        if hidden_parts and sum(values[part] for part in hidden_parts) <= threshold:
            return relation
    determined = _determined_cells(relations, hidden)
    for cell in determined:
        # A relation of the recovered cell that still has something to hide.
        for relation in relations:
            if cell in relation.cells and any(other not in hidden for other in relation.cells):
                return relation
    return None


def _next_to_hide(
    values: Mapping[Hashable, int], relation: Additive, hidden: set[Hashable]
) -> Hashable | None:
    published = [
        (values[part], index, part) for index, part in enumerate(relation.parts) if part not in hidden
    ]
    positive = [entry for entry in published if entry[0] > 0]
    if positive:
        return min(positive, key=lambda entry: entry[:2])[2]
    if relation.total not in hidden:
        return relation.total
    return published[0][2] if published else None


def _determined_cells(relations: Sequence[Additive], hidden: set[Hashable]) -> list[Hashable]:
    """Hidden cells whose value the published cells and the relations fix (rule 3)."""
    equations = []
    for relation in relations:
        coefficients: dict[Hashable, int] = {}
        if relation.total in hidden:
            coefficients[relation.total] = 1
        for part in relation.parts:
            if part in hidden:
                coefficients[part] = coefficients.get(part, 0) - 1
        coefficients = {cell: c for cell, c in coefficients.items() if c}
        if coefficients:
            equations.append(coefficients)
    determined: list[Hashable] = []
    for group in _connected(equations):
        determined.extend(_unit_rows(group))
    return determined


def _connected(equations: list[dict[Hashable, int]]) -> Iterable[list[dict[Hashable, int]]]:
    parent: dict[Hashable, Hashable] = {}

    def find(cell: Hashable) -> Hashable:
        while parent.setdefault(cell, cell) != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for equation in equations:
        first, *rest = equation
        for cell in rest:
            parent[find(cell)] = find(first)
    groups: dict[Hashable, list[dict[Hashable, int]]] = {}
    for equation in equations:
        groups.setdefault(find(next(iter(equation))), []).append(equation)
    return groups.values()


def _unit_rows(equations: list[dict[Hashable, int]]) -> list[Hashable]:
    """Reduced row echelon form; a cell is determined exactly when some reduced row is that cell alone."""
    cells = list(dict.fromkeys(cell for equation in equations for cell in equation))
    column = {cell: index for index, cell in enumerate(cells)}
    rows: list[dict[int, Fraction]] = [
        {column[cell]: Fraction(c) for cell, c in equation.items()} for equation in equations
    ]
    pivots: list[tuple[int, dict[int, Fraction]]] = []
    for col in range(len(cells)):
        pivot_row = next((row for row in rows if row.get(col)), None)
        if pivot_row is None:
            continue
        rows.remove(pivot_row)
        scale = pivot_row[col]
        pivot_row = {c: v / scale for c, v in pivot_row.items()}
        for others in (rows, [row for _, row in pivots]):
            for row in others:
                factor = row.get(col)
                if factor:
                    for c, v in pivot_row.items():
                        updated = row.get(c, Fraction(0)) - factor * v
                        if updated:
                            row[c] = updated
                        else:
                            row.pop(c, None)
        pivots.append((col, pivot_row))
    return [cells[col] for col, row in pivots if len(row) == 1]


def table_relations(
    row_keys: Sequence[Hashable], column_keys: Sequence[Hashable], *, row_totals: bool, column_totals: bool
) -> list[Additive]:
    """Relations of a plain table whose cells are keyed ``(row, column)``; totals are keyed ``(row, "total")``,
    ``("total", column)`` and ``("total", "total")``."""
    relations = []
    if row_totals:
        for row in row_keys:
            relations.append(Additive((row, "total"), tuple((row, column) for column in column_keys)))
    if column_totals:
        for column in column_keys:
            relations.append(Additive(("total", column), tuple((row, column) for row in row_keys)))
    if row_totals and column_totals:
        relations.append(Additive(("total", "total"), tuple((row, "total") for row in row_keys)))
        relations.append(Additive(("total", "total"), tuple(("total", column) for column in column_keys)))
    return relations


def counted(value: int, hidden: bool) -> dict[str, Any]:
    """The API form of a count (API.md): ``{"value": 12}`` or ``{"value": null, "suppressed": true}``."""
    return {"value": None, "suppressed": True} if hidden else {"value": value}
