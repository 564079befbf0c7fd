"""Faults: the database's server processes terminated while requests read and write (PostgreSQL's
`pg_terminate_backend`, what a restart or a failover does to them).

Every answer is then either the normal one or 503 problem+json with `Retry-After` — never a 500; nothing is
half-written; the audit chain stays intact; and once the database is back, requests succeed without restarting
the app, on connections that are all sound (none handed out in the state the terminated ones were left in).
"""

import asyncio
import random
import time
import uuid
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from backend.audit import service as audit
from backend.audit.models import AuditEvent
from backend.db import local_today, make_engine
from backend.demo.people import synthetic_person
from backend.idempotency import IdempotencyRecord
from backend.minors.models import Minor
from backend.seizures.models import SeizureNotice
from tests.conftest import assert_problem, client_token, database_url
from tests.minors.conftest import minor_body
from tests.seizures.conftest import notice_body

# Bounded: the faults last this long, the server processes are ended this often.
FAULT_SECONDS = 3.0
KILL_EVERY = 0.25


@pytest.fixture
async def postgresql(database: str) -> str:
    if database != "postgresql":
        pytest.skip("terminating server processes needs PostgreSQL")
    return database


async def _terminate_backends_until(stop: asyncio.Event) -> int:
    """End every server process of the test database but this one, again and again until ``stop``."""
    engine = make_engine(database_url("postgresql"))
    ended = 0
    try:
        while not stop.is_set():
            await asyncio.sleep(KILL_EVERY)
            async with engine.connect() as killer:
                ended += await killer.scalar(
                    sa.text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            await engine.dispose()
    finally:
        await engine.dispose()
    return ended


def _assert_ok_or_unavailable(response: Any, ok: int) -> None:
    if response.status_code == 503:
        assert_problem(response, 503, "service-unavailable")
        assert response.headers["Retry-After"] == "5"
    else:
        assert response.status_code == ok, response.text


async def _after_the_faults_every_connection_is_sound(client: Any, headers: dict[str, str]) -> None:
    """More concurrent requests than the pool keeps: each one succeeds, so no pooled connection is broken."""
    await asyncio.sleep(0.2)  # the driver sees the sockets the server closed
    answers = await asyncio.gather(*(client.get("/api/v1/minors", headers=headers) for _ in range(25)))
    assert [answer.status_code for answer in answers] == [200] * 25


async def test_reads_and_registrations_while_the_server_ends_connections(postgresql, app, client, login):
    headers = await login("jinhu_worker")
    rng = random.Random(20261201)
    answers: Counter[tuple[str, int]] = Counter()
    registered: dict[str, int] = {}  # id number → status answered
    stop = asyncio.Event()

    async def caseworker() -> None:
        while not stop.is_set():
            if rng.random() < 0.5:
                response = await client.get("/api/v1/minors", headers=headers)
                _assert_ok_or_unavailable(response, 200)
                answers["read", response.status_code] += 1
            else:
                someone = synthetic_person(rng, today=local_today())
                response = await client.post("/api/v1/minors", json=minor_body(someone), headers=headers)
                _assert_ok_or_unavailable(response, 201)
                answers["write", response.status_code] += 1
                registered[someone.id_number] = response.status_code

    killer = asyncio.create_task(_terminate_backends_until(stop))
    workers = [asyncio.create_task(caseworker()) for _ in range(8)]
    await asyncio.sleep(FAULT_SECONDS)
    stop.set()
    await asyncio.gather(*workers)
    assert await killer > 0
    # The faults were felt, and requests still got through between them.
    assert answers["read", 503] + answers["write", 503] > 0, answers
    assert answers["read", 200] > 0, answers

    await _after_the_faults_every_connection_is_sound(client, headers)
    async with app.state.sessionmaker() as session:
        stored_hashes = set((await session.scalars(sa.select(Minor.id_number_hash))).all())
        created_events = await session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "minor.created")
        )
        chain = await audit.verify(session)

    def hashed(number: str) -> str:
        return app.state.cipher.lookup_hash(number, context="id_number:mainland_id")

    stored = {number for number in registered if hashed(number) in stored_hashes}
    assert len(stored) == len(stored_hashes)
    # Every registration answered 201 is stored; one answered 503 may have been committed just before its
    # connection went (the client's retry then finds it: a second registration returns the existing record).
    assert {number for number, status in registered.items() if status == 201} <= stored
    # All or nothing: each stored minor has its audit event, none an event without the minor.
    assert created_events == len(stored)
    assert chain.ok, chain


async def test_pushes_retried_with_their_key_through_the_faults_are_stored_once(
    postgresql, app, client, county
):
    bearer = await client_token(client)
    rng = random.Random(20261202)
    answered: dict[str, dict[str, Any]] = {}
    tries: Counter[int] = Counter()
    stop = asyncio.Event()

    async def police_system() -> None:
        while not stop.is_set():
            key = str(uuid.uuid4())
            body = notice_body(synthetic_person(rng, today=local_today()))
            # The reference client's policy: retry a 503 with the same key until answered.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                response = await client.post(
                    "/api/v1/seizure-notices", json=body, headers={**bearer, "Idempotency-Key": key}
                )
                tries[response.status_code] += 1
                if response.status_code != 503:
                    break
                _assert_ok_or_unavailable(response, 201)
                await asyncio.sleep(0.05)
            assert response.status_code in (200, 201), response.text
            answered[key] = response.json()

    killer = asyncio.create_task(_terminate_backends_until(stop))
    systems = [asyncio.create_task(police_system()) for _ in range(4)]
    await asyncio.sleep(FAULT_SECONDS)
    stop.set()
    await asyncio.gather(*systems)
    await killer
    assert tries[503] > 0, tries

    # The killer's last round may have ended idle pooled connections: let the driver see their sockets close.
    await asyncio.sleep(0.2)
    async with app.state.sessionmaker() as session:
        notices = (await session.scalars(sa.select(SeizureNotice))).all()
        keys = (await session.scalars(sa.select(IdempotencyRecord.key))).all()
        received_events = await session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "seizure_notice.received")
        )
        minors = set((await session.scalars(sa.select(Minor.id))).all())
        chain = await audit.verify(session)
    # Exactly one notice per key, the one the client was answered with; each with its minor and audit event.
    assert sorted(keys) == sorted(answered)
    assert sorted(str(notice.id) for notice in notices) == sorted(
        answer["id"] for answer in answered.values()
    )
    assert {notice.minor_id for notice in notices} <= minors
    assert received_events == len(notices)
    assert chain.ok, chain


async def test_a_database_that_comes_back_is_used_without_a_restart(postgresql, app, client, login):
    """Every connection ended at once, with no request in flight: the next requests are answered normally."""
    headers = await login("county_lead")
    warm = await asyncio.gather(*(client.get("/api/v1/units", headers=headers) for _ in range(8)))
    assert {answer.status_code for answer in warm} == {200}
    engine = make_engine(database_url("postgresql"))
    async with engine.connect() as killer:
        await killer.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    await engine.dispose()
    await _after_the_faults_every_connection_is_sound(client, headers)
