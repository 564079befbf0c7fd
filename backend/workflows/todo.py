"""The to-do centre (``GET /api/v1/me/todo``): what is waiting for this person today, counted through each
domain's own list (so an item's figure and the list behind its link always agree) and in the scope that list
applies. Items carry counts, ids and links, never a minor's identity (docs/privacy.md, "To-do items")."""

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from backend.campaigns.models import TaskReportStatus
from backend.campaigns.scoping import DUE_SOON_DAYS as REPORTS_DUE_SOON_DAYS
from backend.campaigns.service import reports
from backend.care_files import worklists
from backend.care_files.models import CareFileStatus, DueState
from backend.care_files.service import reading as files
from backend.minors.models import VerificationStatus
from backend.minors.service import listing as minors
from backend.pagination import ListSummary, SummaryQuery, run_summaries
from backend.security import permissions, privacy
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.seizures import service as seizures
from backend.transfers import service as transfers
from backend.transfers.models import TransferStatus

# Ids listed per item: enough to open the first ones; the link gives the whole list.
IDS_PER_ITEM = 50


class TodoItem(BaseModel):
    kind: str = Field(description="What is waiting", examples=["care_files.overdue"])
    title: str = Field(description="Chinese, for the home page", examples=["逾期未回访的帮教档案"])
    count: int = Field(ge=1)
    object_ids: list[uuid.UUID] = Field(description=f"The first {IDS_PER_ITEM} records behind the count")
    link: str = Field(description="The API list behind the item", examples=["/api/v1/care-files?due=overdue"])


class Todo(BaseModel):
    items: list[TodoItem] = Field(description="Only what is waiting: an item with nothing to do is left out")


Ask = Callable[[AsyncSession, Principal, Mapping[str, Any]], Awaitable[SummaryQuery | None]]
Totals = Callable[
    [AsyncSession, Sequence[tuple[Principal, Mapping[str, Any]]]], Awaitable[list[dict[str, int]]]
]


@dataclass(frozen=True)
class _Family:
    """A domain's lists behind to-do items, asked together: ``ask`` gives one principal's lists as the statement
    of that domain (totals and first ids, run with the other domains' in one: ``run_summaries``), ``totals`` many
    principals' totals at once (the daily digests)."""

    name: str
    ask: Ask
    totals: Totals


async def _care_files_query(
    session: AsyncSession, principal: Principal, lists: Mapping[str, Any]
) -> SummaryQuery | None:
    return await files.worklist_query(session, principal=principal, lists=lists)


async def _notices_query(
    session: AsyncSession, principal: Principal, lists: Mapping[str, Any]
) -> SummaryQuery | None:
    return await seizures.notice_query(session, principal=principal, lists=lists)


async def _transfers_query(
    _session: AsyncSession, principal: Principal, lists: Mapping[str, Any]
) -> SummaryQuery | None:
    return transfers.transfer_query(principal=principal, lists=lists)


async def _reports_query(
    _session: AsyncSession, principal: Principal, lists: Mapping[str, Any]
) -> SummaryQuery | None:
    return reports.report_query(principal=principal, lists=lists)


async def _minors_query(
    session: AsyncSession, principal: Principal, lists: Mapping[str, Any]
) -> SummaryQuery | None:
    return await minors.minor_query(session, principal=principal, lists=lists)


CARE_FILES = _Family("care_files", _care_files_query, files.worklist_totals)
NOTICES = _Family("seizure_notices", _notices_query, seizures.notice_totals)
TRANSFERS = _Family("transfers", _transfers_query, transfers.transfer_totals)
REPORTS = _Family("task_reports", _reports_query, reports.report_totals)
MINORS = _Family("minors", _minors_query, minors.minor_totals)


@dataclass(frozen=True)
class _Source:
    kind: str
    title: str
    applies: Callable[[Principal], bool]
    link_path: str
    query: dict[str, str]
    family: _Family
    # The list's filters (``mine``: the due lists' personal flag).
    filters: Callable[[bool], Any]
    # The care files' due lists are a social worker's own files and a lead's subtree: the link says which.
    personal_for_workers: bool = False


def _care_files(**filters: Any) -> tuple[_Family, Callable[[bool], Any]]:
    return CARE_FILES, lambda mine: files.CareFileFilters(mine=mine, **filters)


def _notices(**filters: Any) -> tuple[_Family, Callable[[bool], Any]]:
    return NOTICES, lambda _mine: seizures.NoticeFilters(**filters)


def _transfers(**filters: Any) -> tuple[_Family, Callable[[bool], Any]]:
    return TRANSFERS, lambda _mine: transfers.TransferFilters(**filters)


