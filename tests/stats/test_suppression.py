"""The suppression rule on hand-built tables: primary, secondary, and no hidden cell recoverable."""

import itertools
import random
from fractions import Fraction

import pytest

from backend.stats.suppression import Additive, _determined_cells, counted, suppress, table_relations
from backend.terms import Term
from tests.stats.recoverability import leaks


def _rank(rows: list[list[Fraction]]) -> int:
    """Rank by plain Gaussian elimination: an independent check of the module's own elimination."""
    rows = [row[:] for row in rows]
    rank, columns = 0, len(rows[0]) if rows else 0
    for col in range(columns):
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


def recoverable(values, relations, hidden) -> set:
    """Hidden cells fixed by the published cells: cell i is determined iff dropping its column lowers the rank."""
    unknowns = sorted(hidden, key=repr)
    matrix = []
    for relation in relations:
        row = [Fraction(0)] * len(unknowns)
        for index, cell in enumerate(unknowns):
            if cell == relation.total:
                row[index] += 1
            row[index] -= sum(1 for part in relation.parts if part == cell)
        if any(row):
            matrix.append(row)
    if not matrix:
        return set()
    full = _rank(matrix)
    found = set()
    for index, cell in enumerate(unknowns):
        without = [row[:index] + row[index + 1 :] for row in matrix]
        if _rank(without) < full:
            found.add(cell)
    return found


def assert_safe(values, relations, hidden, threshold=4):
    for cell, value in values.items():
        if 1 <= value <= threshold:
            assert cell in hidden, f"{cell}={value} should be suppressed"
        if value == 0:
            # Zeros are published unless chosen as a last resort; none of these tables needs that.
            assert cell not in hidden or any(
                values[p] == 0 for r in relations for p in r.parts if cell == r.total
            )
    for relation in relations:
        assert sum(cell in hidden for cell in relation.cells) != 1, f"{relation} leaks by subtraction"
        if relation.total not in hidden:
            parts = [p for p in relation.parts if p in hidden]
            assert not parts or sum(values[p] for p in parts) > threshold, (
                f"{relation}: hidden parts sum small"
            )
    assert recoverable(values, relations, hidden) == set()


def test_counts_from_one_to_the_threshold_are_hidden_zero_and_larger_shown():
    values = {("s", n): n for n in range(0, 9)}
    hidden = suppress(values, [], threshold=4)
    assert hidden == {("s", n) for n in (1, 2, 3, 4)}
    assert counted(0, False) == {"value": 0}
    assert counted(3, True) == {"value": None, "suppressed": True}


def test_the_threshold_is_a_parameter():
    values = {"a": 5, "b": 6, "c": 9}
    assert suppress(values, [], threshold=5) == {"a"}
    assert suppress(values, [], threshold=9) == {"a", "b", "c"}


def test_a_row_with_one_suppressed_cell_and_a_total_gets_a_second_suppression():
    values = {"a": 3, "b": 10, "c": 7, "total": 20}
    relations = [Additive("total", ("a", "b", "c"))]
    hidden = suppress(values, relations)
    # The smallest published positive cell goes with it: 20 - 10 = a + c, neither known.
    assert hidden == {"a", "c"}
    assert_safe(values, relations, hidden)


def test_a_zero_is_never_the_second_cell():
    values = {"a": 2, "b": 0, "c": 30, "total": 32}
    hidden = suppress(values, [Additive("total", ("a", "b", "c"))])
    assert hidden == {"a", "c"}
    # With nothing positive left to hide with it, the total goes.
    values = {"a": 2, "b": 0, "total": 2}
    assert suppress(values, [Additive("total", ("a", "b"))]) == {"a", "total"}


def test_hidden_parts_that_add_up_to_a_small_count_take_a_third():
    values = {"a": 1, "b": 1, "c": 20, "d": 30, "total": 52}
    relations = [Additive("total", ("a", "b", "c", "d"))]
    hidden = suppress(values, relations)
    assert hidden == {"a", "b", "c"}  # 52 - 30 = 22 = a + b + c
    assert_safe(values, relations, hidden)


