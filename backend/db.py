"""The database: engine, one session and one transaction per request, the naming convention, shared types."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import orjson
import sqlalchemy as sa
from asyncpg import exceptions as asyncpg_exceptions
from fastapi import Depends, Request
from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel import Field, SQLModel

from backend.errors import ProblemError
from backend.settings import async_database_url

# Stable constraint names, so migrations name what they create and can drop it again.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

# A SELECT of any columns (SQLAlchemy 2.1 types a Select by the row it yields, one type per column).
AnySelect = sa.Select[*tuple[Any, ...]]


# Qinghu's users live in one time zone: "today", ages and day limits are counted there.
LOCAL_TIMEZONE = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_today() -> date:
    return datetime.now(LOCAL_TIMEZONE).date()


def local_midnight_utc(day: date) -> datetime:
    """The start of ``day`` in local time, as a UTC instant."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIMEZONE).astimezone(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back time-zone aware (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A code column: enum values are stored as their snake_case code, validated by the schemas.
def code_column(**kwargs: Any) -> Any:
    return Field(sa_type=sa.String(40), **kwargs)


def created_at_column() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def updated_at_column() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Versioned(SQLModel):
    """Mixin for mutable resources: ``version`` drives ETag / If-Match."""

    version: int = Field(default=1, nullable=False)
    created_at: datetime = created_at_column()
    updated_at: datetime = updated_at_column()


class JsonArrayContains(sa.sql.expression.ColumnElement[bool]):
    """``column`` (a JSON array of strings) contains ``value``: JSONB containment on PostgreSQL (GIN-indexable),
    ``json_each`` on SQLite."""

    inherit_cache = True
    type = sa.Boolean()
    # The column and the value's bound parameter make the cache key: a statement holding this is compiled once and
    # run again with each request's value (without these, SQLAlchemy would not cache such statements at all).
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy reads it as the cache key's parts
        ("column", InternalTraversal.dp_clauseelement),
        ("value", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, value: str) -> None:
        self.column = column
        self.value = sa.bindparam(None, value, type_=sa.String, unique=True)


@compiles(JsonArrayContains, "postgresql")
def _contains_postgresql(element: JsonArrayContains, compiler: Any, **kw: Any) -> str:
    probe = sa.cast(sa.func.jsonb_build_array(element.value), sa.dialects.postgresql.JSONB)
    return f"({compiler.process(element.column, **kw)} @> {compiler.process(probe, **kw)})"


@compiles(JsonArrayContains, "sqlite")
def _contains_sqlite(element: JsonArrayContains, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    value = compiler.process(element.value, **kw)
    # Both parts are compiled SQL: the value is a bound parameter, never spliced text.
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = {value})"  # noqa: S608


def json_array_values(session: AsyncSession, column: Any, *, name: str) -> sa.TableValuedAlias:
    """The elements of a JSON array of strings, one row each in a column ``value``: a table-valued function to
    join beside ``column``'s table (``jsonb_array_elements_text`` on PostgreSQL, ``json_each`` on SQLite)."""
    function = sa.func.jsonb_array_elements_text if _dialect(session) == "postgresql" else sa.func.json_each
    return function(column).table_valued("value").alias(name)


def _dialect(session: AsyncSession) -> str:
    bind = session.bind
    assert bind is not None
    return bind.dialect.name


class InSelect(sa.sql.expression.ColumnElement[bool]):
    """``column IN (select)``, written on PostgreSQL as ``column = ANY(ARRAY(select))``: the planner answers that
    from an index on ``column`` and can combine two of them in a bitmap OR, where ``IN (select)`` inside an
    ``OR`` becomes a hashed subplan checked against every row of the table (a scan of all care files for a
    township's count: docs/benchmarks.md, the to-do centre)."""

    inherit_cache = True
    type = sa.Boolean()
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy reads it as the cache key's parts
        ("column", InternalTraversal.dp_clauseelement),
        ("select", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, select: sa.Select[Any]) -> None:
        self.column = sa.sql.coercions.expect(sa.sql.roles.ExpressionElementRole, column)
        self.select = select


@compiles(InSelect, "postgresql")
def _in_select_postgresql(element: InSelect, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"({column} = ANY(ARRAY{compiler.process(element.select.scalar_subquery(), **kw)}))"


@compiles(InSelect)
def _in_select_default(element: InSelect, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column.in_(element.select), **kw))


