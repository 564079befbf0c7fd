"""Benchmark of the overdue worklist (issue 6: first page for a township with ≥ 20,000 files < 100 ms).

Seeds a fresh PostgreSQL database with one county, ``--townships`` townships and ``--files`` minors per
township, each with an open care file whose dates are spread around today (about a third overdue), then asks
the real app (in process, through its HTTP interface) for the first page of ``?due=overdue`` as the lead of
one township, ``--rounds`` times, and prints the median and the 95th percentile of the server time.

    .venv/bin/python bench/care_files.py                       # 20,000 files in the measured township
    .venv/bin/python bench/care_files.py --townships 5         # and 80,000 more elsewhere in the county
    .venv/bin/python bench/care_files.py --reuse               # measure again without reseeding

Needs PostgreSQL on 127.0.0.1. The registry's 1M-minor data set (bench/minors.py) is not needed: the worklist
reads the care-file index of one managing unit, so the rest of the county only adds to the table's size.
"""

import argparse
import asyncio
import json
import random
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
from backend.settings import Settings
from bench import seed

DATABASE = "qinghu_bench_care_files"
PASSWORD = seed.PASSWORD


async def _seed(dsn: str, *, townships: int, files: int) -> None:
    rng = random.Random(20261123)  # noqa: S311 - made-up data
    connection = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    today = date.today()
    county = await seed.seed_units(
        connection, townships=townships, communities_per=0, county_name="瑞安市禁毒办"
    )
    township_ids = [township for township, _code in county.townships]
    await seed.add_user(
        connection, username="bench_lead", display_name="测试站长", role="supervisor", unit_id=township_ids[0]
    )
    for township in township_ids:
        minors, care_files = [], []
        for _ in range(files):
            minor_id, file_id = uuid.uuid4(), uuid.uuid4()
            born = today - timedelta(days=rng.randint(12 * 365, 17 * 365))
            minors.append(
                (1, now, now, minor_id, "张*", "mainland_id", "x", uuid.uuid4().hex, "330381********0000", "male",
                 born, json.dumps([]), "in_school", json.dumps(["nps_abuse"]), json.dumps([]), "medium",
                 township, "active", False, "screening")
            )  # fmt: skip
            last_contact = today - timedelta(days=rng.randint(0, 40))
            interval = rng.choice((7, 14, 30))
            care_files.append(
                (1, now, now, file_id, minor_id, township, "open", "manual", now, 0, json.dumps([]),
                 json.dumps([]), "", "", interval, last_contact, last_contact + timedelta(days=interval),
                 last_contact + timedelta(days=2 * interval), 0)
            )  # fmt: skip
        await connection.copy_records_to_table(
            "minors",
            records=minors,
            columns=["version", "created_at", "updated_at", "id", "name", "id_document_type", "id_number_ciphertext",
                     "id_number_hash", "id_number_masked", "gender", "birth_date", "guardians", "schooling_status",
                     "risk_categories", "substances", "risk_level", "managing_unit_id", "status", "is_sealed",
                     "source"],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "care_files",
            records=care_files,
            columns=["version", "created_at", "updated_at", "id", "minor_id", "managing_unit_id", "status", "trigger",
                     "opened_at", "reopened_count", "team", "responsible_user_ids", "goals", "measures",
                     "interval_days", "last_contact_on", "next_due_on", "lost_contact_on", "failed_attempts"],
        )  # fmt: skip
    await connection.execute("ANALYZE")
    await connection.close()


async def _measure(settings: Settings, rounds: int) -> list[float]:
    from httpx import ASGITransport, AsyncClient

    from backend.main import create_app

    app = create_app(settings)
    timings = []
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as client:
        token = (
            await client.post(
                "/api/v1/auth/token",
                data={"grant_type": "password", "username": "bench_lead", "password": PASSWORD},
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for round_ in range(rounds + 3):
            started = time.perf_counter()
            response = await client.get(
                "/api/v1/care-files", params={"due": "overdue", "limit": 50}, headers=headers
            )
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.text
            if round_ >= 3:  # warm-up
                timings.append(elapsed)
        print(f"overdue files in the township: {response.json()['total']}")
    await app.state.engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=20_000, help="care files per township")
    parser.add_argument("--townships", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    dsn = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
    settings = Settings(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}", log_level="WARNING"
    )
    if not args.reuse:
        asyncio.run(seed.recreate_database(DATABASE))
        upgrade_to_head(settings)
        started = time.perf_counter()
        asyncio.run(_seed(dsn, townships=args.townships, files=args.files))
        print(f"seeded {args.townships * args.files} files in {time.perf_counter() - started:.1f}s")
    timings = sorted(asyncio.run(_measure(settings, args.rounds)))
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    print(f"overdue worklist, first page (50): median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
