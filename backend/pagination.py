"""Lists: ``limit`` (≤ 200), ``offset``, ``total`` and ``sort``, one implementation for every list endpoint."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any, Generic, TypeVar

import orjson
import sqlalchemy as sa
from fastapi import Query, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db import AnySelect
from backend.errors import ValidationFailed
from backend.messages import Text

MAX_LIMIT = 200
# The deepest page: PostgreSQL's OFFSET and the statements' bound parameters are 32-bit integers. No list comes
# near it (a county's registry holds at most a few hundred thousand rows); a deeper offset is a 422.
MAX_OFFSET = 2**31 - 1

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int
    order_by: tuple[Any, ...]
    sort: str = ""  # as asked, the order's name for statements built once per order


def page_params(
    sort_fields: Mapping[str, Any], *, default: str, tie_breaker: Any
) -> Callable[..., Awaitable[PageParams]]:
    """A dependency that reads ``limit``, ``offset`` and ``sort`` (``name`` or ``-name``, comma-separated).

    ``sort_fields`` maps the public field names to columns; any other name is a 422 naming the choices.
    """
    allowed = ", ".join(sorted(sort_fields))

    async def dependency(  # async: no worker thread (see get_cipher)
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, at most 200")] = 50,
        offset: Annotated[
            int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip, at most 2147483647")
        ] = 0,
        sort: Annotated[
            str,
            Query(
                description=f"Comma-separated fields, `-` for descending. One of: {allowed}",
                max_length=200,
            ),
        ] = default,
    ) -> PageParams:
        order_by: list[Any] = []
        for raw in (part.strip() for part in sort.split(",")):
            if not raw:
                continue
            name = raw.removeprefix("-")
            column = sort_fields.get(name)
            if column is None:
                raise ValidationFailed.field(
                    ["query", "sort"],
                    Text("unknown sort field {name!r}; use {allowed}", name=name, allowed=allowed),
                    "sort.unknown",
                )
            order_by.append(column.desc() if raw.startswith("-") else column.asc())
        order_by.append(tie_breaker)
        return PageParams(limit=limit, offset=offset, order_by=tuple(order_by), sort=sort)

    return dependency


async def paginate(
    session: AsyncSession,
    statement: AnySelect,
    params: PageParams,
    to_item: Callable[[Any], T],
    *,
    total_statement: AnySelect | None = None,
) -> Page[T]:
    """Run a filtered select as one page plus its total. ``to_item`` shapes each row.

    ``total_statement`` answers the total where a cheaper query than counting the rows gives the same number.
    """
    page_statement, total_statement = page_statements(statement, params.order_by, total_statement)
    return await run_page(session, page_statement, total_statement, params, to_item)


def page_statements(
    statement: AnySelect, order_by: Sequence[Any], total_statement: AnySelect | None = None
) -> tuple[AnySelect, AnySelect]:
    """A select's page (its bounds the parameters ``page_limit`` and ``page_offset``) and its total, as
    statements that can be built once and run many times (``run_page``)."""
    page_statement = (
        statement.order_by(*order_by)
        .limit(sa.bindparam("page_limit", type_=sa.Integer))
        .offset(sa.bindparam("page_offset", type_=sa.Integer))
    )
    if total_statement is None:
        total_statement = sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    return page_statement, total_statement


async def run_page(
    session: AsyncSession,
    page_statement: AnySelect,
    total_statement: AnySelect,
    params: PageParams,
    to_item: Callable[[Any], T],
    parameters: Mapping[str, Any] | None = None,
) -> Page[T]:
    """One page and the total, from ``page_statements``; ``parameters`` are the values the statements name."""
    values = {**(parameters or {}), "page_limit": params.limit, "page_offset": params.offset}
    total = await session.scalar(total_statement, values)
    rows: Sequence[Any] = (await session.execute(page_statement, values)).all()
    return Page[T](
        items=[to_item(row) for row in rows], total=total or 0, limit=params.limit, offset=params.offset
    )


@dataclass(frozen=True)
class ListSummary:
    """What a list answers for a to-do item: its total and the ids of its first rows in the list's order."""

    total: int
    first_ids: list[uuid.UUID]


@dataclass(frozen=True)
class SummaryQuery:
    """A domain's lists over the same rows, to be answered together (``run_summaries``): ``keys`` name the lists;
    each of ``parts`` (their union is the rows, no row in two) selects the order's columns named as in ``order``
    (``id`` last: the tie-breaker and the id listed) and a condition ``in_<n>`` per list, true for the rows list
    ``n`` holds (``flags``)."""

    keys: tuple[str, ...]
    parts: tuple[AnySelect, ...]
    order: tuple[str, ...]


