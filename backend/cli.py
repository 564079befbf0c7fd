"""The ``qinghu`` command: serve, migrate, seed the demo county, create people and clients, dump the spec."""

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from backend.security import privacy_doc
from backend.settings import REPO_ROOT, InvalidSettings, MissingSecretError, get_settings

app = typer.Typer(help="青护 Qinghu: youth drug-prevention casework.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

OPENAPI_PATH = REPO_ROOT / "openapi" / "openapi.json"
T = TypeVar("T")


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction against the configured database, its session carrying the cipher."""
    from backend.db import make_engine, make_sessionmaker
    from backend.security.crypto import FieldCipher, session_info

    async def run() -> T:
        settings = get_settings()
        engine = make_engine(settings.database_url)
        info = session_info(FieldCipher.from_settings(settings))
        try:
            async with make_sessionmaker(engine, info=info)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@app.callback()
def _check_settings() -> None:
    """Every command reads the settings first: an unusable one stops it with one line, not a traceback."""
    try:
        get_settings()
    except (InvalidSettings, MissingSecretError) as exc:
        _fail(f"Settings: {exc}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    keep_alive: Annotated[
        int, typer.Option(help="Seconds an idle keep-alive connection stays open (above the proxy's own)")
    ] = 75,
) -> None:
    """Serve the API, its docs and the web app."""
    import uvicorn

    typer.echo(f"Qinghu: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "backend.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        # The scheme (https, for the refresh cookie's Secure flag) and the client's address are taken from
        # X-Forwarded-* only when the proxy is one of QINGHU_TRUSTED_PROXIES, as the login counters do.
        proxy_headers=True,
        forwarded_allow_ips=get_settings().trusted_proxies,
        server_header=False,
        # A proxy that keeps idle connections to the workers (nginx: 60 s) must be the one to close them: if
        # uvicorn closed first (its default is 5 s), a request sent on the closing connection would be lost.
        timeout_keep_alive=keep_alive,
    )


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest migration."""
    from backend.migrate import upgrade_to_head

    settings = get_settings()
    database_file = make_url(settings.database_url).database
    if settings.is_sqlite and database_file and database_file != ":memory:":
        Path(database_file).parent.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(settings)
    typer.echo("Database at the newest migration.")


@app.command("seed-demo")
def seed_demo(
    minors: Annotated[
        int, typer.Option(help="Synthetic minors the registry should hold (made up, valid ID numbers)")
    ] = 300,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Only seed a database with no units")] = False,
) -> None:
    """Load the demo county (瑞安市): units, accounts, machine clients. Safe to run again."""
    from backend.demo.seed import DemoCredentials, seed_demo_county

    settings = get_settings()
    credentials = DemoCredentials.from_settings(settings)
    outcome = _in_session(
        lambda session: seed_demo_county(
            session, credentials=credentials, if_empty=if_empty, minors=minors, campaigns=True
        )
    )
    if outcome is None:
        typer.echo("The database already holds units; demo county not loaded.")
        return
    typer.echo(outcome)
    for warning in credentials.warnings:
        typer.secho(warning, fg=typer.colors.YELLOW, err=True)


@app.command("create-unit")
def create_unit(
    name: Annotated[str, typer.Option(help="Name of the top unit, e.g. 瑞安市禁毒办")],
    division_code: Annotated[str | None, typer.Option(help="Administrative division code")] = None,
) -> None:
    """Create the top of the unit tree (a county office) on a new installation."""
    from pydantic import TypeAdapter, ValidationError

    from backend.errors import ProblemError
    from backend.units import service as units
    from backend.units.models import UnitKind
    from backend.units.schemas import DivisionCode

    try:
        code = TypeAdapter(DivisionCode).validate_python(division_code)
        unit = _in_session(
            lambda session: units.create_root_unit(
                session, name=name, kind=UnitKind.county_office, division_code=code
            )
        )
    except (ValidationError, ProblemError) as exc:
        _fail(f"Not created: {exc}")
        return
    typer.echo(f"Created unit {unit.name} ({unit.id}).")


@app.command("create-user")
def create_user(
    username: Annotated[str, typer.Option()],
    display_name: Annotated[str, typer.Option()],
    role: Annotated[
        str, typer.Option(help="admin, supervisor, caseworker, police, school_staff, education, auditor")
    ],
    unit_id: Annotated[uuid.UUID, typer.Option(help="The person's unit")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="QINGHU_NEW_PASSWORD"),
    ],
) -> None:
    """Create a person (e.g. the first administrator)."""
    from pydantic import ValidationError

    from backend.errors import ProblemError
    from backend.users import service as users
    from backend.users.schemas import UserCreate

    try:
        user_in = UserCreate(
            username=username, display_name=display_name, role=role, unit_id=unit_id, password=password
        )
        created = _in_session(
            lambda session: users.create_user(
                session, principal=None, user_in=user_in, must_change_password=False
            )
        )
    except (ValidationError, ProblemError) as exc:
        _fail(f"Not created: {exc}")
        return
    typer.echo(f"Created {created.username} ({created.role.value}) in {created.unit.name}.")


