"""The demo county's venues and pharmacy checks: seeded once, with a follow-up due and minors among the buyers."""

from backend.demo.venues import seed_demo_venues


async def test_demo_venues_and_pharmacy_checks_are_seeded_once(app, client, login):
    async with app.state.sessionmaker() as session, session.begin():
        assert await seed_demo_venues(session) == 4
    async with app.state.sessionmaker() as session, session.begin():
        assert await seed_demo_venues(session) == 0
    worker = await login("jinhu_worker")
    venues = (await client.get("/api/v1/venues", headers=worker)).json()
    assert venues["total"] == 4
    due = (await client.get("/api/v1/venues", params={"follow_up_due": "true"}, headers=worker)).json()
    assert [venue["name"] for venue in due["items"]] == ["极速网吧（锦湖店）"]
    shop = (await client.get("/api/v1/venues", params={"kind": "small_shop"}, headers=worker)).json()
    assert shop["items"][0]["school"]["name"] == "瑞安市锦湖中学"
    minors = await client.get("/api/v1/pharmacy-checks", params={"minor_buyer": "true"}, headers=worker)
    assert sorted(check["buyer_age_band"] for check in minors.json()["items"]) == ["16_17", "under_14"]
    assert (await client.get("/api/v1/venues", headers=await login("other_worker"))).json()["total"] == 0
