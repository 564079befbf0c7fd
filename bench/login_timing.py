"""Is a failed login for a known username as slow as one for an unknown username? (issue 15, item 6)

Runs the real app in process on a fresh SQLite database (or ``--database-url``) with the production argon2
parameters (the Settings defaults), the demo county loaded, and the login counters' thresholds raised so that no
attempt is held back. Sends ``--rounds`` wrong-password logins for a known username and as many for unknown
usernames (a new one each time, as an attacker probing names would), interleaved so that both see the same
machine, and prints the median and 90th percentile of each in milliseconds, measured around the HTTP call.

    .venv/bin/python bench/login_timing.py               # 200 rounds each
    .venv/bin/python bench/login_timing.py --rounds 50

Writes ``bench/results/login_timing.json``.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from httpx import ASGITransport, AsyncClient

from backend.demo.seed import DemoCredentials, seed_demo_county
from backend.main import create_app
from backend.migrate import upgrade_to_head_async
from backend.settings import Settings

RESULTS = REPO / "bench" / "results" / "login_timing.json"


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "min_ms": round(ordered[0], 1),
        "max_ms": round(ordered[-1], 1),
    }


async def main(rounds: int, database_url: str | None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="qinghu-login-timing-"))
    os.environ.setdefault("QINGHU_KEYS_FILE", str(tmp / "keys.json"))
    settings = Settings(
        database_url=database_url or f"sqlite+aiosqlite:///{tmp / 'timing.db'}",
        keys_file=tmp / "keys.json",
        frontend_dist=tmp / "no-frontend",
        log_level="WARNING",
        login_max_failures=1_000_000,
        login_address_max_failures=1_000_000,
    )
    await upgrade_to_head_async(settings)
    app = create_app(settings)
    async with app.state.sessionmaker() as session, session.begin():
        await seed_demo_county(
            session,
            credentials=DemoCredentials("Qinghu-Demo-2026", "qinghu-demo-client-secret-2026"),
        )
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://qinghu.test") as http:

        async def attempt(username: str) -> float:
            form = {"grant_type": "password", "username": username, "password": "not-the-password-1"}
            started = time.perf_counter()
            response = await http.post("/api/v1/auth/token", data=form)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 400, response.text
            return elapsed

        for number in range(10):  # warm-up: caches, the dummy hash, the connection pool
            await attempt("jinhu_worker")
            await attempt(f"warm_up_{number}")
        for number in range(rounds):
            timings["known"].append(await attempt("jinhu_worker"))
            timings["unknown"].append(await attempt(f"nobody_{number}"))
    await app.state.engine.dispose()
    report = {
        "rounds": rounds,
        "argon2": {
            "time_cost": settings.argon2_time_cost,
            "memory_cost": settings.argon2_memory_cost,
            "parallelism": settings.argon2_parallelism,
        },
        "database": "postgresql" if database_url else "sqlite",
        "known_username": _summary(timings["known"]),
        "unknown_username": _summary(timings["unknown"]),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument(
        "--database-url", default=None, help="e.g. postgresql+asyncpg://...; default a temp SQLite"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.database_url))
