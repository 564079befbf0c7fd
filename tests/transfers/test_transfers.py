"""Transfers over HTTP: request, accept (the minor and the file move together), reject, cancel, leaving the
county with a delivered notice, the printable notice, races, scope and bad input."""

import asyncio

import pytest
import sqlalchemy as sa

from backend.audit.models import AuditEvent
from tests.care_files.conftest import CARE_FILES, TRANSFERS
from tests.conftest import assert_problem, assert_status


@pytest.fixture
def request_transfer(client, login, county):
    async def make(care_file, to="安阳街道", as_="jinhu_worker", **fields):
        body = {"minor_id": care_file["minor"]["id"], "reason": "实际居住地在安阳街道", **fields}
        if to:
            body["to_unit_id"] = str(county["units"][to].id)
        return await client.post(TRANSFERS, json=body, headers=await login(as_))

    return make


async def test_accepting_moves_the_minor_and_the_file_and_the_history_stays(
    client, login, open_file, add_entry, request_transfer
):
    care_file = await open_file(name="欧阳娜娜")
    assert_status(await add_entry(care_file), 201)
    created = await request_transfer(care_file)
    assert created.status_code == 201, created.text
    transfer = created.json()
    assert transfer["status"] == "requested"
    assert transfer["care_file_id"] == care_file["id"]
    assert transfer["minor"]["name"] == "欧阳**"
    assert "name" in transfer["minor"]["masked_fields"]
    receiver = await login("other_worker")
    inbox = (await client.get(TRANSFERS, params={"box": "inbox"}, headers=receiver)).json()
    assert [item["id"] for item in inbox["items"]] == [transfer["id"]]
    assert inbox["items"][0]["can_accept"] is True
    outbox = (
        await client.get(TRANSFERS, params={"box": "outbox"}, headers=await login("jinhu_worker"))
    ).json()
    assert [item["id"] for item in outbox["items"]] == [transfer["id"]]
    assert outbox["items"][0]["can_cancel"] is True
    # The sender may not answer its own request.
    assert_problem(
        await client.post(f"{TRANSFERS}/{transfer['id']}/accept", headers=await login("jinhu_lead")), 403
    )

    accepted = await client.post(f"{TRANSFERS}/{transfer['id']}/accept", headers=receiver)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    minor_url = f"/api/v1/minors/{care_file['minor']['id']}"
    assert_problem(await client.get(minor_url, headers=await login("jinhu_worker")), 404)
    assert_problem(
        await client.get(f"{CARE_FILES}/{care_file['id']}", headers=await login("jinhu_lead")), 404
    )
    moved = (await client.get(f"{CARE_FILES}/{care_file['id']}", headers=await login("other_worker"))).json()
    assert moved["managing_unit"]["name"] == "安阳街道"
    assert moved["lead_worker"] is None  # the receiving lead names someone
    assert moved["status"] == "open"
    assert (await client.get(f"{CARE_FILES}/{care_file['id']}/entries", headers=receiver)).json()[
        "total"
    ] == 1
    # Both sides' leads still read the transfer; the sender no longer sees who the minor is.
    history = (await client.get(TRANSFERS, headers=await login("jinhu_lead"))).json()["items"]
    assert history[0]["status"] == "accepted"
    assert "name" in history[0]["minor"]["masked_fields"]


async def test_two_acceptances_give_one_move_and_one_409(app, client, login, open_file, request_transfer):
    care_file = await open_file()
    transfer = (await request_transfer(care_file)).json()
    url = f"{TRANSFERS}/{transfer['id']}/accept"
    first, second = await asyncio.gather(
        client.post(url, headers=await login("other_worker")),
        client.post(url, headers=await login("county_lead")),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
    loser = first if first.status_code == 409 else second
    assert "no longer waiting" in assert_problem(loser, 409)["detail"]
    async with app.state.sessionmaker() as session:
        moves = await session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "transfer.accepted", AuditEvent.object_id == transfer["id"])
        )
    assert moves == 1


