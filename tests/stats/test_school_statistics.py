"""School statistics and regional roll-ups: figures, rates, suppressed at-risk counts, exports, scope."""

import csv
import io

from openpyxl import load_workbook

from backend.terms import Term
from tests.conftest import assert_problem
from tests.school_metrics.conftest import METRICS, figures
from tests.stats.conftest import JINHU_MIDDLE, JINHU_PRIMARY

SCHOOLS = "/api/v1/stats/schools"
REGIONS = "/api/v1/stats/regions"
OVERVIEW = "/api/v1/stats/overview"
IDENTITY_KEYS = {"id_number", "phone", "birth_date", "guardians", "household_address", "residence_address"}


def _by_school(report):
    return {item["school"]["name"]: item for item in report["items"]}


async def test_the_bureau_sees_every_school_of_the_county_with_rates_and_suppressed_counts(
    client, login, pupils
):
    edu = await login("edu_officer")
    response = await client.get(SCHOOLS, params={"term": Term.current().code}, headers=edu)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["suppression_threshold"] == 4
    assert report["unit"]["name"] == "瑞安市禁毒委员会办公室"
    assert report["term_label"] == Term.current().label
    assert "nps_abuse" not in report["categories"]
    assert "key_student" not in report["categories"]
    schools = _by_school(report)
    assert len(schools) == 5
    middle, primary = schools[JINHU_MIDDLE], schools[JINHU_PRIMARY]
    # 2 at the primary school: primary suppression. The township's 9 would give 9 - 7 = 2 away, so the
    # middle school's 7 is hidden too, while the county total of 9 is published.
    assert primary["at_risk"]["by_category"]["left_behind"] == {"value": None, "suppressed": True}
    assert middle["at_risk"]["by_category"]["left_behind"] == {"value": None, "suppressed": True}
    assert primary["at_risk"]["by_category"]["dropout"] == {"value": None, "suppressed": True}
    assert middle["at_risk"]["by_category"]["dropout"] == {"value": 0}
    assert report["totals"]["at_risk"]["by_category"]["left_behind"] == {"value": 9}
    assert report["totals"]["at_risk"]["total"] == {"value": 9}
    assert schools["瑞安市马屿中学"]["at_risk"]["total"] == {"value": 0}
    # Demo figures exist for the current term; rates are worked out from them.
    metrics = middle["metrics"]
    assert middle["registration_rate"] == round(
        metrics["students_registered"] / metrics["students_enrolled"], 4
    )
    assert middle["lesson_hours_target_met"] == (middle["school_year_lesson_hours"] >= 4)


async def test_regions_roll_up_by_township_and_county_with_the_same_suppression(client, login, pupils):
    edu = await login("edu_officer")
    report = (await client.get(REGIONS, headers=edu)).json()
    rows = {item["unit"]["name"]: item for item in report["items"]}
    # Depth first, by name at each level: the county, then its townships.
    assert [item["unit"]["name"] for item in report["items"]] == [
        "瑞安市禁毒委员会办公室",
        "安阳街道",
        "玉海街道",
        "锦湖街道",
        "马屿镇",
    ]
    assert set(rows) == {"瑞安市禁毒委员会办公室", "锦湖街道", "安阳街道", "玉海街道", "马屿镇"}
    assert rows["锦湖街道"]["schools"] == 2
    assert rows["锦湖街道"]["at_risk"]["by_category"]["left_behind"] == {"value": 9}
    # The dropout count of 1 is hidden wherever it appears (school, township, county).
    for name in ("锦湖街道", "瑞安市禁毒委员会办公室"):
        assert rows[name]["at_risk"]["by_category"]["dropout"] == {"value": None, "suppressed": True}
    county = rows["瑞安市禁毒委员会办公室"]
    assert county["schools"] == 5
    assert county["schools_reporting"] == 5
    assert county["students_enrolled"] == sum(
        rows[n]["students_enrolled"] for n in rows if n != county["unit"]["name"]
    )


