"""A county's working day under load (issue 21): the real app on PostgreSQL with one, then two API processes.

Seeds a fresh PostgreSQL database with the demo county (`qinghu seed-demo`, synthetic minors), starts
`qinghu serve --workers N` and replays a working day for `--duration` seconds with simulated people, each
waiting a random think time (exponential, mean `--think` seconds) between two steps:

- caseworkers list the registry and their worklists, open a minor and a care file, record a contact, look at
  their to-do centre and notifications;
- station and county leads read the dashboard, the overdue list, the to-do centre, a campaign's progress and
  (where the build has them) the township rates;
- the police system pushes seizure notices (each with its own Idempotency-Key) and reads them back;
- the education bureau's system pulls school statistics;
- exports (the daily seizure report, a campaign's progress table, the registry where the build exports it)
  and, where the build has it, a dry-run import of a small screening sheet.

Operations the build does not offer (looked up in the app's own OpenAPI document) are left out and named in the
result. Reported per operation: count, throughput, p50/p99 (client side: queueing included; and the app's own
time from its Server-Timing header), errors (any answer other than the expected one; must be 0); and the API
processes' resident memory after the warm-up and at the end. Results go to bench/results/load-<processes>.json (`--name` for another stem, e.g. for a quick look that
should not replace the recorded run).

    .venv/bin/python bench/load.py                          # 10 minutes each with 1 and 2 processes
    .venv/bin/python bench/load.py --duration 60 --processes 2 --name quick   # a quick look
"""

import argparse
import asyncio
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.demo.people import synthetic_person
from backend.demo.seed import DEFAULT_DEMO_CLIENT_SECRET, DEFAULT_DEMO_PASSWORD
from bench.minors import _free_port, _recreate_database, _start

RESIDENCES = ("330381005001", "330381005002", "330381001001", "330381002001")
WARM_UP_SECONDS = 30


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # The app's own time per request (its Server-Timing header): what the client waited beyond it was queueing.
    server: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    recording: bool = False

    def add(self, name: str, seconds: float, problem: str | None, server_ms: float | None = None) -> None:
        if not self.recording:
            return
        self.latencies[name].append(seconds * 1000)
        if server_ms is not None:
            self.server[name].append(server_ms)
        if problem:
            self.errors[name].append(problem)


@dataclass
class Day:
    """What the simulated people share: the app's address, the accounts' tokens, the ids they pick from."""

    base: str
    paths: set[str]
    tokens: dict[str, str]
    # Ids each account has seen in its own lists: a person opens only what their lists showed them.
    seen: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    notice_ids: list[str] = field(default_factory=list)
    campaign_ids: list[str] = field(default_factory=list)
    township_id: str | None = None
    minors_export: bool = False
    skipped: set[str] = field(default_factory=set)

    def has(self, path: str) -> bool:
        if path in self.paths:
            return True
        self.skipped.add(path)
        return False


async def _token(http: httpx.AsyncClient, base: str, form: dict[str, str]) -> str:
    answer = await http.post(f"{base}/api/v1/auth/token", data=form)
    answer.raise_for_status()
    return answer.json()["access_token"]


async def _tokens(http: httpx.AsyncClient, base: str) -> dict[str, str]:
    people = ("jinhu_worker", "other_worker", "jinhu_lead", "county_lead", "school_teacher")
    tokens = {
        name: await _token(
            http, base, {"grant_type": "password", "username": name, "password": DEFAULT_DEMO_PASSWORD}
        )
        for name in people
    }
    for client in ("police-jinhu", "edu-bureau"):
        tokens[client] = await _token(
            http,
            base,
            {
                "grant_type": "client_credentials",
                "client_id": client,
                "client_secret": DEFAULT_DEMO_CLIENT_SECRET,
            },
        )
    return tokens


