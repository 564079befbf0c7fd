"""The privacy policy, tested from its own tables: every role × every field × in or out of scope, over
every endpoint that returns a minor (list, detail, lookup, and the answers to create and update)."""

import pytest

from backend.minors.schemas import MinorRead
from backend.security import privacy
from backend.security.masking import mask_id_number, mask_name, mask_phone
from backend.security.roles import Role
from tests.conftest import assert_problem
from tests.minors.conftest import MINORS

ACCOUNTS = {
    "admin": Role.admin,
    "county_lead": Role.supervisor,
    "jinhu_lead": Role.supervisor,
    "jinhu_worker": Role.caseworker,
    "other_worker": Role.caseworker,
    "jinhu_police": Role.police,
    "school_teacher": Role.school_staff,
    "edu_officer": Role.education,
    "auditor": Role.auditor,
}
# Who reaches the 锦湖 minor (managed by 锦湖街道, a pupil of 锦湖中学) and the 安阳 minor (安阳街道).
IN_SCOPE = {
    "jinhu": {
        "admin",
        "county_lead",
        "jinhu_lead",
        "jinhu_worker",
        "jinhu_police",
        "school_teacher",
        "auditor",
    },
    "anyang": {"admin", "county_lead", "other_worker", "auditor"},
}


def test_the_policy_keeps_its_promises():
    """Independent of the tables' details: what DESIGN.md §3 promises, stated once more."""
    for role, columns in privacy.MATRIX.items():
        assert columns[privacy.FieldClass.identity][0] is not privacy.Visibility.full, (
            f"{role} sees names in lists"
        )
    for role in (Role.admin, Role.auditor, Role.school_staff):
        assert set(privacy.MATRIX[role][privacy.FieldClass.identity]) == {privacy.Visibility.masked}
        assert set(privacy.MATRIX[role][privacy.FieldClass.sensitive]) == {privacy.Visibility.hidden}
    assert Role.education not in privacy.MATRIX
    from backend.minors.models import RiskCategory

    assert {code.value for code in RiskCategory} >= privacy.SENSITIVE_RISK_CATEGORIES
    assert set(privacy.MINOR_FIELDS) - {"sensitive_risk_categories"} <= set(
        __import__("backend.minors.schemas", fromlist=["MinorRead"]).MinorRead.model_fields
    )


@pytest.fixture
async def two_minors(register, person, county):
    jinhu_person, anyang_person = person(), person()
    jinhu = await register(jinhu_person, school_id=str(county["units"]["瑞安市锦湖中学"].id))
    anyang = await register(
        anyang_person,
        as_="other_worker",
        household_division_code="330381001001",
        residence_division_code="330381001002",
    )
    return {"jinhu": (jinhu, jinhu_person), "anyang": (anyang, anyang_person)}


def _truth(someone, area):
    full = {
        "name": someone.name,
        "id_number": someone.id_number,
        "birth_date": someone.birth_date.isoformat(),
        "phone": someone.phone,
        "guardians": [{"relation": "mother", "name": "王" + someone.name[-1] + "芳", "phone": "13912345678"}],
        "household_address": "锦湖街道滨江社区12幢301室",
        "residence_address": "锦湖街道锦园路8号",
        "substances": ["etomidate"],
    }
    masked = {
        "name": mask_name(someone.name),
        "id_number": mask_id_number(someone.id_number),
        "phone": mask_phone(someone.phone),
        "guardians": [
            {"relation": "mother", "name": mask_name(full["guardians"][0]["name"]), "phone": "139****5678"}
        ],
        "household_address": area,
        "residence_address": area,
    }
    return full, masked


def _check_shape(shown, role, view, someone, area, *, sealed=False, responsible=False):
    full_values, masked_values = _truth(someone, area)
    expected_masked, expected_hidden = set(), set()
    # A caseworker named responsible on the minor's open care file sees the identity in the detail view.
    identity_upgraded = responsible and role is Role.caseworker and view is privacy.View.detail
    for field, field_class in privacy.MINOR_FIELDS.items():
        seen = privacy.MATRIX[role][field_class][0 if view is privacy.View.list else 1]
        if identity_upgraded and field_class is privacy.FieldClass.identity:
            seen = privacy.Visibility.full
        if sealed and field_class is privacy.FieldClass.sensitive:
            seen = privacy.Visibility.hidden
        if seen is privacy.Visibility.masked:
            expected_masked.add(field)
        if seen is privacy.Visibility.hidden:
            expected_hidden.add(field)
        if field in full_values:
            if seen is privacy.Visibility.full:
                assert shown[field] == full_values[field], (role, view, field)
            elif seen is privacy.Visibility.masked:
                if field in masked_values:
                    assert shown[field] == masked_values[field], (role, view, field)
                else:
                    assert field not in shown, (role, view, field)
            else:
                assert field not in shown, (role, view, field)
    sensitive_seen = privacy.MATRIX[role][privacy.FieldClass.sensitive][0] is privacy.Visibility.full
    expected_categories = {"left_behind", "nps_abuse"} if sensitive_seen and not sealed else {"left_behind"}
    assert set(shown["risk_categories"]) == expected_categories, (role, view)
    assert set(shown["masked_fields"]) == expected_masked, (role, view)
    assert set(shown["hidden_fields"]) == expected_hidden, (role, view)
    # Whatever the role, no identifying value leaks anywhere else in the answer.
    if (
        privacy.MATRIX[role][privacy.FieldClass.identity][0 if view is privacy.View.list else 1]
        is not privacy.Visibility.full
        and not identity_upgraded
    ):
        text = str(shown)
        assert someone.id_number not in text
        assert someone.phone not in text
        assert someone.name not in text.replace(mask_name(someone.name), "")


