"""Screening forms built as a school or station would fill them: openpyxl workbooks and CSV files of synthetic
people, uploaded through the API, the job polled until its report is ready."""

import asyncio
import io
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook

from backend.db import local_today
from backend.demo.people import SyntheticPerson, synthetic_person
from backend.identity import check_character, make_mainland_id

IMPORTS = "/api/v1/imports"
SCREENING_HEADERS = ("姓名", "身份证号", "性别", "出生日期", "就学情况", "人员类别", "涉及物质", "风险等级")


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261202)


@pytest.fixture
def person(rng) -> Callable[..., SyntheticPerson]:
    def make(**kwargs: Any) -> SyntheticPerson:
        return synthetic_person(rng, today=local_today(), **kwargs)

    return make


def screening_row(someone: SyntheticPerson, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "姓名": someone.name,
        "身份证号": someone.id_number,
        "性别": "男" if someone.gender == "male" else "女",
        "出生日期": someone.birth_date,
        "就学情况": "辍学",
        "人员类别": "辍学、双差生",
        "涉及物质": None,
        "风险等级": "中风险",
    }
    row.update(overrides)
    return row


def xlsx(
    rows: Sequence[dict[str, Any]], headers: Sequence[str] = SCREENING_HEADERS, **sheet_options: Any
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "排查表"
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(header) for header in headers])
    for index, column in enumerate(headers, start=1):
        if column == "身份证号":
            for cells in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                for cell in cells:
                    cell.number_format = "@"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def csv_text(rows: Sequence[dict[str, Any]], headers: Sequence[str] = SCREENING_HEADERS) -> str:
    lines = [",".join(headers)]
    for row in rows:
        lines.append(",".join("" if row.get(h) is None else str(row.get(h)) for h in headers))
    return "\r\n".join(lines) + "\r\n"


def id_ending_in_x(birth: date) -> str:
    for sequence in range(1, 999):
        first17 = f"330381{birth:%Y%m%d}{sequence:03d}"
        if check_character(first17) == "X":
            return first17 + "X"
    raise AssertionError("no sequence gives X")


def with_bad_check_digit(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:17] + last


def full_width(text: str) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def upload(client, login) -> Callable[..., Awaitable[Any]]:
    async def send(
        content: bytes,
        *,
        as_: str = "jinhu_worker",
        kind: str = "screening_minors",
        mode: str | None = None,
        all_or_nothing: bool | None = None,
        filename: str = "排查表.xlsx",
        media_type: str = XLSX_TYPE,
    ) -> Any:
        data: dict[str, str] = {"kind": kind}
        if mode:
            data["mode"] = mode
        if all_or_nothing is not None:
            data["all_or_nothing"] = "true" if all_or_nothing else "false"
        return await client.post(
            IMPORTS, data=data, files={"file": (filename, content, media_type)}, headers=await login(as_)
        )

    return send


@pytest.fixture
def finished(client, login) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Poll an import (from its 202's Location) until it is finished or failed; its last answer."""

    async def wait(response: Any, as_: str = "jinhu_worker") -> dict[str, Any]:
        assert response.status_code == 202, response.text
        location = response.headers["location"]
        for _ in range(600):
            answer = await client.get(location, headers=await login(as_))
            assert answer.status_code == 200, answer.text
            job = answer.json()
            if job["status"] in ("finished", "failed"):
                return job
            await asyncio.sleep(0.05)
        raise AssertionError("the import did not finish")

    return wait


def rows_by_number(job: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {row["row"]: row for row in job["report"]["rows"]}


def problem_columns(row: dict[str, Any]) -> list[str]:
    return [problem["column"] for problem in row["problems"]]


__all__ = ["make_mainland_id"]
