"""The demo county's campaigns: seed 004's checklist for the schools, seed 000's plan for the communities."""

from backend.demo.campaigns import SCHOOL_CAMPAIGN, SCREENING_CAMPAIGN, seed_demo_campaigns


async def test_demo_campaigns_are_seeded_once_with_reports_in_every_state(app, client, login):
    async with app.state.sessionmaker() as session, session.begin():
        assert await seed_demo_campaigns(session) == 2
    async with app.state.sessionmaker() as session, session.begin():
        assert await seed_demo_campaigns(session) == 0
    edu = await login("edu_officer")
    (school,) = (await client.get("/api/v1/campaigns", headers=edu)).json()["items"]
    assert school["title"] == SCHOOL_CAMPAIGN
    assert school["task_count"] == 14
    assert school["counts"]["by_status"]["approved"] == 3
    assert school["counts"]["by_status"]["returned"] == 1
    assert school["counts"]["by_status"]["submitted"] == 1
    jinhu = await login("jinhu_lead")
    titles = {
        item["title"] for item in (await client.get("/api/v1/campaigns", headers=jinhu)).json()["items"]
    }
    assert SCREENING_CAMPAIGN in titles
    teacher = await login("school_teacher")
    returned = await client.get(
        "/api/v1/task-reports", params={"status": "returned", "mine": "true"}, headers=teacher
    )
    assert returned.json()["items"][0]["review_comment"]
