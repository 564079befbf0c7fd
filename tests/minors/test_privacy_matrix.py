"""The privacy policy for minors, held to a table written out here by hand (docs/privacy.md, DESIGN §3):
every role × every field × list or detail × in or out of scope, sealed or not, responsible or not, over every
endpoint that returns a minor (list, detail, look-up, the answers to create and update).

Nothing here is read from ``backend/security/privacy/``: a wrong policy fails against this table. The sample
people and their masked forms are spelled out, so a wrong masking rule fails too.
"""

from datetime import date

import pytest

from backend.minors.schemas import MinorRead
from backend.security import privacy
from tests.conftest import assert_problem
from tests.minors.conftest import MINORS

# ---------------------------------------------------------------------------------------------------------
# The fields of a minor, by what they tell. A field the API returns that is in none of these groups fails
# test_every_field_of_a_minor_is_classed_here.
IDENTITY = (
    "name",
    "id_number",
    "birth_date",
    "turns_18_on",  # the birth date plus 18 years: the birth date itself
    "phone",
    "guardians",
    "household_address",
    "residence_address",
)
SENSITIVE = (
    "substances",
    "sensitive_risk_categories",  # shown inside risk_categories
    "source",  # "seizure_notice" says the child was seized
    "found_by",  # "police" says the police came across the child
    "is_sealed",  # a seal says there is a record to seal
)
GENERAL = (
    "id",
    "version",
    "id_document_type",
    "gender",
    "age",
    "turns_18_soon",
    "aged_out_candidate",
    "household_division_code",
    "residence_division_code",
    "school",
    "grade",
    "schooling_status",
    "risk_categories",
    "risk_level",
    "managing_unit",
    "status",
    "verification_status",  # whether the ID number is on record (待核实), not what it is
    "birth_date_precision",  # how much of the birth date is known
    "merged_into_id",  # a record's id, read in scope like any other
    "created_at",
    "updated_at",
    "masked_fields",
    "hidden_fields",
    "revealable_fields",
)

# What each account sees, as (list view, detail view), of the identity and the sensitive groups. The general
# group is shown in full to everyone who reaches the minor. The education bureau reaches no minor at all.
F, M, H = "full", "masked", "hidden"
EXPECTED = {
    #  account           identity      sensitive
    "jinhu_worker": ((M, M), (F, F)),
    "other_worker": ((M, M), (F, F)),
    "jinhu_lead": ((M, M), (F, F)),
    "county_lead": ((M, M), (F, F)),
    "jinhu_police": ((M, M), (H, H)),
    "school_teacher": ((M, M), (H, H)),
    "admin": ((M, M), (H, H)),
    "auditor": ((M, M), (H, H)),
}
# A social worker named responsible on the minor's open care file in an assignment a lead made or confirmed.
RESPONSIBLE_WORKER = ((M, F), (F, F))
# Fields that have no masked form: masked means absent, and another field stands for them (the age).
ABSENT_WHEN_MASKED = {"birth_date", "turns_18_on"}
# Who may reveal what (with a reason): identities for stations and police; nothing for the others.
REVEALERS = {"jinhu_worker", "other_worker", "jinhu_lead", "county_lead", "jinhu_police"}
REVEALABLE = sorted(
    ["name", "id_number", "birth_date", "phone", "guardians", "household_address", "residence_address"]
)
# Sealed facts open, with a reason, only to a lead of the county office.
SEALED_REVEALERS = {"county_lead"}
SEALED_REVEALABLE = ["found_by", "sensitive_risk_categories", "source", "substances"]

# Who reaches each sample minor.
IN_SCOPE = {
    # managed by 锦湖街道, a pupil of 锦湖中学
    "jinhu_pupil": {
        "jinhu_worker",
        "jinhu_lead",
        "county_lead",
        "jinhu_police",
        "school_teacher",
        "admin",
        "auditor",
    },
    # managed by 锦湖街道, at no school: not the teacher's
    "jinhu_other": {"jinhu_worker", "jinhu_lead", "county_lead", "jinhu_police", "admin", "auditor"},
    # managed by 安阳街道
    "anyang": {"other_worker", "county_lead", "admin", "auditor"},
}

