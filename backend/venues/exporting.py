"""The export columns of the venue and pharmacy-check lists: the same shaped rows the JSON lists answer."""

from backend.exports import Column
from backend.venues.schemas import PharmacyCheckRead, VenueRead

VENUE_COLUMNS: tuple[Column[VenueRead], ...] = (
    Column("场所名称", lambda venue: venue.name, 30),
    Column("场所类型", lambda venue: venue.kind.zh),
    Column("地址", lambda venue: venue.address, 30),
    Column("责任单位", lambda venue: venue.unit.name, 20),
    Column("学校周边", lambda venue: venue.near_school),
    Column("周边学校", lambda venue: venue.school.name if venue.school else None, 20),
    Column("状态", lambda venue: venue.status.zh),
    Column("最近排查日期", lambda venue: venue.last_checked_on, 14),
    Column("复查日期", lambda venue: venue.follow_up_on, 14),
    Column("排查次数", lambda venue: venue.check_count),
    Column("备注", lambda venue: venue.note, 30),
)

PHARMACY_COLUMNS: tuple[Column[PharmacyCheckRead], ...] = (
    Column("药店名称", lambda check: check.pharmacy_name, 30),
    Column("许可证号", lambda check: check.licence_number, 18),
    Column("地址", lambda check: check.address, 30),
    Column("排查日期", lambda check: check.checked_on, 14),
    Column("购买人年龄段", lambda check: check.buyer_age_band.zh if check.buyer_age_band else None, 14),
    Column("数量（盒）", lambda check: check.quantity),
    Column("是否查验处方", lambda check: check.prescription_seen),
    Column("情况说明", lambda check: check.notes, 30),
    Column("排查单位", lambda check: check.unit.name, 20),
    Column("排查人", lambda check: check.checked_by_name),
)
