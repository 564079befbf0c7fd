"""Timing one assessment run's computation over many units (issue 18: a run over 500 units in under 10 s on the
bench data), against a database that already holds the bench county (e.g. the one bench/minors.py or
bench/stats.py seeded): no seeding here.

    QINGHU_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/qinghu_bench \\
        .venv/bin/python bench/assessments.py --units 500 --repeat 3

It takes the first ``--units`` active units of ``--kinds`` under the root office, builds a scheme's rules in
memory (every rate, each work-record kind, a manual indicator, both computed veto items) and times
``backend.workflows.assessment_runs.compute_figures`` — the whole computation, without storing — printing the
seconds of each repetition and the number of statements it ran (a fixed number whatever the units).
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.db import local_today, make_engine, make_sessionmaker
from backend.security.crypto import FieldCipher, session_info
from backend.settings import Settings
from backend.units.models import Unit
from backend.workflows.assessment_runs import compute_figures

RATES = (
    "care_rate",
    "urine_test_rate",
    "overdue_share",
    "lost_contact_count",
    "notice_same_day_rate",
    "responsible_share",
)


def rules(year: int) -> dict[str, object]:
    indicators: list[dict[str, object]] = [
        {
            "code": code,
            "name": code,
            "max_score": 10,
            "rate": {"rate": code, "mapping": "linear", "floor": 0.5, "target": 0.95},
        }
        for code in RATES
    ]
    indicators += [
        {"code": kind, "name": kind, "max_score": 5, "work_records": {"kind": kind, "target": 4}}
        for kind in ("activities", "inspections", "letters")
    ]
    indicators.append({"code": "leadership", "name": "leadership", "max_score": 10, "manual": {}})
    return {
        "name": "bench",
        "period_start": date(year, 1, 1).isoformat(),
        "period_end": date(year, 12, 31).isoformat(),
        "unit_root_id": "",
        "unit_kinds": [],
        "grades": [{"label": "合格", "min_score": 60}, {"label": "不合格", "min_score": 0}],
        "pass_rate_target": 0.85,
        "indicators": indicators,
        "vetoes": [
            {"code": "lost", "name": "lost", "kind": "lost_contact_over_days", "days": 30},
            {"code": "notice", "name": "notice", "kind": "notice_unacknowledged_over_days", "days": 7},
        ],
        "call_in": {"bottom_n": 3},
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--kinds", default="township,community", help="unit kinds assessed, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = Settings(database_url=os.environ.get("QINGHU_DATABASE_URL", Settings().database_url))
    engine = make_engine(settings.database_url)
    statements = 0

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    sessionmaker = make_sessionmaker(engine, info=session_info(FieldCipher.from_settings(settings)))
    async with sessionmaker() as session:
        units = list(
            await session.scalars(
                sa.select(Unit)
                .where(Unit.kind.in_(args.kinds.split(",")), Unit.is_active.is_(True))
                .order_by(Unit.path)
                .limit(args.units)
            )
        )
        today = local_today()
        timings = []
        for _ in range(args.repeat):
            statements = 0
            started = time.perf_counter()
            computed = await compute_figures(session, rules=rules(today.year), units=units, cut_off=today)
            timings.append(time.perf_counter() - started)
        print(
            f"{len(units)} units, {len(computed.figures)} figures, {len(computed.veto_hits)} veto hits, "
            f"{statements} statements per run; seconds: {', '.join(f'{t:.2f}' for t in timings)} "
            f"(median {statistics.median(timings):.2f})"
        )
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
