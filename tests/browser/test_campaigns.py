"""Campaigns end to end: the education bureau publishes a 3-task campaign to the schools; a school teacher
reports with an evidence file and submits; the bureau returns it, the teacher resubmits, the bureau approves;
the progress table shows it."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_web_app import choose, log_in, settle, shoot

pytestmark = pytest.mark.browser

TITLE = "浏览器测试专项行动"
TASKS = ("开展禁毒主题班会", "设立校园禁毒宣传栏", "组织师生参加禁毒知识竞赛")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def confirm(page: Page) -> None:
    page.locator(".el-message-box__btns .el-button--primary").click()


def switch_user(page: Page, username: str) -> None:
    page.locator("[data-test=logout]").click()
    expect(page).to_have_url(re.compile(r"/login"))
    log_in(page, username, DEMO_PASSWORD)
    expect(page.locator("[data-test=side-menu]")).to_be_visible()


def test_publish_report_return_resubmit_approve(page: Page, screenshots: Path) -> None:
    page.goto("/login")
    log_in(page, "edu_officer", DEMO_PASSWORD)
    page.locator("[data-menu=campaigns]").click()
    page.locator("[data-test=campaign-add]").click()
    editor = page.locator("[data-test=campaign-editor]")
    editor.locator("input[name=title]").fill(TITLE)
    choose(page, page.locator("[data-test=target-kinds]"), "学校")
    page.keyboard.press("Escape")
    page.locator("[data-test=task-add]").click()
    page.locator("[data-test=task-add]").click()
    for index, task in enumerate(TASKS):
        page.locator(f"[data-test=task-{index}] input[name=task-title]").fill(task)
    shoot(page, screenshots, "campaign-editor")
    page.locator("[data-test=campaign-save-open]").click()
    expect(page.locator("h1", has_text=TITLE)).to_be_visible()
    expect(page.locator("[data-test=campaign-tasks]")).to_contain_text(TASKS[2])
    # A draft shows who would receive it: the five schools, before anything is published.
    expect(page.locator("[data-test=recipient-count]")).to_have_text("5")
    expect(page.locator("[data-test=recipients]")).to_contain_text("瑞安市锦湖第一小学")
    expect(page.locator("[data-test=campaign-overview]")).to_contain_text("尚未发布")
    page.locator("[data-test=campaign-publish]").click()
    expect(page.locator(".el-message-box")).to_contain_text("5 个单位")
    expect(page.locator(".el-message-box")).to_contain_text("瑞安市锦湖中学")
    confirm(page)
    expect(page.locator("h1", has_text=TITLE).locator("xpath=..")).to_contain_text("已发布")

    # The school reports on the first task with a file and submits.
    switch_user(page, "school_teacher")
    page.locator("[data-menu=my-tasks]").click()
    page.locator("[data-test=my-tasks-table]").get_by_text(f"1. {TASKS[0]}").click()
    expect(page.locator("h1", has_text=TASKS[0])).to_be_visible()
    report_url = page.url
    page.locator("[data-test=report-value]").get_by_text("已完成").click()
    page.locator("[data-test=evidence-upload] input[type=file]").set_input_files(
        files=[{"name": "主题班会记录.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    expect(page.locator("[data-test=evidence-item]")).to_contain_text("主题班会记录.pdf")
    page.locator("[data-test=report-submit]").click()
    confirm(page)
    expect(page.locator("[data-test=report-status]")).to_have_text("已提交")
    shoot(page, screenshots, "task-report")

    # The bureau returns it with a comment. Its report sits under the campaign, not under 我的任务.
    switch_user(page, "edu_officer")
    page.goto(report_url)
    crumbs = page.locator("[data-test=breadcrumbs]")
    expect(crumbs).to_contain_text("专项行动")
    expect(crumbs).to_contain_text(TITLE)
    expect(crumbs).not_to_contain_text("我的任务")
    expect(page.locator("[data-test=evidence-item]")).to_contain_text("主题班会记录.pdf")
    page.locator("textarea[name=comment]").fill("请补充班会照片")
    page.locator("[data-test=report-return]").click()
    expect(page.locator("[data-test=report-status]")).to_have_text("已退回")

    # The school reads the comment and submits again.
    switch_user(page, "school_teacher")
    page.goto(report_url)
    expect(page.locator("[data-test=review-comment]")).to_contain_text("请补充班会照片")
    page.locator("[data-test=report-submit]").click()
    confirm(page)
    expect(page.locator("[data-test=report-status]")).to_have_text("已提交")

    # The bureau approves; the progress table shows it.
    switch_user(page, "edu_officer")
    page.goto(report_url)
    page.locator("[data-test=report-approve]").click()
    expect(page.locator("[data-test=report-status]")).to_have_text("已通过")
    expect(page.locator("[data-test=report-history]")).to_contain_text("退回")
    page.locator(".el-descriptions").get_by_role("link", name=TITLE).click()
    page.get_by_role("tab", name="进展统计表").click()
    settle(page)
    table = page.locator("[data-test=progress-table]")
    row = table.locator("tr", has_text="瑞安市锦湖中学").first
    expect(row.locator("[data-status=approved]")).to_have_count(1)
    expect(row).to_contain_text("33%")
    # Columns are headed by the tasks' names with their completion as a bar, not by "1 2 3".
    first_head = table.locator("[data-test=task-head-1]").first
    expect(first_head).to_contain_text(f"1. {TASKS[0]}")
    expect(first_head.locator(".el-progress")).to_contain_text("20%")  # one school of five approved
    expect(row.locator("[data-test=row-completion]")).to_contain_text("33%")
    expect(page.locator("[data-test=progress-total]")).to_contain_text("7%")  # 1 of 15 reports
    expect(page.locator("[data-test=campaign-overview]")).to_contain_text("已通过 1/15")
    shoot(page, screenshots, "campaign-progress")

    # In the audit trail the publication reads as units × tasks, in words.
    switch_user(page, "county_lead")
    page.goto("/audit")
    choose(page, page.locator("[data-test=audit-object-type]"), "专项行动")
    published = page.locator(".el-table__body tr", has_text="5 个单位 × 3 项任务").filter(has_text="黄科长")
    expect(published.first).to_contain_text("专项行动")
