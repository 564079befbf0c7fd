"""Bad input: each case answers a clear report or error (in Chinese for a Chinese reader) and imports nothing
wrong. Shuffled and missing columns, merged cells, formulas, hidden sheets, dates typed as text, 200,000 blank
rows, a file that is not a spreadsheet, an XLSX zip bomb, a CSV in GBK, too many rows, an ID number in a number
cell."""

import io
import re
import time
import zipfile
from datetime import date, datetime

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
