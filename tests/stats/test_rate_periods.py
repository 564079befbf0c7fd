"""The education bureau's client reads the rates as aggregates only, never the records behind them, so its periods
are whole calendar months that have ended: two periods a day apart, or one that ends today, would otherwise give
a township's counts of one day, or of the few days of this month, by subtraction (docs/statistics.md, "Periods").
Leads and auditors, who read the records themselves, get the period they ask for."""

from datetime import date, timedelta

import pytest

from backend.db import local_today
from tests.conftest import assert_problem

RATES = "/api/v1/stats/rates"


def _last_ended_month_end(today: date) -> date:
    # Written out here rather than taken from the router: the day before this month's first.
    return date(today.year, today.month, 1) - timedelta(days=1)


async def test_the_bureau_gets_the_whole_months_around_the_days_it_asks_for(
    client, county, edu_bureau_client
):
    response = await client.get(
        RATES, params={"period_from": "2026-03-10", "period_to": "2026-04-20"}, headers=edu_bureau_client
    )
    assert response.status_code == 200, response.text
    assert response.json()["period"] == {"start": "2026-03-01", "end": "2026-04-30", "as_of": "2026-04-30"}


async def test_two_periods_a_day_apart_give_the_bureau_the_same_figures(client, county, edu_bureau_client):
    answers = []
    for last_day in ("2026-04-14", "2026-04-15"):
        response = await client.get(
            RATES, params={"period_from": "2026-01-01", "period_to": last_day}, headers=edu_bureau_client
        )
        assert response.status_code == 200, response.text
        answers.append(response.json())
    assert answers[0] == answers[1]
    assert answers[0]["period"] == {"start": "2026-01-01", "end": "2026-04-30", "as_of": "2026-04-30"}


async def test_the_bureaus_default_is_the_year_of_the_last_ended_month(client, county, edu_bureau_client):
    response = await client.get(RATES, headers=edu_bureau_client)
    assert response.status_code == 200, response.text
    end = _last_ended_month_end(local_today())
    assert response.json()["period"] == {
        "start": date(end.year, 1, 1).isoformat(),
        "end": end.isoformat(),
        "as_of": end.isoformat(),
    }


async def test_the_bureau_cannot_read_the_month_under_way(client, county, edu_bureau_client):
    today = local_today()
    body = assert_problem(
        await client.get(
            RATES,
            params={
                "period_from": date(today.year, today.month, 1).isoformat(),
                "period_to": today.isoformat(),
            },
            headers=edu_bureau_client,
        ),
        422,
        "validation",
    )
    assert body["errors"][0]["loc"] == ["query", "period_from"]
    assert body["errors"][0]["type"] == "period.month_open"


async def test_a_period_stretched_to_whole_months_stays_within_a_year(client, county, edu_bureau_client):
    # 365 days as asked, 13 months once widened to whole months.
    body = assert_problem(
        await client.get(
            RATES, params={"period_from": "2025-03-15", "period_to": "2026-03-14"}, headers=edu_bureau_client
        ),
        422,
        "validation",
    )
    assert body["errors"][0]["loc"] == ["query", "period_to"]
    assert body["errors"][0]["type"] == "period.too_long"


@pytest.mark.parametrize("username", ["county_lead", "auditor"])
async def test_leads_and_auditors_get_the_days_they_ask_for(client, login, county, username):
    response = await client.get(
        RATES, params={"period_from": "2026-03-10", "period_to": "2026-04-20"}, headers=await login(username)
    )
    assert response.status_code == 200, response.text
    assert response.json()["period"] == {"start": "2026-03-10", "end": "2026-04-20", "as_of": "2026-04-20"}


async def test_the_month_under_way_in_chinese(client, county, edu_bureau_client):
    today = local_today()
    response = await client.get(
        RATES,
        params={"period_from": date(today.year, today.month, 1).isoformat()},
        headers={**edu_bureau_client, "Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["msg"] == "仅提供已结束的整月数据"
