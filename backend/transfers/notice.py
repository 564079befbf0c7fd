"""The written notice of a transfer (书面通知) as a printable page: a Jinja2 template, escaped throughout, fed
with the minor as the registry's presenter shaped it for the caller (masked unless the policy shows the
identity in full) and the transfer's free text only where the policy shows it."""

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from backend.db import LOCAL_TIMEZONE
from backend.minors.schemas import MinorRead
from backend.security import privacy
from backend.security.principals import Principal
from backend.transfers.models import Transfer, TransferKind, TransferReason, TransferStatus

_TEMPLATES = Environment(
    loader=PackageLoader("backend.transfers", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_GENDERS = {"male": "男", "female": "女"}


def render_notice(principal: Principal, row: Any, minor: MinorRead) -> str:
    """The page for one transfer (``row`` from the transfers' scoped select) and its minor."""
    transfer: Transfer = row[0]
    reason_label = TransferReason(transfer.reason_code).zh
    shows_reason = privacy.record_shape(privacy.TRANSFER_FIELDS, principal).shows("reason")
    receiver = row.to_name or (
        f"{transfer.outside_place_name or ''}（{transfer.outside_division_code or '区划代码不详'}）"
    )
    delegation = transfer.kind == TransferKind.delegation
    return _TEMPLATES.get_template("notice.html").render(
        delegation=delegation,
        title="重点未成年人委托管理书面通知" if delegation else "重点未成年人移交书面通知",
        ends_on=f"{transfer.ends_on:%Y年%m月%d日}" if transfer.ends_on else "",
        number=transfer.id.hex[:12].upper(),
        receiver=receiver,
        sender=row.from_name,
        reason_label=reason_label,
        lines=[
            ("姓名", minor.name or ""),
            ("证件号码", minor.id_number or ""),
            ("性别", _GENDERS.get(str(minor.gender), "")),
            ("年龄", f"{minor.age}岁"),
            (
                "委托原因" if delegation else "移交原因",
                f"{reason_label}：{transfer.reason}" if shows_reason else reason_label,
            ),
            (
                "帮教档案",
                ("委托期间由接收单位管理" if delegation else "随同移交")
                if transfer.care_file_id
                else "无在帮档案",
            ),
        ],
        masked=bool(minor.masked_fields),
        requested_by=transfer.requested_by_name,
        requested_on=f"{transfer.created_at.astimezone(LOCAL_TIMEZONE):%Y年%m月%d日}",
        status_label=TransferStatus(transfer.status).zh,
    )
