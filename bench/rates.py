"""Benchmark of the rates (issue 18: the county's ``GET /stats/rates`` over a year under 300 ms server time on
1,000,000 minors in 2,000 units, a file each and a year of entries).

Builds, in a fresh PostgreSQL database at the newest migration, a county of 40 townships × 50 communities
(2,000 managing units) and ``--minors`` minors spread over the communities, each with a care file (opened
before the year; one in twenty closed mid-year; a 30-day plan, a quarterly urine test on one in four) and a
year of entries: a contact about every 30 days with one in seven missed, a urine test every third month on
the files that require them. Seizure notices: one per 50 minors over the year, most acknowledged the same day.
Everything is generated in SQL (``generate_series``) with triggers set aside, so loading is a few statements,
and what the triggers would have written (the files' monthly summary, the rates' per-unit tallies) is filled
afterwards by the migrations' own statements (``seed.fill_summaries``). Then asks the real app, in process,
through HTTP, for the county lead's ``/stats/rates`` over the last 365 Beijing days, ``--rounds`` times after a
warm-up, and reads the app's ``Server-Timing``. Then times ``stats.rates.unit_rates`` directly for the same
units (the county and its townships) from the tallies, ``--rounds`` times, and the long way from the files
(``read_files=True``: the baseline, what the page did before the tallies) ``--baseline-rounds`` times spread
among them, checking that both give the same figures; and for 500 units, with and without the ids behind each
figure (what an assessment run asks for). Prints the load average at the start, after the requests and at the
end: the machine is shared, so the ratio to the baseline is the figure that counts.

    .venv/bin/python bench/rates.py                    # 1,000,000 minors (about 13M entries)
    .venv/bin/python bench/rates.py --minors 50000     # a smaller county
    .venv/bin/python bench/rates.py --reuse            # measure again on the loaded database
    .venv/bin/python bench/rates.py --reuse --database qinghu_bench   # on the shared bench data (bench/seed.py)

Writes ``bench/results/rates.json``.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.migrate import upgrade_to_head
from backend.security.passwords import hash_secret
from backend.settings import Settings
from bench import seed

DATABASE = "qinghu_bench_rates"
PASSWORD = seed.PASSWORD
TARGET_MS = 300


async def _seed(dsn: str, minors: int, today: date) -> None:
    connection = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    county = uuid.uuid4()
    units = [(county, "瑞安市禁毒办", "county_office", None, seed.unit_path(county), 0)]
    communities = []
    for t in range(40):
        township = uuid.uuid4()
        units.append((township, f"第{t + 1}街道", "township", county, seed.unit_path(county, township), 1))
        for c in range(50):
            community = uuid.uuid4()
            communities.append((len(communities), community))
            units.append(
                (community, f"第{t + 1}街道第{c + 1}社区", "community", township, seed.unit_path(county, township, community), 2)
            )  # fmt: skip
    await connection.copy_records_to_table(
        "units",
        records=[(1, now, now, *unit, True) for unit in units],
        columns=["version", "created_at", "updated_at", "id", "name", "kind", "parent_id", "path", "depth", "is_active"],
    )  # fmt: skip
    lead = uuid.uuid4()
    await connection.execute(
        "INSERT INTO users (version, created_at, updated_at, id, username, display_name, role, unit_id,"
        " is_active, password_hash, must_change_password)"
        " VALUES (1, $1, $1, $2, 'bench_lead', 'bench_lead', 'supervisor', $3, true, $4, false)",
        now, lead, county, hash_secret(PASSWORD),
    )  # fmt: skip
    await connection.execute("CREATE TEMP TABLE bench_units (n int, unit uuid)")
    await connection.copy_records_to_table("bench_units", records=communities)
    # Bulk load: no triggers (the registry's counters are not read by the rates) and no row-by-row FK checks.
    await connection.execute("SET session_replication_role = replica")
    year_start = today - timedelta(days=365)
    await connection.execute(
        f"""
        CREATE TEMP TABLE bench_files AS
        SELECT g, gen_random_uuid() AS minor_id, gen_random_uuid() AS file_id, bench_units.unit
        FROM generate_series(1, {int(minors)}) AS g JOIN bench_units ON bench_units.n = g % 2000
        """
    )
    await connection.execute(
        """
        INSERT INTO minors (id, name, id_document_type, id_number_ciphertext, id_number_hash, id_number_masked,
            gender, birth_date, guardians, schooling_status, risk_categories, substances, risk_level,
            managing_unit_id, status, is_sealed, source, version, created_at, updated_at)
        SELECT minor_id, '张*', 'mainland_id', 'x', md5(g::text), '330381********0000', 'male', date '2011-01-01',
            '[]', 'in_school', '["nps_abuse"]', '[]', 'medium', unit, 'active', false, 'screening', 1, now(), now()
        FROM bench_files
        """
    )
    await connection.execute(
        """
        INSERT INTO care_files (id, minor_id, managing_unit_id, status, trigger, opened_at, reopened_count,
            lead_worker_id, team, responsible_user_ids, confirmed_responsible_ids, goals, measures, interval_days,
            urine_test_interval_days, last_contact_on, next_due_on, lost_contact_on, failed_attempts, closed_at,
            version, created_at, updated_at)
        SELECT file_id, minor_id, unit, CASE WHEN g % 20 = 0 THEN 'closed' ELSE 'open' END, 'manual',
            $1::timestamptz - interval '30 days', 0, CASE WHEN g % 10 = 0 THEN NULL ELSE $2::uuid END,
            '[]', '[]', '[]', '', '', 30, CASE WHEN g % 4 = 0 THEN 90 END, $3::date - (g % 40),
            $3::date - (g % 40) + 30, $3::date - (g % 40) + 60, 0,
            CASE WHEN g % 20 = 0 THEN $1::timestamptz + interval '180 days' END, 1, now(), now()
        FROM bench_files
        """,
        datetime.combine(year_start, datetime.min.time(), tzinfo=UTC), lead, today,
    )  # fmt: skip
    # A contact about every 30 days (one in seven missed), and a urine test each third month where required.
    await connection.execute(
        """
        INSERT INTO care_entries (id, care_file_id, kind, occurred_at, actor_name, summary, contact_succeeded,
            urine_result, recorded_at)
        SELECT gen_random_uuid(), file_id,
            CASE WHEN g % 4 = 0 AND k % 3 = 0 THEN 'urine_test' ELSE 'talk' END,
            $1::timestamptz + make_interval(days => k * 30 + (hashint4(g + k) & 15)), 'bench', '…', true,
            CASE WHEN g % 4 = 0 AND k % 3 = 0 THEN 'negative' END, now()
        FROM bench_files, generate_series(0, 11) AS k
        WHERE (hashint4(g * 31 + k) & 7) <> 0
        """,
        datetime.combine(year_start, datetime.min.time(), tzinfo=UTC),
    )  # fmt: skip
    township = await connection.fetchval("SELECT id FROM units WHERE kind = 'township' LIMIT 1")
    await connection.execute(
        """
        INSERT INTO seizure_notices (id, notice_no, reporting_unit_id, reported_by_kind, reported_by_id,
            request_hash, received_at, seized_at, place, substances, test_result, measures, minor_id,
            minor_created, routing_status, routing_reason, receiving_unit_id, ack_deadline_at, acknowledged_at,
            followup_status, version, created_at, updated_at)
        SELECT gen_random_uuid(), 'B-' || g, $1::uuid, 'client', gen_random_uuid(), md5(g::text),
            $2::timestamptz + make_interval(days => g % 360, hours => g % 24),
            $2::timestamptz + make_interval(days => g % 360), '某地', '["etomidate"]', 'positive',
            '["admonition"]', minor_id, false, 'routed', 'residence', $1::uuid,
            $2::timestamptz + make_interval(days => g % 360 + 1),
            CASE WHEN (g / 50) % 5 = 0 THEN NULL
                 ELSE $2::timestamptz + make_interval(days => g % 360, hours => g % 24 + g % 3) END,
            'care_file_open', 1, now(), now()
        FROM bench_files WHERE g % 50 = 0
        """,
        township, datetime.combine(year_start, datetime.min.time(), tzinfo=UTC),
    )  # fmt: skip
    # The triggers were set aside: fill the files' yearly summary and the rates' tallies the way the migrations
    # backfill them.
    await seed.fill_summaries(connection)
    await connection.execute("VACUUM ANALYZE")
    await connection.close()


async def _measure(settings: Settings, rounds: int, baseline_rounds: int, warmup: int = 2) -> dict:
    """The county lead's ``/stats/rates`` over the last 365 days (Beijing days, ending today) through HTTP:
    the app's ``Server-Timing``. Then, called directly and interleaved, ``unit_rates`` for the county and its
    townships (what that page asks) from the tallies and read the long way from the files (``read_files``, the
    baseline: what main did before the tallies), and for 500 units with the ids behind each figure (what an
    assessment run asks). Both ways must give the same figures."""
    from httpx import ASGITransport, AsyncClient
    from sqlalchemy import select

    from backend.db import local_today
    from backend.main import create_app
    from backend.stats.rates import Period, unit_rates
    from backend.units.models import Unit

    today = local_today()
    app = create_app(settings)
    params = {"period_from": (today - timedelta(days=365)).isoformat(), "period_to": today.isoformat()}
    period = Period(today - timedelta(days=365), today)
    timings: dict[str, list[float]] = {
        "server": [],
        "tallies": [],
        "files": [],
        "units_500": [],
        "units_500_ids": [],
    }
    load = [os.getloadavg()]
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as client,
    ):
        token = (
            await client.post(
                "/api/v1/auth/token",
                data={"grant_type": "password", "username": "bench_lead", "password": PASSWORD},
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for round_ in range(rounds + warmup):
            response = await client.get("/api/v1/stats/rates", params=params, headers=headers)
            assert response.status_code == 200, response.text
            if round_ >= warmup:
                timings["server"].append(float(response.headers["server-timing"].split("dur=")[1]))
        county = response.json()["units"][0]
        load.append(os.getloadavg())

        async def timed(name: str, units: list, **options: bool) -> dict:
            async with app.state.sessionmaker() as session:
                started = time.perf_counter()
                figures = await unit_rates(session, units=units, period=period, **options)
                timings[name].append((time.perf_counter() - started) * 1000)
                return figures

        async with app.state.sessionmaker() as session:
            root = (await session.scalars(select(Unit).where(Unit.kind == "county_office"))).first()
            assert root is not None
            page = [root, *(await session.scalars(select(Unit).where(Unit.parent_id == root.id)))]
            many = list(
                await session.scalars(
                    select(Unit)
                    .where(Unit.kind.in_(("township", "community")))
                    .order_by(Unit.path)
                    .limit(500)
                )
            )
        # The baseline is slow: one call of it for every few of the tallies, spread over the same stretch of time.
        await timed("tallies", page)
        slow = await timed("files", page, read_files=True)
        timings["tallies"].clear()
        timings["files"].clear()
        every = max(1, rounds // max(1, baseline_rounds))
        for round_ in range(rounds):
            quick = await timed("tallies", page)
            if round_ % every == every // 2 and len(timings["files"]) < baseline_rounds:
                slow = await timed("files", page, read_files=True)
                assert quick == slow, "the tallies and the files disagree"
        for round_ in range(max(1, rounds // 4) + 1):
            await timed("units_500", many)
            await timed("units_500_ids", many, explain=True)
            if round_ == 0:
                timings["units_500"].clear()
                timings["units_500_ids"].clear()
        load.append(os.getloadavg())
    await app.state.engine.dispose()
    return {"timings": timings, "county": county, "load": load}


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minors", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2, help="requests before the measured ones")
    parser.add_argument(
        "--baseline-rounds", type=int, default=3, help="rounds of the direct comparison with the files (slow)"
    )
    parser.add_argument("--reuse", action="store_true", help="measure on the database loaded before")
    parser.add_argument(
        "--database",
        default=DATABASE,
        help="with --reuse, also the shared bench data (qinghu_bench: bench/todo.py seeds its casework)",
    )
    args = parser.parse_args()
    settings = Settings(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{args.database}", log_level="WARNING"
    )
    today = datetime.now(UTC).date()
    if not args.reuse:
        asyncio.run(seed.recreate_database(args.database))
        upgrade_to_head(settings)
        started = time.perf_counter()
        asyncio.run(_seed(seed.dsn_of(args.database), args.minors, today))
        print(
            f"loaded {args.minors} minors, files and a year of entries in {time.perf_counter() - started:.0f} s"
        )
    measured = asyncio.run(_measure(settings, args.rounds, args.baseline_rounds, args.warmup))
    timings = measured["timings"]
    results = {
        "county_rates_server": _summary(timings["server"]),
        "county_unit_rates_tallies": _summary(timings["tallies"]),
        "county_unit_rates_files_baseline": _summary(timings["files"]),
        "ratio_tallies_to_files": round(
            statistics.median(timings["tallies"]) / statistics.median(timings["files"]), 4
        ),
        "unit_rates_500_units": _summary(timings["units_500"]),
        "unit_rates_500_units_with_ids": _summary(timings["units_500_ids"]),
        "load_average_1_5_15": [[round(value, 1) for value in sample] for sample in measured["load"]],
    }
    print(
        f"stats/rates (county, 365 days): server time median {results['county_rates_server']['median_ms']} ms, "
        f"p95 {results['county_rates_server']['p95_ms']} ms over {args.rounds} requests (target {TARGET_MS} ms)"
    )
    print(
        f"unit_rates, county and townships: tallies {results['county_unit_rates_tallies']['median_ms']} ms, "
        f"files (baseline) {results['county_unit_rates_files_baseline']['median_ms']} ms: "
        f"ratio {results['ratio_tallies_to_files']}"
    )
    print(
        f"unit_rates, 500 units: {results['unit_rates_500_units']['median_ms']} ms, with the ids behind each "
        f"figure {results['unit_rates_500_units_with_ids']['median_ms']} ms"
    )
    print(
        "load average (1, 5, 15 min) at start, after the requests, at the end:",
        results["load_average_1_5_15"],
    )
    print("county:", json.dumps(measured["county"]["rates"], ensure_ascii=False))
    output = REPO / "bench" / "results" / "rates.json"
    output.write_text(
        json.dumps(
            {
                "minors": args.minors,
                "database": args.database,
                "rounds": args.rounds,
                "target_ms": TARGET_MS,
                **results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
