"""Benchmark of the statistics (issue 9: stats/schools and stats/regions for a county under 300 ms server time,
stats/overview for the county office under 500 ms).

Builds a county of 40 townships × 50 schools (2,000 schools) and ``--minors`` synthetic minors (two thirds of
them pupils; risk levels and categories drawn independently, so that schools hold many different category
sets) in a fresh PostgreSQL database, then asks the real app, in process, through its HTTP interface and with
its start-up run as uvicorn runs it, for each answer ``--rounds`` times after a warm-up. Server time is the
app's own ``Server-Timing`` header (from the request's first byte to the response's headers).

    .venv/bin/python bench/stats.py               # 1,000,000 minors (a few minutes to load), then measures
    .venv/bin/python bench/stats.py --reuse       # measures again on the loaded database
    .venv/bin/python bench/stats.py --minors 50000

The minors are loaded before the migrations that add the counters (``minor_counts``, ``minor_tallies``), so that
those migrations count a full registry as they would on a database already in service; the time they take is
printed. Writes ``bench/results/stats.json``.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from alembic import command

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.migrate import alembic_config, upgrade_to_head
from backend.minors.models import RiskCategory
from backend.security.passwords import hash_secret
from backend.settings import Settings
from bench.minors import _path, _recreate_database

DATABASE = "qinghu_bench_stats"
PASSWORD = "Bench-Stats-Password-2026"  # noqa: S105 - throwaway accounts in a throwaway database
# The last revision before the counters: the minors are loaded there, the counters' migrations count them.
BEFORE_COUNTERS = "23ef6a3d02b9"
TARGETS_MS = {"schools": 300, "regions": 300, "overview": 500}


async def _seed(dsn: str, minors: int) -> None:
    connection = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    county, bureau = uuid.uuid4(), uuid.uuid4()
    units = [
        (county, "瑞安市禁毒办", "county_office", None, _path(county), 0),
        (bureau, "瑞安市教育局", "department", county, _path(county, bureau), 1),
    ]
    schools = []
    for t in range(40):
        township = uuid.uuid4()
        units.append((township, f"第{t + 1}街道", "township", county, _path(county, township), 1))
        for s in range(50):
            school = uuid.uuid4()
            schools.append((len(schools), school, township))
            units.append(
                (
                    school,
                    f"第{t + 1}街道第{s + 1}学校",
                    "school",
                    township,
                    _path(county, township, school),
                    2,
                )
            )
    await connection.copy_records_to_table(
        "units",
        records=[(1, now, now, *unit, True) for unit in units],
        columns=["version", "created_at", "updated_at", "id", "name", "kind", "parent_id", "path", "depth", "is_active"],
    )  # fmt: skip
    for username, role, unit in (("bench_edu", "education", bureau), ("bench_lead", "supervisor", county)):
        await connection.execute(
            "INSERT INTO users (version, created_at, updated_at, id, username, display_name, role, unit_id,"
            " is_active, password_hash, must_change_password)"
            " VALUES (1, $1, $1, $2, $3, $3, $4, $5, true, $6, false)",
            now, uuid.uuid4(), username, role, unit, hash_secret(PASSWORD),
        )  # fmt: skip
    await connection.execute("CREATE TEMP TABLE bench_schools (n int, school uuid, township uuid)")
    await connection.copy_records_to_table("bench_schools", records=schools)
    categories = [category.value for category in RiskCategory]
    # Each category with probability 1/8, independently, from bits of a hash of the row number.
    await connection.execute(
        f"""
        INSERT INTO minors (id, name, id_document_type, id_number_ciphertext, id_number_hash, id_number_masked,
            gender, birth_date, guardians, schooling_status, risk_categories, substances, risk_level,
            managing_unit_id, status, is_sealed, source, version, created_at, updated_at, school_id)
        SELECT gen_random_uuid(), '张*', 'mainland_id', 'x', md5(g::text), '330381********0000', 'male',
            date '2011-01-01', '[]', 'in_school',
            coalesce((SELECT jsonb_agg(category) FROM unnest($1::text[]) WITH ORDINALITY AS c (category, bit)
                      WHERE (hashint4(g) >> (3 * bit::int % 29)) & 7 = 0), '[]'),
            '[]', (ARRAY['low', 'medium', 'high'])[1 + g % 3], bench_schools.township,
            CASE WHEN g % 10 = 0 THEN 'closed' ELSE 'active' END, false, 'screening', 1, now(), now(),
            CASE WHEN g % 3 = 0 THEN NULL ELSE bench_schools.school END
        FROM generate_series(1, {int(minors)}) AS g JOIN bench_schools ON bench_schools.n = g % 2000
        """,
        categories,
    )
    await connection.close()


async def _measure(settings: Settings, rounds: int) -> dict[str, list[float]]:
    from httpx import ASGITransport, AsyncClient

    from backend.main import create_app

    app = create_app(settings)
    asks = {
        "schools": ("bench_edu", "/api/v1/stats/schools"),
        "regions": ("bench_edu", "/api/v1/stats/regions"),
        "overview": ("bench_lead", "/api/v1/stats/overview"),
    }
    timings: dict[str, list[float]] = {name: [] for name in asks}
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as client,
    ):
        headers = {}
        for username in ("bench_edu", "bench_lead"):
            response = await client.post(
                "/api/v1/auth/token",
                data={"grant_type": "password", "username": username, "password": PASSWORD},
            )
            headers[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        for name, (username, path) in asks.items():
            for round_ in range(rounds + 2):
                response = await client.get(path, headers=headers[username])
                assert response.status_code == 200, response.text
                server_ms = float(response.headers["server-timing"].split("dur=")[1])
                if round_ >= 2:  # warm-up
                    timings[name].append(server_ms)
    await app.state.engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minors", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="measure on the database loaded before")
    args = parser.parse_args()
    settings = Settings(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}", log_level="WARNING"
    )
    if not args.reuse:
        asyncio.run(_recreate_database(DATABASE))
        command.upgrade(alembic_config(settings), BEFORE_COUNTERS)
        started = time.perf_counter()
        asyncio.run(_seed(f"postgresql://postgres@127.0.0.1:5432/{DATABASE}", args.minors))
        print(f"loaded {args.minors} minors in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        upgrade_to_head(settings)
        print(f"migrated to head (the counters counted) in {time.perf_counter() - started:.0f} s")

        async def vacuum() -> None:
            connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{DATABASE}")
            await connection.execute("VACUUM ANALYZE")
            await connection.close()

        asyncio.run(vacuum())
    timings = asyncio.run(_measure(settings, args.rounds))
    results = {}
    for name, values in timings.items():
        ordered = sorted(values)
        results[name] = {
            "median_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
            "max_ms": round(ordered[-1], 1),
            "target_ms": TARGETS_MS[name],
        }
        print(f"stats/{name}: median {results[name]['median_ms']} ms, p95 {results[name]['p95_ms']} ms "
              f"(target {TARGETS_MS[name]} ms)")  # fmt: skip
    output = REPO / "bench" / "results" / "stats.json"
    output.write_text(
        json.dumps({"minors": args.minors, "rounds": args.rounds, "server_time": results}, indent=2)
    )


if __name__ == "__main__":
    main()
