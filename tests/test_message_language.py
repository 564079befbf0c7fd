"""Problems answer in the reader's language: Chinese by default and for zh, English for en (Accept-Language);
the codes machine clients act on (type, status, errors[].loc, errors[].type) are the same in both.

The suite's clients ask for English (tests/conftest.py); these tests send their own Accept-Language, or none,
and write the Chinese out."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from backend.messages import negotiate
from tests.conftest import assert_problem, client_for

UNITS = "/api/v1/units"
NO_UNIT = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
async def plain(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """A client that sends no Accept-Language at all, as a browser's fetch or a curl without -H might."""
    async with client_for(app) as http:
        del http.headers["Accept-Language"]
        yield http


def _codes(problem: dict[str, Any]) -> tuple[Any, ...]:
    return (
        problem["type"],
        problem["status"],
        [(error["loc"], error["type"]) for error in problem.get("errors", [])],
    )


def _language(response: Any) -> str:
    assert "Accept-Language" in response.headers["Vary"]
    return response.headers["Content-Language"]


async def test_the_same_bad_request_in_chinese_by_default_for_zh_and_in_english_for_en(plain, login, county):
    headers = await login("admin")
    body = {"name": "名" * 101, "kind": "fortress"}  # too long, not a kind, parent_id missing
    default = await plain.post(UNITS, json=body, headers=headers)
    chinese = await plain.post(UNITS, json=body, headers={**headers, "Accept-Language": "zh-CN"})
    english = await plain.post(UNITS, json=body, headers={**headers, "Accept-Language": "en-US,en;q=0.9"})

    problem = assert_problem(default, 422, "validation")
    assert _language(default) == "zh-CN"
    assert problem["title"] == "提交的信息有误"
    assert [(error["loc"], error["msg"]) for error in problem["errors"]] == [
        (["body", "name"], "最多 100 个字符"),
        (
            ["body", "kind"],
            "应为以下之一：'county_office'、'township'、'community'、'school'、'police_station'、'department'",
        ),
        (["body", "parent_id"], "必填"),
    ]
    assert problem["detail"] == (
        "name：最多 100 个字符；"
        "kind：应为以下之一：'county_office'、'township'、'community'、'school'、'police_station'、'department'；"
        "parent_id：必填"
    )
    assert chinese.json() == problem
    assert _language(chinese) == "zh-CN"

    english_problem = assert_problem(english, 422, "validation")
    assert _language(english) == "en"
    assert english_problem["title"] == "Invalid request"
    assert [error["msg"] for error in english_problem["errors"]] == [
        "String should have at most 100 characters",
        "Input should be 'county_office', 'township', 'community', 'school', 'police_station' or 'department'",
        "Field required",
    ]
    assert english_problem["detail"].startswith("name: String should have at most 100 characters; kind: ")
    assert _codes(english_problem) == _codes(problem)
    assert [error["type"] for error in problem["errors"]] == ["string_too_long", "enum", "missing"]


async def test_a_field_left_blank_is_required_not_an_invalid_uuid_or_date(plain, login, county):
    # A web form sends "" for a unit or a date nobody picked: the reader is told the field is required.
    headers = await login("county_lead")
    body = {"kind": "supervision", "inspected_unit_id": "", "visited_on": "", "findings": "台账不全"}
    response = await plain.post("/api/v1/inspection-visits", json=body, headers=headers)
    problem = assert_problem(response, 422, "validation")
    assert [(error["loc"], error["type"], error["msg"]) for error in problem["errors"]] == [
        (["body", "inspected_unit_id"], "missing", "必填"),
        (["body", "visited_on"], "missing", "必填"),
    ]
    # a value that is there but wrong is still named as such
    wrong = await plain.post(
        "/api/v1/inspection-visits",
        json={**body, "inspected_unit_id": "锦湖街道", "visited_on": "2026-13-01"},
        headers=headers,
    )
    assert [
        (error["type"], error["msg"]) for error in assert_problem(wrong, 422, "validation")["errors"]
    ] == [
        ("uuid_parsing", "应为有效的 UUID"),
        ("date_from_datetime_parsing", "应为 ISO 8601 日期，例如 2026-11-20"),
    ]


