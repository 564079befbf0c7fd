"""One app per database: every test runs on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set.

The schema is built by the migrations (``upgrade head``), never by ``create_all``; each test starts from
empty tables.
"""

import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_TMP = Path(tempfile.mkdtemp(prefix="qinghu-tests-"))
# Set before anything reads settings: test keys in a temp dir, cheap argon2, nothing from the developer's env.
os.environ.update(
    {
        "QINGHU_ENV": "test",
        "QINGHU_KEYS_FILE": str(_TMP / "keys.json"),
        "QINGHU_ARGON2_TIME_COST": "1",
        "QINGHU_ARGON2_MEMORY_COST": "8192",
        "QINGHU_ARGON2_PARALLELISM": "1",
        "QINGHU_LOG_LEVEL": "WARNING",
        "QINGHU_FRONTEND_DIST": str(_TMP / "no-frontend"),
        "QINGHU_STORAGE_DIR": str(_TMP / "files"),
        "QINGHU_DATABASE_URL": f"sqlite+aiosqlite:///{_TMP / 'default.db'}",
    }
)
for name in ("QINGHU_DEMO_PASSWORD", "QINGHU_DEMO_CLIENT_SECRET"):
    os.environ.pop(name, None)

from backend.db import local_today, make_engine  # noqa: E402
from backend.demo.seed import DemoCredentials, seed_demo_county  # noqa: E402
from backend.main import create_app  # noqa: E402
from backend.migrate import upgrade_to_head_async  # noqa: E402
from backend.models import metadata  # noqa: E402
from backend.settings import Settings, async_database_url  # noqa: E402
from tests import instances  # noqa: E402

DEMO_PASSWORD = "Qinghu-Demo-2026"
DEMO_CLIENT_SECRET = "qinghu-demo-client-secret-2026"


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    # Written as operators write it (postgresql://…), read as the app reads QINGHU_DATABASE_URL.
    url = async_database_url(url)
    # Parallel workers (pytest -n) each get a database of their own beside the one named.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        parsed = sa.engine.make_url(url)
        url = parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)
    return url


async def _create_postgres_database_if_missing(url: str) -> None:
    from backend.db import make_engine

    target = sa.engine.make_url(url)
    engine = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        exists = await connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            await connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    await engine.dispose()


# QINGHU_TEST_DATABASES=sqlite (or postgresql) runs one database's half of the suite: `make test` measures
# coverage on the SQLite half, and `make mutation` runs each mutant on SQLite alone.
_ONLY = os.environ.get("QINGHU_TEST_DATABASES")
DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(_postgres_url() is None, reason="TEST_DATABASE_URL not set"),
    ),
]
if _ONLY:
    DATABASES = [param for param in DATABASES if param.values[0] == _ONLY]
    assert DATABASES, f"QINGHU_TEST_DATABASES={_ONLY}: sqlite or postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The PostgreSQL half leaves out what does not touch a database: the SQLite half has run it.
    if _ONLY != "postgresql":
        return
    dropped = [item for item in items if "database" not in getattr(item, "fixturenames", ())]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if "database" in getattr(item, "fixturenames", ())]


def database_url(kind: str) -> str:
    if kind == "sqlite":
        # One file per process: mutation testing forks a test run per mutant, several at once.
        return f"sqlite+aiosqlite:///{_TMP / f'test-{os.getpid()}.db'}"
    url = _postgres_url()
    assert url
    return url


def make_settings(kind: str, **overrides: Any) -> Settings:
    overrides.setdefault("database_url", database_url(kind))
    return Settings(**overrides)


@pytest.fixture(scope="session", params=DATABASES)
async def database(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """The database kind, migrated to head once per session."""
    kind: str = request.param
    settings = make_settings(kind)
    if kind == "postgresql":
        if os.environ.get("PYTEST_XDIST_WORKER"):
            await _create_postgres_database_if_missing(settings.database_url)
        await _reset_postgres(settings.database_url)
    await upgrade_to_head_async(settings)
    yield kind
    if kind == "sqlite":
        (_TMP / f"test-{os.getpid()}.db").unlink(missing_ok=True)


async def _reset_postgres(url: str) -> None:
    from backend.db import make_engine

    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        await connection.execute(sa.text("CREATE SCHEMA public"))
    await engine.dispose()


@asynccontextmanager
async def append_only_audit_set_aside(connection: AsyncConnection) -> AsyncIterator[None]:
    """Within the block, the audit trail takes UPDATE and DELETE, as a database owner could make it: on
    PostgreSQL its trigger is skipped for this transaction; on SQLite its triggers are dropped and put back as
    they were. In a savepoint, so that the triggers are back even when the block fails (SQLite's DDL is
    transactional). For cleaning up and for tampering tests; the app never does this."""
    if connection.dialect.name == "postgresql":
        await connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        yield
        return
    triggers = (
        await connection.execute(
            sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
            )
        )
    ).all()
    async with connection.begin_nested():
        for name, _ in triggers:
            await connection.execute(sa.text(f'DROP TRIGGER "{name}"'))
        yield
        for _, statement in triggers:
            await connection.execute(sa.text(statement))