@app.command("create-client")
def create_client(
    client_id: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    unit_id: Annotated[uuid.UUID, typer.Option()],
    scope: Annotated[list[str], typer.Option(help="Repeat for each scope, e.g. --scope seizures:write")],
) -> None:
    """Create a machine client and print its secret once."""
    from pydantic import ValidationError

    from backend.clients import service as clients
    from backend.clients.schemas import ClientCreate
    from backend.errors import ProblemError

    try:
        client_in = ClientCreate(client_id=client_id, name=name, unit_id=unit_id, scopes=scope)
        created = _in_session(
            lambda session: clients.create_client(session, principal=None, client_in=client_in)
        )
    except (ValidationError, ProblemError) as exc:
        _fail(f"Not created: {exc}")
        return
    typer.echo(f"Created client {created.client_id}. Secret (shown once): {created.client_secret}")


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt stored numbers and phones under the current encryption key and recompute look-up hashes.

    Set the new QINGHU_ENCRYPTION_KEY_ID / QINGHU_ENCRYPTION_KEY (and QINGHU_LOOKUP_KEY if it changes), keep
    the old key in QINGHU_PREVIOUS_ENCRYPTION_KEYS, run this, then drop the old key."""
    from backend.minors.service import keys

    changed = _in_session(keys.reencrypt_all)
    typer.echo(f"Re-encrypted {changed} records under key {get_settings().encryption_key_id}.")


@app.command("purge-idempotency")
def purge_idempotency(
    days: Annotated[int, typer.Option(help="Remove keys older than this many days (at least 7)", min=7)] = 7,
) -> None:
    """Remove stored Idempotency-Key answers past keeping (7 days by default; run daily from cron)."""
    from datetime import timedelta

    from backend import idempotency

    removed = _in_session(lambda session: idempotency.purge_expired(session, older_than=timedelta(days=days)))
    typer.echo(f"Removed {removed} idempotency keys older than {days} days.")


@app.command()
def remind(
    day: Annotated[
        str | None, typer.Option(help="The digest's day, YYYY-MM-DD (default: today, Asia/Shanghai)")
    ] = None,
) -> None:
    """End the delegations past their last day (the files go back to the household-registration unit), then
    each active person's daily digest: stored in the app, then mailed where SMTP and an address are set.
    Run once a day from cron or the systemd timer; a second run the same day sends nothing again."""
    from datetime import date

    from backend.db import local_today
    from backend.notifications.channels import Channel, SmtpChannel
    from backend.workflows import reminders

    try:
        the_day = date.fromisoformat(day) if day else local_today()
    except ValueError:
        _fail(f"--day: not a date in the form YYYY-MM-DD: {day!r}")
        return
    result = _in_session(lambda session: reminders.remind(session, day=the_day))
    channels: list[Channel] = []
    smtp = SmtpChannel.configured(get_settings())
    if smtp is not None:
        channels.append(smtp)
    sent = asyncio.run(reminders.deliver(result.digests, channels))
    typer.echo(
        f"{the_day}: {result.people} people, {len(result.digests)} digests stored, "
        f"{result.already_sent} already stored today; "
        + (", ".join(f"{name} {count}" for name, count in sorted(sent.items())) or "no other channel")
        + (
            f"; {result.delegations_ended} delegations past their last day ended"
            if result.delegations_ended
            else ""
        )
    )


PassphraseOption = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        envvar="QINGHU_BACKUP_PASSPHRASE",
        help="Encrypts the keys in the archive (at least 12 characters); or QINGHU_BACKUP_PASSPHRASE",
    ),
]


@app.command()
def backup(
    output: Annotated[
        Path, typer.Argument(help="The archive to write, e.g. /srv/backups/qinghu-2026-12-01.tar")
    ],
    passphrase: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="QINGHU_BACKUP_PASSPHRASE",
            help="Encrypts the keys in the archive (at least 12 characters); or QINGHU_BACKUP_PASSPHRASE",
        ),
    ],
) -> None:
    """Back up the database, the evidence files and the keys (encrypted with the passphrase) into one archive,
    while the app runs."""
    from backend import backup as backups
    from backend.db import make_engine
    from backend.storage import storage_for

    settings = get_settings()
    storage = storage_for(settings)

    async def stored_files() -> AsyncIterator[tuple[str, bytes]]:
        async for stored in storage.listing():
            if not stored.key.endswith(".part"):
                yield stored.key, b"".join([chunk async for chunk in storage.open(stored.key)])

    async def run() -> backups.Manifest:
        engine = make_engine(settings.database_url)
        try:
            async with engine.connect() as connection:
                revision = await backups.current_revision(connection)
        finally:
            await engine.dispose()
        return await backups.write_archive(
            output,
            database_url=settings.database_url,
            revision=revision,
            sealed_keys=backups.seal_keys(backups.key_material(settings), passphrase),
            files=stored_files(),
        )

    try:
        manifest = asyncio.run(run())
    except backups.BackupError as exc:
        _fail(f"Backup failed: {exc}")
        return
    typer.echo(
        f"Backed up the {manifest.database} database (migration {manifest.revision}), {manifest.files} files "
        f"and the keys to {output}."
    )


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="An archive written by `qinghu backup`")],
    keys_out: Annotated[
        Path, typer.Option(help="Where to write the restored keys, as an environment file (mode 0600)")
    ],
    passphrase: PassphraseOption,
) -> None:
    """Restore a backup into the empty database QINGHU_DATABASE_URL names and the configured file store; the
    keys are written to --keys-out. Nothing is touched if the passphrase is wrong or the database is not empty."""
    import tempfile

    from backend import backup as backups
    from backend.db import make_engine
    from backend.storage import storage_for

    settings = get_settings()
    storage = storage_for(settings)

    def refuse_existing(path: Path) -> None:
        raise backups.BackupError(f"{path} exists; name a new file for the keys")

    async def run() -> tuple[backups.Manifest, dict[str, Any]]:
        reader = backups.ArchiveReader(archive)
        try:
            keys = backups.open_keys(reader.read(backups.KEYS), passphrase)
            if keys_out.exists():
                refuse_existing(keys_out)
            engine = make_engine(settings.database_url)
            try:
                async with engine.connect() as connection:
                    if not await backups.database_is_empty(connection):
                        raise backups.BackupError(
                            "QINGHU_DATABASE_URL names a database that is not empty; restore into a new one"
                        )
            finally:
                await engine.dispose()
            with tempfile.TemporaryDirectory() as scratch:
                dump = Path(scratch) / "database"
                member = reader.database_member()
                dump.write_bytes(reader.read(member))
                url = make_url(settings.database_url)
                await asyncio.to_thread(backups.restore_database, url, member, dump)
            for key in reader.file_keys():
                await storage.write(key, reader.read(backups.FILES + key))
            backups.write_private(keys_out, backups.keys_env_file(keys), on_exists=refuse_existing)
            return reader.manifest, keys
        finally:
            reader.close()

    try:
        manifest, _keys = asyncio.run(run())
    except backups.BackupError as exc:
        _fail(f"Restore failed: {exc}")
        return
    typer.echo(
        f"Restored the {manifest.database} database of {manifest.created_at} (migration {manifest.revision}) "
        f"and {manifest.files} files; the keys are in {keys_out}. Give the app these keys (its environment), "
        "run `qinghu migrate` if this code is newer, then `qinghu audit verify`."
    )


@app.command("sweep-files")
def sweep_files(
    older_than_hours: Annotated[
        int, typer.Option(help="Spare files younger than this: an upload may still be committing", min=1)
    ] = 24,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would go, remove nothing")] = False,
) -> None:
    """Remove stored files that no record names (an upload whose request failed after its file was written;
    a write cut short). Run daily from cron, like purge-idempotency."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from backend.campaigns.models import EvidenceFile
    from backend.storage import StoredKey, storage_for

    settings = get_settings()
    storage = storage_for(settings)
    cutoff = datetime.now(UTC) - timedelta(hours=older_than_hours)

    async def listed() -> list[StoredKey]:
        return [stored async for stored in storage.listing() if stored.modified_at < cutoff]

    # Listed before the records are read: a file whose record is committed meanwhile is then seen as named.
    candidates = asyncio.run(listed())
    # Every table that names stored files belongs here.
    named = _in_session(lambda session: _named_keys(session, sa.select(EvidenceFile.storage_key)))
    orphans = [stored for stored in candidates if stored.key not in named]

    async def remove() -> None:
        for stored in orphans:
            await storage.delete_stored(stored)

    if not dry_run:
        asyncio.run(remove())
    verb = "Would remove" if dry_run else "Removed"
    typer.echo(f"{verb} {len(orphans)} of {len(candidates)} stored files older than {older_than_hours} h.")