async def test_401_in_chinese(plain):
    response = await plain.get(UNITS)
    problem = assert_problem(response, 401, "unauthorized")
    assert (problem["title"], problem["detail"]) == ("请先登录", "请先登录（需要访问令牌）。")
    assert _language(response) == "zh-CN"
    english = (await plain.get(UNITS, headers={"Accept-Language": "en"})).json()
    assert (english["title"], english["detail"]) == ("Authentication required", "A bearer token is required.")


async def test_403_for_a_missing_scope_names_it_in_chinese(plain, login, county):
    response = await plain.get("/api/v1/clients", headers=await login("jinhu_worker"))
    problem = assert_problem(response, 403, "forbidden")
    assert problem["title"] == "无权操作"
    assert problem["detail"] == "您没有执行此操作的权限（需要 clients:read）。"


async def test_403_of_a_service_rule_in_chinese(plain, login, county):
    # An administrator may not deactivate their own unit (units/service.py).
    own = county["units"]["瑞安市禁毒委员会办公室"]
    response = await plain.patch(f"{UNITS}/{own.id}", json={"is_active": False}, headers=await login("admin"))
    problem = assert_problem(response, 403, "forbidden")
    assert problem["detail"] == "不能停用自己所在的单位。"


async def test_404_in_chinese(plain, login, county):
    response = await plain.get(f"{UNITS}/{NO_UNIT}", headers=await login("jinhu_lead"))
    problem = assert_problem(response, 404, "not-found")
    assert (problem["title"], problem["detail"]) == ("记录不存在", "单位不存在。")


async def test_409_in_chinese_with_its_value(plain, login, county):
    body = {"name": "滨江社区", "kind": "community", "parent_id": str(county["units"]["锦湖街道"].id)}
    response = await plain.post(UNITS, json=body, headers={**await login("admin"), "Accept-Language": "zh"})
    problem = assert_problem(response, 409, "conflict")
    assert problem["title"] == "与现有数据冲突"
    assert problem["detail"] == "同一上级单位下已有名为 '滨江社区' 的单位。"