def _reports(**filters: Any) -> tuple[_Family, Callable[[bool], Any]]:
    return REPORTS, lambda _mine: reports.ReportFilters(**filters)


def _minors(**filters: Any) -> tuple[_Family, Callable[[bool], Any]]:
    return MINORS, lambda _mine: minors.MinorFilters(**filters)


def _keeps_files(principal: Principal) -> bool:
    return permissions.may_keep_care_files(principal)


def _leads_files(principal: Principal) -> bool:
    return permissions.may_decide_for_care_files(principal)


def _leads_files_seeing_drug_use(principal: Principal) -> bool:
    # A positive urine test is a drug-use fact: the item exists only for leads who see that class.
    return _leads_files(principal) and privacy.sees_sensitive(principal)


def _acknowledges_notices(principal: Principal) -> bool:
    return principal.has(Scope.seizures_acknowledge)


def _follows_own_notices(principal: Principal) -> bool:
    # The police see whether the stations have taken up what they reported.
    return principal.has(Scope.seizures_read) and not principal.has(Scope.seizures_acknowledge)


def _reports_on_tasks(principal: Principal) -> bool:
    return principal.has(Scope.task_reports_write)


SOURCES: tuple[_Source, ...] = (
    _Source(
        "care_files.overdue",
        "逾期未回访的帮教档案",
        _keeps_files,
        "/api/v1/care-files",
        {"due": DueState.overdue.value},
        *_care_files(due=DueState.overdue),
        personal_for_workers=True,
    ),
    _Source(
        "care_files.lost_contact",
        "失联的帮教对象",
        _keeps_files,
        "/api/v1/care-files",
        {"due": DueState.lost_contact.value},
        *_care_files(due=DueState.lost_contact),
        personal_for_workers=True,
    ),
    _Source(
        "care_files.due_soon",
        f"{worklists.DUE_SOON_DAYS}日内到期的回访",
        _keeps_files,
        "/api/v1/care-files",
        {"due": DueState.due_soon.value},
        *_care_files(due=DueState.due_soon),
        personal_for_workers=True,
    ),
    _Source(
        "care_files.to_assign",
        "待指派主责社工的帮教档案",
        _leads_files,
        "/api/v1/care-files",
        {"unassigned": "true"},
        *_care_files(unassigned=True),
    ),
    _Source(
        "care_files.closures",
        "待审批的结案申请",
        _leads_files,
        "/api/v1/care-files",
        {"status": CareFileStatus.closure_requested.value},
        *_care_files(status=CareFileStatus.closure_requested),
    ),
    _Source(
        "care_files.alerts",
        "待处理的阳性尿检提醒",
        _leads_files_seeing_drug_use,
        "/api/v1/care-files",
        {"alert": "true"},
        *_care_files(alert=True),
    ),
    _Source(
        "school_files.overdue",
        "逾期未回访的学校一人一档",
        permissions.may_keep_school_files,
        "/api/v1/care-files",
        {"kept_by_school": "true", "due": DueState.overdue.value},
        *_care_files(kept_by_school=True, due=DueState.overdue),
    ),
    _Source(
        "school_files.due_soon",
        f"{worklists.DUE_SOON_DAYS}日内到期的学校一人一档回访",
        permissions.may_keep_school_files,
        "/api/v1/care-files",
        {"kept_by_school": "true", "due": DueState.due_soon.value},
        *_care_files(kept_by_school=True, due=DueState.due_soon),
    ),
    _Source(
        "seizure_notices.to_acknowledge",
        "待签收的查获通知",
        _acknowledges_notices,
        "/api/v1/seizure-notices",
        {"acknowledged": "false"},
        *_notices(acknowledged=False),
    ),
    _Source(
        "seizure_notices.overdue",
        "超过当日未签收的查获通知",
        _leads_files,
        "/api/v1/seizure-notices",
        {"overdue": "true"},
        *_notices(overdue=True),
    ),
    _Source(
        "seizure_notices.not_taken_up",
        "报送后尚未被签收的查获通知",
        _follows_own_notices,
        "/api/v1/seizure-notices",
        {"acknowledged": "false"},
        *_notices(acknowledged=False),
    ),
    _Source(
        "transfers.to_answer",
        "待接收的移交",
        permissions.may_handle_transfers,
        "/api/v1/transfers",
        {"box": "inbox", "status": TransferStatus.requested.value},
        *_transfers(box="inbox", status=TransferStatus.requested),
    ),
    _Source(
        "transfers.awaiting_receipt",
        "移交县外待签收（跟进送达）",
        permissions.may_handle_transfers,
        "/api/v1/transfers",
        {"box": "outbox", "status": TransferStatus.awaiting_outside_receipt.value},
        *_transfers(box="outbox", status=TransferStatus.awaiting_outside_receipt),
    ),
    _Source(
        "task_reports.late",
        "已逾期的工作任务",
        _reports_on_tasks,
        "/api/v1/task-reports",
        {"mine": "true", "due": "late"},
        *_reports(mine=True, due="late"),
    ),
    _Source(
        "task_reports.due_soon",
        f"{REPORTS_DUE_SOON_DAYS}日内到期的工作任务",
        _reports_on_tasks,
        "/api/v1/task-reports",
        {"mine": "true", "due": "soon"},
        *_reports(mine=True, due="soon"),
    ),
    _Source(
        "task_reports.returned",
        "被退回待修改的任务报告",
        _reports_on_tasks,
        "/api/v1/task-reports",
        {"mine": "true", "status": TaskReportStatus.returned.value},
        *_reports(mine=True, status=TaskReportStatus.returned),
    ),
    _Source(
        "task_reports.to_review",
        "待审核的任务报告",
        permissions.may_issue_campaigns,
        "/api/v1/task-reports",
        {"to_review": "true"},
        *_reports(to_review=True),
    ),
    _Source(
        # Registered before the ID number was known (待核实): counted in worklists, not yet a confirmed person.
        "minors.provisional",
        "待核实的未成年人（待补录身份证号）",
        permissions.may_edit_minors,
        "/api/v1/minors",
        {"verification_status": VerificationStatus.provisional.value},
        *_minors(verification_status=VerificationStatus.provisional),
    ),
)


