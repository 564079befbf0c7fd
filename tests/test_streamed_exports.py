"""Large exports stream: rows are read a page at a time and written as they come, never all held at once."""

import csv
import io
from collections.abc import AsyncIterator

import sqlalchemy as sa
from fastapi.responses import StreamingResponse
from openpyxl import load_workbook

from backend.exports import Column, ExportFormat, stream_response
from backend.pagination import Page, PageParams, export_pages
from backend.venues.models import Venue
from tests.conftest import assert_status


async def numbers(count: int) -> AsyncIterator[int]:
    for number in range(count):
        yield number


COLUMNS = (Column("编号", lambda n: n), Column("公式", lambda n: f"=A{n}"))


async def body_of(response: StreamingResponse) -> list[bytes]:
    return [chunk async for chunk in response.body_iterator]


async def test_a_csv_export_is_written_in_chunks_as_rows_come():
    response = stream_response("大表", ExportFormat.csv, title="大表", columns=COLUMNS, rows=numbers(5000))
    assert isinstance(response, StreamingResponse)
    chunks = await body_of(response)
    assert len(chunks) > 20  # a chunk per 200 rows, not one body
    text = b"".join(chunks).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["编号", "公式"]
    assert rows[1] == ["0", "'=A0"]
    assert len(rows) == 5001


async def test_an_xlsx_export_streams_a_write_only_workbook():
    response = stream_response("大表", ExportFormat.xlsx, title="大表", columns=COLUMNS, rows=numbers(5000))
    assert isinstance(response, StreamingResponse)
    workbook = load_workbook(io.BytesIO(b"".join(await body_of(response))), read_only=True)
    rows = list(workbook["大表"].iter_rows(values_only=True))
    assert rows[0] == ("编号", "公式")
    assert rows[5000] == (4999, "'=A4999")


class _FakeSessions:
    def __call__(self):
        return self

    async def __aenter__(self):
        return "export-session"

    async def __aexit__(self, *exc):
        return False


async def test_export_pages_reads_one_page_at_a_time_in_the_lists_order():
    sizes: list[tuple[str, int, int]] = []

    async def fetch(session, params: PageParams) -> Page[int]:
        end = min(params.offset + params.limit, 1234)
        sizes.append((session, params.offset, params.limit))
        return Page[int](
            items=list(range(params.offset, end)), total=1234, limit=params.limit, offset=params.offset
        )

    order = PageParams(limit=50, offset=100, order_by=("name",), sort="name")
    rows = await export_pages("request-session", _FakeSessions(), order, fetch, batch=500)
    assert sizes == [("request-session", 0, 500)]  # the first page before the file starts
    assert [n async for n in rows] == list(range(1234))
    assert sizes == [("request-session", 0, 500), ("export-session", 500, 500), ("export-session", 1000, 500)]


async def test_five_thousand_venues_export_as_a_stream(app, client, login, county):
    unit = county["units"]["锦湖街道"]
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            sa.insert(Venue),
            [
                {"unit_id": unit.id, "name": f"网吧{number:05d}", "kind": "internet_cafe"}
                for number in range(5000)
            ],
        )
    response = await client.get(
        "/api/v1/venues", params={"format": "csv", "sort": "name"}, headers=await login("jinhu_worker")
    )
    rows = list(csv.reader(io.StringIO(assert_status(response, 200).content.decode("utf-8-sig"))))
    assert len(rows) == 5001
    assert [rows[1][0], rows[5000][0]] == ["网吧00000", "网吧04999"]
    assert "content-length" not in response.headers  # streamed, not one body of known size