async def empty_tables(engine: AsyncEngine) -> None:
    """Every table of the test database emptied, the audit trail's included."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # One round trip of DELETEs, triggers set aside (the audit trail's among them). Not TRUNCATE: it makes
            # new files for every table and index, about a second for these few rows, most of a test's time.
            deletes = "; ".join(f'DELETE FROM "{table.name}"' for table in reversed(metadata.sorted_tables))  # noqa: S608 - our table names
            await connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            await connection.exec_driver_sql(f"DO $$ BEGIN {deletes}; END $$")
            return
        async with append_only_audit_set_aside(connection):
            for table in reversed(metadata.sorted_tables):
                await connection.execute(table.delete())


@pytest.fixture
async def make_app(database: str) -> AsyncIterator[Callable[..., FastAPI]]:
    """Build an app on the test database, with settings overridden where a test needs it."""
    apps: list[FastAPI] = []

    def build(**overrides: Any) -> FastAPI:
        app = create_app(make_settings(database, **overrides))
        apps.append(app)
        return app

    yield build
    for app in apps:
        await app.state.engine.dispose()
    engine = make_engine(database_url(database))
    await empty_tables(engine)
    await engine.dispose()


# The app of the default settings, per database kind: built once per process and handed to every test that
# asks for `app`. FastAPI works out a route's parameters and models the first time an app matches a request to
# it, about a third of a test's CPU time when each test built its own app. Between requests the app keeps only
# what its settings make (engine, cipher, sessionmaker); its engine's connections are closed after each test
# and the tables emptied as before. Settings that differ (an environment variable a fixture set) get a new app.
_DEFAULT_APPS: dict[str, FastAPI] = {}


@pytest.fixture
async def app(make_app: Callable[..., FastAPI], database: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(database)
    shared = _DEFAULT_APPS.get(database)
    if shared is None or shared.state.settings != settings:
        shared = _DEFAULT_APPS[database] = create_app(settings)
    yield shared
    await shared.state.engine.dispose()


# The server answers in Chinese unless a client asks for English (backend/messages.py). The suite's clients ask
# for English so that its many assertions on messages read as the code writes them; tests/test_messages.py and
# tests/test_message_language.py ask for Chinese (or send no Accept-Language) and assert the Chinese texts.
TEST_HEADERS = {"Accept-Language": "en"}


def client_for(app: FastAPI, **kwargs: Any) -> AsyncClient:
    if instances.INSTANCES > 1:
        # Several real API processes on the app's settings and database, taking turns (tests/instances.py).
        peer = kwargs.get("client")
        transport = instances.TakingTurns(
            instances.processes_for(app.state.settings), forwarded_for=peer[0] if peer else None
        )
        return AsyncClient(transport=transport, base_url="http://qinghu.test", headers=TEST_HEADERS)
    return AsyncClient(
        transport=ASGITransport(app=app, **kwargs), base_url="http://qinghu.test", headers=TEST_HEADERS
    )


# Module-level caches of what the mutated modules build (statements, shapes, verified tokens). mutmut forks each
# mutant from a runner that has already run the tests unmutated, so a cache filled there would hand the mutant's
# tests a statement built before the fork, and the mutated function would never run (docs/testing.md).
def _mutation_caches() -> list[Callable[[], None]]:
    from backend.audit import service as audit_service
    from backend.minors.service import listing, presenting
    from backend.security import tokens
    from backend.security.privacy import policy as privacy_policy

    return [
        listing._LIST_STATEMENTS.clear,  # built by minor_scope_template, in_subtree_template, FILTERS
        presenting._reading.cache_clear,  # readers per privacy shape
        privacy_policy._shape.cache_clear,  # shapes per role, view, responsibility and seal
        audit_service._insert_events_advancing_head.cache_clear,  # PostgreSQL's append statements
        tokens._verified_claims.cache_clear,  # tokens already verified
    ]


@pytest.fixture(autouse=True)
def _fresh_caches_under_mutation() -> None:
    """Under mutmut only (it sets ``MUTANT_UNDER_TEST``): empty those caches before each test, so that every
    test builds with the mutant that is active — and mutmut's stats run sees which tests call which builder."""
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    for clear in _mutation_caches():
        clear()


@pytest.fixture(scope="session", autouse=True)
def _stop_api_processes() -> Iterator[None]:
    yield
    instances.stop_all()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with client_for(app) as http:
        yield http