async def test_reject_needs_a_reason_and_cancel_is_for_the_requester(
    client, login, open_file, request_transfer
):
    care_file = await open_file()
    transfer = (await request_transfer(care_file)).json()
    receiver = await login("other_worker")
    problem = assert_problem(
        await client.post(f"{TRANSFERS}/{transfer['id']}/reject", json={}, headers=receiver), 422
    )
    assert problem["errors"][0]["loc"][-1] == "note"
    rejected = await client.post(
        f"{TRANSFERS}/{transfer['id']}/reject", json={"note": "经核实不在本辖区居住"}, headers=receiver
    )
    assert rejected.json()["status"] == "rejected"
    assert_problem(await client.post(f"{TRANSFERS}/{transfer['id']}/accept", headers=receiver), 409)

    again = (await request_transfer(care_file)).json()
    assert_problem(
        await client.post(f"{TRANSFERS}/{again['id']}/cancel", headers=await login("jinhu_lead")), 403
    )
    cancelled = await client.post(f"{TRANSFERS}/{again['id']}/cancel", headers=await login("jinhu_worker"))
    assert cancelled.json()["status"] == "cancelled"
    minor = (
        await client.get(f"/api/v1/minors/{care_file['minor']['id']}", headers=await login("jinhu_lead"))
    ).json()
    assert minor["managing_unit"]["name"] == "锦湖街道"


async def test_a_minor_leaving_the_county_stays_managed_until_the_notice_is_delivered(
    client, login, open_file, request_transfer
):
    care_file = await open_file()
    created = await request_transfer(
        care_file,
        to=None,
        outside_division_code="330302001000",
        outside_place_name="温州市鹿城区五马街道",
        reason_code="moved",
        reason="随父母迁居鹿城区",
    )
    assert created.status_code == 201, created.text
    transfer = created.json()
    assert transfer["status"] == "awaiting_outside_receipt"
    assert transfer["outside_place"]["name"] == "温州市鹿城区五马街道"
    worker = await login("jinhu_worker")
    minor_url = f"/api/v1/minors/{care_file['minor']['id']}"
    assert (await client.get(minor_url, headers=worker)).json()["status"] == "active"
    assert_problem(await client.post(f"{TRANSFERS}/{transfer['id']}/accept", headers=worker), 403)
    # Until the notice is delivered the minor waits on the sending unit's to-do list, never lost.
    waiting = {
        item["kind"]: item for item in (await client.get("/api/v1/me/todo", headers=worker)).json()["items"]
    }
    assert waiting["transfers.awaiting_receipt"]["title"] == "移交县外待签收（跟进送达）"
    assert transfer["id"] in waiting["transfers.awaiting_receipt"]["object_ids"]
    assert (
        waiting["transfers.awaiting_receipt"]["link"]
        == "/api/v1/transfers?box=outbox&status=awaiting_outside_receipt"
    )
    delivered = await client.post(f"{TRANSFERS}/{transfer['id']}/delivered", headers=worker)
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["status"] == "delivered"
    assert (await client.get(minor_url, headers=worker)).json()["status"] == "transferred_out"
    closed = (await client.get(f"{CARE_FILES}/{care_file['id']}", headers=worker)).json()
    assert closed["status"] == "closed"
    assert closed["closure"]["reason"] == "moved_out"
    after = {item["kind"] for item in (await client.get("/api/v1/me/todo", headers=worker)).json()["items"]}
    assert "transfers.awaiting_receipt" not in after


async def test_the_written_notice_prints_the_identity_masked_unless_the_caller_may_see_it(
    client, login, open_file, request_transfer, person, register
):
    care_file = await open_file()
    transfer = (await request_transfer(care_file)).json()
    url = f"{TRANSFERS}/{transfer['id']}/notice"
    for_receiver = await client.get(url, headers=await login("other_worker"))
    assert for_receiver.status_code == 200
    assert for_receiver.headers["content-type"].startswith("text/html")
    assert "书面通知" in for_receiver.text
    assert "安阳街道" in for_receiver.text
    masked_number = transfer["minor"]["id_number"]
    assert masked_number in for_receiver.text
    assert "脱敏" in for_receiver.text
    # The responsible social worker, once a lead has confirmed her, sees the identity in full, as on the
    # minor's page.
    confirmed = await client.post(
        f"/api/v1/care-files/{care_file['id']}/assignment/confirm", headers=await login("jinhu_lead")
    )
    assert confirmed.status_code == 200, confirmed.text
    minor = (
        await client.get(f"/api/v1/minors/{care_file['minor']['id']}", headers=await login("jinhu_worker"))
    ).json()
    assert "id_number" not in minor["masked_fields"]
    for_worker = await client.get(url, headers=await login("jinhu_worker"))
    assert minor["id_number"] in for_worker.text
    assert minor["id_number"] not in for_receiver.text
    assert minor["name"] not in for_receiver.text


