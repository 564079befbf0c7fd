"""The daily run (``qinghu remind``): first, delegations (委托管理) past their last day end by themselves
(``handover.expire_delegations``); then the daily digest: for each active person, what the to-do centre lists for them
(the same counts as the home page's 我的待办 — notices routed to the station, transfers asked of the unit, reports
returned, overdue and lost files…) plus two reminders of the day: follow-ups due tomorrow and minors turning 18
within 30 days, among the files naming them responsible. One digest per person per day, stored in the app (a second
run that day stores and sends nothing) and then mailed where configured.

Cost: set-based, not per person. Everyone's to-do counts at once (``todo.todo_counts``): each domain counts the
lists of every person in a few statements grouped by unit (and by person for the personal lists), added up into
each person's scope in Python; one query over the open files for the two reminders; the digests stored a hundred
to a statement. Nothing is loaded per minor or asked per person. Docs/notifications.md says how it scales."""

import dataclasses
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.care_files.models import OPEN_STATUSES, CareFile
from backend.identity import shift_years
from backend.minors.models import Minor
from backend.notifications import service as notifications
from backend.notifications.channels import Channel, Digest, InAppChannel
from backend.security import permissions
from backend.security.principals import Principal
from backend.units.models import Unit
from backend.users.models import User
from backend.workflows import handover, todo

log = logging.getLogger(__name__)

TURNING_18_WITHIN_DAYS = 30
DUE_TOMORROW = "care_files.due_tomorrow"
TURNING_18 = "care_files.turning_18"


@dataclass
class RemindResult:
    people: int = 0
    digests: list[Digest] = field(default_factory=list)
    already_sent: int = 0
    delegations_ended: int = 0


async def reminders_by_person(session: AsyncSession, day: date) -> dict[str, Counter[str]]:
    """Per responsible person: open files whose follow-up is due tomorrow, and open files of minors whose
    18th birthday falls within the next 30 days. One query over the open files, counted here."""
    tomorrow = day + timedelta(days=1)
    # Turns 18 in (day, day + 30]: born after day − 18 years and on or before day + 30 − 18 years.
    born_after = shift_years(day, -18)
    born_by = shift_years(day + timedelta(days=TURNING_18_WITHIN_DAYS), -18)
    due = col(CareFile.next_due_on) == tomorrow
    turning = sa.and_(col(Minor.birth_date) > born_after, col(Minor.birth_date) <= born_by)
    rows = await session.execute(
        sa.select(col(CareFile.responsible_user_ids), due.label("due"), turning.label("turning"))
        .join(Minor, col(Minor.id) == col(CareFile.minor_id))
        .where(col(CareFile.status).in_(OPEN_STATUSES), sa.or_(due, turning))
    )
    counts: dict[str, Counter[str]] = {}
    for responsible, is_due, is_turning in rows:
        for person in responsible or []:
            counter = counts.setdefault(person, Counter())
            if is_due:
                counter[DUE_TOMORROW] += 1
            if is_turning:
                counter[TURNING_18] += 1
    return counts


def _spa_link(api_link: str) -> str:
    """The web app's page for a to-do item's API list (/api/v1/care-files?due=overdue → /care-files?…)."""
    return api_link.removeprefix("/api/v1")


async def compose(
    session: AsyncSession, *, principal: Principal, day: date, reminders: Counter[str] | None
) -> Digest | None:
    """A person's digest for ``day`` from their to-do centre, or None when nothing is waiting: one person's
    (``remind`` composes everyone's at once, from ``todo.todo_counts``)."""
    return digest_of(
        principal,
        day=day,
        todo_items=await todo.todo(session, principal=principal, with_ids=False),
        reminders=reminders,
    )


def digest_of(
    principal: Principal, *, day: date, todo_items: todo.Todo, reminders: Counter[str] | None
) -> Digest | None:
    """A person's digest for ``day`` from what their to-do centre counts and the day's reminders, or None when
    nothing is waiting. Counts and titles only."""
    lines = [f"· {item.title}：{item.count}项（{_spa_link(item.link)}）" for item in todo_items.items]
    if reminders and permissions.may_keep_care_files(principal):
        if reminders[DUE_TOMORROW]:
            lines.append(
                f"· 明日到期的回访：{reminders[DUE_TOMORROW]}项（/care-files?due=due_soon&mine=true）"
            )
        if reminders[TURNING_18]:
            lines.append(
                f"· {TURNING_18_WITHIN_DAYS}日内年满18周岁的帮教对象：{reminders[TURNING_18]}人（/care-files?mine=true）"
            )
    if not lines:
        return None
    return Digest(
        user_id=principal.id,
        display_name=principal.display_name,
        day=day,
        title=f"{day.month}月{day.day}日待办摘要（{len(lines)}类事项）",
        lines=tuple(lines),
        link="/",
    )


async def active_people(session: AsyncSession) -> list[Principal]:
    """Every active person, as a principal acting from their unit."""
    people = await session.execute(
        sa.select(User, col(Unit.path), col(Unit.kind))
        .join(Unit, col(Unit.id) == col(User.unit_id))
        .where(col(User.is_active).is_(True))
        .order_by(col(User.id))
    )
    return [Principal.of_user(user, unit_path=path, unit_kind=kind) for user, path, kind in people]


async def remind(session: AsyncSession, *, day: date) -> RemindResult:
    """Compose and store every active person's digest for ``day`` in the app. Returns the digests stored by this
    run (to be sent through the other channels after the commit); those stored already are counted, not
    repeated. Everyone's to-do counts are taken at once (``todo.todo_counts``: a few grouped statements per
    domain, not a to-do centre per person) and the digests stored in a few statements."""
    result = RemindResult()
    # Delegations past their last day end first, so today's digests already count the files where they are now.
    result.delegations_ended = len(await handover.expire_delegations(session, day=day))
    reminders = await reminders_by_person(session, day)
    addresses = await notifications.addresses(session)
    principals = await active_people(session)
    result.people = len(principals)
    digests = []
    for principal, counted in zip(principals, await todo.todo_counts(session, principals), strict=True):
        digest = digest_of(principal, day=day, todo_items=counted, reminders=reminders.get(str(principal.id)))
        if digest is not None:
            digests.append(dataclasses.replace(digest, email=addresses.get(principal.id)))
    result.digests = await InAppChannel(session).send_all(digests)
    result.already_sent = len(digests) - len(result.digests)
    return result


async def deliver(digests: Sequence[Digest], channels: Sequence[Channel]) -> dict[str, int]:
    """Send stored digests through the other channels; a failure is logged and counted, never retried by a
    second run (the digest is in the app already)."""
    sent: Counter[str] = Counter()
    for digest in digests:
        for channel in channels:
            try:
                if await channel.send(digest):
                    sent[channel.name] += 1
            except Exception:  # one person's relay failure must not stop the others' digests
                log.exception("digest for user %s not sent by %s", digest.user_id, channel.name)
                sent[f"{channel.name}_failed"] += 1
    return dict(sent)
