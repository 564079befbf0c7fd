"""An API process killed mid-request (SIGKILL: no shutdown, no rollback by the app): a police system's retry with
the same Idempotency-Key, against the restarted server, gets exactly one result — on SQLite and PostgreSQL.

The push is held mid-transaction by a lock taken from outside (PostgreSQL: the idempotency table locked against
writes, so the push has written its minor and notice and waits to store its answer; SQLite: the database's
write lock), the server process is killed while it waits, and a new one is started on the same database.
"""

import asyncio
import random
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from backend.db import local_today, make_engine
from backend.demo.people import synthetic_person
from backend.idempotency import IdempotencyRecord
from backend.minors.models import Minor
from backend.seizures.models import SeizureNotice
from tests.conftest import client_token, database_url, make_settings
from tests.instances import ApiProcesses
from tests.seizures.conftest import notice_body


@contextmanager
def _api_process(database: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A real uvicorn serving the app on the test database, on a loopback port of its own; killed when left."""
    processes = ApiProcesses(make_settings(database), instances=1)
    try:
        yield processes.processes[0], processes.bases[0]
    finally:
        processes.processes[0].send_signal(signal.SIGKILL)
        processes.stop()


@asynccontextmanager
async def _push_held_midway(database: str) -> AsyncIterator[None]:
    """Hold pushes partway through their transaction until the block is left."""
    engine = make_engine(database_url(database))
    try:
        async with engine.connect() as holder:
            if database == "postgresql":
                await holder.execute(sa.text("LOCK TABLE idempotency_keys IN EXCLUSIVE MODE"))
            else:
                await holder.exec_driver_sql("BEGIN IMMEDIATE")
            yield
            await holder.rollback()
    finally:
        await engine.dispose()


async def _wait_until_the_push_waits(database: str) -> None:
    if database == "sqlite":
        await asyncio.sleep(1.5)  # the push reads, then waits for the write lock (busy timeout: 30 s)
        return
    # From a connection of its own: within a transaction, pg_stat_activity is read once and kept.
    engine = make_engine(database_url(database))
    try:
        for _ in range(300):
            async with engine.connect() as observer:
                waiting = await observer.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND query ILIKE '%idempotency_keys%'"
                    )
                )
            if waiting:
                return
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()
    raise AssertionError("the push never reached the lock")


async def _client_token(base: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base) as http:
        return await client_token(http)


async def _stored(app: Any, notice_no: str) -> tuple[list[str], int, int]:
    async with app.state.sessionmaker() as session:
        notices = (
            await session.scalars(sa.select(SeizureNotice.id).where(SeizureNotice.notice_no == notice_no))
        ).all()
        keys = await session.scalar(sa.select(sa.func.count()).select_from(IdempotencyRecord))
        minors = await session.scalar(sa.select(sa.func.count()).select_from(Minor))
    return [str(notice) for notice in notices], keys, minors


async def test_a_push_whose_process_is_killed_midway_is_stored_once_on_retry(database, app, county):
    body = notice_body(synthetic_person(random.Random(20261203), today=local_today()))
    key = str(uuid.uuid4())

    with _api_process(database) as (process, base):
        headers = {**await _client_token(base), "Idempotency-Key": key}
        async with (
            _push_held_midway(database),
            httpx.AsyncClient(base_url=base, timeout=60) as http,
        ):
            push = asyncio.create_task(http.post("/api/v1/seizure-notices", json=body, headers=headers))
            await _wait_until_the_push_waits(database)
            process.send_signal(signal.SIGKILL)
            with pytest.raises(httpx.TransportError):
                await push
    # Nothing of the killed request was kept.
    assert await _stored(app, body["notice_no"]) == ([], 0, 0)

    with _api_process(database) as (_process, base):
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            first = await http.post("/api/v1/seizure-notices", json=body, headers=headers)
            again = await http.post("/api/v1/seizure-notices", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert await _stored(app, body["notice_no"]) == ([first.json()["id"]], 1, 1)


async def test_a_push_answered_just_before_its_process_died_is_answered_again(database, app, county):
    """The answer was lost with the process (killed before the client read it): the retry to a new process
    gets that answer, and nothing is stored twice."""
    body = notice_body(synthetic_person(random.Random(20261204), today=local_today()))
    key = str(uuid.uuid4())
    with _api_process(database) as (process, base):
        headers = {**await _client_token(base), "Idempotency-Key": key}
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            lost = await http.post("/api/v1/seizure-notices", json=body, headers=headers)
        process.send_signal(signal.SIGKILL)
    assert lost.status_code == 201, lost.text
    with _api_process(database) as (_process, base):
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            retried = await http.post("/api/v1/seizure-notices", json=body, headers=headers)
    assert retried.status_code == 200, retried.text
    assert retried.json() == lost.json()
    assert await _stored(app, body["notice_no"]) == ([lost.json()["id"]], 1, 1)