def _applying(principal: Principal) -> list[tuple[_Source, bool]]:
    """The sources that apply to ``principal``, each with whether its list is personal (``mine``)."""
    return [
        (source, source.personal_for_workers and permissions.worklists_are_personal(principal))
        for source in SOURCES
        if source.applies(principal)
    ]


def _lists(applying: list[tuple[_Source, bool]]) -> dict[_Family, dict[str, Any]]:
    """The lists to ask of each family: by item kind, the list's filters."""
    asked: dict[_Family, dict[str, Any]] = {}
    for source, personal in applying:
        asked.setdefault(source.family, {})[source.kind] = source.filters(personal)
    return asked


def _items(applying: list[tuple[_Source, bool]], found: Mapping[str, ListSummary]) -> Todo:
    items = []
    for source, personal in applying:
        summary = found.get(source.kind)
        if summary is None or not summary.total:
            continue
        query = source.query | ({"mine": str(personal).lower()} if source.personal_for_workers else {})
        items.append(
            TodoItem(
                kind=source.kind,
                title=source.title,
                count=summary.total,
                object_ids=summary.first_ids,
                link=f"{source.link_path}?{urlencode(query)}",
            )
        )
    return Todo(items=items)


async def todo(session: AsyncSession, *, principal: Principal, with_ids: bool = True) -> Todo:
    """What is waiting for ``principal``; ``with_ids=False``: the counts alone, every item's ``object_ids`` empty.
    One statement (``run_summaries``) of every domain's lists (``_Family.ask``), each with the same scope and
    conditions as the list its link names: its total and first ids in that list's order (the most pressing
    first)."""
    applying = _applying(principal)
    queries = [await family.ask(session, principal, lists) for family, lists in _lists(applying).items()]
    found = await run_summaries(
        session, [query for query in queries if query], limit=IDS_PER_ITEM if with_ids else 0
    )
    return _items(applying, found)


async def todo_counts(session: AsyncSession, principals: Sequence[Principal]) -> list[Todo]:
    """``todo(with_ids=False)`` for many principals at once (the daily digests), set-based: each domain counts
    every principal's lists in a few grouped statements (``_Family.totals``) instead of a statement per person."""
    applying = [_applying(principal) for principal in principals]
    asked = [_lists(each) for each in applying]
    found: list[dict[str, ListSummary]] = [{} for _ in principals]
    for family in (CARE_FILES, NOTICES, TRANSFERS, REPORTS, MINORS):
        indexes = [n for n, lists in enumerate(asked) if family in lists]
        if not indexes:
            continue
        totals = await family.totals(session, [(principals[n], asked[n][family]) for n in indexes])
        for n, counted in zip(indexes, totals, strict=True):
            found[n] |= {kind: ListSummary(total=total, first_ids=[]) for kind, total in counted.items()}
    return [_items(each, found[n]) for n, each in enumerate(applying)]
