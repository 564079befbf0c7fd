"""Benchmark of the to-do centre and the daily reminders (issue 17: on the bench data, a township lead's and a
social worker's ``GET /api/v1/me/todo`` under 100 ms server time, and ``qinghu remind`` over the whole county
under 60 s).

Works on the shared bench data (bench/seed.py) in ``qinghu_bench``: the registry of 1,000,000 minors over
2,000 units (seeded here as bench/minors.py does, unless ``--reuse`` finds it), then, if the database has no
care files yet, the casework: about 2,000 people, a file per minor naming its community's social worker
(about 520 files each; one in twenty unassigned), a year of entries, transfers asked and awaiting a receipt
outside the county, seizure notices (one in five unacknowledged) and notifications.

Then, with the real app in process and asked through its HTTP interface (its start-up run as uvicorn runs it),
``--rounds`` times after a warm-up: ``/me/todo`` as the lead of a township (about 25,000 files in her
subtree), as a social worker, and as the county's lead, reading the app's ``Server-Timing`` header. Last,
``qinghu remind --day <today>`` as a separate process over the whole county, timed from start to exit (the
day's digests stored by an earlier run are deleted first, so that every run composes and stores them all).

    .venv/bin/python bench/todo.py                  # seeds the registry and the casework, then measures
    .venv/bin/python bench/todo.py --reuse          # measures again (adds the casework if it is missing)
    .venv/bin/python bench/todo.py --minors 50000   # a small county

Writes ``bench/results/todo.json``. Needs PostgreSQL on 127.0.0.1.
"""

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.migrate import alembic_config, upgrade_to_head
from backend.settings import Settings
from bench import seed

TODO_TARGET_MS = 100
REMIND_TARGET_S = 60
# Who is asked: a township's lead, a social worker of one of its communities, the county's lead.
# The baseline asked in turn with /me/todo (see _measure_todo).
BASELINE = "/api/v1/me/notifications/unread-count"
PRINCIPALS = {"township_lead": "bench_lead_t1", "caseworker": "bench_worker_1_1", "county_lead": "bench_lead"}


# This branch's migrations that only create what is missing (IF NOT EXISTS), oldest first, the first one's
# down_revision main's head. On the shared bench data (several branches benchmark on it) they are applied without
# stamping the database, so that another branch's benchmark can still migrate it its own way; main's own migrations
# are applied (and stamped) as always.
CREATED_IF_MISSING = ("5c1e9a7d3b20",)


def _migrate_shared(settings: Settings, dsn: str) -> None:
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError

    script = ScriptDirectory.from_config(alembic_config(settings))
    current = asyncio.run(_stamped_revision(dsn))
    try:
        ahead = [revision.revision for revision in script.iterate_revisions("heads", current)]
    except RevisionError:  # another branch's revision: this one does not know it
        print(f"the database is stamped {current}, a revision of another branch: ", end="")
        ahead = list(CREATED_IF_MISSING)
    if not set(ahead) <= set(CREATED_IF_MISSING):  # main's own first, as always (stamped)
        from alembic import command

        command.upgrade(alembic_config(settings), script.get_revision(CREATED_IF_MISSING[0]).down_revision)
    print(f"creating what is missing of {', '.join(CREATED_IF_MISSING)} without stamping it", flush=True)
    modules = [script.get_revision(revision).module for revision in CREATED_IF_MISSING]
    asyncio.run(_apply_unstamped(settings, modules))


async def _stamped_revision(dsn: str) -> str | None:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await connection.close()


async def _apply_unstamped(settings: Settings, modules: list) -> None:
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    from backend.db import make_engine

    def apply(connection: object) -> None:
        with Operations.context(MigrationContext.configure(connection)):  # type: ignore[arg-type]
            for module in modules:
                module.upgrade()

    engine = make_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(apply)
    finally:
        await engine.dispose()


async def _prepare(dsn: str, settings: Settings, *, minors: int, units: int, reuse: bool) -> dict:
    connection = await asyncpg.connect(dsn)
    try:
        loaded: dict = {}
        if not reuse:
            county = await seed.seed_units(connection, units=units)
            print(f"  {1 + len(county.townships) + len(county.communities)} units", flush=True)
            await seed.seed_registry(connection, settings, county, minors=minors)
        if not await seed.has_casework(connection):
            print("Seeding the casework …", flush=True)
            loaded = await seed.seed_casework(connection, await seed.load_county(connection))
        return loaded
    finally:
        await connection.close()


def _server_ms(response: object) -> float:
    return float(response.headers["server-timing"].split("dur=")[1])  # type: ignore[attr-defined]


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "max_ms": round(ordered[-1], 1),
    }


