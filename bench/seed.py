"""The shared bench data: one county of 2,000 units and 1,000,000 minors (``seed_registry``), and on top of it the
casework the later issues measure (``seed_casework``): a care file for each minor with its lead worker, about
2,000 people, a year of entries, transfers, seizure notices and notifications.

Used by bench/minors.py (the registry), bench/todo.py (the to-do centre and ``qinghu remind``), bench/rates.py
and bench/care_files.py. Everything here is synthetic. The registry is written row by row through COPY because
each minor carries its own encrypted ID number and phone (the look-up bench finds the first 1,000 by number);
the casework is generated inside PostgreSQL (``generate_series``, hashes of a row number for the spread), with
triggers and row-by-row foreign-key checks set aside while it loads, so a million files and thirteen million
entries take a few statements.

The layout (the defaults): the county office; ``units // 50`` townships (40); communities under each township
(48), where the minors are managed. People: the county's lead (``bench_lead``), one lead per township
(``bench_lead_t<n>``), one social worker per community (``bench_worker_<t>_<c>``, the lead worker of that
community's files, about 520 each) and one police officer per township (``bench_police_t<n>``); all share
``PASSWORD``.
"""

import importlib.util
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_DATABASE = "qinghu_bench"
PASSWORD = "Bench-Lead-Password-2026"  # noqa: S105 - throwaway accounts in a throwaway database


