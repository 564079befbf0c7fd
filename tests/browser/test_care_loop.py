"""The casework loop of issue 17 walked in the browser, on a desktop and on a 390 px phone: a file opened
automatically waits on the lead's "to assign" list; the lead names a worker and a team (a police officer and a
teacher) in the file dialog and the list empties; the assigned worker finds the notification under the bell; the
police officer records a urine test, the teacher a talk; the worker sees the next due date; and a worker opens a
file from a minor's page, naming the team. No page or dialog scrolls sideways on the phone."""

import random
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from backend.db import local_today
from backend.demo.people import synthetic_person
from backend.security.masking import mask_name
from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_care_files import Station, record
from tests.browser.test_layout import DESKTOP, PHONE, inside_viewport, new_page, no_sideways_scroll
from tests.browser.test_web_app import choose, log_in, shoot

pytestmark = pytest.mark.browser

_rng = random.Random(20261202)


def sign_in(page: Page, username: str, path: str) -> None:
    page.goto("/login")
    log_in(page, username, DEMO_PASSWORD)
    expect(page.locator("[data-test=logout]")).to_be_visible()
    page.goto(path)


def sign_out(page: Page) -> None:
    page.locator("[data-test=logout]").click()
    expect(page).to_have_url(re.compile(r"/login"))


def name_team(page: Page, dialog_locator: str = "[data-test=care-file-dialog]") -> None:
    """In the open file dialog: 周社工 leads; the community police officer and the teacher join the team."""
    dialog = page.locator(dialog_locator)
    choose(page, dialog.locator("[data-test=lead-worker-select]"), "周社工")
    choose(page, dialog.locator("[data-test=team-colleague]"), "郑警官（锦湖派出所）")
    choose(page, dialog.locator("[data-test=team-colleague]"), "王老师（瑞安市锦湖中学）")
    expect(dialog.locator("[data-test=team-row]")).to_have_count(2)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_file_is_assigned_worked_by_its_team_and_due_again(
    browser: Browser, base_url: str, screenshots: Path, viewport: dict[str, int]
) -> None:
    prefix = "phone" if viewport is PHONE else "desktop"
    phone = viewport is PHONE
    lead = Station(base_url, "jinhu_lead")
    someone = synthetic_person(_rng, today=local_today())
    # A registration in a drug-use category opens a file with nobody responsible: it waits on the lead's list.
    minor = lead.post(
        "/api/v1/minors",
        {
            "name": someone.name,
            "id_number": someone.id_number,
            "risk_categories": ["nps_abuse"],
            "substances": ["etomidate"],
            "risk_level": "high",
        },
    )
    waiting = lead.http.get("/api/v1/care-files", params={"unassigned": "true", "limit": 200}).json()["total"]
    care_file = lead.http.get("/api/v1/care-files", params={"minor_id": minor["id"]}).json()["items"][0]
    assert care_file["lead_worker"] is None

    page = new_page(browser, base_url, viewport)
    try:
        # The lead: from 我的待办's "to assign" to the file, and names the worker and the team.
        sign_in(page, "jinhu_lead", "/")
        to_assign = page.locator("[data-test='todo-care_files.to_assign']")
        expect(to_assign).to_contain_text("待指派主责社工的帮教档案")
        expect(to_assign).to_contain_text(str(waiting))
        to_assign.click()
        expect(page).to_have_url(re.compile(r"/care-files\?unassigned=true"))
        if phone:
            no_sideways_scroll(page)
        page.goto(f"/care-files/{care_file['id']}")
        page.locator("[data-test=edit-plan]").click()
        dialog = page.locator("[data-test=care-file-dialog]")
        expect(dialog).to_be_visible()
        page.wait_for_timeout(400)  # once it has opened
        name_team(page)
        if phone:
            no_sideways_scroll(page)
            inside_viewport(page, dialog)
            inside_viewport(page, dialog.locator("[data-test=care-file-save]"))
        shoot(page, screenshots, f"{prefix}-care-file-team-named")
        dialog.locator("[data-test=care-file-save]").click()
        expect(page.locator(".el-message--success").last).to_be_visible()
        expect(page.locator("[data-test=team-member]")).to_have_count(2)
        # The file has left the lead's list: one fewer to assign (none left: the item is gone).
        page.goto("/")
        if waiting == 1:
            expect(to_assign).to_have_count(0)
        else:
            expect(to_assign).to_contain_text(str(waiting - 1))
        left = lead.http.get("/api/v1/care-files", params={"unassigned": "true", "limit": 200}).json()
        assert care_file["id"] not in {item["id"] for item in left["items"]}
        sign_out(page)

        # The assigned worker: the bell counts the news; the notification names the minor masked only.
        sign_in(page, "jinhu_worker", "/")
        bell = page.locator("[data-test=notification-bell]")
        inside_viewport(page, bell)
        expect(page.locator("[data-test=notification-count] sup")).to_be_visible()
        bell.click()
        expect(page).to_have_url(re.compile(r"/notifications"))
        notice = page.locator("[data-test=notifications]").locator(
            "[data-test^=notification-]", has_text=mask_name(someone.name)
        )
        expect(notice.first).to_contain_text("您被指派为帮教档案的主责社工")
        expect(page.locator("[data-test=notifications]")).not_to_contain_text(someone.name)
        if phone:
            no_sideways_scroll(page)
        shoot(page, screenshots, f"{prefix}-notification-assigned")
        sign_out(page)

        # The police officer on the team records a urine test.
        sign_in(page, "jinhu_police", f"/care-files/{care_file['id']}")
        expect(page.locator("[data-test=entry-kind] label")).to_have_text(["家访", "尿检"])
        record(page, "尿检", "派出所尿检，结果阴性", result="阴性")
        if phone:
            no_sideways_scroll(page)
        sign_out(page)

        # The teacher on the team records a talk.
        sign_in(page, "school_teacher", f"/care-files/{care_file['id']}")
        expect(page.locator("[data-test=entry-kind] label")).to_have_text(
            ["谈心谈话", "毒品预防教育", "学校联系"]
        )
        record(page, "谈心谈话", "班主任谈心，按时到校")
        if phone:
            no_sideways_scroll(page)
        sign_out(page)

        # The worker, from the minor's page to the file: the next contact is due a plan's interval after the talk.
        sign_in(page, "jinhu_worker", f"/minors/{minor['id']}")
        page.locator("[data-test=minor-care-file]").click()
        expect(page).to_have_url(re.compile(rf"/care-files/{care_file['id']}$"))
        worked = lead.http.get(f"/api/v1/care-files/{care_file['id']}").json()
        assert worked["last_contact_on"] == local_today().isoformat()
        expect(page.locator("[data-test=next-due]")).to_have_text(worked["next_due_on"])
        if phone:
            no_sideways_scroll(page)
        shoot(page, screenshots, f"{prefix}-care-file-next-due")
        entries = lead.http.get(f"/api/v1/care-files/{care_file['id']}/entries").json()["items"]
        assert [(entry["kind"], entry["actor"]) for entry in entries] == [
            ("talk", "王老师"),
            ("urine_test", "郑警官"),
        ]

        # A worker opens a file from a minor's page and names the team in the same dialog.
        worker = Station(base_url, "jinhu_worker")
        other = synthetic_person(_rng, today=local_today())
        fresh = worker.post(
            "/api/v1/minors",
            {
                "name": other.name,
                "id_number": other.id_number,
                "risk_categories": ["dropout"],
                "risk_level": "low",
            },
        )
        page.goto(f"/minors/{fresh['id']}")
        page.locator("[data-test=open-care-file]").click()
        opening = page.locator("[data-test=care-file-dialog]")
        expect(opening).to_be_visible()
        page.wait_for_timeout(400)
        name_team(page)
        opening.locator("textarea[data-test=plan-goals]").fill("按时返校")
        if phone:
            no_sideways_scroll(page)
            inside_viewport(page, opening.locator("[data-test=care-file-save]"))
        opening.locator("[data-test=care-file-save]").click()
        expect(page).to_have_url(re.compile(r"/care-files/[0-9a-f-]{36}$"))
        opened = worker.http.get("/api/v1/care-files", params={"minor_id": fresh["id"]}).json()["items"][0]
        assert opened["lead_worker"]["name"] == "周社工"
        assert sorted(member["name"] for member in opened["team"]) == ["王老师", "郑警官"]
    finally:
        page.context.close()