# The demo county as seeded, per database kind and local day: its rows, table by table, read back raw. Seeding
# runs the services (password hashing, the audit chain, a transaction per account) and was most of a test's
# set-up; copying its rows back is a few statements. Each process (xdist worker) seeds once per database. A new
# local day seeds afresh, since the seed counts terms and ages from today.
_SEEDED: dict[tuple[str, date], dict[str, list[dict[str, Any]]]] = {}
# Tables that triggers write when other tables' rows go in (SQLite's triggers cannot be set aside): restored
# last, after what the triggers wrote is taken out again.
_WRITTEN_BY_TRIGGERS = ("minor_counts",)


def _untyped(table: sa.Table) -> sa.TableClause:
    """The table with columns of no type: values are read and written as the driver has them."""
    return sa.table(table.name, *(sa.column(column.name) for column in table.columns))


async def _seeded_rows(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows as the driver gives them (no column types applied), so that writing them back
    stores the same values: ciphertexts, hashes and the audit chain's links byte for byte."""
    rows: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as connection:
        for table in metadata.sorted_tables:
            result = await connection.execute(sa.select(_untyped(table)))
            rows[table.name] = [dict(row) for row in result.mappings()]
    return rows


async def _any_rows(engine: AsyncEngine) -> bool:
    """Whether any table holds a row (one statement)."""
    found = sa.or_(
        *(sa.exists(sa.select(sa.literal(1)).select_from(table)) for table in metadata.sorted_tables)
    )
    async with engine.connect() as connection:
        return bool(await connection.scalar(sa.select(found)))


async def _restore_seeded(engine: AsyncEngine, seeded: dict[str, list[dict[str, Any]]]) -> None:
    """Put the seeded rows back into empty tables, in one transaction. Foreign keys are checked at commit on
    SQLite; on PostgreSQL triggers (foreign keys' and the minor counts') are skipped for the transaction, as
    in ``append_only_audit_set_aside``, since the counts are restored as they were."""
    tables = sorted(metadata.sorted_tables, key=lambda table: table.name in _WRITTEN_BY_TRIGGERS)
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            await connection.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
        for table in tables:
            if table.name in _WRITTEN_BY_TRIGGERS:
                await connection.execute(table.delete())
            if seeded[table.name]:
                await connection.execute(sa.insert(_untyped(table)), seeded[table.name])


@pytest.fixture
async def county(app: FastAPI, database: str) -> dict[str, Any]:
    """The demo county: units by name, plus people and clients as `qinghu seed-demo` makes them. Seeded into
    the first test's empty tables, then copied back into each later test's (``_SEEDED``), which is the same
    database state in a fraction of the time; the test's writes are emptied away after it as before."""
    from backend.units.models import Unit

    key = (database, local_today())
    # Only into empty tables: a fixture that wrote rows first gets the county seeded on top, as it always did.
    empty = not await _any_rows(app.state.engine)
    if empty and key in _SEEDED:
        await _restore_seeded(app.state.engine, _SEEDED[key])
    else:
        async with app.state.sessionmaker() as session, session.begin():
            await seed_demo_county(session, credentials=DemoCredentials(DEMO_PASSWORD, DEMO_CLIENT_SECRET))
        if empty:
            _SEEDED[key] = await _seeded_rows(app.state.engine)
    async with app.state.sessionmaker() as session:
        units = (await session.scalars(sa.select(Unit))).all()
        return {"units": {unit.name: unit for unit in units}}


async def password_token(client: AsyncClient, username: str, password: str = DEMO_PASSWORD) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def client_token(client: AsyncClient, client_id: str = "police-jinhu") -> dict[str, str]:
    """Bearer headers of a demo machine client (client-credentials grant)."""
    response = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def login(client: AsyncClient, county: dict[str, Any]) -> Callable[[str], Awaitable[dict[str, str]]]:
    """``await login("jinhu_lead")`` → Authorization headers for that demo account (cached per test)."""
    cache: dict[str, dict[str, str]] = {}

    async def headers_for(username: str) -> dict[str, str]:
        if username not in cache:
            token = await password_token(client, username)
            cache[username] = {"Authorization": f"Bearer {token['access_token']}"}
        return cache[username]

    return headers_for


def assert_status(response: Any, status: int) -> Any:
    """A set-up step answered as it should (else the test stops here, with the answer): a later "nothing
    leaked" or "nothing changed" means nothing when the step before it failed."""
    assert response.status_code == status, response.text
    return response


def assert_problem(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    """The response is problem+json with this status (and type slug)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://qinghu.example/problems/")
    assert body["title"]
    if slug:
        assert body["type"].endswith("/" + slug), body
    return body