def dsn_of(database: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{database}"


async def recreate_database(name: str) -> None:
    connection = await asyncpg.connect(ADMIN_DSN)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()


async def drop_database(name: str) -> None:
    connection = await asyncpg.connect(ADMIN_DSN)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


def unit_path(*ids: uuid.UUID) -> str:
    return "/" + "".join(f"{unit_id.hex}/" for unit_id in ids)


# --- units ------------------------------------------------------------------------------------------------------


@dataclass
class County:
    root: uuid.UUID
    # (id, division code) of each township, and (id, division code, township id) of each community
    townships: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    communities: list[tuple[uuid.UUID, str, uuid.UUID]] = field(default_factory=list)


_UNIT_COLUMNS = [
    "id", "name", "kind", "division_code", "parent_id", "path", "depth", "is_active", "version", "created_at",
    "updated_at",
]  # fmt: skip


async def seed_units(
    connection: asyncpg.Connection,
    *,
    units: int = 2_000,
    townships: int | None = None,
    communities_per: int | None = None,
    county_name: str = "基准县禁毒办",
) -> County:
    """The county office, its townships and their communities (``units`` in all, about): by default 40 townships
    of 48 communities. ``communities_per=0`` gives townships only."""
    now = datetime.now(UTC)
    townships = townships if townships is not None else max(1, units // 50)
    if communities_per is None:
        communities_per = max(1, (units - 1 - townships) // townships)
    county = County(root=uuid.uuid4())
    rows = [(county.root, county_name, "county_office", "330381000000", None, unit_path(county.root), 0)]
    for t in range(townships):
        township = uuid.uuid4()
        code = f"330381{t + 1:03d}000"
        county.townships.append((township, code))
        rows.append(
            (township, f"第{t + 1}街道", "township", code, county.root, unit_path(county.root, township), 1)
        )
        for c in range(communities_per):
            community = uuid.uuid4()
            ccode = f"330381{t + 1:03d}{c + 1:03d}"
            county.communities.append((community, ccode, township))
            rows.append(
                (community, f"第{t + 1}街道{c + 1}社区", "community", ccode, township,
                 unit_path(county.root, township, community), 2)
            )  # fmt: skip
    await connection.copy_records_to_table(
        "units", records=[(*row, True, 1, now, now) for row in rows], columns=_UNIT_COLUMNS
    )
    return county


async def load_county(connection: asyncpg.Connection) -> County:
    """The county of a database seeded before (``--reuse``)."""
    root = await connection.fetchval(
        "SELECT id FROM units WHERE kind = 'county_office' ORDER BY path LIMIT 1"
    )
    county = County(root=root)
    for row in await connection.fetch(
        "SELECT id, division_code, kind, parent_id FROM units WHERE kind IN ('township', 'community')"
        " ORDER BY division_code"
    ):
        if row["kind"] == "township":
            county.townships.append((row["id"], row["division_code"]))
        else:
            county.communities.append((row["id"], row["division_code"], row["parent_id"]))
    return county


# --- the registry -----------------------------------------------------------------------------------------------

_MINOR_COLUMNS = [
    "id", "name", "id_document_type", "id_number_ciphertext", "id_number_hash", "id_number_masked", "gender",
    "birth_date", "phone_ciphertext", "phone_masked", "guardians", "household_division_code", "household_area",
    "household_address", "residence_division_code", "residence_area", "residence_address", "school_id", "grade",
    "schooling_status", "risk_categories", "substances", "risk_level", "managing_unit_id", "status", "is_sealed",
    "source", "created_by", "version", "created_at", "updated_at",
]  # fmt: skip


def birth_date_of(index: int, today: date) -> date:
    """The birth date of the ``index``-th seeded minor (12 to 18 years old)."""
    return today - timedelta(days=365 * 12 + (index * 7919) % (365 * 6))


def id_number_of(index: int, today: date) -> str:
    """The first 1,000 minors carry valid mainland ID numbers (the look-up finds them); the rest unique ones."""
    from backend.identity import make_mainland_id

    birth = birth_date_of(index, today)
    if index < 1000:
        return make_mainland_id("330381", birth, index % 1000)
    return f"{330381 + index // 1000:06d}{birth:%Y%m%d}{index % 1000:03d}X"


async def seed_registry(
    connection: asyncpg.Connection, settings: object, county: County, *, minors: int
) -> None:
    """``minors`` synthetic minors spread evenly over the communities, each with its own encrypted ID number."""
    from backend.demo.people import synthetic_person
    from backend.security.crypto import FieldCipher
    from backend.security.masking import mask_id_number, mask_phone

    cipher = FieldCipher.from_settings(settings)
    now = datetime.now(UTC)
    rng = random.Random(7)  # noqa: S311 - synthetic data
    today = date.today()
    # A pool of synthetic people reused for names and phones; each minor still gets its own ID number.
    pool = [synthetic_person(rng, today=today) for _ in range(2000)]
    categories = ["dropout", "left_behind", "idle_youth", "nps_abuse", "double_poor", "misconduct"]
    managing = [(unit_id, code) for unit_id, code, _ in county.communities] or [
        (unit_id, code) for unit_id, code in county.townships
    ]
    batch: list[tuple] = []
    started = time.perf_counter()
    for index in range(minors):
        person = pool[index % len(pool)]
        birth = birth_date_of(index, today)
        number = id_number_of(index, today)
        unit_id, code = managing[index % len(managing)]
        changed = now - timedelta(minutes=index % 500_000)
        guardians = json.dumps(
            [{"relation": "mother", "name": person.name[0] + "芳", "phone_ciphertext": None,
              "phone_masked": "139****5678"}]
        )  # fmt: skip
        batch.append(
            (
                uuid.uuid4(), person.name, "mainland_id", cipher.encrypt(number, context="minor.id_number"),
                cipher.lookup_hash(number, context="id_number:mainland_id"), mask_id_number(number), person.gender,
                birth, cipher.encrypt(person.phone, context="minor.phone"), mask_phone(person.phone), guardians,
                code, "第街道", "某小区1幢", code, "第街道", "某路1号", None, "初二", "in_school",
                json.dumps(rng.sample(categories, 2)), json.dumps(["etomidate"] if index % 3 == 0 else []),
                ("low", "medium", "high")[index % 3], unit_id, "active", False, "screening", None, 1, changed, changed,
            )
        )  # fmt: skip
        if len(batch) == 20_000:
            await connection.copy_records_to_table("minors", records=batch, columns=_MINOR_COLUMNS)
            batch.clear()
            print(f"  {index + 1:,} minors ({time.perf_counter() - started:.0f} s)", flush=True)
    if batch:
        await connection.copy_records_to_table("minors", records=batch, columns=_MINOR_COLUMNS)


async def add_user(
    connection: asyncpg.Connection, *, username: str, display_name: str, role: str, unit_id: uuid.UUID
) -> uuid.UUID:
    from backend.security.passwords import hash_secret

    user_id = uuid.uuid4()
    await connection.execute(
        "INSERT INTO users (id, username, display_name, role, unit_id, is_active, password_hash,"
        " must_change_password, version, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, true, $6, false, 1, now(), now())",
        user_id, username, display_name, role, unit_id, hash_secret(PASSWORD),
    )  # fmt: skip
    return user_id


async def vacuum(connection: asyncpg.Connection) -> None:
    """What autovacuum does to a table in service: statistics, and the visibility map that lets counts read
    the index alone. Measuring straight after a bulk load would time a state production is never in."""
    await connection.execute("VACUUM (ANALYZE)")


# --- casework ---------------------------------------------------------------------------------------------------


async def _columns(connection: asyncpg.Connection, table: str) -> set[str]:
    rows = await connection.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1", table
    )
    return {row["column_name"] for row in rows}


async def has_casework(connection: asyncpg.Connection) -> bool:
    return bool(await connection.fetchval("SELECT EXISTS (SELECT 1 FROM care_files)"))


async def seed_casework(connection: asyncpg.Connection, county: County, *, today: date | None = None) -> dict:
    """People, a care file for every minor, a year of entries, transfers, notices and notifications, generated in
    SQL over the minors already in the registry. Returns what was loaded (row counts and seconds).

    The spread, by a hash of each file's row number: one file in twenty without a lead worker (the township
    lead's "to assign"); the next follow-up due from 40 days ago to 29 days ahead on a 30-day plan, so four in
    seven are overdue, one in seven of them lost from contact; one in four plans requires a quarterly urine test. Entries:
    a contact about every 30 days over the year before ``today`` with one in eight missed, a urine test each
    third month where required. One transfer asked of another community per 500 minors and one awaiting a
    receipt outside the county per 1,000; one seizure notice per 50 minors over the year (one in five never
    acknowledged), received by the minor's township; three notifications per person, one of them unread."""
    today = today or date.today()
    year_start = datetime.combine(today - timedelta(days=365), datetime.min.time(), tzinfo=UTC)
    loaded: dict[str, float] = {}
    started = time.perf_counter()

    def done(step: str) -> None:
        loaded[f"{step}_s"] = round(time.perf_counter() - started, 1)
        print(f"  {step} ({loaded[f'{step}_s']:.0f} s)", flush=True)

    # People: the county's lead, a lead and a police officer per township, a social worker per community.
    from backend.security.passwords import hash_secret

    password = hash_secret(PASSWORD)
    now = datetime.now(UTC)
    people: list[tuple] = []
    if not await connection.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE username = 'bench_lead')"):
        people.append((uuid.uuid4(), "bench_lead", "基准负责人", "supervisor", county.root))
    township_number = {township: n + 1 for n, (township, _) in enumerate(county.townships)}
    for township, n in township_number.items():
        people.append((uuid.uuid4(), f"bench_lead_t{n}", f"第{n}街道站长", "supervisor", township))
        people.append((uuid.uuid4(), f"bench_police_t{n}", f"第{n}街道民警", "police", township))
    workers: list[tuple[uuid.UUID, uuid.UUID]] = []  # (community, worker)
    per_township: dict[uuid.UUID, int] = {}
    for community, _code, township in county.communities:
        c = per_township[township] = per_township.get(township, 0) + 1
        worker = uuid.uuid4()
        workers.append((community, worker))
        people.append(
            (worker, f"bench_worker_{township_number[township]}_{c}", f"社工{township_number[township]}-{c}",
             "caseworker", community)
        )  # fmt: skip
    await connection.copy_records_to_table(
        "users",
        records=[(*person, True, password, False, 1, now, now) for person in people],
        columns=["id", "username", "display_name", "role", "unit_id", "is_active", "password_hash",
                 "must_change_password", "version", "created_at", "updated_at"],
    )  # fmt: skip
    loaded["people"] = len(people)
    done("people")

    await connection.execute("DROP TABLE IF EXISTS bench_workers, bench_files")
    await connection.execute("CREATE TEMP TABLE bench_workers (unit uuid PRIMARY KEY, worker uuid)")
    await connection.copy_records_to_table("bench_workers", records=workers)
    # Bulk load: no triggers and no row-by-row foreign-key checks.
    await connection.execute("SET session_replication_role = replica")
    await connection.execute(
        """
        CREATE TEMP TABLE bench_files AS
        SELECT row_number() OVER (ORDER BY m.id) AS g, m.id AS minor_id, gen_random_uuid() AS file_id,
            m.managing_unit_id AS unit, w.worker, t.parent_id AS township
        FROM minors m JOIN units t ON t.id = m.managing_unit_id LEFT JOIN bench_workers w ON w.unit = t.id
        """
    )
    file_columns = await _columns(connection, "care_files")
    urine = "urine_test_interval_days," if "urine_test_interval_days" in file_columns else ""
    urine_value = "CASE WHEN g % 4 = 0 THEN 90 END," if urine else ""
    await connection.execute(
        f"""
        INSERT INTO care_files (id, minor_id, managing_unit_id, status, trigger, opened_at, reopened_count,
            lead_worker_id, team, responsible_user_ids, confirmed_responsible_ids, goals, measures, interval_days,
            {urine} last_contact_on, next_due_on, lost_contact_on, failed_attempts, version, created_at, updated_at)
        SELECT file_id, minor_id, unit, 'open', 'manual', $1::timestamptz - interval '30 days', 0,
            CASE WHEN worker IS NULL OR abs(hashint8(g)) % 20 = 0 THEN NULL ELSE worker END, '[]',
            CASE WHEN worker IS NULL OR abs(hashint8(g)) % 20 = 0 THEN '[]'::jsonb
                 ELSE jsonb_build_array(worker::text) END,
            CASE WHEN worker IS NULL OR abs(hashint8(g)) % 20 = 0 THEN '[]'::jsonb
                 ELSE jsonb_build_array(worker::text) END,
            '定期回访', '每月谈话', 30, {urine_value}
            $2::date - 40 + (g % 70)::int - 30, $2::date - 40 + (g % 70)::int,
            $2::date - 40 + (g % 70)::int + 30, 0, 1, now(), now()
        FROM bench_files
        """,
        year_start, today,
    )  # fmt: skip
    loaded["care_files"] = await connection.fetchval("SELECT count(*) FROM care_files")
    done("care files")
    await connection.execute(
        """
        INSERT INTO care_entries (id, care_file_id, kind, occurred_at, actor_id, actor_name, summary,
            contact_succeeded, urine_result, recorded_at)
        SELECT gen_random_uuid(), file_id,
            CASE WHEN g % 4 = 0 AND k % 3 = 2 THEN 'urine_test' ELSE 'talk' END,
            $1::timestamptz + make_interval(days => k * 30 + (hashint8(g + k) & 15)::int, hours => 2),
            worker, '社工', '谈话', true,
            CASE WHEN g % 4 = 0 AND k % 3 = 2 THEN 'negative' END,
            $1::timestamptz + make_interval(days => k * 30 + (hashint8(g + k) & 15)::int, hours => 3)
        FROM bench_files, generate_series(0, 11) AS k
        WHERE (hashint8(g * 31 + k) & 7) <> 0
        """,
        year_start,
    )  # fmt: skip
    loaded["entries"] = await connection.fetchval("SELECT count(*) FROM care_entries")
    done("entries")

    transfer_columns = await _columns(connection, "transfers")
    kind = "kind," if "kind" in transfer_columns else ""
    await connection.execute(
        f"""
        INSERT INTO transfers (id, minor_id, care_file_id, from_unit_id, to_unit_id, outside_division_code,
            outside_place_name, {kind} reason_code, reason, status, requested_by_name, version, created_at,
            updated_at)
        SELECT gen_random_uuid(), minor_id, file_id, unit,
            CASE WHEN g % 1000 = 0 THEN NULL ELSE (SELECT w.unit FROM bench_workers w
                WHERE w.unit <> f.unit ORDER BY w.unit OFFSET (g / 500) % 1000 LIMIT 1) END,
            CASE WHEN g % 1000 = 0 THEN '330102000000' END, CASE WHEN g % 1000 = 0 THEN '杭州市上城区' END,
            {"'handover'," if kind else ""} 'moved', '迁居',
            CASE WHEN g % 1000 = 0 THEN 'awaiting_outside_receipt' ELSE 'requested' END, '社工',
            1, now(), now()
        FROM bench_files f WHERE g % 500 = 0
        """
    )  # fmt: skip
    loaded["transfers"] = await connection.fetchval("SELECT count(*) FROM transfers")
    done("transfers")
    notice_columns = await _columns(connection, "seizure_notices")
    missing = {"followup_status"} - notice_columns
    await connection.execute(
        f"""
        INSERT INTO seizure_notices (id, notice_no, reporting_unit_id, reported_by_kind, reported_by_id,
            request_hash, received_at, seized_at, place, substances, test_result, measures, minor_id,
            minor_created, routing_status, routing_reason, receiving_unit_id, ack_deadline_at, acknowledged_at,
            {"" if missing else "followup_status,"} version, created_at, updated_at)
        SELECT gen_random_uuid(), 'B-' || g, township, 'client', gen_random_uuid(), md5(g::text),
            $1::timestamptz + make_interval(days => (g % 365)::int, hours => (g % 24)::int),
            $1::timestamptz + make_interval(days => (g % 365)::int), '某地', '["etomidate"]', 'positive',
            '["admonition"]', minor_id, false, 'routed', 'residence', township,
            $1::timestamptz + make_interval(days => (g % 365)::int + 1),
            CASE WHEN (g / 50) % 5 = 0 THEN NULL
                 ELSE $1::timestamptz + make_interval(days => (g % 365)::int, hours => (g % 24 + g % 3)::int) END,
            {"" if missing else "'care_file_open',"} 1, now(), now()
        FROM bench_files WHERE g % 50 = 0 AND township IS NOT NULL
        """,
        year_start,
    )  # fmt: skip
    loaded["seizure_notices"] = await connection.fetchval("SELECT count(*) FROM seizure_notices")
    done("notices")
    await connection.execute(
        """
        INSERT INTO notifications (id, user_id, kind, title, body, link, dedupe_key, digest_day, created_at,
            read_at)
        SELECT gen_random_uuid(), u.id, 'care_file.assigned', '新指派的帮教档案', '张*的帮教档案已指派给您',
            '/care-files', 'bench:' || u.id || ':' || k, NULL, now() - make_interval(days => k),
            CASE WHEN k = 0 THEN NULL ELSE now() END
        FROM users u, generate_series(0, 2) AS k
        """
    )
    loaded["notifications"] = await connection.fetchval("SELECT count(*) FROM notifications")
    done("notifications")
    await fill_summaries(connection)
    done("summaries")
    await connection.execute("SET session_replication_role = DEFAULT")
    await vacuum(connection)
    done("vacuum")
    return loaded


def _migration(name: str) -> Any:
    """A migration module of this checkout (its backfill statements), or None where it has none."""
    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / f"{name}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _empty(connection: asyncpg.Connection, table: str) -> bool:
    return not await connection.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})")


