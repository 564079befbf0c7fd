"""Tables leaving Qinghu as files: CSV (UTF-8 with a BOM, so that Excel reads Chinese) and XLSX.

Every export goes through here, so that every cell is made safe in one place: a text cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return would run as a formula in a spreadsheet (CSV injection), so it
is written with a leading apostrophe, the form OWASP recommends.
"""

import asyncio
import csv
import enum
import io
import re
import tempfile
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from fastapi import Response
from fastapi.responses import StreamingResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from backend.db import LOCAL_TIMEZONE

T = TypeVar("T")

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportFormat(enum.StrEnum):
    """The ``format`` query parameter of endpoints that also answer as a file."""

    json = "json"
    csv = "csv"
    xlsx = "xlsx"


@dataclass
class Sheet:
    """One table: a title (the XLSX sheet name), its column headers and its rows.

    ``preamble`` lines (a report's title, its date, the issuing unit) go above the header in XLSX and CSV alike.
    """

    title: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]
    preamble: Sequence[str] = field(default_factory=tuple)
    column_widths: Sequence[int] | None = None


def safe_cell(value: Any) -> Any:
    """The value as it may be written to a spreadsheet cell: text that would run as a formula is quoted."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def _text(value: Any) -> str:
    value = safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def csv_bytes(sheet: Sheet) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in sheet.preamble:
        writer.writerow([_text(line)])
    writer.writerow([_text(column) for column in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_text(value) for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _add_worksheet(
    workbook: Workbook,
    title: str,
    headers: Sequence[str],
    preamble: Sequence[str],
    widths: Sequence[int | None],
) -> Any:
    """A write-only worksheet with its preamble lines and bold header row, the panes frozen below the header."""
    # Sheet names: at most 31 characters, none of []:*?/\ (Excel's rules).
    worksheet = workbook.create_sheet(
        title="".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet"
    )
    for index, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        default = max(10, min(40, len(str(header)) * 2 + 4))
        worksheet.column_dimensions[get_column_letter(index)].width = width or default
    worksheet.freeze_panes = f"A{len(preamble) + 2}"
    for line in preamble:
        cell = WriteOnlyCell(worksheet, value=safe_cell(line))
        cell.font = Font(bold=True)
        worksheet.append([cell])
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(worksheet, value=safe_cell(header))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header_cells.append(cell)
    worksheet.append(header_cells)
    return worksheet


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        widths: Sequence[int | None] = sheet.column_widths or [None] * len(sheet.columns)
        worksheet = _add_worksheet(workbook, sheet.title, sheet.columns, sheet.preamble, widths)
        for row in sheet.rows:
            worksheet.append([_xlsx_value(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: write the local wall time the users read elsewhere in the app.
        return value.astimezone(LOCAL_TIMEZONE).replace(tzinfo=None)
    if isinstance(value, list | tuple):
        return "、".join(_text(item) for item in value)
    return value


# The ASCII fallback name keeps letters, digits and a few harmless marks. Gone are what a quoted-string would
# have to escape (user agents disagree on the escapes), ";" "=" "*" "'" (naive parsers would see a parameter in
# them), "%" (some user agents decode it) and what Windows refuses in a file name.
_NOT_IN_FALLBACK = re.compile(r"[^A-Za-z0-9 ._()\[\]+,!#$&@^~-]")


def _clean_name(filename: str) -> str:
    """The name without control or format characters (CR/LF, NUL, bidirectional overrides that disguise an
    extension) and with path separators made harmless, so that a saved file cannot land in another folder."""
    name = "".join(
        "_" if ch in "/\\" else ch
        for ch in filename
        if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")
    )
    return name.strip(" .") or "download"


def _ascii_fallback(name: str) -> str:
    text = _NOT_IN_FALLBACK.sub("_", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())
    stem, dot, suffix = text.rpartition(".")
    if not any(ch.isalnum() for ch in (stem if dot else text)):
        # A name in Chinese only: a neutral name that keeps the extension.
        if dot and suffix.isalnum():
            return f"download.{suffix}"
        if not any(ch.isalnum() for ch in text):
            return "download"
    return text


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """The Content-Disposition of a file named ``filename``: every download and export takes it from here.

    RFC 6266 with RFC 8187: an ASCII ``filename`` for old user agents and the full name, UTF-8 and
    percent-encoded, as ``filename*`` (which user agents prefer), so that Chinese names survive. Whatever the
    name holds (quotes, ``;``, CR/LF, path separators), the header has exactly these two parameters.
    """
    name = _clean_name(filename)
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


async def file_response(filename_stem: str, export_format: ExportFormat, sheets: Sequence[Sheet]) -> Response:
    """The sheets as a downloadable CSV (the first sheet) or XLSX (all of them).

    The file is built in a worker thread: a spreadsheet of a few thousand rows takes a tenth of a second or more
    to write, and on the event loop every other request of the process would wait for it."""
    if export_format is ExportFormat.csv:
        return Response(
            content=await asyncio.to_thread(csv_bytes, sheets[0]),
            media_type=CSV_MEDIA_TYPE,
            headers={"content-disposition": content_disposition(f"{filename_stem}.csv")},
        )
    if export_format is ExportFormat.xlsx:
        return Response(
            content=await asyncio.to_thread(xlsx_bytes, sheets),
            media_type=XLSX_MEDIA_TYPE,
            headers={"content-disposition": content_disposition(f"{filename_stem}.xlsx")},
        )
    raise ValueError(f"not a file format: {export_format}")


# --- streamed exports: a working list of any length -----------------------------------------------------------

_CSV_FLUSH_ROWS = 200  # rows per chunk of a streamed CSV
# Rows written between two turns of the event loop: a page of an export is written in one go otherwise, and
# the process's other requests would wait for the whole page.
_ROWS_PER_TURN = 50
_XLSX_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column of a list's export: its Chinese header and the value of a row already shaped for the
    caller (the list's own presenting step), so that a file never holds more than the screen shows."""

    header: str
    value: Callable[[T], Any]
    width: int | None = None


