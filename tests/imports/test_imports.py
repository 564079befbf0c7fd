"""Importing the screening forms over HTTP: templates, dry runs that write nothing, commits that write the valid
rows (or none, all or nothing), duplicates in the file and in the registry, scope, the trail, and the report's
privacy. Bad input has its own file (test_bad_input.py)."""

import io
from datetime import date

from openpyxl import load_workbook

from backend.identity import parse_mainland_id
from tests.conftest import assert_problem, assert_status
from tests.imports.conftest import (
    IMPORTS,
    csv_text,
    full_width,
    id_ending_in_x,
    problem_columns,
    rows_by_number,
    screening_row,
    with_bad_check_digit,
    xlsx,
)
from tests.minors.conftest import minor_body

MINORS = "/api/v1/minors"


async def _minor_total(client, login, as_="jinhu_lead") -> int:
    answer = assert_status(await client.get(MINORS, params={"limit": 1}, headers=await login(as_)), 200)
    return answer.json()["total"]


async def test_each_template_parses_back_with_headers_drop_downs_instructions_and_an_example(client, login):
    expected = {
        "screening_minors": ["姓名", "身份证号", "性别", "出生日期", "就学情况", "人员类别", "风险等级"],
        "pharmacy_checks": ["药店名称", "检查日期", "购买人年龄段", "销售数量（盒）", "是否查验处方"],
        "venue_checks": [
            "场所名称",
            "场所类型",
            "检查日期",
            "检查情况",
            "是否发现隐患",
            "整改措施",
            "复查日期",
        ],
    }
    for kind, headers in expected.items():
        answer = await client.get(f"{IMPORTS}/templates/{kind}", headers=await login("jinhu_worker"))
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert "attachment" in answer.headers["content-disposition"]
        workbook = load_workbook(io.BytesIO(answer.content))
        assert "说明" in workbook.sheetnames
        sheet = workbook["填报表"]
        found = [cell.value for cell in sheet[1]]
        for header in headers:
            assert header in found, (kind, header)
        # Every drop-down is a list drawn from the hidden choices sheet.
        validations = sheet.data_validations.dataValidation
        assert validations
        assert all(v.type == "list" for v in validations)
        choices = workbook["选项"]
        assert choices.sheet_state == "hidden"
        listed = {cell.value for column in choices.iter_cols() for cell in column if cell.value}
        instructions = " ".join(
            str(cell.value) for row in workbook["说明"].iter_rows() for cell in row if cell.value
        )
        assert "2024-05-10" in instructions
        if kind == "screening_minors":
            assert {"辍学", "失学", "双差生", "男", "女", "中风险"} <= listed
            example = dict(zip(found, [cell.value for cell in sheet[2]], strict=False))
            parsed = parse_mainland_id(example["身份证号"])
            assert example["出生日期"].date() == parsed.birth_date
            assert parsed.gender == "male"
            assert example["性别"] == "男"
        if kind == "venue_checks":
            assert {"KTV", "网吧", "酒吧", "学校周边小卖部"} <= listed
        if kind == "pharmacy_checks":
            assert {"是", "否", "16至17周岁"} <= listed