def test_hidden_parts_that_add_up_to_exactly_the_threshold_take_a_third():
    # Two hidden 2s beside a published 30 and a total of 34: 34 - 30 = 4, a small count again.
    values = {"a": 2, "b": 2, "c": 30, "total": 34}
    relations = [Additive("total", ("a", "b", "c"))]
    hidden = suppress(values, relations)
    assert hidden == {"a", "b", "c"}
    assert_safe(values, relations, hidden)
    # One more in the hidden parts and they are no longer a small count together.
    values = {"a": 2, "b": 3, "c": 30, "total": 35}
    assert suppress(values, [Additive("total", ("a", "b", "c"))]) == {"a", "b"}
    # The threshold is the one given.
    values = {"a": 3, "b": 3, "c": 30, "total": 36}
    assert suppress(values, [Additive("total", ("a", "b", "c"))], threshold=6) == {"a", "b", "c"}
    assert suppress(values, [Additive("total", ("a", "b", "c"))], threshold=5) == {"a", "b"}


def test_a_table_with_row_and_column_totals_leaks_nothing():
    grid = {
        ("r1", "c1"): 2,
        ("r1", "c2"): 9,
        ("r1", "c3"): 12,
        ("r2", "c1"): 8,
        ("r2", "c2"): 15,
        ("r2", "c3"): 6,
    }
    rows, columns = ["r1", "r2"], ["c1", "c2", "c3"]
    values = dict(grid)
    for row in rows:
        values[(row, "total")] = sum(grid[(row, c)] for c in columns)
    for column in columns:
        values[("total", column)] = sum(grid[(r, column)] for r in rows)
    values[("total", "total")] = sum(grid.values())
    relations = table_relations(rows, columns, row_totals=True, column_totals=True)
    hidden = suppress(values, relations)
    assert ("r1", "c1") in hidden
    assert len(hidden) >= 4  # the classic rectangle at least
    assert_safe(values, relations, hidden)


def test_a_hierarchy_of_schools_townships_and_county_leaks_nothing():
    # Township t1 = s1 + s2; county = t1 + t2; t2 = s3. Publishing t1 and s1 would give s2 away.
    values = {"s1": 7, "s2": 2, "s3": 0, "t1": 9, "t2": 0, "county": 9}
    relations = [Additive("t1", ("s1", "s2")), Additive("t2", ("s3",)), Additive("county", ("t1", "t2"))]
    hidden = suppress(values, relations)
    assert hidden == {"s1", "s2"}
    assert_safe(values, relations, hidden)


def test_linked_relations_cannot_pin_a_cell_down():
    # Each relation has two hidden cells, but together they would determine some: the elimination catches it.
    values = {"a": 3, "b": 6, "c": 8, "d": 3, "x": 9, "y": 11, "z": 11}
    relations = [Additive("x", ("a", "b")), Additive("y", ("c", "d")), Additive("z", ("a", "c"))]
    hidden = suppress(values, relations)
    assert_safe(values, relations, hidden)


@pytest.mark.parametrize("seed", range(40))
def test_random_two_way_tables_leak_nothing(seed):
    rng = random.Random(seed)
    rows = [f"r{i}" for i in range(rng.randint(2, 5))]
    columns = [f"c{j}" for j in range(rng.randint(2, 5))]
    values = {
        (row, column): rng.choice((0, 0, 1, 2, 3, 4, 5, 6, 9, 14, 30))
        for row, column in itertools.product(rows, columns)
    }
    for row in rows:
        values[(row, "total")] = sum(values[(row, c)] for c in columns)
    for column in columns:
        values[("total", column)] = sum(values[(r, column)] for r in rows)
    values[("total", "total")] = sum(values[(r, "total")] for r in rows)
    relations = table_relations(rows, columns, row_totals=True, column_totals=True)
    hidden = suppress(values, relations)
    published = {cell: None if cell in hidden else value for cell, value in values.items()}
    assert leaks(published, [(r.total, r.parts) for r in relations], threshold=4) == []
    assert recoverable(values, relations, hidden) == set()
    for relation in relations:
        assert sum(cell in hidden for cell in relation.cells) != 1


