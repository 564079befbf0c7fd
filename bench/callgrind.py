"""Instructions per request of the registry's list and look-up, and of the raw-SQL baseline (the yardstick of
docs/benchmarks.md: wall-clock figures move by a third on the shared machine; instruction counts do not).

Starts each server (one uvicorn worker, as bench/minors.py does) under ``valgrind --tool=callgrind`` with
instrumentation off, sends a warm-up, switches counting on (``callgrind_control -i on``), sends ``--requests``
requests one at a time, switches it off and stops the server; the instructions counted, divided by the
number of requests, is the figure. PostgreSQL's work is not counted (another process): this is the app's
own cost per request. Needs the registry of the bench data (``bench/minors.py --seed-only``) and valgrind.

    .venv/bin/python bench/callgrind.py                       # list, look-up and baseline, 30 requests each
    .venv/bin/python bench/callgrind.py --only list --keep    # keep the callgrind file for callgrind_annotate

Writes ``bench/results/callgrind.json``; with ``--keep`` the callgrind.out files stay in the printed directory.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import asyncio

from bench import seed
from bench.minors import _free_port, _one


def _start_under_callgrind(args: list[str], env: dict[str, str], port: int, probe: str, out: Path):
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", *args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 900  # start-up under valgrind takes minutes on a busy machine
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "server exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=30):
                return process
        except OSError:
            time.sleep(2)
    process.kill()
    raise RuntimeError(f"server on port {port} did not start")


def _control(pid: int, *flags: str) -> None:
    subprocess.run(["callgrind_control", *flags, str(pid)], check=True, capture_output=True, timeout=600)


def _total(out: Path) -> int:
    text = out.read_text(errors="replace")
    # "summary" counts from the start (nothing, instrumentation being off then); "totals" what was counted.
    found = [int(value) for value in re.findall(r"^(?:summary|totals):\s+(\d+)", text, re.M)]
    if not found:
        raise RuntimeError(f"no totals in {out}")
    return max(found)


def _get(url: str, token: str | None = None, body: dict | None = None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    with urllib.request.urlopen(
        urllib.request.Request(url, data=data, headers=headers), timeout=600
    ) as answer:
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{url}: {answer.status}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default=seed.DEFAULT_DATABASE)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--only", choices=["list", "lookup", "baseline"], action="append")
    parser.add_argument("--keep", action="store_true", help="keep the callgrind.out files")
    arguments = parser.parse_args()
    dsn = seed.dsn_of(arguments.database)
    work = Path(tempfile.mkdtemp(prefix="qinghu-callgrind-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QINGHU_")},
        "QINGHU_DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://"),
        "QINGHU_KEYS_FILE": str(REPO / "var" / "bench-keys.json"),
        "QINGHU_LOG_LEVEL": "WARNING",
        "QINGHU_FRONTEND_DIST": str(work / "none"),
        "QINGHU_REVEAL_DAILY_LIMIT": "1000000",
        "BENCH_DSN": dsn,
        "PYTHONPATH": str(REPO),
    }
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    township = asyncio.run(
        _one(dsn, "SELECT id, path FROM units WHERE kind = 'township' ORDER BY name LIMIT 1")
    )
    numbers = [seed.id_number_of(i, date.today()) for i in range(arguments.warmup + arguments.requests)]
    results: dict = {}
    for what in arguments.only or ["list", "lookup", "baseline"]:
        port = _free_port()
        out = work / f"callgrind.{what}.out"
        if what == "baseline":
            args, probe = [uvicorn, "bench.baseline:app", "--port", str(port), "--no-access-log"], "/docs"
        else:
            args = [uvicorn, "backend.main:create_app", "--factory", "--port", str(port), "--no-access-log"]
            probe = "/healthz"
        print(f"{what}: starting the server under callgrind …", flush=True)
        process = _start_under_callgrind(args, env, port, probe, out)
        try:
            base = f"http://127.0.0.1:{port}"
            token = None
            if what != "baseline":
                request = urllib.request.Request(
                    f"{base}/api/v1/auth/token",
                    data=f"grant_type=password&username=bench_lead&password={seed.PASSWORD}".encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                with urllib.request.urlopen(request, timeout=600) as answer:
                    token = json.load(answer)["access_token"]

            def once(index: int, what: str = what, base: str = base, token: str | None = token) -> None:
                if what == "list":
                    _get(f"{base}/api/v1/minors?within={township['id']}&limit=50", token)
                elif what == "lookup":
                    _get(f"{base}/api/v1/minors/lookup", token, {"id_number": numbers[index]})
                else:
                    _get(f"{base}/baseline?path={township['path']}")

            for index in range(arguments.warmup):
                once(index)
            _control(process.pid, "-i", "on")
            started = time.perf_counter()
            for index in range(arguments.requests):
                once(arguments.warmup + index)
            seconds = time.perf_counter() - started
            _control(process.pid, "-i", "off")
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=600)
            except subprocess.TimeoutExpired:
                process.kill()
        total = _total(out)
        results[what] = {
            "instructions": total,
            "per_request_millions": round(total / arguments.requests / 1e6, 2),
            "requests": arguments.requests,
            "seconds_under_valgrind": round(seconds, 1),
        }
        print(f"{what}: {results[what]}", flush=True)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip(),
        "township": str(township["id"]),
        **results,
    }
    output = REPO / "bench" / "results" / "callgrind.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    if arguments.keep:
        print(f"callgrind files kept in {work}")


if __name__ == "__main__":
    main()
