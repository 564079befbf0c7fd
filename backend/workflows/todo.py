"""The to-do centre (``GET /api/v1/me/todo``): what is waiting for this person today, counted through each
domain's own list (so an item's figure and the list behind its link always agree) and in the scope that list
applies. Items carry counts, ids and links, never a minor's identity (docs/privacy.md, "To-do items")."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.campaigns.models import TaskReport, TaskReportStatus
from backend.campaigns.scoping import DUE_SOON_DAYS as REPORTS_DUE_SOON_DAYS
from backend.campaigns.service import reports
from backend.care_files import worklists
from backend.care_files.models import CareFileStatus, DueState
from backend.care_files.service import reading as files
from backend.minors.models import Minor, VerificationStatus
from backend.minors.service import listing as minors
from backend.pagination import Page, PageParams
from backend.security import permissions, privacy
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.seizures import service as seizures
from backend.seizures.models import SeizureNotice
from backend.transfers import service as transfers
from backend.transfers.models import Transfer, TransferStatus

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


@dataclass(frozen=True)
class _Source:
    kind: str
    title: str
    applies: Callable[[Principal], bool]
    link_path: str
    query: dict[str, str]
    # The page of the domain's own list with these filters: (total, ids of its first rows); for care files,
    # the list's filters, all the care-file items being counted in one statement.
    fetch: "Fetch | _CareFiles"
    id_of: Callable[[Any], uuid.UUID]
    # The care files' due lists are a social worker's own files and a lead's subtree: the link says which.
    personal_for_workers: bool = False


Fetch = Callable[[AsyncSession, Principal, PageParams, bool], Awaitable[Page[Any]]]


def _listed(list_function: Callable[..., Awaitable[Page[Any]]], filters: Callable[[bool], Any]) -> Fetch:
    """A domain's own list with the item's filters (``mine``: the due lists' personal flag)."""

    async def fetch(session: AsyncSession, principal: Principal, page: PageParams, mine: bool) -> Page[Any]:
        return await list_function(session, principal=principal, filters=filters(mine), page=page)

    return fetch


@dataclass(frozen=True)
class _CareFiles:
    """A care-file list's filters: these items are counted together (``files.worklist_summary``)."""

    filters: dict[str, Any]

    def of(self, mine: bool) -> files.CareFileFilters:
        return files.CareFileFilters(mine=mine, **self.filters)


def _care_files(**filters: Any) -> _CareFiles:
    return _CareFiles(filters)


def _notices(**filters: Any) -> Fetch:
    return _listed(seizures.list_notices, lambda _mine: seizures.NoticeFilters(**filters))


def _transfers(**filters: Any) -> Fetch:
    return _listed(transfers.list_transfers, lambda _mine: transfers.TransferFilters(**filters))


def _reports(**filters: Any) -> Fetch:
    return _listed(reports.list_reports, lambda _mine: reports.ReportFilters(**filters))


def _minors(**filters: Any) -> Fetch:
    return _listed(minors.list_minors, lambda _mine: minors.MinorFilters(**filters))


def _row_id(row: Any) -> uuid.UUID:
    return uuid.UUID(str(row[0].id))


def _item_id(item: Any) -> uuid.UUID:
    return uuid.UUID(str(item.id))


def _shaped_id(item: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(str(item["id"]))


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
        _care_files(due=DueState.overdue),
        _row_id,
        personal_for_workers=True,
    ),
    _Source(
        "care_files.lost_contact",
        "失联的帮教对象",
        _keeps_files,
        "/api/v1/care-files",
        {"due": DueState.lost_contact.value},
        _care_files(due=DueState.lost_contact),
        _row_id,
        personal_for_workers=True,
    ),
    _Source(
        "care_files.due_soon",
        f"{worklists.DUE_SOON_DAYS}日内到期的回访",
        _keeps_files,
        "/api/v1/care-files",
        {"due": DueState.due_soon.value},
        _care_files(due=DueState.due_soon),
        _row_id,
        personal_for_workers=True,
    ),
    _Source(
        "care_files.to_assign",
        "待指派主责社工的帮教档案",
        _leads_files,
        "/api/v1/care-files",
        {"unassigned": "true"},
        _care_files(unassigned=True),
        _row_id,
    ),
    _Source(
        "care_files.closures",
        "待审批的结案申请",
        _leads_files,
        "/api/v1/care-files",
        {"status": CareFileStatus.closure_requested.value},
        _care_files(status=CareFileStatus.closure_requested),
        _row_id,
    ),
    _Source(
        "care_files.alerts",
        "待处理的阳性尿检提醒",
        _leads_files_seeing_drug_use,
        "/api/v1/care-files",
        {"alert": "true"},
        _care_files(alert=True),
        _row_id,
    ),
    _Source(
        "school_files.overdue",
        "逾期未回访的学校一人一档",
        permissions.may_keep_school_files,
        "/api/v1/care-files",
        {"kept_by_school": "true", "due": DueState.overdue.value},
        _care_files(kept_by_school=True, due=DueState.overdue),
        _row_id,
    ),
    _Source(
        "school_files.due_soon",
        f"{worklists.DUE_SOON_DAYS}日内到期的学校一人一档回访",
        permissions.may_keep_school_files,
        "/api/v1/care-files",
        {"kept_by_school": "true", "due": DueState.due_soon.value},
        _care_files(kept_by_school=True, due=DueState.due_soon),
        _row_id,
    ),
    _Source(
        "seizure_notices.to_acknowledge",
        "待签收的查获通知",
        _acknowledges_notices,
        "/api/v1/seizure-notices",
        {"acknowledged": "false"},
        _notices(acknowledged=False),
        _item_id,
    ),
    _Source(
        "seizure_notices.overdue",
        "超过当日未签收的查获通知",
        _leads_files,
        "/api/v1/seizure-notices",
        {"overdue": "true"},
        _notices(overdue=True),
        _item_id,
    ),
    _Source(
        "seizure_notices.not_taken_up",
        "报送后尚未被签收的查获通知",
        _follows_own_notices,
        "/api/v1/seizure-notices",
        {"acknowledged": "false"},
        _notices(acknowledged=False),
        _item_id,
    ),
    _Source(
        "transfers.to_answer",
        "待接收的移交",
        permissions.may_handle_transfers,
        "/api/v1/transfers",
        {"box": "inbox", "status": TransferStatus.requested.value},
        _transfers(box="inbox", status=TransferStatus.requested),
        _row_id,
    ),
    _Source(
        "transfers.awaiting_receipt",
        "移交县外待签收（跟进送达）",
        permissions.may_handle_transfers,
        "/api/v1/transfers",
        {"box": "outbox", "status": TransferStatus.awaiting_outside_receipt.value},
        _transfers(box="outbox", status=TransferStatus.awaiting_outside_receipt),
        _row_id,
    ),
    _Source(
        "task_reports.late",
        "已逾期的工作任务",
        _reports_on_tasks,
        "/api/v1/task-reports",
        {"mine": "true", "due": "late"},
        _reports(mine=True, due="late"),
        _item_id,
    ),
    _Source(
        "task_reports.due_soon",
        f"{REPORTS_DUE_SOON_DAYS}日内到期的工作任务",
        _reports_on_tasks,
        "/api/v1/task-reports",
        {"mine": "true", "due": "soon"},
        _reports(mine=True, due="soon"),
        _item_id,
    ),
    _Source(
        "task_reports.returned",
        "被退回待修改的任务报告",
        _reports_on_tasks,
        "/api/v1/task-reports",
        {"mine": "true", "status": TaskReportStatus.returned.value},
        _reports(mine=True, status=TaskReportStatus.returned),
        _item_id,
    ),
    _Source(
        "task_reports.to_review",
        "待审核的任务报告",
        permissions.may_issue_campaigns,
        "/api/v1/task-reports",
        {"to_review": "true"},
        _reports(to_review=True),
        _item_id,
    ),
    _Source(
        # Registered before the ID number was known (待核实): counted in worklists, not yet a confirmed person.
        "minors.provisional",
        "待核实的未成年人（待补录身份证号）",
        permissions.may_edit_minors,
        "/api/v1/minors",
        {"verification_status": VerificationStatus.provisional.value},
        _minors(verification_status=VerificationStatus.provisional),
        _shaped_id,
    ),
)

