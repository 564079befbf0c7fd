"""Bad input: each case answers a clear report or error (in Chinese for a Chinese reader) and imports nothing
wrong. Shuffled and missing columns, merged cells, formulas, hidden sheets, dates typed as text, 200,000 blank
rows, a file that is not a spreadsheet, an XLSX zip bomb, a CSV in GBK, too many rows, an ID number in a number
cell."""

import io
import re
import time
import zipfile
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook

from tests.conftest import assert_problem, assert_status
from tests.imports.conftest import (
    SCREENING_HEADERS,
    csv_text,
    id_ending_in_x,
    problem_columns,
    rows_by_number,
    screening_row,
    xlsx,
)

MINORS = "/api/v1/minors"


async def _minor_total(client, login) -> int:
    answer = assert_status(
        await client.get(MINORS, params={"limit": 1}, headers=await login("jinhu_lead")), 200
    )
    return answer.json()["total"]


async def test_shuffled_columns_are_matched_by_header(person, upload, finished):
    shuffled = ("风险等级", "人员类别", "出生日期", "姓名", "就学情况", "身份证号", "性别", "涉及物质")
    job = await finished(await upload(xlsx([screening_row(person()), screening_row(person())], shuffled)))
    assert (job["status"], job["rows_ok"], job["rows_invalid"]) == ("finished", 2, 0)


async def test_missing_required_columns_are_named_and_nothing_is_read(
    client, login, person, upload, finished
):
    before = await _minor_total(client, login)
    headers = ("姓名", "身份证号", "性别", "出生日期")
    response = await upload(xlsx([screening_row(person())], headers), mode="commit")
    job = await finished(response)
    assert job["status"] == "failed"
    assert job["error"] == {
        "code": "import.missing_columns",
        "message": "Required columns are missing: 就学情况, 人员类别.",
    }
    chinese = {**await login("jinhu_worker"), "Accept-Language": "zh-CN"}
    answer = assert_status(await client.get(response.headers["location"], headers=chinese), 200).json()
    assert answer["error"]["message"] == "缺少必填列：就学情况、人员类别。"
    assert await _minor_total(client, login) == before


async def test_merged_cells_are_a_problem_of_each_row_they_cover(client, login, person, upload, finished):
    before = await _minor_total(client, login)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(SCREENING_HEADERS))
    for someone in (person(), person(), person()):
        row = screening_row(someone)
        sheet.append([row[h] for h in SCREENING_HEADERS])
    sheet.merge_cells("E3:E4")  # 就学情况 of rows 3 and 4
    content = io.BytesIO()
    workbook.save(content)
    job = await finished(await upload(content.getvalue(), mode="commit"))
    report = rows_by_number(job)
    assert set(report) == {3, 4}
    for number in (3, 4):
        assert problem_columns(report[number]) == ["就学情况"]
        assert report[number]["problems"][0]["code"] == "cell.merged"
        assert report[number]["problems"][0]["message"] == "merged cells E3:E4: unmerge and fill every row"
    assert job["rows_applied"] == 1
    assert await _minor_total(client, login) == before + 1


async def test_a_formula_is_a_problem_not_a_value(person, upload, finished):
    rows = [screening_row(person()), screening_row(person(), 姓名="=A2")]
    job = await finished(await upload(xlsx(rows)))
    (row,) = job["report"]["rows"]
    assert row["row"] == 3
    assert row["problems"] == [
        {"column": "姓名", "code": "cell.formula", "message": "a formula: type the value itself"}
    ]
    assert "Cells with formulas were not read; paste their values instead." in job["report"]["notes"]


