"""Inference, not fields: what each role could work out from everything it receives about one child.

A 17-year-old is seized by the police, the station takes the case up, keeps a file with a urine test and a
talk, adds a second substance and asks another station to take the child over. Then each account harvests
every channel it can reach — the registry's list (with every filter it may use), detail and look-up, the care
files and their timelines, the seizure notices and their daily report (JSON and XLSX), the transfers and the
printable notice, the statistics (JSON, CSV and XLSX) and the audit trail — and the test plays the attacker:

- no value that the table below keeps from an account appears anywhere, in any format (an ID number with or
  without its check digit, a birth date as 2009-01-02, 20090102 or 2009年1月2日, a code, a free text);
- no date anywhere is the birth date shifted by whole years (the old ``turns_18_on`` was);
- the birth dates that fit everything an account was told (ages, flags, the age when seized, which filtered
  lists the child is in) are at least four weeks' worth, and the full ID numbers that fit them and the masked
  number's last four characters (its check digit included) are at least two;
- a statistic over the child's unit shown to an account that does not see the records behind it never
  publishes a count between 1 and 4.

The table of what each account may learn is written out here, not read from the policy.
"""

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest

from backend.db import LOCAL_TIMEZONE, local_today, utcnow
from tests.conftest import DEMO_CLIENT_SECRET

# ---------------------------------------------------------------------------------------------------------
# The child and what is done about them.

NAME = "欧阳思琪"
PHONE = "13987654321"
GUARDIAN_NAME = "欧阳建华"
GUARDIAN_PHONE = "13712345678"
HOUSEHOLD_ADDRESS = "锦湖街道滨江社区7幢502室"
RESIDENCE_ADDRESS = "锦湖街道锦园路18号"
SEQUENCE = "246"  # the 17th digit is even: a girl

# Free texts, each distinct so that a leak says where it came from.
NOTICE_SUMMARY = "在KTV包厢内吸食依托咪酯电子烟，当场查获。"
NOTICE_PLACE = "锦湖街道某KTV"
URINE_SUMMARY = "尿检复查结果阳性"
TALK_SUMMARY = "谈心时承认曾吸笑气三次"
TRANSFER_REASON = "查获后随母迁居安阳"
GOALS = "戒断电子烟，按时复查"

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """GB 11643: the attacker's own check-digit rule (not the app's)."""
    return _CHECK[sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True)) % 11]


def shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def date_forms(day: date) -> set[str]:
    return {
        day.isoformat(),
        day.strftime("%Y%m%d"),
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%Y年%m月%d日"),
        day.strftime("%Y/%m/%d"),
        f"{day.year}.{day.month}.{day.day}",
    }


@dataclass
class Child:
    birth_date: date
    id_number: str
    minor_id: str = ""
    notice_id: str = ""
    care_file_id: str = ""
    transfer_id: str = ""


def make_child(today: date) -> Child:
    # 17, and 18 in 45 days: inside the coarsest flag, the hardest case for the birth date.
    birth = shift_years(today + timedelta(days=45), -18)
    first17 = "330381" + birth.strftime("%Y%m%d") + SEQUENCE
    return Child(birth_date=birth, id_number=first17 + check_digit(first17))


# ---------------------------------------------------------------------------------------------------------
# What each account may learn of this child, written out. "identity": the name, ID number, birth date,
# phone, guardians, exact addresses. "sensitive": drug-use facts (codes, the care file's and the transfer's
# free text, a source or trigger that says "seized"). The police learn the facts of the notice they sent
# (etomidate, a positive test, its place and summary), nothing the station added later.

SEES_IDENTITY = {"jinhu_worker"}  # the lead social worker, named by a lead: in the detail view
SEES_SENSITIVE = {"jinhu_worker", "jinhu_lead", "county_lead", "other_worker"}  # other_worker: the transfer
POLICE = {"jinhu_police", "police-jinhu"}
ACCOUNTS = [
    "jinhu_worker",
    "jinhu_lead",
    "county_lead",
    "other_worker",
    "jinhu_police",
    "school_teacher",
    "admin",
    "auditor",
    "edu_officer",
    "police-jinhu",
    "edu-bureau",
]
# Who sees small counts as they are (the records behind them are theirs to list in full).
SEES_SMALL_COUNTS = {"jinhu_worker", "jinhu_lead", "county_lead", "other_worker"}