# Each list's stable order, so the ids named are the most pressing first (care files: files.WORKLIST_ORDER).
_ORDER: dict[str, tuple[Any, ...]] = {
    "/api/v1/minors": (col(Minor.created_at).asc(), Minor.id),
    "/api/v1/seizure-notices": (SeizureNotice.ack_deadline_at, SeizureNotice.id),
    "/api/v1/transfers": (Transfer.created_at, Transfer.id),
    "/api/v1/task-reports": (TaskReport.id,),
}
# The order's name, for lists whose statements are built once per order (the registry's): as ``sort=`` says it.
_SORT: dict[str, str] = {"/api/v1/minors": "created_at"}


async def todo(session: AsyncSession, *, principal: Principal, with_ids: bool = True) -> Todo:
    """What is waiting for ``principal``; ``with_ids=False``: the counts alone, every item's ``object_ids`` empty
    (the daily digest, which names no record, asks the lists for their totals only)."""
    ids_per_item = IDS_PER_ITEM if with_ids else 0
    applying = [source for source in SOURCES if source.applies(principal)]
    personal = {
        source.kind: source.personal_for_workers and permissions.worklists_are_personal(principal)
        for source in applying
    }
    # The care-file items in one statement: the same lists, reading the files in scope once.
    care_files = await files.worklist_summary(
        session,
        principal=principal,
        lists={
            source.kind: source.fetch.of(personal[source.kind])
            for source in applying
            if isinstance(source.fetch, _CareFiles)
        },
        limit=ids_per_item,
    )
    items = []
    for source in applying:
        query = source.query | (
            {"mine": str(personal[source.kind]).lower()} if source.personal_for_workers else {}
        )
        if isinstance(source.fetch, _CareFiles):
            summary = care_files.get(source.kind)
            if summary is None:
                continue
            total, ids = summary.total, summary.first_ids
        else:
            page = PageParams(
                limit=ids_per_item,
                offset=0,
                order_by=_ORDER[source.link_path],
                sort=_SORT.get(source.link_path, ""),
            )
            found = await source.fetch(session, principal, page, personal[source.kind])
            if not found.total:
                continue
            total, ids = found.total, [source.id_of(row) for row in found.items]
        items.append(
            TodoItem(
                kind=source.kind,
                title=source.title,
                count=total,
                object_ids=ids,
                link=f"{source.link_path}?{urlencode(query)}",
            )
        )
    return Todo(items=items)