async def test_hidden_sheets_are_ignored_and_the_report_says_which_sheet_was_read(person, upload, finished):
    workbook = Workbook()
    old = workbook.active
    old.title = "旧名单"
    old.append(["随便", "什么"])
    old.sheet_state = "hidden"
    sheet = workbook.create_sheet("第二轮排查")
    sheet.append(list(SCREENING_HEADERS))
    row = screening_row(person())
    sheet.append([row[h] for h in SCREENING_HEADERS])
    content = io.BytesIO()
    workbook.save(content)
    job = await finished(await upload(content.getvalue()))
    assert job["sheet_name"] == "第二轮排查"
    assert job["report"]["notes"] == [
        "Read the worksheet 第二轮排查.",
        "Hidden worksheets were ignored: 旧名单.",
    ]
    assert job["rows_ok"] == 1


async def test_dates_typed_as_text_in_the_usual_chinese_forms(person, upload, finished):
    x_number = id_ending_in_x(date(2011, 5, 10))
    forms = ["2011年5月10日", "2011.5.10", "2011/05/10", "2011-05-10", datetime(2011, 5, 10), "20110510"]
    rows = [screening_row(person(), 身份证号=x_number.lower(), 性别=None, 出生日期=form) for form in forms]
    rows.append(screening_row(person(), 身份证号=None, 性别="男", 出生日期="2011年13月1日"))
    rows.append(screening_row(person(), 身份证号=None, 性别="男", 出生日期="五月十日"))
    job = await finished(await upload(xlsx(rows)))
    report = rows_by_number(job)
    # Rows 2–7 are one person six times: the first is ok, the others repeat it.
    assert {number: report[number]["outcome"] for number in range(3, 8)} == dict.fromkeys(
        range(3, 8), "duplicate"
    )
    assert 2 not in report
    assert report[8]["problems"][0]["code"] == "cell.date_invalid"
    assert report[9]["problems"][0]["code"] == "cell.date_format"


def _with_blank_rows(content: bytes, count: int) -> bytes:
    """The workbook with ``count`` blank rows after its data, as a sheet formatted far down is saved: each row
    has an empty inline string and a styled empty cell, and the dimension says A1:H<last row>."""
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                first = int(text.rsplit('<row r="', 1)[1].split('"', 1)[0]) + 1
                blank = "".join(
                    f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t></t></is></c><c r="B{n}" s="0"/></row>'
                    for n in range(first, first + count)
                )
                text = text.replace("</sheetData>", blank + "</sheetData>")
                text = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="A1:H{first + count - 1}"', text)
                data = text.encode()
            target.writestr(info, data)
    return output.getvalue()


async def test_two_hundred_thousand_blank_rows_stop_at_the_last_row_with_data(person, upload, finished):
    content = _with_blank_rows(xlsx([screening_row(person()), screening_row(person())]), 200_000)
    started = time.monotonic()
    job = await finished(await upload(content))
    assert (job["rows_total"], job["rows_ok"]) == (2, 2)
    # A few seconds on a busy machine; reading every blank row took over ten.
    assert time.monotonic() - started < 8


async def test_a_file_that_is_not_a_spreadsheet_is_415_and_nothing_is_kept(client, login, upload):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    problem = assert_problem(await upload(png, filename="photo.png", media_type="image/png"), 415)
    assert problem["detail"] == "This file is not a spreadsheet; upload an .xlsx or .csv file."
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    chinese = {**await login("jinhu_worker"), "Accept-Language": "zh-CN"}
    answer = await client.post(
        "/api/v1/imports",
        data={"kind": "screening_minors"},
        files={"file": ("old.xls", xls, "application/vnd.ms-excel")},
        headers=chinese,
    )
    assert assert_problem(answer, 415)["detail"] == "这是旧版 Excel 文件（.xls），请另存为 .xlsx 后重新上传。"
    listed = await client.get("/api/v1/imports", headers=await login("jinhu_worker"))
    assert assert_status(listed, 200).json()["total"] == 0


async def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(upload):
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (30 * 1024 * 1024))
    problem = assert_problem(await upload(content.getvalue()), 422, "validation")
    assert problem["errors"][0]["type"] == "import.zip_bomb"
    assert problem["errors"][0]["loc"] == ["body", "file"]