# The sample people, with their values in full and as a masked reader sees them.
SAMPLES = {
    "jinhu_pupil": {
        "registrar": "jinhu_worker",
        "body": {
            "name": "欧阳小明",
            "id_number": "330381201203151231",
            "phone": "13812345678",
            "guardians": [{"relation": "mother", "name": "欧阳丽华", "phone": "13912345678"}],
            "household_division_code": "330381005001",
            "household_address": "锦湖街道滨江社区12幢301室",
            "residence_division_code": "330381005002",
            "residence_address": "锦湖街道锦园路8号",
            "schooling_status": "in_school",
            "grade": "初二",
            "risk_categories": ["left_behind", "nps_abuse"],
            "substances": ["etomidate"],
            "risk_level": "medium",
        },
        "full": {
            "birth_date": "2012-03-15",
            "turns_18_on": "2030-03-15",
            "gender": "male",
            "source": "screening",
            "found_by": None,
        },
        "masked": {
            "name": "欧阳**",
            "id_number": "330381********1231",
            "phone": "138****5678",
            "guardians": [{"relation": "mother", "name": "欧阳**", "phone": "139****5678"}],
            "household_address": "锦湖街道",
            "residence_address": "锦湖街道",
        },
        "general_categories": ["left_behind"],
        "all_categories": ["left_behind", "nps_abuse"],
    },
    "jinhu_other": {
        "registrar": "jinhu_worker",
        "body": {
            "name": "张晓",
            "id_number": "330381201301020817",
            "phone": "13600001111",
            "guardians": [],
            "household_division_code": "330381005001",
            "household_address": "锦湖街道虹桥路3号",
            "residence_division_code": "330381005001",
            "residence_address": "锦湖街道虹桥路1号",
            "schooling_status": "dropped_out",
            "risk_categories": ["dropout", "family_drug_use"],
            "substances": [],
            "risk_level": "low",
        },
        "full": {
            "birth_date": "2013-01-02",
            "turns_18_on": "2031-01-02",
            "gender": "male",
            "source": "screening",
            "found_by": None,
        },
        "masked": {
            "name": "张*",
            "id_number": "330381********0817",
            "phone": "136****1111",
            "guardians": [],
            "household_address": "锦湖街道",
            "residence_address": "锦湖街道",
        },
        "general_categories": ["dropout"],
        "all_categories": ["dropout", "family_drug_use"],
    },
    "anyang": {
        "registrar": "other_worker",
        "body": {
            "name": "周云",
            "id_number": "330381201107294566",
            "phone": "15957712345",
            "guardians": [{"relation": "father", "name": "周建国", "phone": "0577-65812345"}],
            "household_division_code": "330381001001",
            "household_address": "安阳街道万松路5号",
            "residence_division_code": "330381001002",
            "residence_address": "安阳街道安阳路99号",
            "schooling_status": "out_of_school",
            "risk_categories": ["idle_youth", "seized_drug_use"],
            "substances": ["nitrous_oxide"],
            "risk_level": "high",
        },
        "full": {
            "birth_date": "2011-07-29",
            "turns_18_on": "2029-07-29",
            "gender": "female",
            "source": "screening",
            "found_by": None,
        },
        "masked": {
            "name": "周*",
            "id_number": "330381********4566",
            "phone": "159****2345",
            "guardians": [{"relation": "father", "name": "周**", "phone": "*********2345"}],
            "household_address": "安阳街道",
            "residence_address": "安阳街道",
        },
        "general_categories": ["idle_youth"],
        "all_categories": ["idle_youth", "seized_drug_use"],
    },
}


