"""Checking each row of a form: every cell read as the column means it, the rules between cells (the ID
number's birth date and gender against the columns given, a minor under 18, a follow-up after the check), and
rows repeated inside the file. What needs the registry (duplicates there, the managing unit) is the workflow's."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from backend.identity import age_on
from backend.imports.forms import COLUMNS, CellProblem, Column, is_blank, read_cell
from backend.imports.models import ImportKind, RowOutcome
from backend.imports.reading import RawRow
from backend.messages import Locale, Localisable, Text, localise

Message = "str | Text"


@dataclass
class CheckedRow:
    number: int
    values: dict[str, Any]
    problems: list[dict[str, Any]] = field(default_factory=list)
    outcome: RowOutcome = RowOutcome.ok
    action: dict[str, str] | None = None  # what committing will do with a duplicate, in both languages
    duplicate_of: int | None = None  # the earlier row of the file with the same person or check
    first_column: str = ""  # the form's first column: where a refusal of the whole row is reported

    def problem(self, column: Column | str, message: "str | Localisable", code: str) -> None:
        header = column if isinstance(column, str) else column.header
        self.problems.append({"column": header, "code": code, "message": both_languages(message)})
        self.outcome = RowOutcome.invalid

    def mark_duplicate(self, message: "str | Text") -> None:
        if self.outcome is RowOutcome.ok:
            self.outcome = RowOutcome.duplicate
            self.action = both_languages(message)


def both_languages(message: "str | Localisable") -> dict[str, str]:
    """A message kept in the report in both languages: the reader's is chosen when the report is read."""
    locales: tuple[Locale, ...] = ("zh-CN", "en")
    return {locale: localise(message, locale) or "" for locale in locales}


def check_rows(kind: ImportKind, raw_rows: list[RawRow], *, today: date) -> list[CheckedRow]:
    rows = [_check_cells(kind, raw, today=today) for raw in raw_rows]
    _mark_repeats(kind, rows)
    return rows


def _check_cells(kind: ImportKind, raw: RawRow, *, today: date) -> CheckedRow:
    row = CheckedRow(raw.number, {}, first_column=COLUMNS[kind][0].header)
    for header, message, code in raw.problems:
        row.problem(header, message=message, code=code)
    flagged = {header for header, _message, _code in raw.problems}
    columns = {column.key: column for column in COLUMNS[kind]}
    for column in COLUMNS[kind]:
        if column.header in flagged:
            continue
        value = raw.values.get(column.key)
        if is_blank(value):
            if column.required:
                row.problem(column, message="required", code="cell.required")
            continue
        try:
            row.values[column.key] = read_cell(column, value)
        except CellProblem as problem:
            row.problem(column, message=problem.text, code=problem.code)
    if kind is ImportKind.screening_minors:
        _check_person(row, columns, raw, today=today)
    else:
        _check_dates(row, columns, today=today)
    return row


def _check_person(row: CheckedRow, columns: dict[str, Column], raw: RawRow, *, today: date) -> None:
    number = row.values.get("id_number")
    id_given = not is_blank(raw.values.get("id_number"))
    if number is not None:
        # The number was checked when read: what it encodes is read off it.
        parsed_birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        parsed_gender = "male" if int(number[16]) % 2 else "female"
        gender, birth = row.values.get("gender"), row.values.get("birth_date")
        if gender is not None and gender != parsed_gender:
            row.problem(
                columns["gender"],
                message="does not agree with the ID number",
                code="id_number.gender_mismatch",
            )
        if birth is not None and birth != parsed_birth:
            row.problem(
                columns["birth_date"],
                message="does not agree with the ID number",
                code="id_number.birth_date_mismatch",
            )
        row.values["gender"], row.values["birth_date"] = parsed_gender, parsed_birth
    elif not id_given:
        for key in ("gender", "birth_date"):
            if key not in row.values and columns[key].header not in {p["column"] for p in row.problems}:
                row.problem(
                    columns[key],
                    message="required when there is no ID number",
                    code="cell.required_without_id",
                )
    birth = row.values.get("birth_date")
    if birth is not None:
        where = columns["id_number"] if number is not None else columns["birth_date"]
        if birth > today:
            row.problem(where, message="the birth date is in the future", code="cell.date_future")
        elif age_on(birth, today) >= 18:
            row.problem(where, message="the person is 18 or older, not a minor", code="minor.adult")


def _check_dates(row: CheckedRow, columns: dict[str, Column], *, today: date) -> None:
    checked_on = row.values.get("checked_on")
    if checked_on is not None and checked_on > today:
        row.problem(columns["checked_on"], message="the check date is in the future", code="cell.date_future")
    follow_up = row.values.get("follow_up_on")
    if follow_up is not None and checked_on is not None and follow_up < checked_on:
        row.problem(
            columns["follow_up_on"],
            message="the follow-up is before the check",
            code="cell.follow_up_before_check",
        )


def repeat_key(kind: ImportKind, values: dict[str, Any]) -> tuple[Any, ...] | None:
    """What makes two rows of one file the same: the person (ID number, else name, birth date and gender), or
    the place and day of a check."""
    if kind is ImportKind.screening_minors:
        if values.get("id_number"):
            return ("id", values["id_number"])
        return ("person", values.get("name"), values.get("birth_date"), values.get("gender"))
    if kind is ImportKind.pharmacy_checks:
        return (
            values.get("pharmacy"),
            values.get("checked_on"),
            values.get("buyer_age_band"),
            values.get("quantity"),
        )
    return (values.get("place"), values.get("checked_on"))


def _mark_repeats(kind: ImportKind, rows: list[CheckedRow]) -> None:
    first: dict[tuple[Any, ...], int] = {}
    for row in rows:
        if row.outcome is RowOutcome.invalid:
            continue
        key = repeat_key(kind, row.values)
        if key is None:
            continue
        if key in first:
            row.duplicate_of = first[key]
            row.mark_duplicate(Text("repeats row {row} of this file; skipped", row=first[key]))
        else:
            first[key] = row.number