async def test_412_in_chinese_with_the_current_version(plain, login, county):
    headers = await login("admin")
    unit_id = county["units"]["滨江社区"].id
    renamed = await plain.patch(
        f"{UNITS}/{unit_id}", json={"name": "滨江新社区"}, headers={**headers, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    stale = await plain.patch(
        f"{UNITS}/{unit_id}", json={"name": "别的名字"}, headers={**headers, "If-Match": '"1"'}
    )
    problem = assert_problem(stale, 412, "precondition-failed")
    assert problem["title"] == "记录已被他人修改"
    assert problem["detail"] == "记录已更新到第 2 版，请重新加载后再修改。"
    assert problem["current_version"] == 2


async def test_422_of_a_service_check_in_chinese_with_labels(plain, login, county):
    headers = await login("admin")
    school = county["units"]["瑞安市锦湖中学"]
    body = {"name": "甲社区", "kind": "community", "parent_id": str(school.id)}
    chinese = assert_problem(await plain.post(UNITS, json=body, headers=headers), 422, "validation")
    assert chinese["errors"] == [
        {
            "loc": ["body", "parent_id"],
            "msg": "社区（村）只能设在以下类型的单位之下：乡镇（街道）",
            "type": "unit.parent_kind",
        }
    ]
    assert chinese["detail"] == "parent_id：社区（村）只能设在以下类型的单位之下：乡镇（街道）"
    english = (await plain.post(UNITS, json=body, headers={**headers, "Accept-Language": "en"})).json()
    assert english["errors"][0]["msg"] == "a community must sit under a unit of kind township"
    assert _codes(english) == _codes(chinese)

    missing_parent = {"name": "甲社区", "kind": "community", "parent_id": NO_UNIT}
    problem = assert_problem(await plain.post(UNITS, json=missing_parent, headers=headers), 422, "validation")
    assert problem["detail"] == "parent_id：单位不存在"
    assert problem["errors"][0]["type"] == "unit.not_found"


async def test_422_of_our_own_validators_and_of_the_request_contract_in_chinese(plain, login, county):
    headers = await login("admin")
    body = {
        "name": "甲社区",
        "kind": "community",
        "parent_id": str(county["units"]["锦湖街道"].id),
        "division_code": "33038",
    }
    problem = assert_problem(await plain.post(UNITS, json=body, headers=headers), 422, "validation")
    assert problem["errors"][0]["msg"] == "应为 6、9 或 12 位行政区划代码"
    assert problem["errors"][0]["type"] == "value_error"

    unknown = assert_problem(
        await plain.get(UNITS, params={"colour": "red"}, headers=headers), 422, "validation"
    )
    assert unknown["detail"] == "不认识的查询参数：colour。"
    assert unknown["errors"] == [
        {"loc": ["query", "colour"], "msg": "不认识的查询参数", "type": "query.unknown"}
    ]

    sort = assert_problem(
        await plain.get(UNITS, params={"sort": "colour"}, headers=headers), 422, "validation"
    )
    assert sort["errors"][0]["msg"] == "不能按 'colour' 排序，可用：depth, division_code, kind, name"


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("zh-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("en", "en"),
        ("EN-gb", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en;q=0.8,zh;q=0.9", "zh-CN"),
        ("fr-FR,en;q=0.5", "en"),
        ("fr-FR,de;q=0.9", "zh-CN"),
        ("en;q=0", "zh-CN"),
        ("en;q=0.5,zh;q=0.5", "en"),
        ("*", "zh-CN"),
        ("ja,*;q=0.1", "zh-CN"),
        ("en;q=abc", "zh-CN"),
        ("!!!", "zh-CN"),
    ],
)
def test_accept_language_is_read_with_its_weights(header, locale):
    assert negotiate(header) == locale


async def test_a_validator_refusal_with_values_in_chinese(plain, login, county):
    body = {
        "client_id": "school-system",
        "name": "学校系统",
        "unit_id": str(county["units"]["瑞安市锦湖中学"].id),
        "scopes": ["users:write"],
    }
    response = await plain.post("/api/v1/clients", json=body, headers=await login("admin"))
    problem = assert_problem(response, 422, "validation")
    assert [(error["loc"], error["msg"]) for error in problem["errors"]] == [
        (["body", "scopes"], "不能授予接口客户端：users:write")
    ]
    english = (
        await plain.post(
            "/api/v1/clients", json=body, headers={**await login("admin"), "Accept-Language": "en"}
        )
    ).json()
    assert english["errors"][0]["msg"] == "cannot be granted to a machine client: users:write"
    assert _codes(english) == _codes(problem)


async def test_what_the_middleware_and_routing_answer_is_in_chinese_too(make_app, login, county):
    app = make_app(max_body_bytes=2048)
    async with client_for(app) as http:
        del http.headers["Accept-Language"]
        token = (
            await http.post(
                "/api/v1/auth/token",
                data={"grant_type": "password", "username": "admin", "password": "Qinghu-Demo-2026"},
            )
        ).json()
        headers = {"Authorization": f"Bearer {token['access_token']}", "Content-Type": "application/json"}
        declared = await http.post("/api/v1/units", content=b"{" + b" " * 5000 + b"}", headers=headers)
        problem = assert_problem(declared, 413, "payload-too-large")
        assert (problem["title"], problem["detail"]) == ("提交的内容过大", "提交的内容超过 2048 字节的上限。")
        assert _language(declared) == "zh-CN"

        async def chunks():
            for _ in range(10):
                yield b" " * 1000

        streamed = await http.post("/api/v1/units", content=chunks(), headers=headers)
        assert (
            assert_problem(streamed, 413, "payload-too-large")["detail"] == "提交的内容超过 2048 字节的上限。"
        )

        not_allowed = await http.delete("/api/v1/units", headers=headers)
        problem = assert_problem(not_allowed, 405, "method-not-allowed")
        assert (problem["title"], problem["detail"]) == ("不支持此操作方式", "此地址只支持 GET, POST。")
        english = (await http.delete("/api/v1/units", headers={**headers, "Accept-Language": "en"})).json()
        assert (english["title"], english["detail"]) == (
            "Method not allowed",
            "This resource answers GET, POST.",
        )