@pytest.mark.parametrize("username", sorted(ACCOUNTS))
async def test_every_role_sees_every_field_as_the_policy_says(client, login, two_minors, username):
    role = ACCOUNTS[username]
    headers = await login(username)
    if role is Role.education:
        assert_problem(await client.get(MINORS, headers=headers), 403)
        for created, someone in two_minors.values():
            assert_problem(await client.get(f"{MINORS}/{created['id']}", headers=headers), 403)
            assert_problem(
                await client.post(f"{MINORS}/lookup", json={"id_number": someone.id_number}, headers=headers),
                403,
            )
        return
    listing = (await client.get(MINORS, params={"limit": 200}, headers=headers)).json()
    listed = {item["id"]: item for item in listing["items"]}
    for place, (created, someone) in two_minors.items():
        area = "锦湖街道" if place == "jinhu" else "安阳街道"
        detail = await client.get(f"{MINORS}/{created['id']}", headers=headers)
        lookup = await client.post(f"{MINORS}/lookup", json={"id_number": someone.id_number}, headers=headers)
        if username not in IN_SCOPE[place]:
            assert created["id"] not in listed
            assert_problem(detail, 404)
            assert_problem(lookup, 404)
            continue
        _check_shape(listed[created["id"]], role, privacy.View.list, someone, area)
        assert detail.status_code == 200, detail.text
        _check_shape(detail.json(), role, privacy.View.detail, someone, area)
        _check_shape(lookup.json(), role, privacy.View.list, someone, area)
        _assert_is_exactly_a_minor_read(listed[created["id"]], lookup.json())
    assert listing["total"] == sum(username in IN_SCOPE[place] for place in two_minors)


@pytest.mark.parametrize("username", sorted(set(ACCOUNTS) - {"edu_officer", "other_worker"}))
async def test_sealed_records_hide_sensitive_facts_from_every_role(client, login, two_minors, username):
    created, someone = two_minors["jinhu"]
    await client.patch(
        f"{MINORS}/{created['id']}", json={"is_sealed": True}, headers=await login("jinhu_lead")
    )
    headers = await login(username)
    shown = (await client.get(f"{MINORS}/{created['id']}", headers=headers)).json()
    _check_shape(shown, ACCOUNTS[username], privacy.View.detail, someone, "锦湖街道", sealed=True)
    listed = (await client.get(MINORS, params={"limit": 200}, headers=headers)).json()["items"]
    looked_up = await client.post(f"{MINORS}/lookup", json={"id_number": someone.id_number}, headers=headers)
    _assert_is_exactly_a_minor_read(
        next(item for item in listed if item["id"] == created["id"]), looked_up.json()
    )


def _assert_is_exactly_a_minor_read(listed: dict, looked_up: dict) -> None:
    """A list's page is serialised straight from the shaped values, not through ``MinorRead``: its items must
    still be exactly what the model would write (same fields, same absent ones, same formats), and the same
    as the look-up, which answers with the list's shape through the model."""
    assert MinorRead.model_validate(listed).model_dump(mode="json", exclude_unset=True) == listed
    assert listed == looked_up


async def test_answers_to_create_and_update_are_shaped_too(client, login, register, person, county):
    someone = person()
    created = await register(someone, as_="school_teacher", risk_categories=["dropout", "nps_abuse"])
    assert "substances" not in created
    assert created["risk_categories"] == ["dropout"]
    assert created["name"] == mask_name(someone.name)
    updated = await client.patch(
        f"{MINORS}/{created['id']}", json={"grade": "初三"}, headers=await login("jinhu_worker")
    )
    assert updated.status_code == 200
    assert updated.json()["name"] == mask_name(someone.name)
    assert someone.id_number not in updated.text