def _age_on(birth: str, today: date) -> int:
    born = date.fromisoformat(birth)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def test_every_field_of_a_minor_is_classed_here():
    """The table above covers every field the API returns and the policy classes (and nothing else)."""
    written_out = set(IDENTITY) | set(SENSITIVE) | set(GENERAL)
    assert len(written_out) == len(IDENTITY) + len(SENSITIVE) + len(GENERAL)
    assert set(MinorRead.model_fields) == written_out - {"sensitive_risk_categories"}
    assert set(privacy.MINOR_FIELDS) == written_out


@pytest.fixture
async def samples(client, login, county):
    """The three sample minors, registered through the API by their stations."""
    school = str(county["units"]["瑞安市锦湖中学"].id)
    created = {}
    for key, sample in SAMPLES.items():
        body = {**sample["body"], **({"school_id": school} if key == "jinhu_pupil" else {})}
        response = await client.post(MINORS, json=body, headers=await login(sample["registrar"]))
        assert response.status_code == 201, response.text
        created[key] = response.json()
    return created


def _expected_visibility(account, view, *, sealed=False, responsible=False):
    identity, sensitive = RESPONSIBLE_WORKER if responsible else EXPECTED[account]
    column = 0 if view == "list" else 1
    seen = dict.fromkeys(IDENTITY, identity[column])
    seen |= dict.fromkeys(SENSITIVE, sensitive[column])
    if sealed:
        # A seal hides the sensitive facts from every role; the seal itself stays for those who see the class.
        seen |= {field: H for field in SENSITIVE if field != "is_sealed"}
    return seen


def _check(shown, key, account, view, *, sealed=False, responsible=False):
    sample = SAMPLES[key]
    body, full, masked = sample["body"], sample["full"], sample["masked"]
    seen = _expected_visibility(account, view, sealed=sealed, responsible=responsible)
    full_values = {**{field: body.get(field) for field in IDENTITY if field in body}, **full}
    for field, visibility in seen.items():
        if field == "sensitive_risk_categories":
            continue  # checked through risk_categories below
        where = (key, account, view, field)
        if visibility == F:
            expected = full_values.get(field, body.get(field))
            if field == "is_sealed":
                expected = sealed
            assert shown[field] == expected, where
        elif visibility == M and field not in ABSENT_WHEN_MASKED:
            assert shown[field] == masked[field], where
        else:
            assert field not in shown, where
    assert set(shown["masked_fields"]) == {f for f, v in seen.items() if v == M}, (key, account, view)
    assert set(shown["hidden_fields"]) == {f for f, v in seen.items() if v == H}, (key, account, view)
    categories = (
        sample["all_categories"] if seen["sensitive_risk_categories"] == F else sample["general_categories"]
    )
    assert shown["risk_categories"] == categories, (key, account, view)
    # The general group, in full for everyone who reaches the minor.
    today = date.today()
    assert shown["age"] == _age_on(full["birth_date"], today)
    assert shown["turns_18_soon"] is False  # all three are 17 or younger for years to come
    assert shown["aged_out_candidate"] is False
    assert shown["gender"] == full["gender"]
    assert shown["risk_level"] == body["risk_level"]
    assert shown["schooling_status"] == body["schooling_status"]
    assert shown["household_division_code"] == body["household_division_code"]
    assert shown["status"] == "active"
    assert shown["verification_status"] == "verified"
    assert shown["birth_date_precision"] == "day"
    assert shown["merged_into_id"] is None
    expected_revealable = REVEALABLE if account in REVEALERS else []
    if responsible and view == "detail":
        expected_revealable = []
    if sealed and account in SEALED_REVEALERS:
        expected_revealable = sorted(expected_revealable + SEALED_REVEALABLE)
    assert shown["revealable_fields"] == expected_revealable, (key, account, view)
    # Whatever is not shown in full leaves no trace anywhere in the answer.
    text = str(shown)
    for field in ("id_number", "phone", "birth_date"):
        if seen[field] != F:
            assert str(full_values[field]) not in text, where
            assert str(full_values[field]).replace("-", "") not in text, where
    if seen["name"] != F:
        assert body["name"] not in text.replace(masked["name"], ""), (key, account, view)
    if seen["substances"] != F:
        for code in body["substances"]:
            assert code not in text, (key, account, view)