async def test_a_school_sees_only_its_own_school(client, login, county, pupils):
    teacher = await login("school_teacher")
    report = (await client.get(SCHOOLS, headers=teacher)).json()
    assert [item["school"]["name"] for item in report["items"]] == [JINHU_MIDDLE]
    other = county["units"]["瑞安市马屿中学"]
    assert_problem(await client.get(SCHOOLS, params={"unit_id": str(other.id)}, headers=teacher), 404)
    assert_problem(
        await client.get(REGIONS, params={"unit_id": str(county["units"]["锦湖街道"].id)}, headers=teacher),
        404,
    )


async def test_a_lead_sees_their_subtree_only(client, login, county, pupils):
    lead = await login("jinhu_lead")
    report = (await client.get(SCHOOLS, headers=lead)).json()
    assert {item["school"]["name"] for item in report["items"]} == {JINHU_MIDDLE, JINHU_PRIMARY}
    anyang = county["units"]["安阳街道"]
    assert_problem(await client.get(SCHOOLS, params={"unit_id": str(anyang.id)}, headers=lead), 404)


async def test_the_bureau_narrows_to_a_township(client, login, county, pupils):
    edu = await login("edu_officer")
    jinhu = county["units"]["锦湖街道"]
    report = (await client.get(SCHOOLS, params={"unit_id": str(jinhu.id)}, headers=edu)).json()
    assert {item["school"]["name"] for item in report["items"]} == {JINHU_MIDDLE, JINHU_PRIMARY}
    assert report["totals"]["unit"]["name"] == "锦湖街道"
    assert report["totals"]["at_risk"]["by_category"]["left_behind"] == {"value": 9}


async def test_a_machine_client_with_stats_read_sees_its_units_subtree(
    client, county, edu_bureau_client, machine_client, pupils
):
    report = (await client.get(SCHOOLS, headers=edu_bureau_client)).json()
    assert len(report["items"]) == 5
    township = await machine_client("jinhu-stats", county["units"]["锦湖街道"], ["stats:read"])
    narrowed = (await client.get(SCHOOLS, headers=township)).json()
    assert {item["school"]["name"] for item in narrowed["items"]} == {JINHU_MIDDLE, JINHU_PRIMARY}
    assert_problem(
        await client.get(SCHOOLS, params={"unit_id": str(county["units"]["马屿镇"].id)}, headers=township),
        404,
    )


async def test_who_reads_statistics(client, login, county):
    for username in ("jinhu_worker", "jinhu_police", "admin", "auditor"):
        assert_problem(await client.get(SCHOOLS, headers=await login(username)), 403)
        assert_problem(await client.get(REGIONS, headers=await login(username)), 403)


async def test_a_lesson_target_counts_the_school_year(client, login, county):
    """Terms written out, not taken from today: school year 2024-2025 is 2024's fall and 2025's spring."""
    teacher = await login("school_teacher")
    for term, hours in (("2024-spring", 3), ("2024-fall", 2), ("2025-spring", 2), ("2025-fall", 1)):
        submitted = await client.post(
            METRICS, json={"term": term, "rows": [figures(lesson_hours=hours)]}, headers=teacher
        )
        assert submitted.status_code == 201, submitted.text
    # term asked → (lesson hours of its school year so far, the target of 4 met)
    expected = {
        "2024-spring": (3, False),  # school year 2023-2024: its fall has no figures
        "2024-fall": (2, False),
        "2025-spring": (4, True),  # 2 + 2
        "2025-fall": (1, False),  # a new school year
    }
    for term, (hours, met) in expected.items():
        response = await client.get(SCHOOLS, params={"term": term}, headers=teacher)
        assert response.status_code == 200, response.text
        (item,) = response.json()["items"]
        assert (item["school_year_lesson_hours"], item["lesson_hours_target_met"]) == (hours, met), term


def _walk(value, keys, strings):
    if isinstance(value, dict):
        for key, inner in value.items():
            keys.add(key)
            _walk(inner, keys, strings)
    elif isinstance(value, list):
        for inner in value:
            _walk(inner, keys, strings)
    elif isinstance(value, str):
        strings.add(value)