ROUTES_WITH_A_MINOR_ID = [
    ("GET", "", None),
    ("PATCH", "", {"grade": "初三"}),
    ("POST", "/reveal", {"reason": "越权访问的尝试", "fields": ["name"]}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES_WITH_A_MINOR_ID)
@pytest.mark.parametrize(
    "username", ["other_worker", "jinhu_lead", "jinhu_worker", "jinhu_police", "school_teacher"]
)
async def test_no_route_reaches_a_minor_outside_the_scope(
    client, login, two_minors, method, suffix, body, username
):
    """BOLA: with a valid id from another township (or a made-up one) every route answers 404."""
    target = two_minors["jinhu" if username == "other_worker" else "anyang"][0]
    headers = await login(username)
    for minor_id in (target["id"], "00000000-0000-0000-0000-000000000000"):
        response = await client.request(method, f"{MINORS}/{minor_id}{suffix}", json=body, headers=headers)
        if username == "school_teacher" and method == "POST":
            assert_problem(response, 403)  # schools may not reveal at all: refused before any look-up
            continue
        problem = assert_problem(response, 404)
        assert "安阳" not in str(problem)
        assert "锦湖" not in str(problem)


@pytest.mark.parametrize(
    ("username", "searches_names", "filters_sensitive"),
    [
        ("jinhu_worker", True, True),
        ("jinhu_lead", True, True),
        ("jinhu_police", True, False),
        ("school_teacher", False, False),
        ("auditor", False, False),
        ("admin", False, False),
    ],
)
async def test_the_policy_endpoint_tells_each_role_what_it_may_do(
    client, login, county, username, searches_names, filters_sensitive
):
    policy = (await client.get(f"{MINORS}/policy", headers=await login(username))).json()
    assert policy["may_search_names"] is searches_names
    assert policy["may_filter_sensitive"] is filters_sensitive
    assert set(policy["list_fields"]) == set(privacy.MINOR_FIELDS)
    assert policy["list_fields"]["name"] == "masked"
    assert bool(policy["revealable_fields"]) is searches_names
    assert "nps_abuse" in policy["sensitive_risk_categories"]
    assert "left_behind" not in policy["sensitive_risk_categories"]
    assert policy["may_edit"] is (username in ("jinhu_worker", "jinhu_lead"))
    assert policy["may_change_status"] is (username == "jinhu_lead")


async def _name_responsible(client, login, minor_id):
    """The minor was registered in a sensitive category, so a file was opened: the lead names the worker."""
    lead = await login("jinhu_lead")
    worker_id = (await client.get("/api/v1/me", headers=await login("jinhu_worker"))).json()["id"]
    files = (await client.get("/api/v1/care-files", params={"minor_id": minor_id}, headers=lead)).json()
    assert files["total"] == 1
    named = await client.patch(
        f"/api/v1/care-files/{files['items'][0]['id']}", json={"lead_worker_id": worker_id}, headers=lead
    )
    assert named.status_code == 200, named.text
    return named.json()


@pytest.mark.parametrize("username", sorted(IN_SCOPE["jinhu"]))
async def test_a_care_file_naming_a_caseworker_responsible_shows_them_the_identity_in_the_detail(
    client, login, two_minors, username
):
    """The responsible-caseworker rule, for every role that reaches the minor: only the social worker named
    on the open care file sees the identity, only in the detail view; lists stay masked for everyone."""
    created, someone = two_minors["jinhu"]
    await _name_responsible(client, login, created["id"])
    role = ACCOUNTS[username]
    responsible = username == "jinhu_worker"
    headers = await login(username)
    detail = (await client.get(f"{MINORS}/{created['id']}", headers=headers)).json()
    _check_shape(detail, role, privacy.View.detail, someone, "锦湖街道", responsible=responsible)
    listed = {
        item["id"]: item
        for item in (await client.get(MINORS, params={"limit": 200}, headers=headers)).json()["items"]
    }
    _check_shape(listed[created["id"]], role, privacy.View.list, someone, "锦湖街道", responsible=responsible)
    if responsible:
        assert detail["name"] == someone.name
        assert "name" not in detail["revealable_fields"]


async def test_responsibility_ends_with_the_file(client, login, two_minors):
    created, someone = two_minors["jinhu"]
    worker, lead = await login("jinhu_worker"), await login("jinhu_lead")
    care_file = await _name_responsible(client, login, created["id"])
    assert (await client.get(f"{MINORS}/{created['id']}", headers=worker)).json()["name"] == someone.name
    await client.post(
        f"/api/v1/care-files/{care_file['id']}/closure", json={"reason": "stable"}, headers=worker
    )
    await client.post(
        f"/api/v1/care-files/{care_file['id']}/closure/approve", json={"comment": "同意结案"}, headers=lead
    )
    detail = (await client.get(f"{MINORS}/{created['id']}", headers=worker)).json()
    assert detail["name"] == mask_name(someone.name)
