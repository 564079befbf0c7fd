"""Benchmark of the statistics (issue 9: stats/schools and stats/regions for a county under 300 ms server time,
stats/overview for the county office under 500 ms).

Builds a county of 40 townships × 50 schools and N synthetic minors (two thirds of them pupils) straight in SQL,
then times the service functions in-process (server time without HTTP), five runs each.
THE DATABASE GIVEN IS WIPED (its public schema is dropped):

    .venv/bin/python bench/stats.py postgresql://postgres@127.0.0.1:5432/qinghu_bench 1000000
"""

import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DSN = sys.argv[1].replace("postgresql://", "postgresql+asyncpg://", 1)
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
os.environ.update(
    {
        "QINGHU_ENV": "test",
        "QINGHU_KEYS_FILE": str(Path(tempfile.mkdtemp()) / "keys.json"),
        "QINGHU_DATABASE_URL": DSN,
    }
)
import sqlalchemy as sa

from backend.db import make_engine, make_sessionmaker
from backend.migrate import upgrade_to_head_async
from backend.security.principals import Principal
from backend.security.roles import ROLE_SCOPES, Role
from backend.settings import Settings
from backend.stats import service
from backend.terms import Term


async def main():
    settings = Settings()
    engine = make_engine(settings.database_url)
    async with engine.begin() as c:
        await c.execute(sa.text("DROP SCHEMA public CASCADE"))
        await c.execute(sa.text("CREATE SCHEMA public"))
    await engine.dispose()
    await upgrade_to_head_async(settings)
    engine = make_engine(settings.database_url)
    county = uuid.uuid4()
    bureau = uuid.uuid4()
    async with engine.begin() as c:

        def unit(i, name, kind, parent, path, depth):
            return {"id": i, "name": name, "kind": kind, "parent_id": parent, "path": path, "depth": depth}

        rows = [
            unit(county, "县", "county_office", None, f"/{county.hex}/", 0),
            unit(bureau, "教育局", "department", county, f"/{county.hex}/{bureau.hex}/", 1),
        ]
        schools = []
        for t in range(40):
            tid = uuid.uuid4()
            tpath = f"/{county.hex}/{tid.hex}/"
            rows.append(unit(tid, f"镇{t:02d}", "township", county, tpath, 1))
            for s in range(50):
                sid = uuid.uuid4()
                schools.append((sid, tid))
                rows.append(unit(sid, f"学校{t:02d}-{s:02d}", "school", tid, f"{tpath}{sid.hex}/", 2))
        await c.execute(
            sa.text(
                "INSERT INTO units (id, name, kind, parent_id, path, depth, is_active, version, created_at, updated_at) VALUES (:id, :name, :kind, :parent_id, :path, :depth, true, 1, now(), now())"
            ),
            rows,
        )
        await c.execute(sa.text("CREATE TEMP TABLE s (n int, school uuid, township uuid)"))
        await c.execute(
            sa.text("INSERT INTO s VALUES (:n, :school, :township)"),
            [{"n": i, "school": a, "township": b} for i, (a, b) in enumerate(schools)],
        )
        t0 = time.perf_counter()
        await c.execute(
            sa.text(f"""
          INSERT INTO minors (id, name, id_document_type, id_number_ciphertext, id_number_hash, id_number_masked, gender,
            birth_date, guardians, schooling_status, risk_categories, substances, risk_level, managing_unit_id, status,
            is_sealed, source, version, created_at, updated_at, school_id)
          SELECT gen_random_uuid(), 'x', 'mainland_id', 'c', md5(g::text), 'm', 'male', date '2011-01-01', '[]'::jsonb,
            'in_school',
            (CASE g % 5 WHEN 0 THEN '["dropout"]' WHEN 1 THEN '["left_behind","double_poor"]' WHEN 2 THEN '["idle_youth"]'
              WHEN 3 THEN '["nps_abuse"]' ELSE '["out_of_school","left_behind"]' END)::jsonb,
            '[]'::jsonb, 'low', s.township, CASE WHEN g % 10 = 0 THEN 'closed' ELSE 'active' END, false, 'screening', 1, now(), now(),
            CASE WHEN g % 3 = 0 THEN NULL ELSE s.school END
          FROM generate_series(1, {N}) g JOIN s ON s.n = g % 2000""")
        )
        print("seeded", N, "in", round(time.perf_counter() - t0, 1), "s")
    async with engine.begin() as c:
        await c.execute(sa.text("ANALYZE"))
    sm = make_sessionmaker(engine)
    edu = Principal(
        kind="user",
        id=uuid.uuid4(),
        name="edu",
        display_name="edu",
        role=Role.education,
        unit_id=bureau,
        unit_path=f"/{county.hex}/{bureau.hex}/",
        unit_kind="department",
        scopes=ROLE_SCOPES[Role.education],
    )
    lead = Principal(
        kind="user",
        id=uuid.uuid4(),
        name="lead",
        display_name="lead",
        role=Role.supervisor,
        unit_id=county,
        unit_path=f"/{county.hex}/",
        unit_kind="county_office",
        scopes=ROLE_SCOPES[Role.supervisor],
    )
    for label, call in (
        (
            "schools",
            lambda s: service.school_statistics(
                s, principal=edu, term=Term.current(), unit_id=None, threshold=4
            ),
        ),
        (
            "regions",
            lambda s: service.region_statistics(
                s, principal=edu, term=Term.current(), unit_id=None, threshold=4
            ),
        ),
        ("overview", lambda s: service.overview(s, principal=lead, unit_id=None, threshold=4)),
    ):
        times = []
        for _ in range(5):
            async with sm() as s:
                t0 = time.perf_counter()
                await call(s)
                times.append((time.perf_counter() - t0) * 1000)
        print(label, "ms:", [round(x) for x in times])
    await engine.dispose()


asyncio.run(main())