async def test_a_dry_run_reports_every_row_and_writes_nothing(client, login, person, upload, finished):
    before = await _minor_total(client, login)
    ok = person()
    lower_x = id_ending_in_x(date(2011, 3, 4))
    rows = [
        screening_row(ok),  # row 2: ok
        screening_row(person(), 身份证号=with_bad_check_digit(person().id_number)),  # row 3: check digit
        screening_row(
            person(), 身份证号=full_width(ok.id_number[:0] + person().id_number), 出生日期=None, 性别=None
        ),
        screening_row(person(), 身份证号=lower_x.lower(), 出生日期="2011年3月4日", 性别=None),  # row 5: ok
        screening_row(person(gender="male"), 性别="女"),  # row 6: gender disagrees
        screening_row(person(), 就学情况="上学中"),  # row 7: not a choice
        screening_row(person(), 人员类别=None),  # row 8: required
        screening_row(
            person(), 身份证号=None, 出生日期="2012.5.10", 性别="女"
        ),  # row 9: no ID: provisional, ok
        screening_row(person(), 身份证号=None, 出生日期=None, 性别="女"),  # row 10: no ID and no birth date
        screening_row(person(age=19)),  # row 11: an adult
    ]
    job = await finished(await upload(xlsx(rows)))
    assert job["status"] == "finished"
    assert job["mode"] == "dry_run"
    assert job["committed"] is False
    assert (job["rows_total"], job["rows_done"]) == (10, 10)
    assert (job["rows_ok"], job["rows_duplicate"], job["rows_invalid"], job["rows_applied"]) == (4, 0, 6, 0)
    report = rows_by_number(job)
    assert set(report) == {3, 6, 7, 8, 10, 11}
    assert problem_columns(report[3]) == ["身份证号"]
    assert report[3]["problems"][0]["code"] == "id_number.checksum"
    assert problem_columns(report[6]) == ["性别"]
    assert report[6]["problems"][0]["code"] == "id_number.gender_mismatch"
    assert problem_columns(report[7]) == ["就学情况"]
    assert problem_columns(report[8]) == ["人员类别"]
    assert report[8]["problems"][0]["code"] == "cell.required"
    assert problem_columns(report[10]) == ["出生日期"]
    assert report[11]["problems"][0]["code"] == "minor.adult"
    assert "已读取工作表「排查表」。" not in job["report"]["notes"]  # English asked for by the suite's client
    assert "Read the worksheet 排查表." in job["report"]["notes"]
    assert await _minor_total(client, login) == before


async def test_the_report_is_in_chinese_for_a_chinese_reader(client, login, person, upload, finished):
    response = await upload(xlsx([screening_row(person(), 就学情况="上学中")]))
    job = await finished(response)
    headers = {**await login("jinhu_worker"), "Accept-Language": "zh-CN"}
    answer = assert_status(await client.get(response.headers["location"], headers=headers), 200).json()
    (row,) = answer["report"]["rows"]
    assert row["problems"][0]["message"].startswith("不是可选值之一：在校、辍学、失学")
    assert answer["report"]["notes"] == ["已读取工作表「排查表」。"]
    assert job["rows_invalid"] == 1


async def test_a_commit_registers_the_valid_rows_and_skips_the_others(
    client, login, person, upload, finished
):
    before = await _minor_total(client, login)
    good, other_good = person(), person()
    rows = [
        screening_row(good, 人员类别="辍学"),
        screening_row(person(), 身份证号=with_bad_check_digit(person().id_number)),
        screening_row(other_good, 人员类别="滥用新型成瘾物质", 涉及物质="依托咪酯"),
    ]
    job = await finished(await upload(xlsx(rows), mode="commit"))
    assert job["committed"] is True
    assert (job["rows_ok"], job["rows_invalid"], job["rows_applied"]) == (2, 1, 2)
    assert await _minor_total(client, login) == before + 2
    worker = await login("jinhu_worker")
    found = await client.post(f"{MINORS}/lookup", json={"id_number": other_good.id_number}, headers=worker)
    minor = assert_status(found, 200).json()
    assert minor["risk_categories"] == ["nps_abuse"]
    assert minor["source"] == "screening"
    # A drug-use category opens a care file, as a single registration does.
    files = assert_status(
        await client.get("/api/v1/care-files", params={"minor_id": minor["id"]}, headers=worker), 200
    )
    assert len(files.json()["items"]) == 1


async def test_all_or_nothing_writes_nothing_when_one_row_fails(client, login, person, upload, finished):
    before = await _minor_total(client, login)
    rows = [screening_row(person()), screening_row(person(), 性别="未知")]
    job = await finished(await upload(xlsx(rows), mode="commit", all_or_nothing=True))
    assert job["status"] == "finished"
    assert job["committed"] is False
    assert (job["rows_ok"], job["rows_invalid"], job["rows_applied"]) == (1, 1, 0)
    assert "Nothing was imported: 1 rows have problems (all or nothing)." in job["report"]["notes"]
    assert await _minor_total(client, login) == before