def identity_secrets(child: Child) -> set[str]:
    number = child.id_number
    return {
        NAME,
        number,
        number[:17],
        number.lower(),
        PHONE,
        GUARDIAN_NAME,
        GUARDIAN_PHONE,
        HOUSEHOLD_ADDRESS,
        RESIDENCE_ADDRESS,
        *date_forms(child.birth_date),
    }


SENSITIVE_CODES = {"etomidate", "nitrous_oxide", "seized_drug_use", "positive", "urine_test"}
SENSITIVE_TEXTS = {
    NOTICE_SUMMARY,
    NOTICE_PLACE,
    URINE_SUMMARY,
    TALK_SUMMARY,
    TRANSFER_REASON,
    GOALS,
    "依托咪酯",
    "笑气",
}
# Keys whose value "seizure_notice" says the child was seized (a minor's source, a file's trigger, the reason of
# an audit event recording the push's change).
SEIZED_KEYS = {"source", "trigger", "reason"}
POLICE_OWN_CODES = {"etomidate", "positive"}
# Keys that say what the caller may do, the same on every record they reach, never a fact of the case: a police
# officer on a file's team may record urine tests on any such file ("urine_test" in ``recordable_kinds``).
CALLER_CAPABILITY_KEYS = {"recordable_kinds"}
POLICE_OWN_TEXTS = {NOTICE_SUMMARY, NOTICE_PLACE, "依托咪酯"}


# ---------------------------------------------------------------------------------------------------------
# Harvesting.


