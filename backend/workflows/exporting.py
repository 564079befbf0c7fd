"""Exports of the working lists (the registry, the care-file worklists, a campaign's reports, venues, pharmacy
checks): each list's own page function, streamed as a file, recorded in the audit trail with its filters.

One path for every list, so that a file never holds more than the caller's screen: the rows are the pages the
JSON list answers (shaped by the privacy policy there), written by ``exports.stream_response`` (formula-safe,
CSV with a BOM or XLSX) and the event names the filters but never a search's text (``exports.filters_label``).
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.audit import service as audit
from backend.db import local_today
from backend.exports import Column, ExportFormat, filters_label, stream_response
from backend.pagination import Page, PageParams, export_pages
from backend.security.principals import Principal

T = TypeVar("T")


async def export_list(
    request: Request,
    session: AsyncSession,
    *,
    principal: Principal,
    list_name: str,
    filters: Any,
    export_format: ExportFormat,
    page: PageParams,
    fetch: Callable[[AsyncSession, PageParams], Awaitable[Page[T]]],
    columns: Sequence[Column[T]],
    filename: str,
    title: str,
) -> StreamingResponse:
    """The list as a streamed CSV or XLSX: ``fetch(session, page)`` is the JSON list's page function with the
    request's filters bound; ``filters`` (a dataclass or a mapping) are what the audit event names."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    rows = await export_pages(session, sessionmaker, page, fetch)
    await audit.record_export(
        session,
        actor=principal,
        list_name=list_name,
        filters=filters_label(filters),
        export_format=export_format.value,
    )
    return stream_response(filename, export_format, title=title, columns=columns, rows=rows)


@dataclass(frozen=True)
class Listing:
    """A list as its route answers it: the service function that gives its pages (``pages(session,
    principal=…, filters=…, page=…)``), its name in the audit trail, and its file's columns, name and sheet title
    (``dated``: the name ends with today's date)."""

    pages: Callable[..., Awaitable[Page[Any]]]
    list_name: str
    columns: Sequence[Column[Any]]
    filename: str
    title: str
    dated: bool = False


async def page_or_file(
    request: Request,
    session: AsyncSession,
    listing: Listing,
    *,
    principal: Principal,
    filters: Any,
    export_format: ExportFormat,
    page: PageParams,
) -> Page[Any] | StreamingResponse:
    """A list's answer: the page asked for (JSON), or with ``format=csv|xlsx`` every row the filters select as a
    streamed file (``export_list``)."""
    if export_format is ExportFormat.json:
        return await listing.pages(session, principal=principal, filters=filters, page=page)

    async def fetch(reading: AsyncSession, params: PageParams) -> Page[Any]:
        return await listing.pages(reading, principal=principal, filters=filters, page=params)

    return await export_list(
        request,
        session,
        principal=principal,
        list_name=listing.list_name,
        filters=filters,
        export_format=export_format,
        page=page,
        fetch=fetch,
        columns=listing.columns,
        filename=f"{listing.filename}-{local_today().isoformat()}" if listing.dated else listing.filename,
        title=listing.title,
    )