async def test_a_csv_in_gbk_is_read(person, upload, finished):
    someone = person()
    content = csv_text([screening_row(someone, 出生日期=someone.birth_date.isoformat())]).encode("gbk")
    job = await finished(await upload(content, filename="排查.csv", media_type="text/csv"))
    assert (job["status"], job["rows_ok"], job["rows_invalid"]) == ("finished", 1, 0)


async def test_too_many_rows_is_a_clear_error_and_nothing_is_read(person, upload, finished):
    row = screening_row(person())
    line = ",".join("" if row[h] is None else str(row[h]) for h in SCREENING_HEADERS)
    content = (",".join(SCREENING_HEADERS) + "\n" + (line + "\n") * 50_001).encode()
    job = await finished(await upload(content, filename="大表.csv", media_type="text/csv", mode="commit"))
    assert job["status"] == "failed"
    assert job["error"] == {
        "code": "import.too_many_rows",
        "message": "The sheet has more than 50000 rows; split it into several files.",
    }
    assert job["rows_applied"] == 0


async def test_an_id_number_in_a_number_cell_has_lost_digits(person, upload, finished):
    someone = person()
    job = await finished(
        await upload(xlsx([screening_row(someone, 身份证号=int(someone.id_number[:17] + "0"))]))
    )
    (row,) = job["report"]["rows"]
    assert row["problems"][0]["code"] == "id_number.number_cell"


PHARMACY_HEADERS = ("药店名称", "检查日期", "销售数量（盒）", "是否查验处方")


async def test_typed_cells_of_a_pharmacy_form_are_judged_by_what_they_hold(client, login, upload, finished):
    rows = [
        # row 2: typed as Excel would type them — a date at midnight, a whole number, a ticked box: ok
        {
            "药店名称": "瑞安市锦湖大药房",
            "检查日期": datetime(2024, 5, 10),
            "销售数量（盒）": 3,
            "是否查验处方": True,
        },
        # row 3: a time of day in the date, a fraction of a box
        {
            "药店名称": "安康药店",
            "检查日期": datetime(2024, 5, 10, 14, 30),
            "销售数量（盒）": 2.5,
            "是否查验处方": False,
        },
        # row 4: a date as a bare number, a negative count
        {"药店名称": "仁和药店", "检查日期": 45422, "销售数量（盒）": -1, "是否查验处方": "否"},
        # row 5: a name longer than the column holds, a tick where a count belongs
        {"药店名称": "药" * 201, "检查日期": date(2024, 5, 10), "销售数量（盒）": True, "是否查验处方": "是"},
    ]
    job = await finished(await upload(xlsx(rows, PHARMACY_HEADERS), kind="pharmacy_checks"))
    assert (job["rows_ok"], job["rows_invalid"]) == (1, 3)
    report = rows_by_number(job)
    problems = {
        number: [(p["column"], p["code"], p["message"]) for p in report[number]["problems"]]
        for number in report
    }
    assert problems == {
        3: [
            ("检查日期", "cell.date_time", "a date without a time of day is expected"),
            ("销售数量（盒）", "cell.count", "a whole number is expected"),
        ],
        4: [
            ("检查日期", "cell.date_number", "a date is expected, not a number; format the cell as a date"),
            ("销售数量（盒）", "cell.count", "a whole number is expected"),
        ],
        5: [
            ("药店名称", "cell.too_long", "at most 200 characters"),
            ("销售数量（盒）", "cell.count", "a whole number is expected"),
        ],
    }
    committed = await finished(
        await upload(xlsx(rows, PHARMACY_HEADERS), kind="pharmacy_checks", mode="commit")
    )
    assert committed["rows_applied"] == 1
    (check,) = assert_status(
        await client.get("/api/v1/pharmacy-checks", headers=await login("jinhu_worker")), 200
    ).json()["items"]
    assert (check["pharmacy_name"], check["checked_on"], check["quantity"], check["prescription_seen"]) == (
        "瑞安市锦湖大药房",
        "2024-05-10",
        3,
        True,
    )