@dataclass
class Harvest:
    texts: list[str] = field(default_factory=list)  # every string received, JSON keys excluded
    pairs: list[tuple[str, Any]] = field(default_factory=list)  # (key, value) of every JSON object
    counts: list[int] = field(default_factory=list)  # statistics' published {"value": n}
    ages: list[int] = field(default_factory=list)
    soon_flags: list[bool] = field(default_factory=list)
    seized_ages: list[tuple[date, int]] = field(default_factory=list)
    masked_numbers: set[str] = field(default_factory=set)
    listed_with: list[tuple[dict[str, Any], bool]] = field(default_factory=list)

    def add_json(self, value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for inner_key, inner in value.items():
                self.pairs.append((inner_key, inner))
                if inner_key in CALLER_CAPABILITY_KEYS:
                    continue
                self.add_json(inner, inner_key)
        elif isinstance(value, list):
            for item in value:
                self.add_json(item, key)
        elif isinstance(value, str):
            self.texts.append(value)
        elif isinstance(value, bool | int | float) and value is not None:
            self.texts.append(str(value))

    def add_text(self, text: str) -> None:
        self.texts.append(text)


def _statistic_counts(value: Any, found: list[int]) -> None:
    if isinstance(value, dict):
        if set(value) >= {"value"} and isinstance(value.get("value"), int) and "suppressed" not in value:
            found.append(value["value"])
        # A rate (stats/rates): its two counts and their difference (the minors not cared for …).
        numerator, denominator = value.get("numerator"), value.get("denominator")
        if isinstance(numerator, int) and isinstance(denominator, int):
            found.extend([numerator, denominator, denominator - numerator])
        for inner in value.values():
            _statistic_counts(inner, found)
    elif isinstance(value, list):
        for item in value:
            _statistic_counts(item, found)


async def harvest(
    client,
    headers: dict[str, str],
    child: Child,
    county: dict[str, Any],
    *,
    duplicate_check_names_records: bool = True,
) -> Harvest:
    found = Harvest()
    today = local_today()

    async def get(url: str, **params: Any) -> Any:
        response = await client.get(url, params=params, headers=headers)
        if response.status_code != 200:
            assert response.status_code in (403, 404), (url, response.status_code, response.text)
            return None
        if response.headers["content-type"].startswith("application/json"):
            body = response.json()
            found.add_json(body)
            return body
        if "spreadsheetml" in response.headers["content-type"]:
            book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
            for sheet in book.worksheets:
                for row in sheet.iter_rows(values_only=True):
                    found.texts.extend(str(cell) for cell in row if cell is not None)
            return None
        text = response.content.decode("utf-8-sig")
        found.add_text(text)
        if response.headers["content-type"].startswith("text/csv"):
            found.texts.extend(cell for row in csv.reader(io.StringIO(text)) for cell in row)
        return None

    def minor_seen(shown: dict[str, Any]) -> None:
        found.ages.append(shown["age"])
        found.soon_flags.append(shown["turns_18_soon"])
        found.masked_numbers.add(shown["id_number"])

    # The registry: list (plain and with every filter the account may use), detail, look-up.
    listing = await get("/api/v1/minors", limit=200)
    # Which filtered lists the child is in says something only if the child is in the list at all.
    if listing is not None and child.minor_id in {item["id"] for item in listing["items"]}:
        minor_seen(next(item for item in listing["items"] if item["id"] == child.minor_id))
        filters: list[dict[str, Any]] = [{"turns_18_within_days": days} for days in (90, 365)]
        filters += [{"age_min": age} for age in range(10, 20)] + [{"age_max": age} for age in range(10, 20)]
        for params in filters:
            page = await get("/api/v1/minors", limit=200, **params)
            if page is not None:
                found.listed_with.append((params, child.minor_id in {item["id"] for item in page["items"]}))
    if listing is not None:
        for sort in ("birth_date", "-birth_date", "age", "-age"):
            response = await client.get("/api/v1/minors", params={"sort": sort}, headers=headers)
            assert response.status_code == 422, (sort, response.status_code)
    detail = await get(f"/api/v1/minors/{child.minor_id}")
    if detail is not None:
        minor_seen(detail)
    response = await client.post(
        "/api/v1/minors/lookup", json={"id_number": child.id_number}, headers=headers
    )
    if response.status_code == 200:
        found.add_json(response.json())
        minor_seen(response.json())

    # The lists' exports (a file never shows more than the list's JSON) and the possible duplicates, asked for
    # the child's name with each birth year (an answer names in-scope records; the year is all it can tell).
    for fmt in ("csv", "xlsx"):
        await get("/api/v1/minors", format=fmt)
        await get("/api/v1/care-files", format=fmt)
    for year in range(today.year - 19, today.year - 9):
        response = await client.post(
            "/api/v1/minors/duplicate-check",
            json={"name": NAME, "birth_date": f"{year}-01-01"},
            headers=headers,
        )
        if response.status_code != 200:
            assert response.status_code in (403, 429), (response.status_code, response.text)
            continue
        answer = response.json()
        found.add_json(answer)
        ids = {item["id"] for item in answer["in_scope"]}
        for item in answer["in_scope"]:
            if item["id"] == child.minor_id:
                minor_seen(item)
        if not duplicate_check_names_records:
            assert answer["in_scope"] == [], answer
        if child.minor_id in ids or answer["managed_elsewhere"]:
            found.listed_with.append(({"born_in_year": year}, True))
        elif duplicate_check_names_records:
            # A "no" is evidence only to an account whose check can say "yes" for a record it reaches.
            found.listed_with.append(({"born_in_year": year}, False))

    # Care files, their timeline.
    files = await get("/api/v1/care-files", limit=200)
    await get(f"/api/v1/care-files/{child.care_file_id}")
    await get(f"/api/v1/care-files/{child.care_file_id}/entries")
    for item in (files or {}).get("items", []):
        if item["minor"]["id"] == child.minor_id:
            minor_seen(item["minor"])

    # Seizure notices and the daily report.
    notices = await get("/api/v1/seizure-notices", limit=200)
    for notice in [
        *(notices or {}).get("items", []),
        await get(f"/api/v1/seizure-notices/{child.notice_id}"),
    ]:
        if notice and notice["minor_id"] == child.minor_id:
            seized_on = date.fromisoformat(notice["seized_at"][:10])
            found.seized_ages.append((seized_on, notice["person"]["age_when_seized"]))
            found.masked_numbers.add(notice["person"]["id_number"])
    for fmt in ("json", "xlsx"):
        params = {"format": fmt} if fmt != "json" else {}
        await get("/api/v1/seizure-notices/daily-report", **params)

    # Transfers and the printable notice.
    transfers = await get("/api/v1/transfers", limit=200)
    await get(f"/api/v1/transfers/{child.transfer_id}")
    await get(f"/api/v1/transfers/{child.transfer_id}/notice")
    for item in (transfers or {}).get("items", []):
        if item["minor"]["id"] == child.minor_id:
            minor_seen(item["minor"])

    # Statistics, in every format, and the dashboard.
    for url in (
        "/api/v1/stats/schools",
        "/api/v1/stats/regions",
        "/api/v1/stats/overview",
        "/api/v1/stats/rates",
        f"/api/v1/stats/rates?unit_id={county['units']['锦湖街道'].id}",
    ):
        body = await get(url)
        if body is not None:
            _statistic_counts(body, found.counts)
        if not url.endswith("overview"):
            for fmt in ("csv", "xlsx"):
                await get(url, format=fmt)

    # The audit trail: who did what (its reasons and field names are shaped too).
    await get("/api/v1/audit-events", limit=200)
    return found


# ---------------------------------------------------------------------------------------------------------
# The case.


@pytest.fixture
async def case(client, login, county) -> Child:
    today = local_today()
    child = make_child(today)
    police = await _client_headers(client, "police-jinhu")
    seized_at = (utcnow() - timedelta(hours=1)).astimezone(LOCAL_TIMEZONE).replace(microsecond=0)
    pushed = await client.post(
        "/api/v1/seizure-notices",
        json={
            "notice_no": f"JHPCS-{uuid.uuid4().hex[:8]}",
            "seized_at": seized_at.isoformat(),
            "place": NOTICE_PLACE,
            "person": {
                "name": NAME,
                "id_number": child.id_number,
                "phone": PHONE,
                "household_division_code": "330381005001",
                "household_address": HOUSEHOLD_ADDRESS,
                "residence_division_code": "330381005002",
                "residence_address": RESIDENCE_ADDRESS,
                "school_name": "瑞安市锦湖中学",
            },
            "substances": ["etomidate"],
            "test_result": "positive",
            "measures": ["admonition"],
            "summary": NOTICE_SUMMARY,
        },
        headers={**police, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert pushed.status_code == 201, pushed.text
    child.notice_id, child.minor_id = pushed.json()["id"], pushed.json()["minor_id"]
    worker, lead = await login("jinhu_worker"), await login("jinhu_lead")
    acknowledged = await client.post(f"/api/v1/seizure-notices/{child.notice_id}/acknowledge", headers=worker)
    assert acknowledged.status_code == 200, acknowledged.text
    changed = await client.patch(
        f"/api/v1/minors/{child.minor_id}",
        json={
            "substances": ["etomidate", "nitrous_oxide"],
            "guardians": [{"relation": "father", "name": GUARDIAN_NAME, "phone": GUARDIAN_PHONE}],
        },
        headers=lead,
    )
    assert changed.status_code == 200, changed.text
    files = (await client.get("/api/v1/care-files", params={"minor_id": child.minor_id}, headers=lead)).json()
    assert files["total"] == 1, files
    child.care_file_id = files["items"][0]["id"]
    worker_id = (await client.get("/api/v1/me", headers=worker)).json()["id"]
    police_id = (await client.get("/api/v1/me", headers=await login("jinhu_police"))).json()["id"]
    assigned = await client.patch(
        f"/api/v1/care-files/{child.care_file_id}",
        json={
            "lead_worker_id": worker_id,
            "goals": GOALS,
            "team": [
                {"role": "police_officer", "user_id": police_id},
                {"role": "family_member", "name": GUARDIAN_NAME, "organisation": "父亲"},
            ],
        },
        headers=lead,
    )
    assert assigned.status_code == 200, assigned.text
    now = utcnow().astimezone(LOCAL_TIMEZONE).replace(microsecond=0)
    for entry in (
        {"kind": "urine_test", "urine_result": "positive", "summary": URINE_SUMMARY},
        {"kind": "talk", "summary": TALK_SUMMARY},
    ):
        recorded = await client.post(
            f"/api/v1/care-files/{child.care_file_id}/entries",
            json={**entry, "occurred_at": now.isoformat()},
            headers=worker,
        )
        assert recorded.status_code == 201, recorded.text
    transfer = await client.post(
        "/api/v1/transfers",
        json={
            "minor_id": child.minor_id,
            "to_unit_id": str(county["units"]["安阳街道"].id),
            "reason_code": "moved",
            "reason": TRANSFER_REASON,
        },
        headers=worker,
    )
    assert transfer.status_code == 201, transfer.text
    child.transfer_id = transfer.json()["id"]
    return child


async def _client_headers(client, client_id: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# ---------------------------------------------------------------------------------------------------------
# The attacker.

_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def dates_received(found: Harvest) -> set[date]:
    days = set()
    for text in found.texts:
        for year, month, day in _DATE.findall(text):
            try:
                days.add(date(int(year), int(month), int(day)))
            except ValueError:
                continue
    return days


def feasible_birth_dates(found: Harvest, today: date) -> list[date]:
    """Every birth date consistent with what the account was told: the ages and flags shown, the age when
    seized, and whether the child was in each filtered list (the filters' documented meaning)."""
    candidates = [today - timedelta(days=offset) for offset in range(365 * 25)]

    def fits(birth: date) -> bool:
        turns_18 = shift_years(birth, 18)
        if any(age_on(birth, today) != age for age in found.ages):
            return False
        if any((today < turns_18 <= today + timedelta(days=90)) != flag for flag in found.soon_flags):
            return False
        if any(age_on(birth, seized_on) != age for seized_on, age in found.seized_ages):
            return False
        for params, member in found.listed_with:
            if "turns_18_within_days" in params:
                within = today < turns_18 <= today + timedelta(days=params["turns_18_within_days"])
                if within != member:
                    return False
            if "age_min" in params and (age_on(birth, today) >= params["age_min"]) != member:
                return False
            if "age_max" in params and (age_on(birth, today) <= params["age_max"]) != member:
                return False
            if "born_in_year" in params and (birth.year == params["born_in_year"]) != member:
                return False
        return True

    return [birth for birth in candidates if fits(birth)]


def _values_with_key(found: Harvest, keys: set[str]) -> set[str]:
    return {value for key, value in found.pairs if key in keys and isinstance(value, str)}


# Who may not search the registry by name gets no records from the duplicate check either (a school's staff).
DUPLICATE_CHECK_NAMES_NO_RECORD = {"school_teacher"}


@pytest.mark.parametrize("account", ACCOUNTS)
async def test_no_account_can_work_out_what_the_policy_keeps_from_it(client, login, county, case, account):
    child, today = case, local_today()
    headers = await (_client_headers(client, account) if "-" in account else login(account))
    found = await harvest(
        client,
        headers,
        child,
        county,
        duplicate_check_names_records=account not in DUPLICATE_CHECK_NAMES_NO_RECORD,
    )
    received = "\n".join(found.texts)

    if account not in SEES_IDENTITY:
        for secret in sorted(identity_secrets(child)):
            assert secret not in received, (account, secret)
        for day in dates_received(found):
            for years in range(0, 31):
                assert shift_years(day, -years) != child.birth_date, (account, day, years)
        if found.ages or found.seized_ages or found.listed_with:
            births = feasible_birth_dates(found, today)
            assert child.birth_date in births  # the attacker's reasoning is sound
            assert len(births) >= 28, (account, len(births))
            shown = {number for number in found.masked_numbers if "*" in number}
            assert shown == {child.id_number[:6] + "*" * 8 + child.id_number[-4:]}, (account, shown)
            numbers = {
                "330381" + birth.strftime("%Y%m%d") + child.id_number[14:17]
                for birth in births
                if check_digit("330381" + birth.strftime("%Y%m%d") + child.id_number[14:17])
                == child.id_number[-1]
            }
            assert child.id_number[:17] in numbers
            assert len(numbers) >= 2, (account, numbers)

    if account not in SEES_SENSITIVE:
        codes = SENSITIVE_CODES - (POLICE_OWN_CODES if account in POLICE else set())
        texts = SENSITIVE_TEXTS - (POLICE_OWN_TEXTS if account in POLICE else set())
        values = set(found.texts)
        for code in sorted(codes):
            assert code not in values, (account, code)
        for text in sorted(texts):
            assert text not in received, (account, text)
        if account not in POLICE:
            assert "seizure_notice" not in _values_with_key(found, SEIZED_KEYS), account
        # The audit trail names changed fields; a change of "substances" says there are some.
        named = {name for key, value in found.pairs if key == "fields" and value for name in value}
        assert not named & {"substances", "sensitive_risk_categories", "source"}, (account, named)

    if account not in SEES_SMALL_COUNTS:
        small = [count for count in found.counts if 1 <= count <= 4]
        assert small == [], (account, small)


async def test_the_attacker_is_not_toothless(client, login, county, case):
    """The same attacker, against what the responsible worker is shown in full, finds the child: so the
    checks above would fail if a masked value leaked."""
    found = await harvest(client, await login("jinhu_worker"), case, county)
    received = "\n".join(found.texts)
    assert case.id_number in received
    assert case.birth_date.isoformat() in received
    assert NAME in received
    assert TALK_SUMMARY in received
    assert json.dumps(URINE_SUMMARY, ensure_ascii=False).strip('"') in received


# ---------------------------------------------------------------------------------------------------------
# Registering before the ID number is known (issue 17): the duplicate check names no one outside the scope.

DUPLICATE_CHECK = "/api/v1/minors/duplicate-check"


async def test_the_duplicate_check_answers_only_yes_or_no_outside_the_scope(client, login, county):
    """Another township's worker asking about a child managed in 锦湖街道 learns one bit ("managed elsewhere"),
    never the record, its unit or a masked name; asking about someone registered nowhere answers the same shape
    with the bit off. Each yes is the other unit's audit event and counts against the daily limit shared with
    registration (tests/minors/test_provisional.py holds the limit)."""
    born = date(local_today().year - 15, 5, 17)
    body = {
        "provisional": True,
        "name": NAME,
        "gender": "female",
        "birth_date": born.isoformat(),
        "residence_division_code": "330381005002",
        "risk_categories": ["idle_youth"],
    }
    created = await client.post("/api/v1/minors", json=body, headers=await login("jinhu_worker"))
    assert created.status_code == 201, created.text
    anyang = await login("other_worker")
    yes = await client.post(
        DUPLICATE_CHECK, json={"name": NAME, "birth_date": born.isoformat()}, headers=anyang
    )
    no = await client.post(
        DUPLICATE_CHECK,
        json={"name": NAME, "birth_date": born.replace(year=born.year - 1).isoformat()},
        headers=anyang,
    )
    assert yes.json() == {"in_scope": [], "managed_elsewhere": True}
    assert no.json() == {"in_scope": [], "managed_elsewhere": False}
    for secret in (created.json()["id"], "锦湖", NAME[:2] + "**", born.isoformat(), born.strftime("%Y%m%d")):
        assert secret not in yes.text + no.text
    # The name never travels in a URL: the check is a POST only.
    assert (await client.get(DUPLICATE_CHECK, headers=anyang)).status_code == 405
    # 锦湖街道's trail shows that someone asked, once: the "no" was not recorded against it.
    trail = await client.get(
        "/api/v1/audit-events",
        params={"action": "minor.duplicate_elsewhere"},
        headers=await login("jinhu_lead"),
    )
    assert trail.json()["total"] == 1


async def test_the_duplicate_check_is_no_birth_date_oracle(client, login, county):
    """Probe: with a name one knows, the check must not tell the birth date day by day. A "no" costs nothing, so
    a year, then each month, then each day would give a child's exact birth date for three of the day's yes
    answers outside the scope, and for none inside it (where a masked ID number plus the birth date is the whole
    number). Possible duplicates are matched on the name and the birth year: any day of the year answers alike."""
    born = date(local_today().year - 15, 5, 17)
    body = {
        "provisional": True,
        "name": NAME,
        "gender": "female",
        "birth_date": born.isoformat(),
        "residence_division_code": "330381005002",
        "risk_categories": ["idle_youth"],
    }
    created = await client.post("/api/v1/minors", json=body, headers=await login("jinhu_worker"))
    assert created.status_code == 201, created.text
    minor_id = created.json()["id"]
    asks = [
        {"name": NAME, "birth_date": born.isoformat()},
        {"name": NAME, "birth_date": born.replace(day=18).isoformat()},
        {"name": NAME, "birth_date": born.replace(month=11, day=3).isoformat()},
        {
            "name": NAME,
            "birth_date": born.replace(month=2, day=1).isoformat(),
            "birth_date_precision": "month",
        },
        {
            "name": NAME,
            "birth_date": born.replace(month=1, day=1).isoformat(),
            "birth_date_precision": "year",
        },
    ]
    other_year = {"name": NAME, "birth_date": born.replace(year=born.year - 1).isoformat()}

    # Outside the scope: the same yes for every day of the year, no for another year.
    anyang = await login("other_worker")
    answers = [(await client.post(DUPLICATE_CHECK, json=ask, headers=anyang)).json() for ask in asks]
    assert answers == [{"in_scope": [], "managed_elsewhere": True}] * 5
    answer = (await client.post(DUPLICATE_CHECK, json=other_year, headers=anyang)).json()
    assert answer == {"in_scope": [], "managed_elsewhere": False}

    # Inside it, for a lead who sees identities masked: the same record for every day of the year.
    lead = await login("jinhu_lead")
    found = [
        [
            item["id"]
            for item in (await client.post(DUPLICATE_CHECK, json=ask, headers=lead)).json()["in_scope"]
        ]
        for ask in asks
    ]
    assert found == [[minor_id]] * 5
    answer = (await client.post(DUPLICATE_CHECK, json=other_year, headers=lead)).json()
    assert answer == {"in_scope": [], "managed_elsewhere": False}