async def _csv_chunks(
    columns: Sequence[Column[T]], rows: AsyncIterator[T], preamble: Sequence[str]
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in preamble:
        writer.writerow([_text(line)])
    writer.writerow([_text(column.header) for column in columns])
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    async for row in rows:
        writer.writerow([_text(column.value(row)) for column in columns])
        pending += 1
        if pending % _ROWS_PER_TURN == 0:
            await asyncio.sleep(0)
        if pending >= _CSV_FLUSH_ROWS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


async def _xlsx_chunks(
    title: str, columns: Sequence[Column[T]], rows: AsyncIterator[T], preamble: Sequence[str]
) -> AsyncIterator[bytes]:
    # openpyxl's write-only workbook writes each row to a temporary file as it comes: memory stays flat
    # however long the list. The finished file is zipped in a worker thread (it takes long enough to hold up the
    # process's other requests) and read back in chunks.
    workbook = Workbook(write_only=True)
    worksheet = _add_worksheet(
        workbook, title, [column.header for column in columns], preamble, [column.width for column in columns]
    )
    written = 0
    async for row in rows:
        worksheet.append([_xlsx_value(column.value(row)) for column in columns])
        written += 1
        if written % _ROWS_PER_TURN == 0:
            await asyncio.sleep(0)
    with tempfile.TemporaryFile() as spool:
        await asyncio.to_thread(workbook.save, spool)
        spool.seek(0)
        while chunk := spool.read(_XLSX_CHUNK):
            yield chunk


def stream_response(
    filename_stem: str,
    export_format: ExportFormat,
    *,
    title: str,
    columns: Sequence[Column[T]],
    rows: AsyncIterator[T],
    preamble: Sequence[str] = (),
) -> StreamingResponse:
    """A working list as a streamed CSV (UTF-8 with BOM) or XLSX download: ``rows`` come a batch at a time
    (``pagination.export_pages``), already shaped by the list's presenting step; every cell is made formula-safe
    here, as in ``file_response``."""
    if export_format is ExportFormat.csv:
        body = _csv_chunks(columns, rows, preamble)
        media_type, suffix = CSV_MEDIA_TYPE, "csv"
    elif export_format is ExportFormat.xlsx:
        body = _xlsx_chunks(title, columns, rows, preamble)
        media_type, suffix = XLSX_MEDIA_TYPE, "xlsx"
    else:
        raise ValueError(f"not a file format: {export_format}")
    return StreamingResponse(
        body,
        media_type=media_type,
        headers={"content-disposition": content_disposition(f"{filename_stem}.{suffix}")},
    )


# Filters whose value is free text a person typed: a name, an ID number, an address. The audit trail records
# that such a search was used, never its text (it may be a child's name).
TEXT_SEARCH_FILTERS = frozenset({"q", "name", "id_number", "search"})


def filters_label(filters: Any) -> str:
    """The filters of an export as its audit event records them: ``kind=ktv;q=(text search)``. ``filters`` is a
    mapping or a dataclass; empty ones are left out, free text is named only."""
    items = filters.items() if isinstance(filters, dict) else vars(filters).items()
    parts = []
    for name, value in sorted(items):
        if value is None or value == "" or value == [] or value == ():
            continue
        if name in TEXT_SEARCH_FILTERS:
            shown = "(text search)"
        elif isinstance(value, list | tuple | set | frozenset):
            shown = ",".join(sorted(str(getattr(item, "value", item)) for item in value))
        else:
            shown = str(getattr(value, "value", value))
        parts.append(f"{name}={shown}")
    return (";".join(parts) or "(none)")[:500]


class FileFormat(enum.StrEnum):
    """The ``format`` of a list's export route: a file only."""

    csv = "csv"
    xlsx = "xlsx"


# Documents the file answers of an endpoint in OpenAPI: `responses=FILE_RESPONSES` on the route.
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "JSON by default; CSV (UTF-8 with BOM) or XLSX with `format=csv|xlsx`",
    }
}

# The answers of an export route (a file only).
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "The list as a file: CSV (UTF-8 with BOM) or XLSX with `format=csv|xlsx`, masked as the "
        "list is for the caller",
    }
}
