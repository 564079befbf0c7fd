"""The password policy knows the person: their Chinese name (short ones included) and its pinyin, their username
and unit, and the product's own words."""

import pytest

from tests.conftest import DEMO_PASSWORD, assert_problem, password_token

USERS = "/api/v1/users"


@pytest.mark.parametrize(
    ("password", "problem_type"),
    [
        ("周云2026abcd", "password.personal"),  # a two-character name
        ("zhouyun2026!", "password.personal"),  # its pinyin
        ("Yunzhou#2026", "password.personal"),  # given name first
        ("Qinghu2026!", "password.too_weak"),  # the product's name
        ("jinhujiedao2026", "password.too_weak"),  # the unit's name in pinyin
        ("Ruian-2026!!", "password.too_weak"),  # the county
    ],
)
async def test_passwords_built_from_the_person_or_the_product_are_refused(
    client, login, county, password, problem_type
):
    body = {
        "username": "station_worker9",
        "display_name": "周云",
        "role": "caseworker",
        "unit_id": str(county["units"]["锦湖街道"].id),
        "password": password,
    }
    problem = assert_problem(
        await client.post(USERS, json=body, headers=await login("admin")), 422, "validation"
    )
    assert problem["errors"][0]["loc"] == ["body", "password"]
    assert problem["errors"][0]["type"] == problem_type


async def test_a_strong_password_is_accepted_for_a_chinese_name(client, login, county):
    body = {
        "username": "station_worker9",
        "display_name": "周云",
        "role": "caseworker",
        "unit_id": str(county["units"]["锦湖街道"].id),
        "password": "Lanterns-Harbor-2026",
    }
    response = await client.post(USERS, json=body, headers=await login("admin"))
    assert response.status_code == 201, response.text


async def test_a_new_own_password_is_checked_against_the_product_and_the_name(client, county):
    token = await password_token(client, "jinhu_worker")  # 周社工
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    for new_password, problem_type in (
        ("Qinghu2026!", "password.too_weak"),
        ("zhoushegong-77", "password.personal"),
        ("周社工-lantern-7", "password.personal"),
    ):
        response = await client.post(
            "/api/v1/me/password",
            json={"current_password": DEMO_PASSWORD, "new_password": new_password},
            headers=headers,
        )
        assert assert_problem(response, 422)["errors"][0]["type"] == problem_type, new_password
    # Nothing changed: the demo password still logs in.
    await password_token(client, "jinhu_worker")
