"""Database URLs as operators write them: the app picks its async driver; a URL it cannot use is one line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.settings import InvalidSettings, Settings, UnusableDatabaseUrl, async_database_url, get_settings
from tests.conftest import database_url

REPO = Path(__file__).resolve().parent.parent
QINGHU = str(Path(sys.executable).parent / "qinghu")
ALEMBIC = str(Path(sys.executable).parent / "alembic")


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("sqlite:///var/qinghu.db", "sqlite+aiosqlite:///var/qinghu.db"),
        ("sqlite:////srv/qinghu/qinghu.db", "sqlite+aiosqlite:////srv/qinghu/qinghu.db"),
        ("sqlite+aiosqlite:///var/qinghu.db", "sqlite+aiosqlite:///var/qinghu.db"),
        ("postgresql://qinghu@db.internal/qinghu", "postgresql+asyncpg://qinghu@db.internal/qinghu"),
        (
            "postgres://qinghu:pw@db.internal:5433/qinghu",
            "postgresql+asyncpg://qinghu:pw@db.internal:5433/qinghu",
        ),
        ("postgresql+asyncpg://qinghu@db.internal/qinghu", "postgresql+asyncpg://qinghu@db.internal/qinghu"),
        ("postgres+asyncpg://qinghu@db.internal/qinghu", "postgresql+asyncpg://qinghu@db.internal/qinghu"),
        (
            "postgresql://qinghu@db.internal/qinghu?sslmode=require",
            "postgresql+asyncpg://qinghu@db.internal/qinghu?ssl=require",
        ),
        ("  postgresql://qinghu@db.internal/qinghu\n", "postgresql+asyncpg://qinghu@db.internal/qinghu"),
    ],
)
def test_plain_and_explicit_urls_get_the_async_driver(written, used):
    assert async_database_url(written) == used


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "mysql://root:hunter2@db/qinghu",
            "mysql://root:***@db/qinghu: Qinghu runs on SQLite or PostgreSQL, not 'mysql'",
        ),
        (
            "postgresql+psycopg2://qinghu:hunter2@db/qinghu",
            "postgresql+psycopg2://qinghu:***@db/qinghu: the 'psycopg2' driver is not supported; write "
            "postgresql:// (Qinghu uses asyncpg)",
        ),
        (
            "sqlite+pysqlite:///var/qinghu.db",
            "sqlite+pysqlite:///var/qinghu.db: the 'pysqlite' driver is not supported; write sqlite:// "
            "(Qinghu uses aiosqlite)",
        ),
        (
            "garbage",
            "not a database URL; write sqlite:///path/to/qinghu.db or postgresql://user@host:5432/qinghu",
        ),
    ],
)
def test_an_unusable_url_is_refused_naming_it_without_its_password(written, message):
    with pytest.raises(UnusableDatabaseUrl) as raised:
        async_database_url(written)
    assert str(raised.value) == message


def test_settings_keep_the_url_with_its_driver(tmp_path):
    settings = Settings(database_url="postgres://qinghu@db.internal/qinghu", keys_file=tmp_path / "k.json")
    assert settings.database_url == "postgresql+asyncpg://qinghu@db.internal/qinghu"
    assert not settings.is_sqlite
    assert Settings(database_url="sqlite:///x.db", keys_file=tmp_path / "k.json").is_sqlite


def test_settings_from_the_environment_fail_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("QINGHU_DATABASE_URL", "mysql://root:hunter2@db/qinghu")
    monkeypatch.setenv("QINGHU_KEYS_FILE", str(tmp_path / "k.json"))
    get_settings.cache_clear()
    try:
        with pytest.raises(InvalidSettings) as raised:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert str(raised.value) == (
        "QINGHU_DATABASE_URL: mysql://root:***@db/qinghu: Qinghu runs on SQLite or PostgreSQL, not 'mysql'"
    )


def _run(command: list[str], database: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QINGHU_DATABASE_URL": database, "QINGHU_KEYS_FILE": str(tmp_path / "keys.json")}
    return subprocess.run(  # noqa: S603 - our own commands, arguments built here
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("command", "written"),
    [
        ([QINGHU, "migrate"], "mysql://root:hunter2@db/qinghu"),
        ([QINGHU, "serve", "--port", "1"], "postgresql+psycopg2://qinghu:hunter2@db/qinghu"),
        ([QINGHU, "audit", "verify"], "garbage"),
        ([ALEMBIC, "-c", str(REPO / "alembic.ini"), "current"], "mysql://root:hunter2@db/qinghu"),
    ],
    ids=["migrate", "serve", "audit-verify", "alembic"],
)
def test_commands_given_an_unusable_url_stop_with_one_line(command, written, tmp_path):
    finished = _run(command, written, tmp_path)
    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith("Settings: QINGHU_DATABASE_URL: ")
    assert "hunter2" not in finished.stderr


def test_migrate_with_a_plain_sqlite_url_relative_to_the_working_directory(tmp_path):
    finished = _run([QINGHU, "migrate"], "sqlite:///var/qinghu.db", tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "Database at the newest migration."
    assert (tmp_path / "var" / "qinghu.db").is_file()
    current = _run([ALEMBIC, "-c", str(REPO / "alembic.ini"), "current"], "sqlite:///var/qinghu.db", tmp_path)
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout


async def test_migrate_and_alembic_with_a_plain_postgresql_url(database, tmp_path):
    """The test database's URL written plainly (postgresql://, as TEST_DATABASE_URL is in the README)."""
    if database != "postgresql":
        pytest.skip("PostgreSQL only")
    used = sa.make_url(database_url(database))
    plain = used.set(drivername="postgresql").render_as_string(hide_password=False)
    assert plain.startswith("postgresql://")
    for written in (plain, "postgres://" + plain.removeprefix("postgresql://")):
        finished = _run([QINGHU, "migrate"], written, tmp_path)
        assert finished.returncode == 0, finished.stderr
        current = _run([ALEMBIC, "-c", str(REPO / "alembic.ini"), "current"], written, tmp_path)
        assert current.returncode == 0, current.stderr
        assert "(head)" in current.stdout