async def test_phones_division_codes_and_repeated_categories_in_a_screening_form(person, upload, finished):
    headers = (*SCREENING_HEADERS, "联系电话", "户籍地区划代码")
    rows = [
        # row 2: a landline, a division code, a category named twice and a trailing separator: ok
        screening_row(
            person(), 人员类别="辍学、辍学，", 联系电话="0577-65812345", 户籍地区划代码="330381005001"
        ),
        # row 3: a phone too short, a division code of six digits
        screening_row(person(), 联系电话="12345", 户籍地区划代码="330381"),
    ]
    job = await finished(await upload(xlsx(rows, headers)))
    assert (job["rows_ok"], job["rows_invalid"]) == (1, 1)
    report = rows_by_number(job)
    assert set(report) == {3}
    assert [(p["column"], p["code"], p["message"]) for p in report[3]["problems"]] == [
        ("联系电话", "cell.phone", "must be an 11-digit mobile number or a landline such as 0577-65812345"),
        ("户籍地区划代码", "cell.division_code", "a 12-digit division code is expected"),
    ]


def _zip_of(names: list[str]) -> bytes:
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return content.getvalue()


def _workbook(*sheets: tuple[str, list[list[Any]], str]) -> bytes:
    """Sheets as (title, rows, state): what a station's own workbook might hold."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows, state in sheets:
        sheet = workbook.create_sheet(title)
        sheet.sheet_state = state
        for row in rows:
            sheet.append(row)
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


async def test_archives_that_are_no_workbook_are_refused_before_they_are_read(upload):
    word = await upload(_zip_of(["[Content_Types].xml", "word/document.xml"]), filename="通知.xlsx")
    assert (
        assert_problem(word, 415)["detail"] == "This file is not a spreadsheet; upload an .xlsx or .csv file."
    )
    many_parts = await upload(_zip_of([f"xl/part{index}.xml" for index in range(2001)]))
    assert assert_problem(many_parts, 422, "validation")["errors"] == [
        {
            "loc": ["body", "file"],
            "msg": "The .xlsx file has too many parts to be a worksheet.",
            "type": "import.zip_bomb",
        }
    ]


async def test_which_worksheet_is_read_and_when_there_is_none(person, upload, finished):
    row = screening_row(person())
    filled = [list(SCREENING_HEADERS), [row[header] for header in SCREENING_HEADERS]]
    only_instructions = await finished(
        await upload(_workbook(("说明", [["请按模板填写"]], "visible"), ("排查表", filled, "hidden")))
    )
    assert (only_instructions["status"], only_instructions["error"]) == (
        "failed",
        {"code": "import.no_sheet", "message": "The workbook has no visible worksheet to read."},
    )
    empty = await finished(await upload(_workbook(("排查表", [], "visible"))))
    assert (empty["status"], empty["error"]) == (
        "failed",
        {"code": "import.empty_sheet", "message": "The worksheet 排查表 is empty."},
    )
    two = await finished(
        await upload(_workbook(("排查表", filled, "visible"), ("汇总", [["合计", 1]], "visible")))
    )
    assert (two["status"], two["rows_total"], two["rows_ok"]) == ("finished", 1, 1)
    assert two["report"]["notes"] == ["Read the worksheet 排查表.", "Other worksheets were not read: 汇总."]


async def test_a_row_of_spaces_between_rows_is_no_row(person, upload, finished):
    first, second = screening_row(person()), screening_row(person())
    rows = [
        list(SCREENING_HEADERS),
        [first[header] for header in SCREENING_HEADERS],
        ["  ", None, " ", None, None, None, None, None],
        [second[header] for header in SCREENING_HEADERS],
    ]
    job = await finished(await upload(_workbook(("排查表", rows, "visible"))))
    assert (job["status"], job["rows_total"], job["rows_ok"], job["rows_invalid"]) == ("finished", 2, 2, 0)