@pytest.mark.parametrize("account", sorted(EXPECTED))
async def test_every_role_sees_every_field_as_the_table_says(client, login, samples, account):
    headers = await login(account)
    listing = (await client.get(MINORS, params={"limit": 200}, headers=headers)).json()
    listed = {item["id"]: item for item in listing["items"]}
    for key, created in samples.items():
        detail = await client.get(f"{MINORS}/{created['id']}", headers=headers)
        lookup = await client.post(
            f"{MINORS}/lookup", json={"id_number": SAMPLES[key]["body"]["id_number"]}, headers=headers
        )
        if account not in IN_SCOPE[key]:
            assert created["id"] not in listed, (key, account)
            assert_problem(detail, 404)
            assert_problem(lookup, 404)
            continue
        assert detail.status_code == 200, detail.text
        _check(listed[created["id"]], key, account, "list")
        _check(detail.json(), key, account, "detail")
        _check(lookup.json(), key, account, "list")
        _assert_is_exactly_a_minor_read(listed[created["id"]], lookup.json())
    assert listing["total"] == sum(account in IN_SCOPE[key] for key in SAMPLES)


async def test_the_education_bureau_reaches_no_minor(client, login, samples):
    headers = await login("edu_officer")
    assert_problem(await client.get(MINORS, headers=headers), 403)
    for key, created in samples.items():
        assert_problem(await client.get(f"{MINORS}/{created['id']}", headers=headers), 403)
        assert_problem(
            await client.post(
                f"{MINORS}/lookup", json={"id_number": SAMPLES[key]["body"]["id_number"]}, headers=headers
            ),
            403,
        )


@pytest.mark.parametrize("account", sorted(IN_SCOPE["jinhu_pupil"]))
async def test_sealed_records_hide_sensitive_facts_from_every_role(client, login, samples, account):
    created = samples["jinhu_pupil"]
    sealed = await client.patch(
        f"{MINORS}/{created['id']}", json={"is_sealed": True}, headers=await login("jinhu_lead")
    )
    assert sealed.status_code == 200, sealed.text
    headers = await login(account)
    shown = (await client.get(f"{MINORS}/{created['id']}", headers=headers)).json()
    _check(shown, "jinhu_pupil", account, "detail", sealed=True)
    listed = (await client.get(MINORS, params={"limit": 200}, headers=headers)).json()["items"]
    item = next(item for item in listed if item["id"] == created["id"])
    _check(item, "jinhu_pupil", account, "list", sealed=True)
    looked_up = await client.post(
        f"{MINORS}/lookup", json={"id_number": SAMPLES["jinhu_pupil"]["body"]["id_number"]}, headers=headers
    )
    _assert_is_exactly_a_minor_read(item, looked_up.json())
    # A sealed minor is not found by a drug-use filter either (for those who may filter by one).
    if EXPECTED[account][1][0] == F:
        found = await client.get(MINORS, params={"category": "nps_abuse"}, headers=headers)
        assert created["id"] not in {entry["id"] for entry in found.json()["items"]}
        found = await client.get(MINORS, params={"substance": "etomidate"}, headers=headers)
        assert created["id"] not in {entry["id"] for entry in found.json()["items"]}


def _assert_is_exactly_a_minor_read(listed: dict, looked_up: dict) -> None:
    """A list's page is serialised straight from the shaped values, not through ``MinorRead``: its items must
    still be exactly what the model would write (same fields, same absent ones, same formats), and the same
    as the look-up, which answers with the list's shape through the model."""
    assert MinorRead.model_validate(listed).model_dump(mode="json", exclude_unset=True) == listed
    assert listed == looked_up