def test_a_teacher_opens_the_schools_file_for_a_double_poor_pupil_on_a_phone(
    browser: Browser, base_url: str, screenshots: Path
) -> None:
    teacher = Station(base_url, "school_teacher")
    someone = synthetic_person(_rng, today=local_today())
    pupil = teacher.post(
        "/api/v1/minors",
        {
            "name": someone.name,
            "id_number": someone.id_number,
            "risk_categories": ["double_poor"],
            "risk_level": "low",
        },
    )
    page = new_page(browser, base_url, PHONE)
    try:
        sign_in(page, "school_teacher", f"/minors/{pupil['id']}")
        opening = page.locator("[data-test=open-school-file]")
        inside_viewport(page, opening, scroll=True)
        opening.click()
        expect(page).to_have_url(re.compile(r"/care-files/[0-9a-f-]{36}$"))
        expect(page.locator("[data-test=kept-by-school]")).to_have_text("瑞安市锦湖中学")
        expect(page.locator("[data-test=entry-kind] label")).to_have_text(
            ["谈心谈话", "家访", "毒品预防教育", "家庭联系", "学校联系", "备注"]
        )
        record(page, "谈心谈话", "谈心谈话：本周按时到校")
        no_sideways_scroll(page)
        shoot(page, screenshots, "phone-school-file")
        # Back on the pupil's page the file is linked, and no second one is offered.
        page.goto(f"/minors/{pupil['id']}")
        expect(page.locator("[data-test=minor-school-file]")).to_be_visible()
        expect(page.locator("[data-test=open-school-file]")).to_have_count(0)
    finally:
        page.context.close()
