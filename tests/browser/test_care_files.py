"""Care files and transfers in the browser: a caseworker records a talk and a urine test and sees the due date
move; a lead approves a closure; township A hands a minor to township B, B accepts, A no longer sees who it is.
The minors are registered through the API first, as a station would have done."""

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from backend.db import local_today
from backend.demo.people import synthetic_person
from backend.security.masking import mask_name
from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_web_app import choose, log_in, settle, shoot

pytestmark = pytest.mark.browser

_rng = random.Random(20261123)


class Station:
    """The API as one demo account uses it."""

    def __init__(self, base_url: str, username: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        token = self.http.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": username, "password": DEMO_PASSWORD},
        ).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.id = self.http.get("/api/v1/me").json()["id"]

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(path, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def care_file(self, **plan: Any) -> dict[str, Any]:
        someone = synthetic_person(_rng, today=local_today())
        minor = self.post(
            "/api/v1/minors",
            {
                "name": someone.name,
                "id_number": someone.id_number,
                "risk_categories": ["dropout"],
                "risk_level": "medium",
            },
        )
        return self.post("/api/v1/care-files", {"minor_id": minor["id"], "lead_worker_id": self.id, **plan})


def open_as(page: Page, username: str, path: str) -> None:
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/login"))
    log_in(page, username, DEMO_PASSWORD)
    expect(page.locator("[data-test=who-name]")).to_be_visible()


def record(page: Page, kind: str, summary: str, result: str | None = None) -> None:
    page.locator("[data-test=entry-kind] label", has_text=kind).click()
    if result:
        page.locator("[data-test=urine-result] label", has_text=result).click()
    page.locator("textarea[data-test=entry-summary]").fill(summary)
    page.locator("[data-test=entry-submit]").click()
    expect(page.locator(".el-message--success").last).to_be_visible()


def test_a_caseworker_records_a_talk_and_a_urine_test_and_the_due_date_moves(
    page: Page, base_url: str, screenshots: Path
) -> None:
    worker = Station(base_url, "jinhu_worker")
    care_file = worker.care_file()
    worker.post(
        f"/api/v1/care-files/{care_file['id']}/entries",
        {
            "kind": "talk",
            "occurred_at": (datetime.now(UTC) - timedelta(days=10)).isoformat(),
            "summary": "上次谈话",
        },
    )
    open_as(page, "jinhu_worker", "/")
    worklist = page.locator("[data-test=worklist-dueSoon]")
    expect(worklist).to_be_visible()
    expect(worklist.locator("[data-test=worklist-count]")).not_to_have_text("0")
    shoot(page, screenshots, "care-worklist")
    page.goto(f"/care-files/{care_file['id']}")
    next_due = page.locator("[data-test=next-due]")
    expect(next_due).to_have_text((local_today() + timedelta(days=4)).isoformat())
    # the rule for a typed next-due date is said where it is typed
    expect(page.locator("[data-test=next-due-rule]")).to_contain_text("14 天")

    record(page, "谈心谈话", "今日谈心，学习情况稳定")
    expect(next_due).to_have_text((local_today() + timedelta(days=14)).isoformat())
    expect(page.locator("[data-test=last-contact]")).to_have_text(local_today().isoformat())

    record(page, "尿检", "尿检结果阳性，已告知监护人", result="阳性")
    # A positive test shortens the interval to the high-risk one and alerts the lead.
    expect(next_due).to_have_text((local_today() + timedelta(days=7)).isoformat())
    expect(page.locator(".el-alert", has_text="尿检阳性")).to_be_visible()
    expect(page.locator("[data-test=timeline] .el-timeline-item")).to_have_count(3)
    shoot(page, screenshots, "care-file")


def test_a_lead_approves_a_closure(page: Page, base_url: str, screenshots: Path) -> None:
    worker = Station(base_url, "jinhu_worker")
    care_file = worker.care_file()
    worker.post(
        f"/api/v1/care-files/{care_file['id']}/closure", {"reason": "stable", "note": "浏览器测试：帮教期满"}
    )
    open_as(page, "jinhu_lead", "/approvals")
    queue = page.locator("[data-test=closure-queue]")
    row = queue.locator(".el-table__row", has_text="浏览器测试：帮教期满").first
    expect(row).to_be_visible()
    settle(page)
    shoot(page, screenshots, "care-approvals")
    row.locator("[data-test=approve-closure]").click()
    page.locator(".el-message-box input").fill("同意结案")
    page.locator(".el-message-box__btns .el-button--primary").click()
    expect(page.locator(".el-message--success", has_text="已批准结案")).to_be_visible()
    shown = worker.http.get(f"/api/v1/care-files/{care_file['id']}").json()
    assert shown["status"] == "closed"


def test_township_a_hands_a_minor_to_township_b(page: Page, base_url: str, screenshots: Path) -> None:
    worker = Station(base_url, "jinhu_worker")
    care_file = worker.care_file()
    # The lead confirms the worker's self-assignment; from then on she sees the identity on the file.
    care_file = Station(base_url, "jinhu_lead").post(
        f"/api/v1/care-files/{care_file['id']}/assignment/confirm", {}
    )
    minor_url = f"/api/v1/minors/{care_file['minor']['id']}"
    full_name = worker.http.get(f"/api/v1/care-files/{care_file['id']}").json()["minor"]["name"]
    assert "*" not in full_name
    open_as(page, "jinhu_worker", f"/care-files/{care_file['id']}")
    page.locator("[data-test=request-transfer]").click()
    choose(page, page.locator("[data-test=transfer-to]"), "安阳街道")
    page.locator("textarea[data-test=transfer-reason]").fill("实际居住地在安阳街道")
    page.locator("[data-test=transfer-submit]").click()
    expect(page.locator(".el-message--success", has_text="已提交移交申请")).to_be_visible()
    expect(page.locator(".el-alert", has_text="移交")).to_be_visible()
    # while the transfer is pending the file cannot close, and closing is not offered
    expect(page.locator("[data-test=request-closure]")).to_have_count(0)

    page.context.clear_cookies()
    page.evaluate("sessionStorage.clear(); localStorage.clear()")
    open_as(page, "other_worker", "/transfers")
    row = page.locator("[data-test=transfers-table] .el-table__row", has_text="实际居住地在安阳街道").first
    expect(row).to_be_visible()
    settle(page)
    shoot(page, screenshots, "transfers-inbox")
    row.locator("[data-test=transfer-notice]").click()
    expect(page.frame_locator("iframe.notice").locator("h1")).to_contain_text("书面通知")
    page.locator(".el-dialog__footer .el-button", has_text="关闭").click()
    row.locator("[data-test=transfer-accept]").click()
    page.locator(".el-message-box__btns .el-button--primary").click()
    expect(page.locator(".el-message--success", has_text="已接收")).to_be_visible()

    # A no longer reaches the minor or the file; the transfer stays in its history with the name masked.
    assert worker.http.get(minor_url).status_code == 404
    assert worker.http.get(f"/api/v1/care-files/{care_file['id']}").status_code == 404
    history = worker.http.get("/api/v1/transfers", params={"box": "outbox"}).json()["items"]
    mine = next(item for item in history if item["minor"]["id"] == care_file["minor"]["id"])
    assert mine["status"] == "accepted"
    assert "name" in mine["minor"]["masked_fields"]
    assert mine["minor"]["name"] == mask_name(full_name)
    assert full_name not in str(mine)
    receiver = Station(base_url, "other_worker")
    assert (
        receiver.http.get(f"/api/v1/care-files/{care_file['id']}").json()["managing_unit"]["name"]
        == "安阳街道"
    )


def test_a_lead_confirms_the_worker_who_named_herself(page: Page, base_url: str, screenshots: Path) -> None:
    """Until a lead confirms, the worker who named herself sees the child masked like anyone else."""
    worker = Station(base_url, "jinhu_worker")
    care_file = worker.care_file()
    masked_name = care_file["minor"]["name"]
    assert "*" in masked_name
    open_as(page, "jinhu_lead", f"/care-files/{care_file['id']}")
    banner = page.locator("[data-test=assignment-unconfirmed]")
    expect(banner).to_contain_text("待负责人确认")
    settle(page)
    shoot(page, screenshots, "care-file-assignment-unconfirmed")
    page.locator("[data-test=confirm-assignment]").click()
    expect(page.locator(".el-message--success", has_text="已确认责任人")).to_be_visible()
    expect(banner).to_have_count(0)
    shown = worker.http.get(f"/api/v1/minors/{care_file['minor']['id']}").json()
    assert "name" not in shown["masked_fields"]
    assert shown["name"] != masked_name


def test_a_lead_assigns_a_file_from_the_to_do_list_and_a_worker_opens_one_from_the_minors_page(
    page: Page, base_url: str, screenshots: Path
) -> None:
    lead = Station(base_url, "jinhu_lead")
    someone = synthetic_person(_rng, today=local_today())
    # A registration in a drug-use category opens a file with nobody responsible: it waits on the lead's list.
    waiting = lead.post(
        "/api/v1/minors",
        {
            "name": someone.name,
            "id_number": someone.id_number,
            "risk_categories": ["nps_abuse"],
            "substances": ["etomidate"],
            "risk_level": "high",
        },
    )
    open_as(page, "jinhu_lead", "/")
    to_assign = page.locator("[data-test='todo-care_files.to_assign']")
    expect(to_assign).to_contain_text("待指派主责社工的帮教档案")
    to_assign.click()
    expect(page).to_have_url(re.compile(r"/care-files\?unassigned=true"))
    expect(page.locator("[data-test=filter-unassigned] input")).to_be_checked()
    page.locator("[data-test=care-file-link]", has_text=mask_name(someone.name)).click()
    page.locator("[data-test=edit-plan]").click()
    dialog = page.locator("[data-test=care-file-dialog]")
    choose(page, dialog.locator("[data-test=lead-worker-select]"), "周社工")
    dialog.locator("[data-test=team-add]").click()
    dialog.locator("input[data-test=team-name]").fill("李村干部")
    dialog.locator("[data-test=care-file-save]").click()
    expect(page.locator(".el-message--success").last).to_be_visible()
    # A family member is named as the minor is: masked for the lead, who is not responsible for the file.
    expect(page.locator("[data-test=team-member]")).to_have_text("家庭成员：李***")
    assigned = lead.http.get("/api/v1/care-files", params={"minor_id": waiting["id"]}).json()["items"][0]
    assert assigned["lead_worker"]["name"] == "周社工"
    unassigned = lead.http.get("/api/v1/care-files", params={"unassigned": "true", "limit": 200}).json()
    assert assigned["id"] not in {item["id"] for item in unassigned["items"]}
    shoot(page, screenshots, "care-file-assigned")

    # A worker registers someone without a file and opens one from the minor's page.
    worker = Station(base_url, "jinhu_worker")
    other = synthetic_person(_rng, today=local_today())
    minor = worker.post(
        "/api/v1/minors",
        {
            "name": other.name,
            "id_number": other.id_number,
            "risk_categories": ["dropout"],
            "risk_level": "low",
        },
    )
    page.locator("[data-test=logout]").click()
    expect(page).to_have_url(re.compile(r"/login"))
    open_as(page, "jinhu_worker", f"/minors/{minor['id']}")
    page.locator("[data-test=open-care-file]").click()
    dialog = page.locator("[data-test=care-file-dialog]")
    choose(page, dialog.locator("[data-test=lead-worker-select]"), "周社工")
    dialog.locator("textarea[data-test=plan-goals]").fill("按时返校")
    dialog.locator("[data-test=care-file-save]").click()
    expect(page).to_have_url(re.compile(r"/care-files/[0-9a-f-]{36}$"))
    expect(page.locator("[data-test=care-file-title]")).to_be_visible()
    opened = worker.http.get("/api/v1/care-files", params={"minor_id": minor["id"]}).json()["items"][0]
    assert opened["lead_worker"]["name"] == "周社工"
    assert opened["plan"]["goals"] == "按时返校"


def test_the_police_officer_and_the_teacher_on_the_team_record_their_own_work(
    page: Page, base_url: str, screenshots: Path
) -> None:
    lead = Station(base_url, "jinhu_lead")
    worker_id = Station(base_url, "jinhu_worker").id
    police_id = Station(base_url, "jinhu_police").id
    teacher_id = Station(base_url, "school_teacher").id
    someone = synthetic_person(_rng, today=local_today())
    minor = lead.post(
        "/api/v1/minors",
        {
            "name": someone.name,
            "id_number": someone.id_number,
            "risk_categories": ["dropout"],
            "risk_level": "medium",
        },
    )
    # Named by a lead: the assignment is confirmed, so the team works in the file at once.
    care_file = lead.post(
        "/api/v1/care-files",
        {
            "minor_id": minor["id"],
            "lead_worker_id": worker_id,
            "team": [
                {"role": "police_officer", "user_id": police_id},
                {"role": "teacher", "user_id": teacher_id},
            ],
        },
    )

    open_as(page, "jinhu_police", "/care-files")
    page.locator("[data-test=care-file-link]", has_text=mask_name(someone.name)).click()
    expect(page.locator("[data-test=entry-kind] label")).to_have_text(["家访", "尿检"])
    record(page, "尿检", "派出所尿检，结果阴性", result="阴性")
    shoot(page, screenshots, "care-file-police-on-team")
    page.locator("[data-test=logout]").click()
    expect(page).to_have_url(re.compile(r"/login"))

    open_as(page, "school_teacher", f"/care-files/{care_file['id']}")
    expect(page.locator("[data-test=entry-kind] label")).to_have_text(
        ["谈心谈话", "毒品预防教育", "学校联系"]
    )
    record(page, "谈心谈话", "班主任谈心，按时到校")

    entries = lead.http.get(f"/api/v1/care-files/{care_file['id']}/entries").json()["items"]
    assert [(entry["kind"], entry["actor"]) for entry in entries] == [
        ("talk", "王老师"),
        ("urine_test", "郑警官"),
    ]