def flags(conditions: Sequence[sa.ColumnElement[bool]]) -> list[sa.Label[bool]]:
    """The ``in_<n>`` columns of a ``SummaryQuery``'s part: each list's condition, labelled."""
    return [condition.label(f"in_{n}") for n, condition in enumerate(conditions)]


async def run_summaries(
    session: AsyncSession, queries: Sequence[SummaryQuery], *, limit: int
) -> dict[str, ListSummary]:
    """Every list of ``queries`` in one statement: its total and, unless ``limit`` is 0, the ids of its first
    ``limit`` rows in its order. The rows of each query are read once; the totals counted in one pass over them and
    each list's first rows found by a bounded sort (not a sort of every row), ranked after it. Lists with no row
    are left out."""
    keys: list[str] = []
    branches: list[AnySelect] = []
    for number, query in enumerate(queries):
        rows = (sa.union_all(*query.parts) if len(query.parts) > 1 else query.parts[0]).cte(f"rows_{number}")
        counted = sa.select(
            *(sa.func.count().filter(rows.c[f"in_{n}"]).label(f"n_{n}") for n in range(len(query.keys)))
        ).cte(f"counted_{number}")
        ordering = [rows.c[name] for name in query.order]
        for n, key in enumerate(query.keys):
            listed = sa.literal(len(keys)).label("list")
            total = sa.select(counted.c[f"n_{n}"]).scalar_subquery().label("total")
            keys.append(key)
            if limit == 0:
                branches.append(sa.select(listed, total))
                continue
            first = (
                sa.select(*ordering)
                .where(rows.c[f"in_{n}"])
                .order_by(*ordering)
                .limit(limit)
                .subquery(f"first_{len(keys) - 1}")
            )
            in_order = [first.c[name] for name in query.order]
            branches.append(
                sa.select(
                    listed, first.c.id, total, sa.func.row_number().over(order_by=in_order).label("rank")
                )
            )
    if not branches:
        return {}
    found: dict[str, ListSummary] = {}
    result = await session.execute(sa.union_all(*branches) if len(branches) > 1 else branches[0])
    if limit == 0:
        return {keys[n]: ListSummary(total=int(total), first_ids=[]) for n, total in result if total}
    # A union keeps no order of its own: each list's ids are put in its order (the rank) here.
    for n, row_id, total, _rank in sorted(result, key=lambda row: (row[0], row[3])):
        summary = found.setdefault(keys[n], ListSummary(total=int(total), first_ids=[]))
        summary.first_ids.append(uuid.UUID(str(row_id)))
    return found


def page_json(page: Page[dict[str, Any]]) -> Response:
    """A page whose items are already shaped as plain values, serialised straight to JSON: for the busiest
    lists, where validating each item as its model only to serialise it again was a quarter of the request.
    The route still declares its model (the contract); a test holds each item to it field for field."""
    body = {"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset}
    # Dates, enums and UUIDs natively; UTC datetimes end in Z, as pydantic writes them.
    return Response(
        orjson.dumps(body, option=orjson.OPT_UTC_Z, default=_uuid_subclass), media_type="application/json"
    )


def _uuid_subclass(value: Any) -> str:
    """orjson writes ``uuid.UUID`` itself, not the driver's subclass of it (asyncpg's)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


EXPORT_BATCH = 500  # rows per page while an export streams


async def export_pages(
    session: AsyncSession,
    sessionmaker: "async_sessionmaker[AsyncSession]",
    page: PageParams,
    fetch: Callable[[AsyncSession, PageParams], Awaitable[Page[T]]],
    *,
    batch: int = EXPORT_BATCH,
) -> AsyncIterator[T]:
    """Every item of a list, page after page of ``batch``, in the list's order: what an export streams.

    ``fetch`` is the list's own page function (its filters, its scope, its shaping by the privacy policy), so a
    file holds exactly what the pages hold. The first page is read now, in the request's session, so that a bad
    filter is refused before the file starts; the rest while the file streams, in a session of their own (the
    request's has committed by then)."""
    first_params = PageParams(limit=batch, offset=0, order_by=page.order_by, sort=page.sort)
    first = await fetch(session, first_params)

    async def items() -> AsyncIterator[T]:
        for item in first.items:
            yield item
        if len(first.items) < batch:
            return
        offset = batch
        async with sessionmaker() as reading:
            while True:
                current = await fetch(reading, replace(first_params, offset=offset))
                for item in current.items:
                    yield item
                if len(current.items) < batch:
                    return
                offset += batch

    return items()
