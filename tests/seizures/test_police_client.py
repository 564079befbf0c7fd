"""examples/police_client.py against the app: token, push from CSV, safe retries with the same key."""

import asyncio
import csv
import importlib.util
import io
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from backend.seizures.models import SeizureNotice
from tests.conftest import DEMO_CLIENT_SECRET
from tests.seizures.conftest import notice_body

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "police_client.py"
_spec = importlib.util.spec_from_file_location("police_client", EXAMPLE)
assert _spec is not None
assert _spec.loader is not None
police_client = importlib.util.module_from_spec(_spec)
sys.modules["police_client"] = police_client  # dataclasses look their module up
_spec.loader.exec_module(police_client)


class AppTransport(httpx.BaseTransport):
    """The example is synchronous; it runs in a thread and each request is answered by the app on the test's
    event loop. ``faults`` make chosen calls fail after (``lost``) or instead of (``503``) reaching the app."""

    def __init__(
        self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop, faults: dict[int, str]
    ) -> None:
        self.client, self.loop, self.faults, self.calls = client, loop, faults, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        fault = self.faults.get(self.calls)
        if fault == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "503":
            return httpx.Response(503, headers={"Retry-After": "0"}, json={"status": 503})

        async def forward() -> httpx.Response:
            answer = await self.client.request(
                request.method, request.url.path, headers=request.headers, content=request.read()
            )
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

        response = asyncio.run_coroutine_threadsafe(forward(), self.loop).result()
        if fault == "lost":  # stored by the app, but the answer never arrives
            raise httpx.ReadTimeout("timed out", request=request)
        return response


def _csv_of(notices) -> str:
    columns = [
        "notice_no",
        "seized_at",
        "place",
        *police_client.PERSON_FIELDS,
        "substances",
        "test_result",
        "measures",
        "summary",
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    for notice in notices:
        writer.writerow(
            {
                **{key: notice[key] for key in ("notice_no", "seized_at", "place", "test_result", "summary")},
                **{key: notice["person"].get(key) or "" for key in police_client.PERSON_FIELDS},
                "substances": "|".join(notice["substances"]),
                "measures": "|".join(notice["measures"]),
            }
        )
    return buffer.getvalue()


async def _count(app) -> int:
    async with app.state.sessionmaker() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(SeizureNotice)) or 0


def _client(transport) -> object:
    return police_client.PoliceClient(
        "http://qinghu.test", "police-jinhu", DEMO_CLIENT_SECRET, transport=transport, sleep=lambda _s: None
    )


async def test_the_client_pushes_a_csv_and_prints_the_routing(
    app, client, county, person, tmp_path, monkeypatch, capsys
):
    notices = [
        notice_body(person()),
        notice_body(person(), person={"residence_division_code": "330381001001"}),
    ]
    path = tmp_path / "notices.csv"
    path.write_text(_csv_of(notices), encoding="utf-8")
    monkeypatch.setenv("QINGHU_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    transport = AppTransport(client, asyncio.get_running_loop(), {})
    code = await asyncio.to_thread(
        police_client.main,
        [str(path), "--base-url", "http://qinghu.test", "--client-id", "police-jinhu"],
        transport=transport,
    )
    out = capsys.readouterr().out
    assert code == 0
    assert f"{notices[0]['notice_no']}: routed → 锦湖街道 (residence)" in out
    assert f"{notices[1]['notice_no']}: routed → 安阳街道 (residence)" in out
    assert await _count(app) == 2


async def test_a_lost_answer_and_a_5xx_are_retried_with_the_same_key(app, client, county, person):
    notice = notice_body(person())
    # call 1: the token; call 2: stored but the answer is lost; call 3: a 503; call 4: refused; call 5 gets it.
    transport = AppTransport(client, asyncio.get_running_loop(), {2: "lost", 3: "503", 4: "refused"})

    def push() -> dict:
        with _client(transport) as police:
            return police.push(notice)

    receipt = await asyncio.to_thread(push)
    assert receipt["notice_no"] == notice["notice_no"]
    assert transport.calls == 5
    assert await _count(app) == 1


async def test_a_refusal_is_not_retried_and_names_the_field(client, county, person):
    notice = notice_body(person(), person={"id_number": "330381200901011232"})
    transport = AppTransport(client, asyncio.get_running_loop(), {})

    def push() -> None:
        with _client(transport) as police:
            police.push(notice)

    with pytest.raises(police_client.PushError) as refused:
        await asyncio.to_thread(push)
    assert refused.value.status == 422
    assert refused.value.problem["errors"][0]["loc"] == ["body", "person", "id_number"]
    assert transport.calls == 2  # the token and one push