async def test_answers_to_create_and_update_are_shaped_too(client, login, county):
    body = {**SAMPLES["jinhu_pupil"]["body"], "risk_categories": ["dropout", "nps_abuse"]}
    created = await client.post(MINORS, json=body, headers=await login("school_teacher"))
    assert created.status_code == 201, created.text
    shown = created.json()
    assert "substances" not in shown
    assert "source" not in shown
    assert shown["risk_categories"] == ["dropout"]
    assert shown["name"] == "欧阳**"
    assert shown["id_number"] == "330381********1231"
    updated = await client.patch(
        f"{MINORS}/{shown['id']}", json={"grade": "初三"}, headers=await login("jinhu_worker")
    )
    assert updated.status_code == 200
    assert updated.json()["name"] == "欧阳**"
    assert "330381201203151231" not in updated.text
    assert "2012-03-15" not in updated.text


ROUTES_WITH_A_MINOR_ID = [
    ("GET", "", None),
    ("PATCH", "", {"grade": "初三"}),
    ("POST", "/reveal", {"reason": "越权访问的尝试", "fields": ["name"]}),
    ("POST", "/verify", {"id_number": "330381201203151231"}),
    ("POST", "/merge", {"into_id": "00000000-0000-0000-0000-000000000000"}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES_WITH_A_MINOR_ID)
@pytest.mark.parametrize(
    "account", ["other_worker", "jinhu_lead", "jinhu_worker", "jinhu_police", "school_teacher"]
)
async def test_no_route_reaches_a_minor_outside_the_scope(
    client, login, samples, method, suffix, body, account
):
    """BOLA: with a valid id from another township (or a made-up one) every route answers 404."""
    target = samples["jinhu_pupil" if account == "other_worker" else "anyang"]
    headers = await login(account)
    for minor_id in (target["id"], "00000000-0000-0000-0000-000000000000"):
        response = await client.request(method, f"{MINORS}/{minor_id}{suffix}", json=body, headers=headers)
        # Schools may not reveal, and neither police nor schools edit a record (they register): refused
        # before any look-up, whatever the id.
        if (account == "school_teacher" and method == "POST") or (
            account in ("school_teacher", "jinhu_police")
            and (method == "PATCH" or suffix in ("/verify", "/merge"))
        ):
            assert_problem(response, 403)
            continue
        problem = assert_problem(response, 404)
        assert "安阳" not in str(problem)
        assert "锦湖" not in str(problem)


@pytest.mark.parametrize(
    ("account", "searches_names", "filters_sensitive"),
    [
        ("jinhu_worker", True, True),
        ("jinhu_lead", True, True),
        ("county_lead", True, True),
        ("jinhu_police", True, False),
        ("school_teacher", False, False),
        ("auditor", False, False),
        ("admin", False, False),
    ],
)
async def test_the_policy_endpoint_tells_each_role_what_it_may_do(
    client, login, county, account, searches_names, filters_sensitive
):
    policy = (await client.get(f"{MINORS}/policy", headers=await login(account))).json()
    assert policy["may_search_names"] is searches_names
    assert policy["may_filter_sensitive"] is filters_sensitive
    # Of an unsealed record, to a reader who is not named responsible (a responsible caseworker's own shape
    # is per record, not the role's): the list and the detail view each as the table says.
    for view in ("list", "detail"):
        expected = _expected_visibility(account, view)
        assert {field: seen for field, seen in policy[f"{view}_fields"].items() if seen != F} == {
            field: seen for field, seen in expected.items() if seen != F
        }, view
    # Sealed facts are revealable only on a sealed record: the policy (unsealed records) never offers them.
    assert policy["revealable_fields"] == (REVEALABLE if searches_names else [])
    assert "nps_abuse" in policy["sensitive_risk_categories"]
    assert "left_behind" not in policy["sensitive_risk_categories"]
    assert policy["may_edit"] is (account in ("jinhu_worker", "jinhu_lead", "county_lead"))
    assert policy["may_change_status"] is (account in ("jinhu_lead", "county_lead"))


async def _file_of(client, login, minor_id):
    files = (
        await client.get(
            "/api/v1/care-files", params={"minor_id": minor_id}, headers=await login("jinhu_lead")
        )
    ).json()
    assert files["total"] == 1, files  # registered in a drug-use category: a file was opened
    return files["items"][0]


@pytest.mark.parametrize("account", sorted(IN_SCOPE["jinhu_pupil"]))
async def test_a_lead_naming_a_caseworker_responsible_shows_her_the_identity_in_the_detail(
    client, login, samples, account
):
    """Only the social worker named on the open care file by a lead sees the identity, only in the detail
    view; lists stay masked for everyone."""
    created = samples["jinhu_pupil"]
    care_file = await _file_of(client, login, created["id"])
    worker_id = (await client.get("/api/v1/me", headers=await login("jinhu_worker"))).json()["id"]
    named = await client.patch(
        f"/api/v1/care-files/{care_file['id']}",
        json={"lead_worker_id": worker_id},
        headers=await login("jinhu_lead"),
    )
    assert named.status_code == 200, named.text
    assert named.json()["assignment_confirmed"] is True
    responsible = account == "jinhu_worker"
    headers = await login(account)
    detail = (await client.get(f"{MINORS}/{created['id']}", headers=headers)).json()
    _check(detail, "jinhu_pupil", account, "detail", responsible=responsible)
    listed = {
        item["id"]: item
        for item in (await client.get(MINORS, params={"limit": 200}, headers=headers)).json()["items"]
    }
    _check(listed[created["id"]], "jinhu_pupil", account, "list", responsible=responsible)


async def test_responsibility_for_one_minor_shows_no_other_minors_identity(client, login, samples):
    """Named responsible on 欧阳小明's file, the social worker still sees 张晓 (same station, no file naming
    her) masked in the detail view, as any caseworker does."""
    care_file = await _file_of(client, login, samples["jinhu_pupil"]["id"])
    worker = await login("jinhu_worker")
    worker_id = (await client.get("/api/v1/me", headers=worker)).json()["id"]
    named = await client.patch(
        f"/api/v1/care-files/{care_file['id']}",
        json={"lead_worker_id": worker_id},
        headers=await login("jinhu_lead"),
    )
    assert named.status_code == 200, named.text
    assert named.json()["assignment_confirmed"] is True
    _check(
        (await client.get(f"{MINORS}/{samples['jinhu_pupil']['id']}", headers=worker)).json(),
        "jinhu_pupil",
        "jinhu_worker",
        "detail",
        responsible=True,
    )
    other = (await client.get(f"{MINORS}/{samples['jinhu_other']['id']}", headers=worker)).json()
    _check(other, "jinhu_other", "jinhu_worker", "detail")
    assert (other["name"], other["id_number"]) == ("张*", "330381********0817")


async def test_a_worker_who_names_herself_waits_for_a_lead(client, login, samples):
    created = samples["jinhu_pupil"]
    care_file = await _file_of(client, login, created["id"])
    worker = await login("jinhu_worker")
    me = (await client.get("/api/v1/me", headers=worker)).json()["id"]
    named = await client.patch(
        f"/api/v1/care-files/{care_file['id']}", json={"lead_worker_id": me}, headers=worker
    )
    assert named.status_code == 200, named.text
    assert named.json()["assignment_confirmed"] is False
    _check(
        (await client.get(f"{MINORS}/{created['id']}", headers=worker)).json(),
        "jinhu_pupil",
        "jinhu_worker",
        "detail",
    )
    confirmed = await client.post(
        f"/api/v1/care-files/{care_file['id']}/assignment/confirm", headers=await login("jinhu_lead")
    )
    assert confirmed.status_code == 200, confirmed.text
    _check(
        (await client.get(f"{MINORS}/{created['id']}", headers=worker)).json(),
        "jinhu_pupil",
        "jinhu_worker",
        "detail",
        responsible=True,
    )


async def test_responsibility_ends_with_the_file(client, login, samples):
    created = samples["jinhu_pupil"]
    care_file = await _file_of(client, login, created["id"])
    worker, lead = await login("jinhu_worker"), await login("jinhu_lead")
    worker_id = (await client.get("/api/v1/me", headers=worker)).json()["id"]
    named = await client.patch(
        f"/api/v1/care-files/{care_file['id']}", json={"lead_worker_id": worker_id}, headers=lead
    )
    assert named.status_code == 200, named.text
    assert (await client.get(f"{MINORS}/{created['id']}", headers=worker)).json()["name"] == "欧阳小明"
    asked = await client.post(
        f"/api/v1/care-files/{care_file['id']}/closure", json={"reason": "stable"}, headers=worker
    )
    assert asked.status_code == 200, asked.text
    approved = await client.post(
        f"/api/v1/care-files/{care_file['id']}/closure/approve", json={"comment": "同意结案"}, headers=lead
    )
    assert approved.status_code == 200, approved.text
    detail = (await client.get(f"{MINORS}/{created['id']}", headers=worker)).json()
    assert detail["name"] == "欧阳**"


# A record registered before its ID number is known (待核实), found by the police, born in 2014 (the year only).
PROVISIONAL_BODY = {
    "provisional": True,
    "name": "钱小红",
    "gender": "female",
    "birth_date": "2014-06-01",
    "birth_date_precision": "year",
    "found_by": "police",
    "residence_division_code": "330381005002",
    "residence_address": "锦湖街道锦园路8号",
    "schooling_status": "dropped_out",
    "risk_categories": ["idle_youth"],
    "risk_level": "medium",
}
# Who sees the provisional record's fields, by account: (name, found_by); everyone in scope sees the rest alike.
PROVISIONAL_EXPECTED = {
    "jinhu_worker": ("钱**", "police"),
    "jinhu_lead": ("钱**", "police"),
    "county_lead": ("钱**", "police"),
    "jinhu_police": ("钱**", None),
    "admin": ("钱**", None),
    "auditor": ("钱**", None),
}


@pytest.mark.parametrize("account", [*sorted(PROVISIONAL_EXPECTED), "other_worker", "school_teacher"])
async def test_a_provisional_record_is_shaped_by_the_same_table(client, login, county, account):
    created = await client.post(MINORS, json=PROVISIONAL_BODY, headers=await login("jinhu_worker"))
    assert created.status_code == 201, created.text
    minor_id = created.json()["id"]
    headers = await login(account)
    detail = await client.get(f"{MINORS}/{minor_id}", headers=headers)
    listed = (await client.get(MINORS, headers=headers)).json()["items"]
    if account not in PROVISIONAL_EXPECTED:
        assert_problem(detail, 404)
        assert minor_id not in {item["id"] for item in listed}
        return
    for shown in (detail.json(), next(item for item in listed if item["id"] == minor_id)):
        name, found_by = PROVISIONAL_EXPECTED[account]
        assert shown["name"] == name
        assert shown["verification_status"] == "provisional"
        assert shown["birth_date_precision"] == "year"
        assert shown["gender"] == "female"
        assert shown["id_number"] is None
        assert shown["id_document_type"] is None
        assert "birth_date" not in shown  # masked for everyone: the age stands for it
        assert "2014" not in str(shown.get("turns_18_on", ""))
        if found_by is None:
            assert "found_by" not in shown
            assert "found_by" in shown["hidden_fields"]
        else:
            assert shown["found_by"] == found_by
        assert "钱小红" not in str(shown)
