"""Benchmark of the minors registry (issue: list ≥ 50% of a raw-SQL baseline, p99 < 150 ms; look-up < 5 ms).

Seeds 1,000,000 synthetic minors across 2,000 units into a fresh PostgreSQL database, starts the real app and
the baseline (bench/baseline.py) with one uvicorn worker each, and loads them with wrk (32 connections on
loopback) in the same run. Needs PostgreSQL on 127.0.0.1 and `wrk` (apt-get install wrk).

    .venv/bin/python bench/minors.py                      # the full run (seeding takes a few minutes)
    .venv/bin/python bench/minors.py --minors 50000       # a quick look
    .venv/bin/python bench/minors.py --reuse              # measure again without reseeding
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.demo.people import synthetic_person
from backend.identity import make_mainland_id
from backend.migrate import upgrade_to_head
from backend.security.crypto import FieldCipher
from backend.security.masking import mask_id_number, mask_phone
from backend.security.passwords import hash_secret
from backend.settings import Settings

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "Bench-Lead-Password-2026"  # noqa: S105 - a throwaway account in a throwaway database


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _recreate_database(name: str) -> None:
    connection = await asyncpg.connect(ADMIN_DSN)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()


def _path(*ids: uuid.UUID) -> str:
    return "/" + "/".join(unit_id.hex for unit_id in ids) + "/"


async def _seed(dsn: str, settings: Settings, *, minors: int, units: int) -> None:
    cipher = FieldCipher.from_settings(settings)
    connection = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    townships = max(1, units // 50)
    communities_per = max(1, (units - 1 - townships) // townships)
    root = uuid.uuid4()
    unit_rows = [(root, "基准县禁毒办", "county_office", "330381000000", None, _path(root), 0)]
    managing: list[tuple[uuid.UUID, str]] = []
    for t in range(townships):
        township = uuid.uuid4()
        code = f"330381{t + 1:03d}000"
        unit_rows.append((township, f"第{t + 1}街道", "township", code, root, _path(root, township), 1))
        for c in range(communities_per):
            community = uuid.uuid4()
            ccode = f"330381{t + 1:03d}{c + 1:03d}"
            unit_rows.append(
                (
                    community,
                    f"第{t + 1}街道{c + 1}社区",
                    "community",
                    ccode,
                    township,
                    _path(root, township, community),
                    2,
                )
            )
            managing.append((community, ccode))
    await connection.copy_records_to_table(
        "units",
        records=[(*row, True, 1, now, now) for row in unit_rows],
        columns=[
            "id",
            "name",
            "kind",
            "division_code",
            "parent_id",
            "path",
            "depth",
            "is_active",
            "version",
            "created_at",
            "updated_at",
        ],
    )
    print(f"  {len(unit_rows)} units", flush=True)

    rng = random.Random(7)  # noqa: S311 - synthetic data
    today = date.today()
    # A pool of synthetic people reused for names and phones; each minor still gets its own ID number.
    pool = [synthetic_person(rng, today=today) for _ in range(2000)]
    categories = ["dropout", "left_behind", "idle_youth", "nps_abuse", "double_poor", "misconduct"]
    batch: list[tuple] = []
    columns = [
        "id", "name", "id_document_type", "id_number_ciphertext", "id_number_hash", "id_number_masked", "gender",
        "birth_date", "phone_ciphertext", "phone_masked", "guardians", "household_division_code", "household_area",
        "household_address", "residence_division_code", "residence_area", "residence_address", "school_id", "grade",
        "schooling_status", "risk_categories", "substances", "risk_level", "managing_unit_id", "status", "is_sealed",
        "source", "created_by", "version", "created_at", "updated_at",
    ]  # fmt: skip
    started = time.perf_counter()
    for index in range(minors):
        person = pool[index % len(pool)]
        birth = today - timedelta(days=365 * 12 + (index * 7919) % (365 * 6))
        number = (
            make_mainland_id("330381", birth, index % 1000)
            if index < 1000
            else f"{330381 + index // 1000:06d}{birth:%Y%m%d}{index % 1000:03d}X"
        )
        unit_id, code = managing[index % len(managing)]
        changed = now - timedelta(minutes=index % 500_000)
        guardians = json.dumps(
            [
                {
                    "relation": "mother",
                    "name": person.name[0] + "芳",
                    "phone_ciphertext": None,
                    "phone_masked": "139****5678",
                }
            ]
        )
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
            await connection.copy_records_to_table("minors", records=batch, columns=columns)
            batch.clear()
            print(f"  {index + 1:,} minors ({time.perf_counter() - started:.0f} s)", flush=True)
    if batch:
        await connection.copy_records_to_table("minors", records=batch, columns=columns)
    lead_unit = unit_rows[0][0]  # a county-level lead: look-ups reach every minor
    await connection.execute(
        "INSERT INTO users (id, username, display_name, role, unit_id, is_active, password_hash, must_change_password,"
        " version, created_at, updated_at) VALUES ($1, 'bench_lead', '基准负责人', 'supervisor', $2,"
        " true, $3, false, 1, now(), now())",
        uuid.uuid4(),
        lead_unit,
        hash_secret(PASSWORD),
    )
    # What autovacuum does to a table in service: statistics, and the visibility map that lets counts read
    # the index alone. Measuring straight after a bulk load would time a state production is never in.
    await connection.execute("VACUUM (ANALYZE)")
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
    numbers = [
        make_mainland_id("330381", date.today() - timedelta(days=365 * 12 + (i * 7919) % (365 * 6)), i % 1000)
        for i in range(min(count, 1000))
    ]
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
