"""Exports of the working lists (the registry, the care-file worklists, a campaign's reports, venues, pharmacy
checks): each list's own page function, streamed as a file, recorded in the audit trail with its filters.

One path for every list, so that a file never holds more than the caller's screen: the rows are the pages the
JSON list answers (shaped by the privacy policy there), written by ``exports.stream_response`` (formula-safe,
CSV with a BOM or XLSX) and the event names the filters but never a search's text (``exports.filters_label``).
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.audit import service as audit
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
