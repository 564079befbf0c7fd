"""Committing the file just checked: the dry run's reading and row checks are used again (``imports.recent``), for
the same file (SHA-256), person, unit, form and day only, kept in memory for a while and used once. What needs the
registry is looked at again at the commit: a person registered between the dry run and the commit is a duplicate
then, as without the kept check."""

import hashlib
import uuid
from datetime import date

import pytest

from backend.imports import recent
from backend.imports.checking import CheckedRow
from backend.imports.forms import COLUMNS
from backend.imports.models import ImportKind, RowOutcome
from backend.workflows import imports as importing
from tests.conftest import assert_status
from tests.imports.conftest import rows_by_number, screening_row, with_bad_check_digit, xlsx
from tests.minors.conftest import minor_body

MINORS = "/api/v1/minors"


@pytest.fixture(autouse=True)
def nothing_kept():
    recent.forget_all()
    yield
    recent.forget_all()


def _file_not_read_again(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(importing, "read", refuse)


async def test_a_commit_after_its_dry_run_does_not_read_the_file_again_and_still_asks_the_registry(
    client, login, person, upload, finished, monkeypatch
):
    new, registered_between, bad = person(), person(), person()
    content = xlsx(
        [
            screening_row(new, 人员类别="辍学"),  # row 2
            screening_row(registered_between, 人员类别="辍学"),  # row 3
            screening_row(bad, 身份证号=with_bad_check_digit(bad.id_number)),  # row 4
            screening_row(new, 人员类别="失学"),  # row 5: repeats row 2
        ]
    )
    dry = await finished(await upload(content))
    assert (dry["rows_ok"], dry["rows_duplicate"], dry["rows_invalid"]) == (2, 1, 1)

    # Between the check and the commit another unit registers the person of row 3.
    elsewhere = await client.post(
        MINORS,
        json=minor_body(registered_between, risk_categories=["dropout"], substances=[]),
        headers=await login("other_worker"),
    )
    assert_status(elsewhere, 201)

    _file_not_read_again(monkeypatch)
    committed = await finished(await upload(content, mode="commit"))
    assert committed["status"] == "finished", committed.get("error")
    assert (committed["rows_total"], committed["rows_done"]) == (4, 4)
    assert (
        committed["rows_ok"],
        committed["rows_duplicate"],
        committed["rows_invalid"],
        committed["rows_applied"],
    ) == (1, 2, 1, 1)
    report = rows_by_number(committed)
    assert set(report) == {3, 4, 5}
    assert report[3]["action"] == "managed by another unit; skipped (a transfer can be requested)"
    assert report[4]["problems"] == rows_by_number(dry)[4]["problems"]
    assert report[5]["action"] == "repeats row 2 of this file; skipped"
    assert committed["report"]["notes"] == dry["report"]["notes"] == ["Read the worksheet 排查表."]
    found = await client.post(
        f"{MINORS}/lookup", json={"id_number": new.id_number}, headers=await login("jinhu_worker")
    )
    assert assert_status(found, 200).json()["risk_categories"] == ["dropout"]


async def test_the_kept_check_serves_its_own_person_only_and_one_commit(
    person, upload, finished, monkeypatch
):
    content = xlsx([screening_row(person(), 人员类别="辍学")])
    assert (await finished(await upload(content)))["rows_ok"] == 1
    _file_not_read_again(monkeypatch)
    # Someone else of the same station commits the same file: it is read (here: refused), not taken from the
    # worker's check.
    by_lead = await finished(await upload(content, as_="jinhu_lead", mode="commit"), as_="jinhu_lead")
    assert (by_lead["status"], by_lead["rows_applied"]) == ("failed", 0)
    # The worker's commit uses the check once; a second commit reads the file again.
    first = await finished(await upload(content, mode="commit"))
    assert (first["status"], first["rows_applied"]) == ("finished", 1)
    second = await finished(await upload(content, mode="commit"))
    assert (second["status"], second["rows_applied"]) == ("failed", 0)


def _key(**overrides) -> recent.Key:
    fields = {
        "file_hash": hashlib.sha256(b"a sheet").hexdigest(),
        "kind": ImportKind.screening_minors,
        "principal_kind": "user",
        "principal_id": uuid.UUID(int=1),
        "unit_id": uuid.UUID(int=2),
        "today": date(2026, 12, 2),
    }
    fields.update(overrides)
    return recent.Key(**fields)


def _checked(rows: int) -> recent.Checked:
    return recent.Checked(
        sheet_name="排查表",
        columns=list(COLUMNS[ImportKind.screening_minors]),
        notes=[],
        rows=[CheckedRow(number, {"name": f"行{number}"}) for number in range(2, rows + 2)],
    )


def test_a_kept_check_is_found_by_the_same_file_person_unit_form_and_day_only():
    recent.keep(_key(), _checked(3), now=0.0)
    for other in (
        _key(file_hash=hashlib.sha256(b"another sheet").hexdigest()),
        _key(kind=ImportKind.pharmacy_checks),
        _key(principal_kind="client"),
        _key(principal_id=uuid.UUID(int=3)),
        _key(unit_id=uuid.UUID(int=4)),
        _key(today=date(2026, 12, 3)),
    ):
        assert recent.take(other, now=1.0) is None
    taken = recent.take(_key(), now=1.0)
    assert taken is not None
    assert [row.number for row in taken.rows] == [2, 3, 4]
    assert recent.take(_key(), now=1.0) is None  # used once


def test_a_kept_check_expires_after_fifteen_minutes():
    recent.keep(_key(), _checked(1), now=100.0)
    assert recent.take(_key(), now=100.0 + 15 * 60 + 1) is None
    recent.keep(_key(), _checked(1), now=100.0)
    assert recent.take(_key(), now=100.0 + 15 * 60) is not None


def test_at_most_fifty_thousand_rows_are_kept_the_oldest_going_first():
    first, second, third = _key(principal_id=uuid.UUID(int=11)), _key(principal_id=uuid.UUID(int=12)), _key()
    recent.keep(first, _checked(20_000), now=0.0)
    recent.keep(second, _checked(20_000), now=1.0)
    recent.keep(third, _checked(20_000), now=2.0)  # 60,000 rows: the first goes
    assert recent.take(first, now=3.0) is None
    assert recent.take(second, now=3.0) is not None
    assert recent.take(third, now=3.0) is not None
    recent.keep(_key(), _checked(50_001), now=4.0)  # over the limit alone: not kept
    assert recent.take(_key(), now=5.0) is None


def test_the_rows_kept_are_a_copy_of_the_rows_checked():
    """The dry run goes on with its rows (the registry's duplicates, problems) after keeping them."""
    checked = _checked(1)
    recent.keep(_key(), checked, now=0.0)
    checked.rows[0].problem("姓名", message="required", code="cell.required")
    checked.rows[0].values["name"] = "changed"
    taken = recent.take(_key(), now=1.0)
    assert taken is not None
    assert (taken.rows[0].outcome, taken.rows[0].problems, taken.rows[0].values) == (
        RowOutcome.ok,
        [],
        {"name": "行2"},
    )
