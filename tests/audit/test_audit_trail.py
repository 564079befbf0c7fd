"""The audit trail: what is recorded, who reads it, and a chain that names the first broken link."""

import asyncio

import pytest
import sqlalchemy as sa

from backend.audit import service as audit
from backend.audit.models import AuditAction, AuditEvent
from backend.request_context import request_id_var
from tests.conftest import append_only_audit_set_aside, assert_problem, password_token

EVENTS = "/api/v1/audit-events"


async def test_logins_and_administration_are_recorded(client, login, county):
    admin = await login("admin")
    await client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "jinhu_worker", "password": "wrong"}
    )
    jinhu = county["units"]["锦湖街道"]
    created = await client.post(
        "/api/v1/units",
        json={"name": "新社区", "kind": "community", "parent_id": str(jinhu.id)},
        headers=admin,
    )
    events = (await client.get(EVENTS, params={"limit": 200}, headers=await login("auditor"))).json()["items"]
    actions = [event["action"] for event in events]
    assert actions[0] == "login.succeeded"  # newest first: the auditor's own login
    assert "unit.created" in actions
    failure = next(event for event in events if event["action"] == "login.failed")
    assert failure["actor_name"] == "jinhu_worker"
    assert failure["reason"] == "wrong password"
    unit_event = next(event for event in events if event["action"] == "unit.created")
    assert unit_event["object_id"] == created.json()["id"]
    assert unit_event["actor_name"] == "admin"
    assert unit_event["request_id"] == created.headers["X-Request-ID"]


async def test_unknown_usernames_are_not_written_down(app, client, county):
    await client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "MyPassw0rd!", "password": "x"}
    )
    async with app.state.sessionmaker() as session:
        names = (await session.scalars(sa.select(AuditEvent.actor_name))).all()
    assert "mypassw0rd!" not in {name.lower() for name in names}


async def test_readers_see_their_subtree_and_others_may_not_read(client, login, county):
    await login("other_worker")  # a login in 安阳街道
    await login("jinhu_worker")
    lead_events = (await client.get(EVENTS, params={"limit": 200}, headers=await login("jinhu_lead"))).json()[
        "items"
    ]
    names = {event["actor_name"] for event in lead_events}
    assert "jinhu_worker" in names
    assert "other_worker" not in names
    for username in ("jinhu_worker", "school_teacher", "edu_officer", "admin"):
        assert_problem(await client.get(EVENTS, headers=await login(username)), 403)


async def test_filters(client, login, county):
    auditor = await login("auditor")
    await login("jinhu_worker")
    only_logins = (await client.get(EVENTS, params={"action": "login.succeeded"}, headers=auditor)).json()
    assert {event["action"] for event in only_logins["items"]} == {"login.succeeded"}
    worker_id = (await client.get("/api/v1/me", headers=await login("jinhu_worker"))).json()["id"]
    by_actor = (await client.get(EVENTS, params={"actor_id": worker_id}, headers=auditor)).json()
    assert {event["actor_name"] for event in by_actor["items"]} == {"jinhu_worker"}
    later = (await client.get(EVENTS, params={"since": "2999-01-01T00:00:00Z"}, headers=auditor)).json()
    assert later["total"] == 0
    assert_problem(await client.get(EVENTS, params={"since": "yesterday"}, headers=auditor), 422)


async def test_the_chain_verifies_and_stays_whole_under_concurrent_writers(client, login, county):
    await asyncio.gather(
        *(password_token(client, name) for name in ("jinhu_worker", "jinhu_lead", "other_worker", "auditor"))
    )
    report = (await client.get(f"{EVENTS}/verify", headers=await login("auditor"))).json()
    assert report["ok"] is True
    assert report["events"] >= 30  # the demo county's creation events and the logins
    assert report.get("first_broken") is None


async def _tamper(app, statement: str, **params) -> None:
    # Someone with the database owner's rights goes around the append-only triggers.
    async with app.state.engine.begin() as connection, append_only_audit_set_aside(connection):
        await connection.execute(sa.text(statement), params)


async def _verify(app):
    async with app.state.sessionmaker() as session:
        return await audit.verify(session)


