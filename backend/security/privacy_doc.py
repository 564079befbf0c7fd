"""docs/privacy.md's list of every field with its class, rendered from the policy's tables (``qinghu
privacy-fields``); a test fails when the page and the policy disagree."""

from backend.security import privacy

BEGIN = "<!-- privacy-fields:begin (qinghu privacy-fields --write) -->"
END = "<!-- privacy-fields:end -->"

RECORDS: tuple[tuple[str, dict[str, privacy.Rule]], ...] = (
    ("Minor (`/api/v1/minors`)", privacy.MINOR_FIELDS),
    ("Seizure notice (`/api/v1/seizure-notices`)", privacy.SEIZURE_NOTICE_FIELDS),
    ("Care file (`/api/v1/care-files`)", privacy.CARE_FILE_FIELDS),
    ("Care-file entry (`/api/v1/care-files/{id}/entries`)", privacy.CARE_ENTRY_FIELDS),
    ("Transfer (`/api/v1/transfers`)", privacy.TRANSFER_FIELDS),
    ("Audit event (`/api/v1/audit-events`)", privacy.AUDIT_EVENT_FIELDS),
    ("To-do item (`/api/v1/me/todo`)", privacy.TODO_ITEM_FIELDS),
    ("Notification (`/api/v1/me/notifications`)", privacy.NOTIFICATION_FIELDS),
    ("Import job (`/api/v1/imports`)", privacy.IMPORT_JOB_FIELDS),
    ("Venue (`/api/v1/venues`)", privacy.VENUE_FIELDS),
    ("Venue check (`/api/v1/venues/{id}`, `checks`)", privacy.VENUE_CHECK_FIELDS),
    ("Pharmacy check (`/api/v1/pharmacy-checks`)", privacy.PHARMACY_CHECK_FIELDS),
    ("Assessment result (`/api/v1/assessment-runs/{id}`)", privacy.ASSESSMENT_RESULT_FIELDS),
    (
        "Assessment figure (`/api/v1/assessment-runs/{id}/units/{unit_id}/figures/{indicator}`)",
        privacy.ASSESSMENT_FIGURE_FIELDS,
    ),
    ("Rates per unit (`/api/v1/stats/rates`)", privacy.RATE_FIELDS),
)


def render() -> str:
    """The block between ``BEGIN`` and ``END``: one table per record, every field, derived ones marked."""
    parts = [BEGIN]
    for title, fields in RECORDS:
        parts += [
            "",
            f"### {title}",
            "",
            "| field | class | derived from | why |",
            "| --- | --- | --- | --- |",
        ]
        for name, rule in fields.items():
            derived = ", ".join(rule.derived_from) if rule.derived else ""
            why = rule.why + (" (a seal does not hide it)" if not rule.sealable else "")
            parts.append(f"| `{name}` | {rule.field_class.value} | {derived} | {why} |")
    parts += ["", END]
    return "\n".join(parts)


def replace_block(page: str) -> str:
    """``page`` with its generated block replaced by the current one."""
    start, end = page.index(BEGIN), page.index(END) + len(END)
    return page[:start] + render() + page[end:]