class Person:
    def __init__(self, day: Day, tally: Tally, http: httpx.AsyncClient, account: str, rng: random.Random):
        self.day, self.tally, self.http, self.rng, self.account = day, tally, http, rng, account
        self.headers = {"Authorization": f"Bearer {day.tokens[account]}", "Accept-Language": "zh-CN"}

    async def call(
        self, name: str, method: str, path: str, *, expect: int = 200, **kwargs: object
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            answer = await self.http.request(
                method, self.day.base + path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
            )
        except httpx.HTTPError as error:
            self.tally.add(name, time.perf_counter() - started, type(error).__name__)
            return None
        timing = answer.headers.get("server-timing", "")
        self.tally.add(
            name,
            time.perf_counter() - started,
            None if answer.status_code == expect else str(answer.status_code),
            float(timing.partition("dur=")[2]) if "dur=" in timing else None,
        )
        return answer if answer.status_code == expect else None

    def pick(self, ids: list[str]) -> str | None:
        return self.rng.choice(ids) if ids else None

    def seen(self, kind: str) -> list[str]:
        return self.day.seen[(self.account, kind)]

    def remember(self, kind: str, answer: httpx.Response) -> None:
        ids = self.seen(kind)
        ids[:] = [*ids, *(item["id"] for item in answer.json()["items"])][-500:]


async def caseworker(person: Person) -> None:
    day, rng = person.day, person.rng
    step = rng.random()
    if step < 0.25:
        answer = await person.call(
            "minors.list", "GET", f"/api/v1/minors?limit=20&offset={rng.randrange(0, 200)}"
        )
        if answer:
            person.remember("minors", answer)
    elif step < 0.40 and (minor := person.pick(person.seen("minors"))):
        await person.call("minors.detail", "GET", f"/api/v1/minors/{minor}")
    elif step < 0.55:
        due = rng.choice(("due_soon", "overdue", "lost_contact"))
        answer = await person.call("care_files.worklist", "GET", f"/api/v1/care-files?due={due}&limit=20")
        if answer:
            person.remember("care_files", answer)
    elif step < 0.65 and (care_file := person.pick(person.seen("care_files"))):
        await person.call("care_files.detail", "GET", f"/api/v1/care-files/{care_file}")
    elif step < 0.75 and (care_file := person.pick(person.seen("care_files"))):
        occurred = (datetime.now(UTC) - timedelta(minutes=rng.randrange(5, 600))).isoformat()
        body = {"kind": "talk", "occurred_at": occurred, "summary": "电话回访，情绪稳定，按时上学。"}
        await person.call(
            "care_files.record", "POST", f"/api/v1/care-files/{care_file}/entries", json=body, expect=201
        )
    elif step < 0.90 and day.has("/api/v1/me/todo"):
        await person.call("me.todo", "GET", "/api/v1/me/todo")
    elif day.has("/api/v1/me/notifications/unread-count"):
        await person.call("me.unread", "GET", "/api/v1/me/notifications/unread-count")


async def lead(person: Person) -> None:
    day, rng = person.day, person.rng
    step = rng.random()
    if step < 0.30:
        await person.call("stats.overview", "GET", "/api/v1/stats/overview")
    elif step < 0.50:
        await person.call("care_files.overdue", "GET", "/api/v1/care-files?due=overdue&limit=50")
    elif step < 0.65 and day.has("/api/v1/me/todo"):
        await person.call("me.todo", "GET", "/api/v1/me/todo")
    elif step < 0.80 and person.account != "county_lead":
        await person.call("task_reports.list", "GET", "/api/v1/task-reports?limit=20")
    elif step < 0.80 and (campaign := person.pick(day.campaign_ids)):
        # The issuing office follows a campaign's progress; a station reads its own task reports.
        await person.call("campaigns.progress", "GET", f"/api/v1/campaigns/{campaign}/progress")
    elif step < 0.90 and day.has("/api/v1/stats/rates"):
        await person.call("stats.rates", "GET", "/api/v1/stats/rates")
    else:
        await person.call("minors.list_filtered", "GET", "/api/v1/minors?risk_level=high&limit=50")


async def police(person: Person) -> None:
    day, rng = person.day, person.rng
    if rng.random() < 0.6 or not day.notice_ids:
        someone = synthetic_person(rng, today=datetime.now(UTC).date())
        body = {
            "notice_no": f"LOAD-{uuid.uuid4().hex[:16]}",
            "seized_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "place": "锦湖街道某KTV",
            "person": {
                "name": someone.name,
                "id_number": someone.id_number,
                "residence_division_code": rng.choice(RESIDENCES),
            },
            "substances": ["etomidate"],
            "test_result": "positive",
            "measures": ["admonition"],
        }
        answer = await person.call(
            "seizures.push",
            "POST",
            "/api/v1/seizure-notices",
            json=body,
            expect=201,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        if answer:
            day.notice_ids[:] = [*day.notice_ids, answer.json()["id"]][-200:]
    elif notice := person.pick(day.notice_ids):
        await person.call("seizures.read", "GET", f"/api/v1/seizure-notices/{notice}")


async def bureau(person: Person) -> None:
    await person.call("stats.schools", "GET", "/api/v1/stats/schools")


async def exporter(person: Person) -> None:
    day, rng = person.day, person.rng
    step = rng.random()
    if step < 0.3:
        await person.call("export.daily_report", "GET", "/api/v1/seizure-notices/daily-report?format=xlsx")
    elif step < 0.6 and (campaign := person.pick(day.campaign_ids)):
        await person.call("export.progress", "GET", f"/api/v1/campaigns/{campaign}/progress?format=xlsx")
    elif step < 0.85 and day.minors_export:
        await person.call("export.minors", "GET", "/api/v1/minors?format=xlsx&risk_level=high")
    elif day.has("/api/v1/imports"):
        await _dry_run_import(person)


async def _dry_run_import(person: Person) -> None:
    """A small screening sheet, dry run (the import's default), polled until its report is ready."""
    template = await person.call("import.template", "GET", "/api/v1/imports/templates/screening_minors")
    if template is None:
        return
    answer = await person.call(
        "import.upload",
        "POST",
        "/api/v1/imports",
        data={"kind": "screening_minors"},
        files={"file": ("排查表.xlsx", io.BytesIO(template.content), "application/octet-stream")},
        expect=202,
    )
    if answer is None:
        return
    job = answer.json()["id"]
    for _ in range(50):
        polled = await person.call("import.poll", "GET", f"/api/v1/imports/{job}")
        if polled is None or polled.json().get("status") not in {"queued", "running", "pending"}:
            return
        await asyncio.sleep(0.2)


ROLES: dict[str, tuple[str, Callable[[Person], Awaitable[None]]]] = {
    "caseworker": ("jinhu_worker", caseworker),
    "caseworker_other": ("other_worker", caseworker),
    "lead": ("jinhu_lead", lead),
    "county_lead": ("county_lead", lead),
    "police": ("police-jinhu", police),
    "bureau": ("edu-bureau", bureau),
    "exporter": ("county_lead", exporter),
}


async def _simulated(
    role: str, day: Day, tally: Tally, http: httpx.AsyncClient, think: float, seed: str, until: float
) -> None:
    account, act = ROLES[role]
    rng = random.Random(seed)  # noqa: S311 - a load generator
    person = Person(day, tally, http, account, rng)
    while time.monotonic() < until:
        await act(person)
        await asyncio.sleep(rng.expovariate(1 / think))


async def _prime(day: Day, http: httpx.AsyncClient) -> None:
    for account in ("jinhu_worker", "other_worker"):
        headers = {"Authorization": f"Bearer {day.tokens[account]}"}
        for kind, path in (
            ("minors", "/api/v1/minors?limit=100"),
            ("care_files", "/api/v1/care-files?limit=100"),
        ):
            answer = await http.get(day.base + path, headers=headers)
            day.seen[(account, kind)] = [item["id"] for item in answer.json()["items"]]
    lead_headers = {"Authorization": f"Bearer {day.tokens['county_lead']}"}
    campaigns = await http.get(f"{day.base}/api/v1/campaigns?limit=20", headers=lead_headers)
    day.campaign_ids = [c["id"] for c in campaigns.json()["items"]]
    probe = await http.get(f"{day.base}/api/v1/minors?format=xlsx&risk_level=high", headers=lead_headers)
    day.minors_export = probe.status_code == 200


def _rss_kib(root_pid: int) -> int:
    """Resident memory of the server process and its worker processes."""
    pids = [root_pid]
    children = Path(f"/proc/{root_pid}/task/{root_pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


async def _run(base: str, server_pid: int, users: dict[str, int], duration: int, think: float) -> dict:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        paths = set((await http.get(f"{base}/openapi.json")).json()["paths"])
        day = Day(base=base, paths=paths, tokens=await _tokens(http, base))
        await _prime(day, http)
        tally = Tally()
        until = time.monotonic() + WARM_UP_SECONDS + duration
        tasks = [
            asyncio.create_task(_simulated(role, day, tally, http, think, seed=f"{role}-{n}", until=until))
            for role, count in users.items()
            for n in range(count)
        ]
        await asyncio.sleep(WARM_UP_SECONDS)
        rss_start = _rss_kib(server_pid)
        tally.recording = True
        started = time.monotonic()
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
        rss_end = _rss_kib(server_pid)
    operations = {}
    for name, samples in sorted(tally.latencies.items()):
        server = tally.server.get(name, [])
        operations[name] = {
            "count": len(samples),
            "per_s": round(len(samples) / elapsed, 2),
            "p50_ms": _percentile(samples, 0.5),
            "p99_ms": _percentile(samples, 0.99),
            "server_p50_ms": _percentile(server, 0.5),
            "server_p99_ms": _percentile(server, 0.99),
            "errors": len(tally.errors.get(name, [])),
            "error_statuses": sorted(set(tally.errors.get(name, []))),
        }
    return {
        "elapsed_s": round(elapsed, 1),
        "requests": sum(op["count"] for op in operations.values()),
        "per_s": round(sum(op["count"] for op in operations.values()) / elapsed, 1),
        "errors": sum(op["errors"] for op in operations.values()),
        "rss_start_mib": round(rss_start / 1024, 1),
        "rss_end_mib": round(rss_end / 1024, 1),
        "rss_growth": round(rss_end / rss_start - 1, 3) if rss_start else None,
        "operations": operations,
        "not_in_this_build": sorted(day.skipped),
    }


def _percentile(samples: list[float], fraction: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    if fraction == 0.5:
        return round(statistics.median(ordered), 1)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))], 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duration", type=int, default=600, help="seconds of measured load per configuration"
    )
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--minors", type=int, default=3000, help="synthetic minors in the demo county")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between two steps, seconds")
    parser.add_argument("--scale", type=int, default=1, help="multiply the simulated people")
    parser.add_argument("--database", default="qinghu_load")
    parser.add_argument(
        "--name", default="load", help="results file stem: bench/results/<name>-<processes>.json"
    )
    arguments = parser.parse_args()
    users = {
        role: count * arguments.scale
        for role, count in {
            "caseworker": 12,
            "caseworker_other": 8,
            "lead": 4,
            "county_lead": 2,
            "police": 2,
            "bureau": 1,
            "exporter": 2,
        }.items()
    }
    dsn = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{arguments.database}"
    work = Path(tempfile.mkdtemp(prefix="qinghu-load-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QINGHU_")},
        "QINGHU_DATABASE_URL": dsn,
        "QINGHU_KEYS_FILE": str(work / "keys.json"),
        "QINGHU_STORAGE_DIR": str(work / "files"),
        "QINGHU_LOG_LEVEL": "WARNING",
        "QINGHU_FRONTEND_DIST": str(work / "none"),
        "QINGHU_REVEAL_DAILY_LIMIT": "1000000",
    }
    qinghu = str(Path(sys.executable).parent / "qinghu")
    print(f"Seeding the demo county with {arguments.minors:,} minors into {arguments.database} …", flush=True)
    asyncio.run(_recreate_database(arguments.database))
    subprocess.run([qinghu, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([qinghu, "seed-demo", "--minors", str(arguments.minors)], env=env, check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    for processes in arguments.processes:
        port = _free_port()
        server = _start(
            [qinghu, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(processes)],
            env,
            port,
            "/readyz",
        )
        try:
            print(
                f"{processes} process(es): {arguments.duration} s after a {WARM_UP_SECONDS} s warm-up …",
                flush=True,
            )
            result = asyncio.run(
                _run(f"http://127.0.0.1:{port}", server.pid, users, arguments.duration, arguments.think)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": commit,
            "processes": processes,
            "simulated_people": sum(users.values()),
            "people": users,
            "think_s": arguments.think,
            "minors": arguments.minors,
            "cpu_count": os.cpu_count(),
            **result,
        }
        out = REPO / "bench" / "results" / f"{arguments.name}-{processes}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps(report, indent=2, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
