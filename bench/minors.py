"""Benchmark of the minors registry (issue: list ≥ 50% of a raw-SQL baseline, p99 < 150 ms; look-up < 5 ms).

Seeds 1,000,000 synthetic minors across 2,000 units into a fresh PostgreSQL database, starts the real app and
the baseline (bench/baseline.py) with one uvicorn worker each, and loads them with wrk (32 connections on
loopback) in the same run. Needs PostgreSQL on 127.0.0.1 and `wrk` (apt-get install wrk).

    .venv/bin/python bench/minors.py                      # the full run (seeding takes a few minutes)
    .venv/bin/python bench/minors.py --minors 50000       # a quick look
    .venv/bin/python bench/minors.py --reuse              # measure again without reseeding
    .venv/bin/python bench/minors.py --seed-only          # seed the shared bench data's registry (bench/seed.py)
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.migrate import upgrade_to_head
from backend.settings import Settings
from bench import seed

PASSWORD = seed.PASSWORD
# Older scripts import these from here.
_recreate_database = seed.recreate_database
_path = seed.unit_path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _seed(dsn: str, settings: Settings, *, minors: int, units: int) -> None:
    """The registry of the shared bench data (bench/seed.py) and the county's lead."""
    connection = await asyncpg.connect(dsn)
    county = await seed.seed_units(connection, units=units)
    print(f"  {1 + len(county.townships) + len(county.communities)} units", flush=True)
    await seed.seed_registry(connection, settings, county, minors=minors)
    # a county-level lead: look-ups reach every minor
    await seed.add_user(
        connection, username="bench_lead", display_name="基准负责人", role="supervisor", unit_id=county.root
    )
    await seed.vacuum(connection)
    await connection.close()


def _start(args: list[str], env: dict[str, str], port: int, probe: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=2):
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(
        f"server on port {port} did not start: {process.stderr.read().decode() if process.stderr else ''}"
    )