@pytest.mark.parametrize(
    ("statement", "broken", "problem"),
    [
        (
            "UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 5",
            5,
            "the event was changed after it was written",
        ),
        ("DELETE FROM audit_events WHERE seq = 7", 7, "an event is missing"),
        (
            "UPDATE audit_events SET seq = CASE seq WHEN 9 THEN 1009 WHEN 10 THEN 9 END WHERE seq IN (9, 10);"
            "UPDATE audit_events SET seq = 10 WHERE seq = 1009",
            9,
            "the event does not follow the one before it",
        ),
        (
            "DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)",
            None,
            "events after this one were removed",
        ),
    ],
    ids=["edited", "deleted", "reordered", "tail-removed"],
)
async def test_tampering_is_found_and_the_first_broken_link_named(app, county, statement, broken, problem):
    assert (await _verify(app)).ok
    for part in statement.split(";"):
        await _tamper(app, part)
    report = await _verify(app)
    assert report.ok is False
    assert report.problem == problem
    if broken is not None:
        # The events before the broken one are counted as sound.
        assert (report.first_broken, report.events) == (broken, broken - 1)
    else:
        assert report.first_broken == report.events + 1


@pytest.mark.parametrize(
    ("statement", "refused"),
    [
        ("UPDATE audit_events SET reason = 'x' WHERE seq = 1", "UPDATE"),
        ("DELETE FROM audit_events WHERE seq = 1", "DELETE"),
        ("DELETE FROM audit_events", "DELETE"),
    ],
)
async def test_the_database_refuses_update_and_delete_of_events(app, county, statement, refused):
    """Both databases: PostgreSQL's trigger function, SQLite's triggers (in the migrations, not the code)."""
    async with app.state.sessionmaker() as session:
        before = (await session.execute(sa.text("SELECT seq, reason FROM audit_events ORDER BY seq"))).all()
    assert len(before) > 1
    with pytest.raises(sa.exc.DBAPIError, match=rf"audit events are append-only \({refused} refused\)"):
        async with app.state.engine.begin() as connection:
            await connection.execute(sa.text(statement))
    async with app.state.sessionmaker() as session:
        after = (await session.execute(sa.text("SELECT seq, reason FROM audit_events ORDER BY seq"))).all()
    assert after == before
    assert (await _verify(app)).ok


async def test_the_api_reports_a_broken_chain(app, client, login, county):
    await _tamper(app, "UPDATE audit_events SET actor_name = 'someone' WHERE seq = 3")
    report = (await client.get(f"{EVENTS}/verify", headers=await login("auditor"))).json()
    assert report == {
        "ok": False,
        "events": 2,
        "first_broken": 3,
        "problem": "the event was changed after it was written",
    }


async def test_only_read_events_skip_waiting_for_the_disk(app, county):
    """A detail view or look-up does not wait for the WAL flush; every other event does (PostgreSQL)."""
    async with app.state.engine.connect() as probe:
        if probe.dialect.name != "postgresql":
            pytest.skip("synchronous_commit is PostgreSQL's")
    for durable, expected in ((True, "on"), (False, "off")):
        async with app.state.sessionmaker() as session:
            seen: list[str] = []

            def at_commit(sync_session, seen: list[str] = seen) -> None:  # after the audit trail's own hook
                seen.append(sync_session.scalar(sa.text("SHOW synchronous_commit")))

            sa.event.listen(session.sync_session, "before_commit", at_commit)
            await audit.record(session, action=AuditAction.minor_viewed, actor=None, durable=durable)
            await session.commit()
            assert seen == [expected]
        async with app.state.sessionmaker() as session:
            # SET LOCAL ends with its transaction: the next one is durable again.
            assert await session.scalar(sa.text("SHOW synchronous_commit")) == "on"


async def test_each_event_names_the_acting_persons_unit(client, login, county):
    await login("jinhu_worker")
    events = (
        await client.get(
            EVENTS, params={"action": "login.succeeded", "limit": 200}, headers=await login("auditor")
        )
    ).json()["items"]
    worker = next(event for event in events if event["actor_name"] == "jinhu_worker")
    assert worker["actor_unit"]["name"] == "锦湖街道"
    assert worker["actor_unit"]["kind"] == "township"


async def test_events_join_the_chain_with_their_transaction_or_not_at_all(app, county):
    """Events are numbered and chained at commit: a rolled-back transaction leaves none and no gap."""
    async with app.state.sessionmaker() as session:
        before = await session.scalar(sa.select(sa.func.max(AuditEvent.seq)))
    async with app.state.sessionmaker() as session:
        await audit.record(session, action=AuditAction.minor_viewed, actor=None, object_id="rolled-back")
        await session.execute(sa.select(1))
        await session.rollback()
        # The same session's next transaction starts with nothing pending.
        for name in ("first", "second"):
            await audit.record(session, action=AuditAction.minor_viewed, actor=None, object_id=name)
        await session.commit()
    async with app.state.sessionmaker() as session:
        events = (
            await session.execute(sa.select(AuditEvent.seq, AuditEvent.object_id).order_by(AuditEvent.seq))
        ).all()
        report = await audit.verify(session)
    assert [(seq, name) for seq, name in events if seq > (before or 0)] == [
        ((before or 0) + 1, "first"),
        ((before or 0) + 2, "second"),
    ]
    assert report.ok