async def test_no_field_of_a_minors_identity_appears_in_any_statistics(client, login, pupils):
    outputs = []
    for username, path in (
        ("edu_officer", SCHOOLS),
        ("edu_officer", REGIONS),
        ("jinhu_lead", SCHOOLS),
        ("jinhu_lead", OVERVIEW),
        ("auditor", OVERVIEW),
    ):
        response = await client.get(path, headers=await login(username))
        assert response.status_code == 200, response.text
        outputs.append(response.json())
    edu = await login("edu_officer")
    for path in (SCHOOLS, REGIONS):
        for export_format in ("csv", "xlsx"):
            response = await client.get(path, params={"format": export_format}, headers=edu)
            outputs.append(_file_text(response, export_format))
    for output in outputs:
        keys: set[str] = set()
        strings: set[str] = set()
        _walk(output, keys, strings)
        assert not keys & IDENTITY_KEYS
        for someone, minor_id in pupils:
            for secret in (
                someone.name,
                someone.id_number,
                someone.phone,
                minor_id,
                someone.birth_date.isoformat(),
            ):
                assert not any(secret in text for text in strings), secret


def _file_text(response, export_format) -> str:
    assert response.status_code == 200, response.text
    if export_format == "csv":
        return response.content.decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(response.content))
    return "\n".join(
        "\t".join("" if cell is None else str(cell) for cell in row)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


async def test_csv_has_a_bom_marks_suppressed_cells_and_cannot_run_formulas(client, login, county, pupils):
    admin = await login("admin")
    created = await client.post(
        "/api/v1/units",
        json={
            "name": '=HYPERLINK("http://x")学校',
            "kind": "school",
            "parent_id": str(county["units"]["马屿镇"].id),
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    edu = await login("edu_officer")
    response = await client.get(SCHOOLS, params={"format": "csv"}, headers=edu)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert any("已隐藏" in line[0] for line in lines[:4])
    header_index = next(i for i, line in enumerate(lines) if line and line[0] == "学校")
    header = lines[header_index]
    rows = {line[0]: dict(zip(header, line, strict=True)) for line in lines[header_index + 1 :]}
    assert rows[JINHU_MIDDLE]["其中：留守儿童"] == "*"
    assert rows[JINHU_PRIMARY]["其中：留守儿童"] == "*"
    assert rows["合计"]["其中：留守儿童"] == "9"
    assert '\'=HYPERLINK("http://x")学校' in rows
    assert not any(name.startswith("=") for name in rows)


async def test_xlsx_carries_the_same_suppression(client, login, pupils):
    edu = await login("edu_officer")
    response = await client.get(REGIONS, params={"format": "xlsx", "term": Term.current().code}, headers=edu)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header_index = next(i for i, row in enumerate(values) if row[0] == "单位")
    header = values[header_index]
    rows = {
        str(row[0]).strip("　"): dict(zip(header, row, strict=True)) for row in values[header_index + 1 :]
    }
    assert rows["锦湖街道"]["其中：留守儿童"] == 9
    assert rows["锦湖街道"]["其中：辍学"] == "*"
    assert rows["马屿镇"]["重点未成年人合计"] == 0
    school_report = await client.get(SCHOOLS, params={"format": "xlsx"}, headers=edu)
    sheet = load_workbook(io.BytesIO(school_report.content)).worksheets[0]
    cells = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert "*" in cells[JINHU_PRIMARY]
    events = (
        await client.get(
            "/api/v1/audit-events", params={"action": "stats.exported"}, headers=await login("county_lead")
        )
    ).json()["items"]
    assert {event["object_type"] for event in events} == {"stats_schools", "stats_regions"}


async def test_the_threshold_is_a_setting_and_the_answer_names_it(make_app, county):
    from tests.conftest import client_for, password_token

    app = make_app(stats_suppression_threshold=1)
    async with client_for(app) as http:
        token = await password_token(http, "edu_officer")
        report = (
            await http.get(SCHOOLS, headers={"Authorization": f"Bearer {token['access_token']}"})
        ).json()
    assert report["suppression_threshold"] == 1
