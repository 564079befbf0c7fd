"""Benchmark of seizure-notice pushes (issue 7: ≥ 40% of a one-row-insert baseline, p99 < 200 ms).

A fresh PostgreSQL database with the demo county (no synthetic minors); the real app and the baseline
(bench/seizures_baseline.py) with one uvicorn worker each; wrk POSTs distinct, valid notices from 16 concurrent
connections over loopback, each with its own Idempotency-Key, to both in the same run.

    .venv/bin/python bench/seizures.py                 # 20 s per endpoint
    .venv/bin/python bench/seizures.py --duration 10   # a quick look
"""

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.demo.people import synthetic_person
from backend.migrate import upgrade_to_head
from backend.settings import Settings
from bench.minors import _free_port, _recreate_database, _start, _wrk

CLIENT_SECRET = "bench-police-client-secret-2026"  # noqa: S105 - a throwaway client in a throwaway database
RESIDENCES = ("330381005001", "330381005002", "330381001001", "330381002001", "330381107201", "330302001000")


def _bodies(count: int) -> list[str]:
    rng = random.Random(11)  # noqa: S311 - synthetic data
    today = datetime.now(UTC).date()
    seized_at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    bodies = []
    for number in range(count):
        someone = synthetic_person(rng, today=today)
        bodies.append(
            json.dumps(
                {
                    "notice_no": f"BENCH-{number:07d}",
                    "seized_at": seized_at,
                    "place": "锦湖街道某KTV",
                    "person": {
                        "name": someone.name,
                        "id_number": someone.id_number,
                        "residence_division_code": rng.choice(RESIDENCES),
                    },
                    "substances": ["etomidate"],
                    "test_result": "positive",
                    "measures": ["admonition"],
                },
                ensure_ascii=False,
            )
        )
    return bodies


def _lua(bodies: list[str], threads: int) -> str:
    """Each wrk thread walks its own share of the bodies; the notice number is the Idempotency-Key."""
    quoted = ",\n".join("[==[" + body + "]==]" for body in bodies)
    return (
        f"bodies = {{\n{quoted}\n}}\nlocal counter = 0\nlocal next_id = 0\n"
        "function setup(thread) next_id = next_id + 1; thread:set('id', next_id) end\n"
        "function init(args) offset = id end\n"
        "function request()\n"
        f"  local index = (offset + counter * {threads}) % #bodies + 1\n"
        "  counter = counter + 1\n"
        "  local body = bodies[index]\n"
        "  local key = 'bench-' .. string.match(body, 'BENCH%-(%d+)')\n"
        "  local headers = {}\n"
        "  for name, value in pairs(wrk.headers) do headers[name] = value end\n"
        "  headers['Content-Type'] = 'application/json'\n"
        "  headers['Idempotency-Key'] = key\n"
        "  return wrk.format('POST', nil, headers, body)\n"
        "end\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--notices", type=int, default=20_000, help="distinct notices prepared")
    parser.add_argument("--database", default="qinghu_bench_seizures")
    arguments = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="qinghu-bench-"))
    dsn = f"postgresql://postgres@127.0.0.1:5432/{arguments.database}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QINGHU_")},
        "QINGHU_DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://"),
        "QINGHU_KEYS_FILE": str(REPO / "var" / "bench-keys.json"),
        "QINGHU_LOG_LEVEL": "WARNING",
        "QINGHU_FRONTEND_DIST": str(work / "none"),
        "QINGHU_DEMO_CLIENT_SECRET": CLIENT_SECRET,
        "BENCH_DSN": dsn,
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("QINGHU_")})
    asyncio.run(_recreate_database(arguments.database))
    upgrade_to_head(Settings())
    qinghu = str(Path(sys.executable).parent / "qinghu")
    subprocess.run([qinghu, "seed-demo", "--minors", "0"], env=env, check=True, capture_output=True)

    app_port, base_port = _free_port(), _free_port()
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    app = _start(
        [uvicorn, "backend.main:create_app", "--factory", "--port", str(app_port), "--no-access-log"],
        env,
        app_port,
        "/healthz",
    )
    base = _start(
        [uvicorn, "bench.seizures_baseline:app", "--port", str(base_port), "--no-access-log"],
        {**env, "PYTHONPATH": str(REPO)},
        base_port,
        "/docs",
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{app_port}/api/v1/auth/token",
            data=f"grant_type=client_credentials&client_id=police-jinhu&client_secret={CLIENT_SECRET}".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request) as answer:
            token = json.load(answer)["access_token"]
        script = work / "notices.lua"
        script.write_text(_lua(_bodies(arguments.notices), threads=2))
        run = {"duration": arguments.duration, "connections": arguments.connections, "script": str(script)}
        results = {
            "baseline": _wrk(f"http://127.0.0.1:{base_port}/baseline", token=None, **run),
            "push": _wrk(f"http://127.0.0.1:{app_port}/api/v1/seizure-notices", token=token, **run),
        }
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "connections": arguments.connections,
            "duration_s": arguments.duration,
            "cpu_count": os.cpu_count(),
            **results,
            "push_vs_baseline": round(results["push"]["rps"] / results["baseline"]["rps"], 3),
        }
        out = REPO / "bench" / "results" / "seizures.json"
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps(report, indent=2, ensure_ascii=False))
    finally:
        app.terminate()
        base.terminate()


if __name__ == "__main__":
    main()