_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def _wrk(
    url: str, *, token: str | None, duration: int, connections: int, script: str | None = None
) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latencies = {f"p{p}": float(v) * scale[u] for p, v, u in _LATENCY.findall(output)}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, **latencies, "errors": float(non_2xx.group(1)) if non_2xx else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minors", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database", default="qinghu_bench")
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database from an earlier run")
    parser.add_argument("--seed-only", action="store_true", help="seed the database and stop (no measuring)")
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="qinghu-bench-"))
    keys_file = REPO / "var" / "bench-keys.json"
    dsn = f"postgresql://postgres@127.0.0.1:5432/{arguments.database}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QINGHU_")},
        "QINGHU_DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://"),
        "QINGHU_KEYS_FILE": str(keys_file),
        "QINGHU_LOG_LEVEL": "WARNING",
        "QINGHU_FRONTEND_DIST": str(work / "none"),
        "QINGHU_REVEAL_DAILY_LIMIT": "1000000",
        "BENCH_DSN": dsn,
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("QINGHU_")})
    settings = Settings()
    if not arguments.reuse:
        print(
            f"Seeding {arguments.minors:,} minors over {arguments.units:,} units into {arguments.database} …",
            flush=True,
        )
        asyncio.run(_recreate_database(arguments.database))
        upgrade_to_head(settings)
        asyncio.run(_seed(dsn, settings, minors=arguments.minors, units=arguments.units))
    if arguments.seed_only:
        shutil.rmtree(work, ignore_errors=True)
        return

    app_port, base_port = _free_port(), _free_port()
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    app = _start(
        [uvicorn, "backend.main:create_app", "--factory", "--port", str(app_port), "--no-access-log"],
        env,
        app_port,
        "/healthz",
    )
    base = _start(
        [uvicorn, "bench.baseline:app", "--port", str(base_port), "--no-access-log"],
        {**env, "PYTHONPATH": str(REPO)},
        base_port,
        "/docs",
    )
    try:
        token_request = urllib.request.Request(
            f"http://127.0.0.1:{app_port}/api/v1/auth/token",
            data=f"grant_type=password&username=bench_lead&password={PASSWORD}".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(token_request) as answer:
            token = json.load(answer)["access_token"]
        township = asyncio.run(
            _one(dsn, "SELECT id, path FROM units WHERE kind = 'township' ORDER BY name LIMIT 1")
        )
        minor_ids = asyncio.run(
            _many(
                dsn,
                "SELECT m.id FROM minors m JOIN units u ON u.id = m.managing_unit_id WHERE u.path >= $1 AND u.path < $2 LIMIT 2000",
                township["path"],
                township["path"][:-1] + "0",
            )
        )
        in_township = asyncio.run(
            _one(
                dsn,
                "SELECT count(*) AS n FROM minors m JOIN units u ON u.id = m.managing_unit_id WHERE u.path >= $1 AND u.path < $2",
                township["path"],
                township["path"][:-1] + "0",
            )
        )["n"]
        script = work / "detail.lua"
        script.write_text(
            "ids = {" + ",".join(f'"{i}"' for i in minor_ids) + "}\n"
            "request = function()\n  return wrk.format(nil, '/api/v1/minors/' .. ids[math.random(#ids)])\nend\n"
        )
        list_url = f"http://127.0.0.1:{app_port}/api/v1/minors?within={township['id']}&limit=50"
        base_url = f"http://127.0.0.1:{base_port}/baseline?path={township['path']}"
        # Warm both, then measure: baseline, list, baseline again. The machine's speed drifts from minute to
        # minute, so the list is compared with the mean of the two baseline runs that bracket it.
        for url, auth in ((list_url, token), (base_url, None)):
            _wrk(url, token=auth, duration=3, connections=arguments.connections)

        def measure(url: str, auth: str | None, script: str | None = None) -> dict[str, float]:
            return _wrk(
                url, token=auth, duration=arguments.duration, connections=arguments.connections, script=script
            )

        # Look-ups one at a time first, while nothing else runs: server time, not time in a queue.
        lookup_server_ms = _lookup_times(app_port, token, dsn, count=300)
        baseline_before = measure(base_url, None)
        listed = measure(list_url, token)
        baseline_after = measure(base_url, None)
        results = {
            "baseline": {
                key: round((baseline_before[key] + baseline_after[key]) / 2, 2) for key in baseline_before
            },
            "baseline_runs": [baseline_before, baseline_after],
            "list": listed,
            "detail": measure(f"http://127.0.0.1:{app_port}", token, str(script)),
            "lookup_server_ms": lookup_server_ms,
        }
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "minors": arguments.minors,
            "units": arguments.units,
            "minors_in_township": in_township,
            "connections": arguments.connections,
            "duration_s": arguments.duration,
            "cpu_count": os.cpu_count(),
            **results,
            "list_vs_baseline": round(results["list"]["rps"] / results["baseline"]["rps"], 3),
        }
        out = REPO / "bench" / "results" / f"minors-{arguments.minors}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps(report, indent=2, ensure_ascii=False))
    finally:
        app.terminate()
        base.terminate()


def _lookup_times(port: int, token: str, dsn: str, *, count: int) -> dict[str, float]:
    """Server time (the Server-Timing header) of look-ups by number for minors of the lead's county."""
    numbers = [seed.id_number_of(i, date.today()) for i in range(min(count, 1000))]
    timings = []
    for number in numbers:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/minors/lookup",
            data=json.dumps({"id_number": number}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request) as answer:
            timings.append(float(answer.headers["Server-Timing"].split("dur=")[1]))
    timings.sort()
    return {
        "p50": statistics.median(timings),
        "p99": timings[int(len(timings) * 0.99) - 1],
        "count": len(timings),
    }


async def _one(dsn: str, sql: str, *args: object) -> dict:
    connection = await asyncpg.connect(dsn)
    row = await connection.fetchrow(sql, *args)
    await connection.close()
    return dict(row)


async def _many(dsn: str, sql: str, *args: object) -> list:
    connection = await asyncpg.connect(dsn)
    rows = await connection.fetch(sql, *args)
    await connection.close()
    return [row[0] for row in rows]


if __name__ == "__main__":
    main()