async def _named_keys(session: AsyncSession, *statements: Any) -> set[str]:
    named: set[str] = set()
    for statement in statements:
        named.update((await session.scalars(statement)).all())
    return named


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain; exit 1 naming the first broken link."""
    from backend.audit import service as audit

    report = _in_session(audit.verify)
    if report.ok:
        typer.echo(f"Audit chain intact: {report.events} events.")
        return
    _fail(
        f"Audit chain broken at event {report.first_broken}: {report.problem} ({report.events} events intact before it)."
    )


def current_spec() -> dict[str, Any]:
    from backend.main import create_app

    return create_app().openapi()


def render_spec(spec: dict[str, Any]) -> str:
    return json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


@app.command("privacy-fields")
def privacy_fields(
    write: Annotated[bool, typer.Option("--write", help="Rewrite the list in docs/privacy.md")] = False,
) -> None:
    """Print every field of every record with its privacy class (the list in docs/privacy.md)."""
    if not write:
        typer.echo(privacy_doc.render())
        return
    page = REPO_ROOT / "docs" / "privacy.md"
    page.write_text(privacy_doc.replace_block(page.read_text(encoding="utf-8")), encoding="utf-8")
    typer.echo(f"Wrote {page}.")


@app.command()
def openapi(
    check: Annotated[bool, typer.Option("--check", help="Fail if the committed spec differs")] = False,
    output: Annotated[Path, typer.Option(help="Where the spec is written")] = OPENAPI_PATH,
) -> None:
    """Write the OpenAPI spec to openapi/openapi.json (or check that it is current)."""
    rendered = render_spec(current_spec())
    if check:
        if not output.exists() or output.read_text() != rendered:
            _fail(f"{output} is stale: run `make openapi` and commit it.")
        typer.echo(f"{output} is current.")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(rendered)
    typer.echo(f"Wrote {output}.")


if __name__ == "__main__":
    sys.exit(app())
