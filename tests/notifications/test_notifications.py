"""Notifications over HTTP: a file assigned tells its assignee only, a transfer tells the receiving unit, the
unread count, marking read (one or all), another person's notification is 404; the daily digest is stored once
a day however often `qinghu remind` runs, and mailed through a local SMTP server without any minor's identity."""

import asyncio
import dataclasses
import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from backend.db import local_today
from backend.identity import make_mainland_id, shift_years
from backend.notifications.channels import SmtpChannel
from backend.workflows import reminders
from tests.care_files.conftest import CARE_FILES, TRANSFERS
from tests.conftest import assert_problem, assert_status, make_settings

NOTIFICATIONS = "/api/v1/me/notifications"


async def _unread(client, headers) -> int:
    return assert_status(await client.get(f"{NOTIFICATIONS}/unread-count", headers=headers), 200).json()[
        "unread"
    ]


async def _mine(client, headers, **params):
    return assert_status(await client.get(NOTIFICATIONS, params=params, headers=headers), 200).json()


async def test_an_assignment_notifies_the_assignee_only_and_is_read_by_its_owner_only(
    client, login, open_file, user_id
):
    worker, lead, other = await login("jinhu_worker"), await login("jinhu_lead"), await login("other_worker")
    before = {
        name: await _unread(client, h) for name, h in (("worker", worker), ("lead", lead), ("other", other))
    }

    care_file = await open_file(lead="jinhu_worker", as_="jinhu_lead", name="欧阳娜娜")

    assert await _unread(client, worker) == before["worker"] + 1
    assert await _unread(client, lead) == before["lead"]  # the lead assigned; she is not told of her own act
    assert await _unread(client, other) == before["other"]
    newest = (await _mine(client, worker, unread="true"))["items"][0]
    assert newest["kind"] == "care_file.assigned"
    assert newest["title"] == "您被指派为帮教档案的主责社工"
    assert newest["body"] == "林站长指派您为欧阳**的帮教档案的主责社工，请及时查看帮教计划。"
    assert "欧阳娜娜" not in newest["body"]
    assert newest["link"] == f"/care-files/{care_file['id']}"
    assert newest["read_at"] is None
    assert newest["digest_day"] is None

    # Somebody else's notification does not exist for the caller.
    assert_problem(await client.post(f"{NOTIFICATIONS}/{newest['id']}/read", headers=other), 404, "not-found")
    assert newest["id"] not in {item["id"] for item in (await _mine(client, other, limit=200))["items"]}
    assert await _unread(client, worker) == before["worker"] + 1

    read = assert_status(
        await client.post(f"{NOTIFICATIONS}/{newest['id']}/read", headers=worker), 200
    ).json()
    assert read["read_at"] is not None
    assert await _unread(client, worker) == before["worker"]
    unread_ids = {item["id"] for item in (await _mine(client, worker, unread="true", limit=200))["items"]}
    assert newest["id"] not in unread_ids
    # Reading it again changes nothing.
    again = assert_status(
        await client.post(f"{NOTIFICATIONS}/{newest['id']}/read", headers=worker), 200
    ).json()
    assert again["read_at"] == read["read_at"]

    # Replacing the lead worker tells the new one, not the one replaced.
    lead_id = await user_id("jinhu_lead")
    replaced = await client.patch(
        f"{CARE_FILES}/{care_file['id']}",
        json={
            "lead_worker_id": await user_id("jinhu_worker"),
            "team": [{"role": "village_cadre", "user_id": lead_id}],
        },
        headers={**worker, "If-Match": f'"{care_file["version"]}"'},
    )
    assert_status(replaced, 200)
    assert await _unread(client, lead) == before["lead"] + 1
    told = (await _mine(client, lead, unread="true"))["items"][0]
    assert told["title"] == "您被指派为帮教档案的帮教小组成员"
    assert told["body"] == "周社工指派您为欧阳**的帮教档案的帮教小组成员，请及时查看帮教计划。"
    assert await _unread(client, worker) == before["worker"]

    marked = assert_status(await client.post(f"{NOTIFICATIONS}/read-all", headers=lead), 200).json()
    assert marked["marked"] == before["lead"] + 1
    assert await _unread(client, lead) == 0
    assert (await _mine(client, lead, unread="true"))["total"] == 0