def within_days(column: Any, first: date | None, last: date | None) -> list[sa.ColumnElement[bool]]:
    """A list's date-range filter: ``column`` on or after ``first`` and on or before ``last``, each end open when
    not given (``statement.where(*within_days(...))``)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if first is not None:
        conditions.append(column >= first)
    if last is not None:
        conditions.append(column <= last)
    return conditions


def new_id() -> uuid.UUID:
    return uuid.uuid4()


async def insert_many(session: AsyncSession, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (plain column values, the same keys in each) into ``table``, many rows a statement.

    One INSERT compiled once (and cached) and sent by SQLAlchemy's "insertmanyvalues" as multi-row VALUES
    statements of up to 1,000 rows (fewer where the parameters would pass the driver's limit): the rows are
    spliced into the compiled text, where ``sa.insert(table).values(rows)`` would compile a statement of every
    chunk's thousands of parameters anew (about 3 ms a row, most of a 50,000-row import). The RETURNING of the
    primary key is what makes SQLAlchemy batch an executemany this way on both databases; without it asyncpg
    runs an executemany row by row, a statement (and its statement-level triggers) per row."""
    if not rows:
        return
    key = next(iter(table.primary_key.columns))
    await session.execute(sa.insert(table).returning(key), rows)


def make_engine(
    database_url: str, *, echo: bool = False, pool_size: int = 10, max_overflow: int = 10
) -> AsyncEngine:
    # hide_parameters: statements in logs and error messages never carry the values bound to them.
    # orjson reads JSON columns (guardians, risk categories, substances: three per minor, 150 per page of a
    # list) several times faster than the standard library.
    database_url = async_database_url(database_url)
    common: dict[str, Any] = {"echo": echo, "hide_parameters": True, "json_deserializer": orjson.loads}
    if database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, connect_args={"timeout": 30}, **common)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # A pooled connection the server has closed (a restart, an idle timeout) is never handed to a request. With
    # asyncpg (the documented driver) the driver's own state tells, and the pool replaces the connection;
    # SQLAlchemy's ``pool_pre_ping`` would ask the server instead, three round trips on every request, and
    # is kept for any other driver.
    asyncpg = make_url(database_url).get_driver_name() == "asyncpg"
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=not asyncpg,
        **common,
    )
    if asyncpg:

        @event.listens_for(engine.sync_engine, "checkout")
        def _replace_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            if dbapi_connection.driver_connection.is_closed():
                raise sa.exc.DisconnectionError("the server closed this connection")

        @event.listens_for(engine.sync_engine, "handle_error")
        def _discard_lost(context: sa.engine.ExceptionContext) -> None:
            if _connection_lost(context.original_exception):
                # SQLAlchemy then closes this connection instead of returning it to the pool, and replaces every
                # connection the pool opened before it at its next checkout (the server probably ended them too).
                context.is_disconnect = True

    return engine


# Server-side signs that a connection is gone: SQLSTATE class 08 (connection exception) and the 57P0x shutdowns
# (a terminated backend, a crash, a server starting up).
_LOST_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def _connection_lost(error: BaseException | None) -> bool:
    """Whether the connection that raised ``error`` must not be used again.

    SQLAlchemy asks asyncpg whether the connection is closed, and a backend terminated mid-query answers with an
    error before the driver has seen its socket close: the connection went back to the pool with the driver
    still waiting for the end of the failed query, and the next request on it failed with "another operation is
    in progress". The error itself says so: the server's SQLSTATE, or a client-side error of the driver (its
    bookkeeping of the connection is no longer to be trusted).
    """
    if error is None:
        return False
    sqlstate = getattr(error, "sqlstate", None) or ""
    if sqlstate.startswith(_LOST_SQLSTATES):
        return True
    cause = error.__cause__
    return isinstance(cause, asyncpg_exceptions.InterfaceError | asyncpg_exceptions.InternalClientError)


def make_sessionmaker(
    engine: AsyncEngine, *, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; ``info`` travels with each of them (the application's cipher: see
    ``security.crypto.cipher_of``)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, info=info or {})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session and one transaction per request: commit on success, roll back on error.

    Services only flush. A ``ProblemError`` that must keep what was written before it (a failed login
    counted, a reused refresh token's family revoked) says so with ``keep_changes``.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except ProblemError as problem:
            if problem.keep_changes:
                await session.commit()
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": the commit happens before the response is sent, so a 2xx means it is stored.
DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
