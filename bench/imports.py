"""Benchmark of the screening-sheet import (issue 19: 50,000 rows finish in under a minute on this machine).

Builds a fresh database (SQLite file by default, PostgreSQL with --postgres), migrates it, seeds the demo county,
writes an XLSX of 50,000 synthetic minors (valid ID numbers, a few rows with problems, a few repeats), and
drives the real app in-process over HTTP (httpx's ASGI transport): upload as a dry run, then as a commit, each
timed from the upload to the finished report (the background job runs inside the request here).

    .venv/bin/python bench/imports.py                 # SQLite, 50,000 rows
    .venv/bin/python bench/imports.py --rows 5000     # a quick look
    .venv/bin/python bench/imports.py --modes dry_run # the check only
    .venv/bin/python bench/imports.py --postgres postgresql://postgres@127.0.0.1:5432/qinghu_bench_imports

Each mode reports its wall time, the CPU time of this process (every thread: the checks run in worker threads,
SQLite in its own) and, on a PostgreSQL server on this machine, the CPU time of the server processes serving
the benchmark's connections, with the load average before and after: on a shared machine wall times say little
on their own. ``--tree`` imports the application from another checkout (a baseline: main's tree, run with the
same arguments by its own virtualenv); ``--json`` writes the figures to a file.
"""

import argparse
import asyncio
import io
import json
import os
import random
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# --tree: the application of another checkout (read before anything of it is imported).
_TREE = next((sys.argv[i + 1] for i, arg in enumerate(sys.argv[:-1]) if arg == "--tree"), None)
SOURCE = Path(_TREE).resolve() if _TREE else REPO
sys.path.insert(0, str(SOURCE))
_TMP = Path(tempfile.mkdtemp(prefix="qinghu-bench-imports-"))
os.environ.update(
    {
        "QINGHU_ENV": "test",
        "QINGHU_KEYS_FILE": str(_TMP / "keys.json"),
        "QINGHU_ARGON2_TIME_COST": "1",
        "QINGHU_ARGON2_MEMORY_COST": "8192",
        "QINGHU_ARGON2_PARALLELISM": "1",
        "QINGHU_LOG_LEVEL": "WARNING",
        "QINGHU_FRONTEND_DIST": str(_TMP / "no-frontend"),
        "QINGHU_STORAGE_DIR": str(_TMP / "files"),
    }
)

import httpx
import sqlalchemy as sa
from openpyxl import Workbook

from backend.db import local_today
from backend.demo.people import synthetic_person
from backend.demo.seed import DemoCredentials, seed_demo_county
from backend.main import create_app
from backend.migrate import upgrade_to_head_async
from backend.settings import Settings

PASSWORD = "Bench-Demo-Password-2026"  # noqa: S105 - a throwaway demo county in a throwaway database
HEADERS = ("姓名", "身份证号", "性别", "出生日期", "就学情况", "人员类别", "涉及物质", "风险等级", "年级")


def build_sheet(rows: int) -> bytes:
    rng = random.Random(19)  # noqa: S311 - synthetic people, not secrets
    today = local_today()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("排查表")
    sheet.append(list(HEADERS))
    previous = None
    for index in range(rows):
        someone = synthetic_person(rng, today=today)
        if index % 500 == 499 and previous is not None:
            someone = previous  # a repeat inside the file
        number = someone.id_number
        if index % 1000 == 7:
            number = number[:17] + ("0" if number[-1] != "0" else "1")  # a wrong check digit
        sheet.append(
            [
                someone.name,
                number,
                "男" if someone.gender == "male" else "女",
                someone.birth_date.isoformat(),
                rng.choice(("在校", "辍学", "失学")),
                rng.choice(("辍学", "双差生", "辍学、双差生", "重点生（已被训诫/查处）")),
                None,
                rng.choice(("低风险", "中风险")),
                "初二",
            ]
        )
        previous = someone
    output = io.BytesIO()
    workbook.save(output)
    return _with_dimension(output.getvalue(), f"A1:I{rows + 1}")


def _with_dimension(content: bytes, ref: str) -> bytes:
    """openpyxl's write-only mode leaves out the sheet's <dimension>, which Excel and WPS always write; without
    it openpyxl parses a whole sheet just to size it. Put it in, as a file saved by Excel has it."""
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b"<sheetData", f'<dimension ref="{ref}"/><sheetData'.encode(), 1)
            target.writestr(info, data)
    return output.getvalue()


def _server_cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each PostgreSQL server process (a local server; an unreadable one is left out)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return found


async def _server_pids(app: Any) -> list[int]:
    if app.state.engine.dialect.name != "postgresql":
        return []
    async with app.state.engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        return [row.pid for row in rows]


async def run(rows: int, database_url: str, modes: list[str]) -> dict[str, Any]:
    settings = Settings(database_url=database_url, match_elsewhere_daily_limit=1000)
    await upgrade_to_head_async(settings)
    app = create_app(settings)
    async with app.state.sessionmaker() as session, session.begin():
        await seed_demo_county(session, credentials=DemoCredentials(PASSWORD, "bench-client-secret-2026"))
    started = time.perf_counter()
    content = build_sheet(rows)
    print(f"sheet: {rows} rows, {len(content) / 1e6:.1f} MB, built in {time.perf_counter() - started:.1f} s")
    figures: dict[str, Any] = {
        "rows": rows,
        "database": app.state.engine.dialect.name,
        "tree": str(SOURCE),
        "modes": {},
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
        token = await client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": "jinhu_worker", "password": PASSWORD},
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for mode in modes:
            load_before = os.getloadavg()[0]
            server_before = _server_cpu_seconds(await _server_pids(app))
            cpu_before = time.process_time()
            started = time.perf_counter()
            response = await client.post(
                "/api/v1/imports",
                data={"kind": "screening_minors", "mode": mode},
                files={"file": ("排查表.xlsx", content, "application/octet-stream")},
                headers=headers,
            )
            assert response.status_code == 202, response.text
            while True:
                job = (await client.get(response.headers["location"], headers=headers)).json()
                if job["status"] in ("finished", "failed"):
                    break
                await asyncio.sleep(0.2)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_before
            server_after = _server_cpu_seconds(await _server_pids(app))
            server = sum(after - server_before.get(pid, 0.0) for pid, after in server_after.items())
            load_after = os.getloadavg()[0]
            figures["modes"][mode] = {
                "wall_s": round(elapsed, 2),
                "cpu_s": round(cpu, 2),
                "server_cpu_s": round(server, 2) if server_after else None,
                "load_before": load_before,
                "load_after": load_after,
                "status": job["status"],
                "ok": job["rows_ok"],
                "duplicate": job["rows_duplicate"],
                "invalid": job["rows_invalid"],
                "applied": job["rows_applied"],
            }
            server_text = f", server CPU {server:.1f} s" if server_after else ""
            print(
                f"{mode}: {elapsed:.1f} s (CPU {cpu:.1f} s{server_text}; load {load_before:.1f} → "
                f"{load_after:.1f}) — status {job['status']}, ok {job['rows_ok']}, duplicate "
                f"{job['rows_duplicate']}, invalid {job['rows_invalid']}, applied {job['rows_applied']}",
                flush=True,
            )
    await app.state.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL of an empty database to use instead of SQLite")
    parser.add_argument("--modes", default="dry_run,commit", help="dry_run, commit or both (comma-separated)")
    parser.add_argument("--tree", help="import the application from this checkout (a baseline)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    url = args.postgres or f"sqlite+aiosqlite:///{_TMP / 'bench.db'}"
    figures = asyncio.run(run(args.rows, url, args.modes.split(",")))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