async def test_duplicates_in_the_file_and_in_the_registry(client, login, person, upload, finished):
    mine, theirs, twice = person(), person(), person()
    registered = await client.post(
        MINORS,
        json=minor_body(mine, risk_categories=["dropout"], substances=[]),
        headers=await login("jinhu_worker"),
    )
    assert_status(registered, 201)
    elsewhere = await client.post(
        MINORS,
        json=minor_body(theirs, risk_categories=["dropout"], substances=[]),
        headers=await login("other_worker"),
    )
    assert_status(elsewhere, 201)
    before = await _minor_total(client, login, "county_lead")
    rows = [
        screening_row(mine, 人员类别="辍学、双差生"),  # row 2: in scope, adds 双差生
        screening_row(theirs),  # row 3: managed elsewhere
        screening_row(twice),  # row 4: new
        screening_row(twice, 人员类别="失学"),  # row 5: repeats row 4
    ]
    dry = await finished(await upload(xlsx(rows)))
    report = rows_by_number(dry)
    assert report[2]["outcome"] == "duplicate"
    assert (
        report[2]["action"]
        == "already registered in your scope; committing adds this row's categories to the record"
    )
    assert report[3]["outcome"] == "duplicate"
    assert report[3]["action"] == "managed by another unit; skipped (a transfer can be requested)"
    assert report[5]["outcome"] == "duplicate"
    assert report[5]["action"] == "repeats row 4 of this file; skipped"
    assert 4 not in report
    # The stored report names no person: neither number (in clear or masked) nor name, nor the other unit.
    text = str(dry)
    for someone in (mine, theirs, twice):
        assert someone.id_number not in text
        assert someone.id_number[-4:] not in text
        assert someone.name not in text
    assert "安阳" not in text

    committed = await finished(await upload(xlsx(rows), mode="commit"))
    assert (committed["rows_ok"], committed["rows_duplicate"], committed["rows_applied"]) == (1, 3, 2)
    assert await _minor_total(client, login, "county_lead") == before + 1
    found = await client.post(
        f"{MINORS}/lookup", json={"id_number": mine.id_number}, headers=await login("jinhu_worker")
    )
    assert assert_status(found, 200).json()["risk_categories"] == ["dropout", "double_poor"]
    # The other unit's record is untouched.
    theirs_now = await client.post(
        f"{MINORS}/lookup", json={"id_number": theirs.id_number}, headers=await login("other_worker")
    )
    assert assert_status(theirs_now, 200).json()["risk_categories"] == ["dropout"]


async def test_another_units_import_is_404_and_a_lead_lists_their_units(
    client, login, person, upload, finished
):
    response = await upload(xlsx([screening_row(person())]))
    job = await finished(response)
    outsider = await client.get(response.headers["location"], headers=await login("other_worker"))
    assert_problem(outsider, 404, "not-found")
    lead = await client.get(IMPORTS, headers=await login("jinhu_lead"))
    assert job["id"] in [item["id"] for item in assert_status(lead, 200).json()["items"]]
    theirs = await client.get(IMPORTS, headers=await login("other_worker"))
    assert job["id"] not in [item["id"] for item in assert_status(theirs, 200).json()["items"]]
    county = await client.get(
        IMPORTS, params={"kind": "screening_minors"}, headers=await login("county_lead")
    )
    assert job["id"] in [item["id"] for item in assert_status(county, 200).json()["items"]]


async def test_every_import_is_an_audit_event(client, login, person, upload, finished):
    job = await finished(await upload(xlsx([screening_row(person())])))
    lead = await login("jinhu_lead")
    for action in ("import.uploaded", "import.checked"):
        events = await client.get("/api/v1/audit-events", params={"action": action}, headers=lead)
        assert job["id"] in [event["object_id"] for event in assert_status(events, 200).json()["items"]], (
            action
        )