async def test_transactions_with_one_or_many_events_chain_alike(app, county):
    """One event, a few (one statement with the new head on PostgreSQL) or many (a bulk change) per commit."""
    async with app.state.sessionmaker() as session:
        before = await session.scalar(sa.select(sa.func.max(AuditEvent.seq))) or 0
    for count in (1, 3, 9):
        async with app.state.sessionmaker() as session:
            for i in range(count):
                await audit.record(
                    session, action=AuditAction.minor_viewed, actor=None, object_id=f"{count}-{i}"
                )
            await session.commit()
    async with app.state.sessionmaker() as session:
        names = (
            await session.scalars(
                sa.select(AuditEvent.object_id).where(AuditEvent.seq > before).order_by(AuditEvent.seq)
            )
        ).all()
        report = await audit.verify(session)
    assert names == [f"{count}-{i}" for count in (1, 3, 9) for i in range(count)]
    assert report.ok


async def test_an_event_names_the_actors_own_unit_not_the_objects_and_is_listed_once(client, login, county):
    # The administrator (county office) creates a community under 锦湖街道: the event belongs to the new unit,
    # the actor's unit is the county office. Each event is one row of the list, however many people there are.
    admin = await login("admin")
    created = await client.post(
        "/api/v1/units",
        json={"name": "新社区", "kind": "community", "parent_id": str(county["units"]["锦湖街道"].id)},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    page = (await client.get(EVENTS, params={"limit": 200}, headers=await login("auditor"))).json()
    unit_event = next(event for event in page["items"] if event["action"] == "unit.created")
    assert unit_event["object_id"] == created.json()["id"]
    assert unit_event["actor_name"] == "admin"
    assert unit_event["actor_unit"]["name"] == "瑞安市禁毒委员会办公室"
    seqs = [event["seq"] for event in page["items"]]
    assert len(seqs) == len(set(seqs)) == page["total"]


async def test_readers_without_the_sensitive_class_get_a_case_event_without_its_case_facts(
    app, client, login, county
):
    # A care file's event with a reason that is a case fact, a sensitive field among its fields and the
    # request's id (docs/privacy.md): the auditor sees none of the three, the county lead all of them.
    token = request_id_var.set("req-case-42")
    try:
        async with app.state.sessionmaker() as session, session.begin():
            await audit.record(
                session,
                action="care_file.opened",
                actor=None,
                actor_kind="user",
                actor_name="jinhu_worker",
                unit_id=county["units"]["锦湖街道"].id,
                object_type="care_file",
                object_id="9b0d6f1e-1c2d-4e3f-8a4b-5c6d7e8f9a0b",
                fields=["risk_categories", "plan"],
                reason="吸毒史：复吸",
            )
    finally:
        request_id_var.reset(token)
    params = {"action": "care_file.opened"}
    (seen_by_auditor,) = (await client.get(EVENTS, params=params, headers=await login("auditor"))).json()[
        "items"
    ]
    assert (seen_by_auditor["reason"], seen_by_auditor["fields"], seen_by_auditor["request_id"]) == (
        None,
        ["plan"],
        None,
    )
    (seen_by_lead,) = (await client.get(EVENTS, params=params, headers=await login("county_lead"))).json()[
        "items"
    ]
    assert (seen_by_lead["reason"], seen_by_lead["fields"], seen_by_lead["request_id"]) == (
        "吸毒史：复吸",
        ["plan", "risk_categories"],
        "req-case-42",
    )


async def test_events_filtered_by_object_type_and_object_id(client, login, county):
    admin = await login("admin")
    jinhu = county["units"]["锦湖街道"].id
    first, second = [
        (
            await client.post(
                "/api/v1/units",
                json={"name": name, "kind": "community", "parent_id": str(jinhu)},
                headers=admin,
            )
        ).json()["id"]
        for name in ("东社区", "西社区")
    ]
    auditor = await login("auditor")
    units = (await client.get(EVENTS, params={"object_type": "unit"}, headers=auditor)).json()["items"]
    assert {event["object_type"] for event in units} == {"unit"}
    assert {first, second} <= {event["object_id"] for event in units}
    one = (await client.get(EVENTS, params={"object_id": second}, headers=auditor)).json()["items"]
    assert [(event["action"], event["object_id"]) for event in one] == [("unit.created", second)]