def test_terms_are_defined_once():
    assert Term.parse("2026-fall").label == "2026年秋季学期"
    assert Term.parse("2027-spring").school_year == "2026-2027"
    assert Term.parse("2027-spring").previous() == Term.parse("2026-fall")
    assert Term.parse("2026-fall").previous() == Term.parse("2026-spring")
    assert Term.parse("2026-fall") > Term.parse("2026-spring")
    assert Term.parse("2026-fall") < Term.parse("2027-spring")
    assert sorted([Term.parse("2027-spring"), Term.parse("2026-fall"), Term.parse("2026-spring")]) == [
        Term.parse("2026-spring"),
        Term.parse("2026-fall"),
        Term.parse("2027-spring"),
    ]
    from datetime import date

    assert Term.containing(date(2026, 11, 23)).code == "2026-fall"
    assert Term.containing(date(2027, 1, 15)).code == "2026-fall"
    assert Term.containing(date(2027, 3, 1)).code == "2027-spring"
    assert [t.code for t in Term.parse("2027-spring").terms_of_school_year_so_far] == [
        "2026-fall",
        "2027-spring",
    ]
    for bad in ("2026-autumn", "26-fall", "1999-fall", "2026-fall "):
        with pytest.raises(ValueError, match="term"):
            Term.parse(bad)


def test_relations_that_pin_a_cell_down_together_take_more():
    # x = a + b, y = a + c, z = b + c: each relation hides two cells adding up to more than the threshold, yet
    # together they give a = (x + y - z) / 2. One more cell must go.
    values = {"a": 3, "b": 4, "c": 2, "x": 7, "y": 5, "z": 6}
    relations = [Additive("x", ("a", "b")), Additive("y", ("a", "c")), Additive("z", ("b", "c"))]
    hidden = suppress(values, relations)
    assert {"a", "b", "c"} < hidden
    assert hidden & {"x", "y", "z"}
    assert_safe(values, relations, hidden)


def test_relations_of_a_table_without_totals_on_one_side():
    rows, columns = ["r1", "r2"], ["c1", "c2"]
    assert table_relations(rows, columns, row_totals=False, column_totals=True) == [
        Additive(("total", "c1"), (("r1", "c1"), ("r2", "c1"))),
        Additive(("total", "c2"), (("r1", "c2"), ("r2", "c2"))),
    ]
    assert table_relations(rows, columns, row_totals=True, column_totals=False) == [
        Additive(("r1", "total"), (("r1", "c1"), ("r1", "c2"))),
        Additive(("r2", "total"), (("r2", "c1"), ("r2", "c2"))),
    ]
    assert table_relations(rows, columns, row_totals=False, column_totals=False) == []


def test_a_cell_pinned_down_is_hidden_with_a_relation_that_still_has_something_to_hide():
    # The triangle x = a + b, y = a + c, z = b + c gives a, b and c away together. Before it, w = a + e is hidden
    # whole (4 = 3 + 1, all small counts), so it has nothing left to hide: the relation that takes the next
    # cell is x, the first one that contains a and still publishes something. (The hidden e leaves a column
    # without a pivot ahead of a, b and c in the elimination.)
    values = {"w": 4, "a": 3, "e": 1, "b": 4, "c": 2, "x": 7, "y": 5, "z": 6}
    relations = [
        Additive("w", ("a", "e")),
        Additive("x", ("a", "b")),
        Additive("y", ("a", "c")),
        Additive("z", ("b", "c")),
    ]
    hidden = suppress(values, relations)
    assert hidden == {"w", "a", "e", "b", "c", "x"}
    assert_safe(values, relations, hidden)
    # Without w and e, the same: the first relation of a that still publishes something is x.
    values = {"a": 3, "b": 4, "c": 2, "x": 7, "y": 5, "z": 6}
    assert suppress(values, relations[1:]) == {"a", "b", "c", "x"}