async def fill_summaries(connection: asyncpg.Connection) -> dict[str, float]:
    """What the triggers would have written while a bulk load set them aside, filled by the migrations' own
    backfill statements where the tables exist and are still empty: the care files' monthly summary
    (``care_file_years``, from the entries), then the rates' per-unit tallies (``rate_file_spans`` …, from the
    files and that summary). Run by ``seed_casework``, by bench/rates.py after its load, and on a database
    loaded before this existed (``python bench/seed.py fill-summaries --database …``). Triggers stay set aside
    while it writes, so the summary's rows do not also feed the tallies' triggers."""
    tables = {row["table_name"] for row in await connection.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )}  # fmt: skip
    seconds: dict[str, float] = {}
    await connection.execute("SET session_replication_role = replica")
    await connection.execute("SET work_mem = '256MB'")
    summary = _migration("2026_12_02_1300_care_file_years")
    if (
        summary is not None
        and "care_file_years" in tables
        and await _empty(connection, "care_file_years")
        and not await _empty(connection, "care_entries")
    ):
        started = time.perf_counter()
        await connection.execute(summary._backfill("postgresql"))
        seconds["care_file_years_s"] = round(time.perf_counter() - started, 1)
        print(f"  care_file_years filled from the entries ({seconds['care_file_years_s']:.0f} s)", flush=True)
    tallies = _migration("2026_12_02_1600_unit_rate_tallies")
    if (
        tallies is not None
        and "rate_file_spans" in tables
        and all([await _empty(connection, table) for table in tallies.TABLES])
        and not await _empty(connection, "care_files")
    ):
        started = time.perf_counter()
        for statement in tallies._backfill("postgresql"):
            await connection.execute(statement)
        seconds["rate_tallies_s"] = round(time.perf_counter() - started, 1)
        print(f"  the rates' tallies filled ({seconds['rate_tallies_s']:.0f} s)", flush=True)
    await connection.execute("RESET work_mem")
    await connection.execute("SET session_replication_role = DEFAULT")
    return seconds


async def _fill_summaries_of(database: str) -> None:
    connection = await asyncpg.connect(dsn_of(database))
    try:
        await fill_summaries(connection)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


if __name__ == "__main__":
    import argparse
    import asyncio

    parser = argparse.ArgumentParser(description="Fill what a bulk load left empty (see fill_summaries).")
    parser.add_argument("action", choices=["fill-summaries"])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    arguments = parser.parse_args()
    asyncio.run(_fill_summaries_of(arguments.database))