async def test_a_transfer_asked_of_a_unit_notifies_its_people(client, login, county, open_file):
    receiver = await login("other_worker")
    before = await _unread(client, receiver)
    care_file = await open_file(name="张晓明")
    created = await client.post(
        TRANSFERS,
        json={
            "minor_id": care_file["minor"]["id"],
            "reason": "实际居住地在安阳街道",
            "to_unit_id": str(county["units"]["安阳街道"].id),
        },
        headers=await login("jinhu_worker"),
    )
    assert_status(created, 201)
    assert await _unread(client, receiver) == before + 1
    told = (await _mine(client, receiver, unread="true"))["items"][0]
    assert told["kind"] == "transfer.requested"
    assert told["title"] == "有一项移交待本单位接收"
    assert told["body"] == "锦湖街道申请将张**移交至本单位，请接收或退回。"
    assert told["link"] == "/transfers"


async def test_bad_input(client, login):
    worker = await login("jinhu_worker")
    assert_problem(await client.post(f"{NOTIFICATIONS}/not-an-id/read", headers=worker), 422)
    assert_problem(await client.get(NOTIFICATIONS, params={"unread": "maybe"}, headers=worker), 422)
    assert_problem(await client.get(NOTIFICATIONS, params={"sort": "title"}, headers=worker), 422)
    assert_problem(
        await client.put(f"{NOTIFICATIONS}/digest-address", json={"email": "not an address"}, headers=worker),
        422,
    )
    assert_problem(await client.get(NOTIFICATIONS), 401)


def _turning_18_in(days: int, person):
    """A synthetic person whose 18th birthday is ``days`` from today."""
    birth = shift_years(local_today() + timedelta(days=days), -18)
    someone = person()
    return dataclasses.replace(someone, birth_date=birth, id_number=make_mainland_id("330381", birth, 123))


@pytest.fixture
def smtp_server():
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.rcpt_tos, envelope.content))
            return "250 OK"

    with socket.socket() as probe:  # a free port: the controller checks its own by connecting to it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


async def test_remind_twice_on_one_day_stores_and_mails_one_digest_without_identity(
    app, client, login, open_file, person, database, smtp_server
):
    port, received = smtp_server
    worker = await login("jinhu_worker")
    assert_status(
        await client.put(
            f"{NOTIFICATIONS}/digest-address", json={"email": "zhou@example.org"}, headers=worker
        ),
        200,
    )
    assert (await client.get(f"{NOTIFICATIONS}/digest-address", headers=worker)).json() == {
        "email": "zhou@example.org"
    }
    due = await open_file(lead="jinhu_worker", as_="jinhu_lead", name="司马光明", plan={"interval_days": 1})
    assert due["next_due_on"] == (local_today() + timedelta(days=1)).isoformat()
    adult_soon = _turning_18_in(10, person)
    await open_file(
        lead="jinhu_worker", as_="jinhu_lead", name=adult_soon.name, id_number=adult_soon.id_number
    )
    minors_named = ["司马光明", adult_soon.name, adult_soon.id_number]

    smtp = SmtpChannel(make_settings(database, smtp_host="127.0.0.1", smtp_port=port))
    today = local_today()

    async def run():
        async with app.state.sessionmaker() as session, session.begin():
            result = await reminders.remind(session, day=today)
        return result, await reminders.deliver(result.digests, [smtp])

    first, first_sent = await run()
    second, second_sent = await run()

    assert first.digests, "the first run stores digests"
    assert second.digests == []
    assert second.already_sent == len(first.digests)
    assert first_sent == {"email": 1}  # only the worker gave an address
    assert second_sent == {}

    digests = (await _mine(client, worker, limit=200))["items"]
    of_today = [item for item in digests if item["kind"] == "digest"]
    assert len(of_today) == 1
    digest = of_today[0]
    assert digest["digest_day"] == today.isoformat()
    assert digest["link"] == "/"
    assert "· 明日到期的回访：1项（/care-files?due=due_soon&mine=true）" in digest["body"].split("\n")
    assert "· 30日内年满18周岁的帮教对象：1人（/care-files?mine=true）" in digest["body"].split("\n")
    for named in minors_named:
        assert named not in digest["body"]

    await asyncio.sleep(0)
    assert len(received) == 1
    recipients, content = received[0]
    assert recipients == ["zhou@example.org"]
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert message["Subject"] == f"【青护】{digest['title']}"
    assert message["Subject"].endswith("待办摘要（" + digest["title"].split("（")[1])
    text = message.get_content()
    assert "周社工，您好" in text
    assert "明日到期的回访：1项" in text
    for named in minors_named:
        assert named not in text
        assert named not in content.decode("utf-8", "replace")