def test_a_cell_pinned_down_behind_a_free_column_is_still_found():
    # f and g appear first and are never pinned down (only f + g is known); a, b and c after them are. The
    # first relation of a that still publishes something is the one of the total (its parts all hidden, the
    # total goes), then x.
    values = {"f": 3, "g": 2, "a": 3, "b": 4, "c": 2, "total": 8, "x": 7, "y": 5, "z": 6}
    relations = [
        Additive("total", ("f", "g", "a")),
        Additive("x", ("a", "b")),
        Additive("y", ("a", "c")),
        Additive("z", ("b", "c")),
    ]
    assert _determined_cells(relations, {"f", "g", "a", "b", "c"}) == ["a", "b", "c"]
    hidden = suppress(values, relations)
    assert hidden == {"f", "g", "a", "b", "c", "total", "x"}
    assert_safe(values, relations, hidden)


def test_a_relation_whose_total_is_hidden_and_whose_published_parts_are_zero_gives_nothing_away():
    # t = a + n with t and a small counts and n = 0; a, b and c are pinned down by the triangle, and t with a.
    # The first relation of t still publishing something is t = a + n, with only a zero left to hide: it goes
    # (a zero hidden as a last resort), and the loop goes on until nothing is recoverable.
    values = {"t": 3, "a": 3, "n": 0, "b": 4, "c": 2, "x": 7, "y": 5, "z": 6}
    relations = [
        Additive("t", ("a", "n")),
        Additive("x", ("a", "b")),
        Additive("y", ("a", "c")),
        Additive("z", ("b", "c")),
    ]
    hidden = suppress(values, relations)
    assert hidden == {"t", "a", "n", "b", "c", "x"}
    assert recoverable(values, relations, hidden) == set()
    published = {cell: None if cell in hidden else value for cell, value in values.items()}
    assert leaks(published, [(r.total, r.parts) for r in relations], threshold=4) == []


def test_relations_with_a_cell_on_both_sides_pin_down_all_four():
    # k3 = k2 + k1 and k3 = k0 + k1 give k0 = k2; k0 = k2 + k1 then gives k1 = 0, and k1 = k3 + k2 + k0 gives
    # 3 k2 = 0: every one of the four is determined. The elimination meets pivots other than 1 here (a 3).
    relations = [
        Additive("k1", ("k3", "k2", "k0")),
        Additive("k3", ("k0", "k1")),
        Additive("k0", ("k2", "k1")),
        Additive("k3", ("k2", "k1")),
    ]
    assert set(_determined_cells(relations, {"k0", "k1", "k2", "k3"})) == {"k0", "k1", "k2", "k3"}


@pytest.mark.parametrize("seed", range(200))
def test_the_elimination_finds_exactly_the_cells_a_rank_test_finds(seed):
    # Random relations over a handful of cells (not only two-way tables: shared parts, chains, overlaps),
    # random hidden cells; the module's elimination against the independent rank test above.
    rng = random.Random(seed)
    cells = [f"k{i}" for i in range(rng.randint(4, 9))]
    relations = []
    for _ in range(rng.randint(2, 7)):
        total, *parts = rng.sample(cells, rng.randint(3, min(5, len(cells))))
        relations.append(Additive(total, tuple(parts)))
    hidden = set(rng.sample(cells, rng.randint(2, len(cells))))
    assert set(_determined_cells(relations, hidden)) == recoverable({}, relations, hidden)