async def _measure_todo(settings: Settings, rounds: int, who_asks: list[str]) -> tuple[dict, dict]:
    from httpx import ASGITransport, AsyncClient

    from backend.main import create_app

    app = create_app(settings)
    results: dict = {}
    answers: dict = {}
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as client,
    ):
        for who in who_asks:
            username = PRINCIPALS[who]
            token = (
                await client.post(
                    "/api/v1/auth/token",
                    data={"grant_type": "password", "username": username, "password": seed.PASSWORD},
                )
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            server: list[float] = []
            floor: list[float] = []
            for round_ in range(rounds + 3):
                response = await client.get("/api/v1/me/todo", headers=headers)
                assert response.status_code == 200, response.text
                # The baseline, in turn with it: the same person's smallest authenticated read (the token
                # checked, one indexed count), i.e. what any request costs on this machine at this moment.
                baseline = await client.get(BASELINE, headers=headers)
                assert baseline.status_code == 200, baseline.text
                if round_ >= 3:  # warm-up
                    server.append(_server_ms(response))
                    floor.append(_server_ms(baseline))
            results[who] = _summary(server) | {
                "baseline_median_ms": round(statistics.median(floor), 1),
                "ratio_to_baseline": round(statistics.median(server) / statistics.median(floor), 1),
            }
            answers[who] = {item["kind"]: item["count"] for item in response.json()["items"]}
            print(f"/me/todo as {who}: {results[who]} — {answers[who]}", flush=True)
    await app.state.engine.dispose()
    return results, answers


async def _clear_digests(dsn: str, day: date) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        status = await connection.execute("DELETE FROM notifications WHERE digest_day = $1", day)
        await connection.execute("VACUUM ANALYZE notifications")
        return int(status.split()[-1])
    finally:
        await connection.close()


def _remind(env: dict[str, str], day: date) -> tuple[float, float, str]:
    """Wall-clock seconds of the run, the CPU seconds of its own process (the rest is waiting on PostgreSQL and
    on the other processes sharing the machine), and what it said."""
    qinghu = str(Path(sys.executable).parent / "qinghu")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [qinghu, "remind", "--day", day.isoformat()], env=env, capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu, done.stdout.strip()


async def _per_person(settings: Settings, day: date, every: int) -> dict:
    """The baseline, in the same run right after remind: each ``every``-th person's digest composed one person at a
    time from their own to-do centre (``reminders.compose``, as remind worked before the set-based counts): its
    wall-clock and CPU time per person, that times the people (what a run this way would take now), and how many of
    the sampled digests differ from those remind stored (0: the set-based counts agree on the bench data)."""
    import uuid

    import sqlalchemy as sa

    from backend.db import make_engine, make_sessionmaker
    from backend.notifications.models import Notification
    from backend.security.crypto import FieldCipher, session_info
    from backend.workflows import reminders

    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(
            engine, info=session_info(FieldCipher.from_settings(settings))
        )() as session:
            people = await reminders.active_people(session)
            of_the_day = await reminders.reminders_by_person(session, day)
            stored = {
                uuid.UUID(str(user_id)): (title, body)
                for user_id, title, body in await session.execute(
                    sa.select(Notification.user_id, Notification.title, Notification.body).where(
                        Notification.digest_day == day
                    )
                )
            }
            sample = people[::every]
            started, cpu = time.perf_counter(), time.process_time()
            differing = []
            for person in sample:
                digest = await reminders.compose(
                    session, principal=person, day=day, reminders=of_the_day.get(str(person.id))
                )
                if stored.get(uuid.UUID(str(person.id))) != ((digest.title, digest.body) if digest else None):
                    differing.append(person.name)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await engine.dispose()
    return {
        "sampled": len(sample),
        "per_person_ms": round(seconds * 1000 / len(sample), 1),
        "cpu_per_person_ms": round(cpu * 1000 / len(sample), 1),
        "extrapolated_s": round(seconds * len(people) / len(sample), 1),
        "differing_from_stored": differing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minors", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database", default=seed.DEFAULT_DATABASE)
    parser.add_argument("--reuse", action="store_true", help="the registry is seeded already")
    parser.add_argument("--no-remind", action="store_true", help="measure the to-do centre only")
    parser.add_argument(
        "--sample-every",
        type=int,
        default=20,
        help="after remind, compose every n-th person's digest one at a time (the baseline); 0: not",
    )
    parser.add_argument(
        "--who",
        default=",".join(PRINCIPALS),
        help=f"whose to-do centre, comma-separated among {', '.join(PRINCIPALS)}",
    )
    arguments = parser.parse_args()
    dsn = seed.dsn_of(arguments.database)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QINGHU_")},
        "QINGHU_DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://"),
        "QINGHU_KEYS_FILE": str(REPO / "var" / "bench-keys.json"),
        "QINGHU_LOG_LEVEL": "WARNING",
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("QINGHU_")})
    settings = Settings()
    started = time.perf_counter()
    if not arguments.reuse:
        print(f"Seeding {arguments.minors:,} minors into {arguments.database} …", flush=True)
        asyncio.run(seed.recreate_database(arguments.database))
        upgrade_to_head(settings)
    else:
        _migrate_shared(settings, dsn)  # a database seeded before the newest migrations
    loaded = asyncio.run(
        _prepare(dsn, settings, minors=arguments.minors, units=arguments.units, reuse=arguments.reuse)
    )
    if loaded:
        print(f"loaded in {time.perf_counter() - started:.0f} s: {loaded}", flush=True)

    todo, answers = asyncio.run(_measure_todo(settings, arguments.rounds, arguments.who.split(",")))
    report: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip(),
        "database": arguments.database,
        "loaded": loaded,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "todo_target_ms": TODO_TARGET_MS,
        "todo_server": todo,
        "todo_counts": answers,
    }
    if not arguments.no_remind:
        day = date.today()
        cleared = asyncio.run(_clear_digests(dsn, day))
        seconds, cpu, said = _remind(env, day)
        print(
            f"qinghu remind: {seconds:.1f} s, {cpu:.1f} s CPU (target {REMIND_TARGET_S} s) — {said}",
            flush=True,
        )
        report["remind"] = {
            "seconds": round(seconds, 1),
            "cpu_seconds_of_the_process": round(cpu, 1),
            "target_s": REMIND_TARGET_S,
            "output": said,
            "digests_cleared_first": cleared,
            "load_average_after": os.getloadavg(),
        }
        if arguments.sample_every:
            baseline = asyncio.run(_per_person(settings, day, arguments.sample_every))
            baseline["ratio_of_remind_to_it"] = round(seconds / baseline["extrapolated_s"], 3)
            print(f"one person at a time (the baseline): {baseline}", flush=True)
            report["remind"]["per_person_baseline"] = baseline
    output = REPO / "bench" / "results" / "todo.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