async def test_a_csv_of_pharmacy_checks_is_checked_and_committed(client, login, upload, finished):
    headers = ("药店名称", "检查日期", "购买人年龄段", "销售数量（盒）", "是否查验处方")
    rows = [
        {
            "药店名称": "瑞安市锦湖大药房",
            "检查日期": "2024/05/10",
            "购买人年龄段": "16至17周岁",
            "销售数量（盒）": "2",
            "是否查验处方": "否",
        },
        {
            "药店名称": "安康药店",
            "检查日期": "2024.13.10",
            "购买人年龄段": "",
            "销售数量（盒）": "两盒",
            "是否查验处方": "也许",
        },
    ]
    content = csv_text(rows, headers).encode("utf-8-sig")
    job = await finished(
        await upload(content, kind="pharmacy_checks", filename="药店.csv", media_type="text/csv")
    )
    assert (job["rows_ok"], job["rows_invalid"]) == (1, 1)
    assert problem_columns(rows_by_number(job)[3]) == ["检查日期", "销售数量（盒）", "是否查验处方"]
    worker = await login("jinhu_worker")
    assert (
        assert_status(await client.get("/api/v1/pharmacy-checks", headers=worker), 200).json()["total"] == 0
    )
    committed = await finished(
        await upload(
            content, kind="pharmacy_checks", mode="commit", filename="药店.csv", media_type="text/csv"
        )
    )
    assert (committed["committed"], committed["rows_applied"]) == (True, 1)
    (check,) = assert_status(await client.get("/api/v1/pharmacy-checks", headers=worker), 200).json()["items"]
    assert check["pharmacy_name"] == "瑞安市锦湖大药房"
    assert (check["checked_on"], check["buyer_age_band"], check["quantity"]) == ("2024-05-10", "16_17", 2)
    assert check["prescription_seen"] is False


async def test_venue_checks_are_checked_and_committed_into_each_venues_history(
    client, login, upload, finished
):
    headers = ("场所名称", "场所类型", "检查日期", "检查情况", "是否发现隐患", "整改措施", "复查日期")
    rows = [
        {
            "场所名称": "星光KTV",
            "场所类型": "KTV",
            "检查日期": "2024-05-10",
            "检查情况": "发现笑气气罐",
            "是否发现隐患": "是",
            "复查日期": "2024-05-24",
        },
        {
            "场所名称": "网鱼网咖",
            "场所类型": "网吧",
            "检查日期": "2024-05-10",
            "检查情况": "未见异常",
            "复查日期": "2024-05-01",
        },
        {"场所名称": "学校旁小店", "场所类型": "小卖部", "检查日期": "2024-05-10", "检查情况": "未见异常"},
        {
            "场所名称": "星光KTV",
            "场所类型": "KTV",
            "检查日期": "2024-05-24",
            "检查情况": "已整改",
            "是否发现隐患": "否",
        },
        {"场所名称": "学校旁小店", "场所类型": "学校周边小卖部", "检查日期": "2024-05-11"},
    ]
    job = await finished(await upload(xlsx(rows, headers), kind="venue_checks"))
    report = rows_by_number(job)
    assert problem_columns(report[3]) == ["复查日期"]
    assert problem_columns(report[4]) == ["场所类型"]
    assert problem_columns(report[6]) == ["检查情况"]
    assert job["rows_ok"] == 2
    committed = await finished(await upload(xlsx(rows, headers), kind="venue_checks", mode="commit"))
    assert committed["rows_applied"] == 2
    worker = await login("jinhu_worker")
    (venue,) = assert_status(await client.get("/api/v1/venues", headers=worker), 200).json()["items"]
    assert (venue["name"], venue["kind"], venue["last_checked_on"]) == ("星光KTV", "ktv", "2024-05-24")


async def test_a_form_the_role_does_not_record_is_403(upload, login):
    # A school's teacher registers pupils but does not record pharmacy checks.
    content = csv_text([], ("药店名称", "检查日期", "销售数量（盒）", "是否查验处方")).encode()
    refused = await upload(
        content, as_="school_teacher", kind="pharmacy_checks", filename="药店.csv", media_type="text/csv"
    )
    assert_problem(refused, 403, "forbidden")


async def test_a_row_without_an_id_number_becomes_a_provisional_record(
    client, login, person, upload, finished
):
    before = await _minor_total(client, login)
    rows = [screening_row(person(), 身份证号=None, 姓名="李小雨", 性别="女", 出生日期="2012年5月10日")]
    job = await finished(await upload(xlsx(rows), mode="commit"))
    assert (job["rows_ok"], job["rows_applied"], job["committed"]) == (1, 1, True)
    assert await _minor_total(client, login) == before + 1
    listed = await client.get(MINORS, params={"limit": 200}, headers=await login("jinhu_worker"))
    (minor,) = [
        item
        for item in assert_status(listed, 200).json()["items"]
        if item["name"].startswith("李") and item.get("verification_status") == "provisional"
    ]
    assert minor["gender"] == "female"