async def test_bad_transfers_are_refused_naming_the_field(client, login, open_file, request_transfer, county):
    care_file = await open_file()
    cases = [
        ({"to": "锦湖街道"}, "to_unit_id", "transfer.same_unit"),
        ({"to": "瑞安市安阳实验中学"}, "to_unit_id", "unit.kind"),
        ({"to": None}, "to_unit_id", "transfer.destination_required"),
        (
            {"to": "安阳街道", "outside_place_name": "温州市"},
            "outside_place_name",
            "transfer.two_destinations",
        ),
        ({"reason_code": "bored"}, "reason_code", None),
        ({"reason": ""}, "reason", None),
    ]
    for fields, field, problem_type in cases:
        problem = assert_problem(await request_transfer(care_file, **fields), 422)
        assert problem["errors"][0]["loc"][-1] == field, (fields, problem)
        if problem_type:
            assert problem["errors"][0]["type"] == problem_type
    assert (await client.get(TRANSFERS, headers=await login("county_lead"))).json()["total"] == 0
    assert (await request_transfer(care_file)).status_code == 201
    assert_problem(await request_transfer(care_file, to="玉海街道"), 409)


async def test_no_route_reaches_a_transfer_outside_the_scope(client, login, open_file, request_transfer):
    care_file = await open_file()
    transfer = (await request_transfer(care_file, to="玉海街道")).json()
    outsider = await login("other_worker")  # 安阳: neither side
    assert (await client.get(TRANSFERS, headers=outsider)).json()["total"] == 0
    for transfer_id in (transfer["id"], "00000000-0000-0000-0000-000000000000"):
        for method, suffix in (
            ("GET", ""),
            ("GET", "/notice"),
            ("POST", "/accept"),
            ("POST", "/reject"),
            ("POST", "/cancel"),
            ("POST", "/delivered"),
        ):
            body = {"note": "越权操作"} if suffix == "/reject" else None
            response = await client.request(
                method, f"{TRANSFERS}/{transfer_id}{suffix}", json=body, headers=outsider
            )
            assert_problem(response, 404)
    # Nor may anyone hand over a minor they cannot reach.
    problem = assert_problem(
        await client.post(
            TRANSFERS,
            json={
                "minor_id": care_file["minor"]["id"],
                "to_unit_id": transfer["to_unit"]["id"],
                "reason": "越权移交",
            },
            headers=outsider,
        ),
        404,
    )
    assert "锦湖" not in str(problem)


async def test_each_step_is_an_audit_event(app, client, login, open_file, request_transfer):
    care_file = await open_file()
    transfer = (await request_transfer(care_file)).json()
    await client.get(f"{TRANSFERS}/{transfer['id']}/notice", headers=await login("jinhu_worker"))
    assert_status(
        await client.post(f"{TRANSFERS}/{transfer['id']}/accept", headers=await login("other_worker")), 200
    )
    async with app.state.sessionmaker() as session:
        actions = set(
            (
                await session.scalars(
                    sa.select(AuditEvent.action).where(AuditEvent.object_id == transfer["id"])
                )
            ).all()
        )
    assert actions == {"transfer.requested", "transfer.notice_printed", "transfer.accepted"}


async def test_a_station_sees_the_units_it_may_hand_over_to(client, login):
    names = [
        unit["name"]
        for unit in (
            await client.get(f"{TRANSFERS}/destinations", headers=await login("jinhu_worker"))
        ).json()
    ]
    assert "安阳街道" in names
    assert "万松社区" in names
    assert "瑞安市锦湖中学" not in names
    assert "锦湖派出所" not in names
