"""Forgeries that keep every link consistent — a rewritten last event with its hash recomputed, a chain head
moved — are still found, by the service, the API and `qinghu audit verify`."""

import asyncio
import hashlib
import json
import sqlite3
import uuid
from datetime import datetime

import sqlalchemy as sa
from httpx import ASGITransport, AsyncClient

from backend.audit import service as audit
from backend.audit.models import AuditChainHead, AuditEvent
from tests.conftest import DEMO_PASSWORD, append_only_audit_set_aside
from tests.test_cli import cli_database, invoke  # noqa: F401 - the command line's own database

EVENTS = "/api/v1/audit-events"


def forged_hash(event: AuditEvent) -> str:
    """The hash a forger computes: SHA-256 of every column but the hash as canonical JSON (docs/privacy.md)."""
    content = {}
    for column in AuditEvent.__table__.columns.keys():  # type: ignore[attr-defined]  # noqa: SIM118 - names, not columns
        if column == "hash":
            continue
        value = getattr(event, column)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, uuid.UUID):
            value = str(value)
        content[column] = value
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _logins(client, count: int) -> None:
    for _ in range(count):
        response = await client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": "auditor", "password": DEMO_PASSWORD},
        )
        assert response.status_code == 200, response.text


async def _verify(app) -> audit.ChainReport:
    async with app.state.sessionmaker() as session:
        return await audit.verify(session)


async def test_a_forged_last_event_with_a_recomputed_hash_is_found(app, client, login, county):
    await _logins(client, 4)
    events = (await _verify(app)).events
    assert (await _verify(app)) == audit.ChainReport(True, events)
    async with app.state.sessionmaker(expire_on_commit=False) as session:
        last = await session.get(AuditEvent, events)
        session.expunge(last)
    assert last.hash == forged_hash(last)  # the forger's recipe is the real one
    last.actor_name = "someone_else"
    async with app.state.engine.begin() as connection, append_only_audit_set_aside(connection):
        await connection.execute(
            sa.text("UPDATE audit_events SET actor_name = :name, hash = :hash WHERE seq = :seq"),
            {"name": last.actor_name, "hash": forged_hash(last), "seq": events},
        )
    # Every event still follows the one before it and hashes right: only the head remembers the true last hash.
    report = await _verify(app)
    assert report == audit.ChainReport(False, events, events + 1, "events after this one were removed")
    answer = await client.get(f"{EVENTS}/verify", headers=await login("auditor"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["ok"] is False


async def test_a_chain_head_that_does_not_match_the_last_event_is_found(app, client, county):
    await _logins(client, 3)
    events = (await _verify(app)).events
    async with app.state.sessionmaker() as session, session.begin():
        head = await session.get(AuditChainHead, 1)
        assert (head.last_seq, head.last_hash) == (events, (await session.get(AuditEvent, events)).hash)
        head.last_hash = "f" * 64
    moved = audit.ChainReport(False, events, events + 1, "events after this one were removed")
    assert (await _verify(app)) == moved
    async with app.state.sessionmaker() as session, session.begin():
        head = await session.get(AuditChainHead, 1)
        head.last_hash = (await session.get(AuditEvent, events)).hash
        head.last_seq = events - 1
    assert (await _verify(app)) == moved


def test_qinghu_audit_verify_exits_non_zero_on_a_forged_chain(cli_database, tmp_path):  # noqa: F811
    from backend.main import create_app

    assert invoke("migrate").exit_code == 0
    assert invoke("seed-demo").exit_code == 0

    async def log_in() -> None:
        app = create_app()
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://cli.test") as client:
            await _logins(client, 3)
        await app.state.engine.dispose()

    asyncio.run(log_in())
    intact = invoke("audit", "verify")
    assert intact.exit_code == 0
    with sqlite3.connect(tmp_path / "cli.db") as database:
        (events,) = database.execute("SELECT max(seq) FROM audit_events").fetchone()
    assert f"Audit chain intact: {events} events." in intact.output
    with sqlite3.connect(tmp_path / "cli.db") as database:
        database.execute("UPDATE audit_chain_head SET last_hash = ?", ("0" * 64,))
    broken = invoke("audit", "verify")
    assert broken.exit_code == 1
    assert f"Audit chain broken at event {events + 1}" in broken.output
    with sqlite3.connect(tmp_path / "cli.db") as database:
        (real,) = database.execute("SELECT hash FROM audit_events WHERE seq = ?", (events,)).fetchone()
        database.execute("UPDATE audit_chain_head SET last_hash = ?", (real,))
        # The database's owner drops the append-only triggers to edit an event.
        triggers = database.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
        ).fetchall()
        for name, _ in triggers:
            database.execute(f'DROP TRIGGER "{name}"')
        database.execute("UPDATE audit_events SET reason = 'tidied up' WHERE seq = 2")
    edited = invoke("audit", "verify")
    assert edited.exit_code == 1
    assert "Audit chain broken at event 2: the event was changed after it was written" in edited.output


async def test_a_time_window_keeps_the_events_inside_it(client, login, county):
    auditor = await login("auditor")
    await login("jinhu_worker")
    events = (await client.get(EVENTS, params={"limit": 200}, headers=auditor)).json()["items"]
    logins = [event for event in events if event["action"] == "login.succeeded"]
    auditor_login, worker_login = (
        next(event for event in logins if event["actor_name"] == name) for name in ("auditor", "jinhu_worker")
    )
    assert auditor_login["at"] <= worker_login["at"]
    # `since` is inclusive, `until` exclusive: the worker's login alone in [its time, the end of time).
    window = {"action": "login.succeeded", "since": worker_login["at"], "until": "2999-01-01T00:00:00Z"}
    inside = (await client.get(EVENTS, params=window, headers=auditor)).json()["items"]
    assert worker_login["seq"] in [event["seq"] for event in inside]
    assert (
        auditor_login["seq"] not in [event["seq"] for event in inside]
        or auditor_login["at"] == worker_login["at"]
    )
    before = (await client.get(EVENTS, params={"until": worker_login["at"]}, headers=auditor)).json()["items"]
    assert worker_login["seq"] not in [event["seq"] for event in before]
    assert all(event["at"] < worker_login["at"] for event in before)


async def test_the_hash_is_taken_over_the_text_as_written_not_escaped(app, county):
    # Names and reasons are Chinese: the documented recipe hashes them as UTF-8 text (ensure_ascii=False), so a
    # verifier outside Qinghu following docs/privacy.md gets the same hash.
    async with app.state.sessionmaker() as session, session.begin():
        await audit.record(
            session,
            action="login.failed",
            actor=None,
            actor_kind="user",
            actor_name="周社工",
            reason="密码错误",
        )
    events = (await _verify(app)).events
    async with app.state.sessionmaker() as session:
        last = await session.get(AuditEvent, events)
    assert (last.actor_name, last.reason) == ("周社工", "密码错误")
    assert last.hash == forged_hash(last)
