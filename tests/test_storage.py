"""Evidence files on local disk or in an S3-compatible store (a moto server on loopback): stored, read back and
removed the same way; a full disk or an unreachable store refuses the upload with nothing registered; files that
no record names are swept by `qinghu sweep-files`."""

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from backend import cli, storage
from backend.audit.models import AuditEvent
from backend.campaigns.models import EvidenceFile
from backend.settings import get_settings
from backend.storage import LocalDiskStorage, S3Location, S3Storage, StoredFileMissing
from tests.campaigns.conftest import PDF, my_reports, publish_school_campaign
from tests.conftest import assert_problem, client_for, database_url, password_token
from tests.instances import free_port

BUCKET = "qinghu-evidence"
S3_CREDENTIALS = {"s3_access_key_id": "testing", "s3_secret_access_key": "testing", "s3_region": "us-east-1"}


def _pdf(size: int) -> bytes:
    """A PDF (by its magic bytes) of about ``size`` bytes."""
    return PDF + b"%" + os.urandom(max(size - len(PDF), 1)).hex().encode()[: max(size - len(PDF), 1)]


async def _report_and_teacher(http: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A published school campaign's first report of 瑞安市锦湖中学, and its teacher's headers."""
    campaign = await publish_school_campaign(http, await _logins(http)("edu_officer"))
    teacher = await _logins(http)("school_teacher")
    return (await my_reports(http, teacher, campaign["id"]))[0], teacher


def _logins(http: Any) -> Any:
    async def headers_for(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {(await password_token(http, username))['access_token']}"}

    return headers_for


async def _evidence_rows(app: Any) -> list[EvidenceFile]:
    async with app.state.sessionmaker() as session:
        return list((await session.scalars(sa.select(EvidenceFile))).all())


async def _evidence_events(app: Any) -> int:
    async with app.state.sessionmaker() as session:
        return await session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "evidence.added")
        )


# --- a full disk --------------------------------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a real file system that fills up. Needs the right to mount (root, as in CI)."""
    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if not (mount and umount):
        pytest.skip("no mount command")
    mounted = subprocess.run(  # noqa: S603 - fixed arguments
        [mount, "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mountpoint)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run([umount, str(mountpoint)], check=False)  # noqa: S603


async def test_an_upload_to_a_full_disk_is_refused_with_nothing_registered(make_app, county, tiny_disk):
    app = make_app(storage_dir=tiny_disk)
    async with client_for(app) as http:
        report, teacher = await _report_and_teacher(http)
        url = f"/api/v1/task-reports/{report['id']}/evidence"
        too_big = await http.post(url, files={"file": ("会议记录.pdf", _pdf(200_000))}, headers=teacher)
        problem = assert_problem(too_big, 507, "insufficient-storage")
        assert (
            problem["detail"]
            == "There is no room left for the file; nothing was stored. Tell the administrator."
        )
        assert await _evidence_rows(app) == []
        assert await _evidence_events(app) == 0
        # Nothing half-written is left behind on the disk either.
        assert [path for path in tiny_disk.rglob("*") if path.is_file()] == []
        detail = await http.get(f"/api/v1/task-reports/{report['id']}", headers=teacher)
        assert detail.json()["status"] == "not_started"
        # A file that fits is still taken.
        fits = await http.post(url, files={"file": ("会议记录.pdf", _pdf(10_000))}, headers=teacher)
        assert fits.status_code == 201, fits.text
        assert len(await _evidence_rows(app)) == 1


async def test_a_write_failing_with_enospc_is_refused_with_nothing_registered(
    make_app, county, tmp_path, monkeypatch
):
    """The same without a mount: the write goes to /dev/full, which answers every write with ENOSPC."""
    key = "ab" * 16
    monkeypatch.setattr(storage, "new_key", lambda: key)
    root = tmp_path / "files"
    (root / "ab" / "ab").mkdir(parents=True)
    (root / "ab" / "ab" / f"{key}.part").symlink_to("/dev/full")
    app = make_app(storage_dir=root)
    async with client_for(app) as http:
        report, teacher = await _report_and_teacher(http)
        response = await http.post(
            f"/api/v1/task-reports/{report['id']}/evidence", files={"file": ("a.pdf", PDF)}, headers=teacher
        )
        assert_problem(response, 507, "insufficient-storage")
        assert await _evidence_rows(app) == []
        assert not (root / "ab" / "ab" / f"{key}.part").exists()
        assert not (root / "ab" / "ab" / key).exists()


def test_other_write_errors_are_503_with_retry_after(tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the store's directory should be")
    with pytest.raises(storage.StorageUnavailable) as raised:
        asyncio.run(LocalDiskStorage(blocked).put(PDF))
    assert raised.value.status == 503
    assert raised.value.headers == {"Retry-After": "30"}


# --- sweeping orphans ---------------------------------------------------------------------------------------

runner = CliRunner()


def _age(path: Path, hours: float) -> None:
    then = (datetime.now(UTC) - timedelta(hours=hours)).timestamp()
    os.utime(path, (then, then))


async def test_sweep_removes_old_files_no_record_names_and_nothing_else(
    database, make_app, county, tmp_path, monkeypatch
):
    root = tmp_path / "files"
    app = make_app(storage_dir=root)
    async with client_for(app) as http:
        report, teacher = await _report_and_teacher(http)
        uploaded = await http.post(
            f"/api/v1/task-reports/{report['id']}/evidence", files={"file": ("a.pdf", PDF)}, headers=teacher
        )
        assert uploaded.status_code == 201, uploaded.text
    (named,) = await _evidence_rows(app)
    disk = LocalDiskStorage(root)
    old_orphan, young_orphan = await disk.put(b"old orphan"), await disk.put(b"young orphan")
    cut_short = root / "cd" / "cd" / ("cd" * 16 + ".part")
    cut_short.parent.mkdir(parents=True)
    cut_short.write_bytes(b"a write cut short")
    for key in (named.storage_key, old_orphan):
        _age(disk._path(key), hours=48)
    _age(cut_short, hours=48)

    monkeypatch.setenv("QINGHU_DATABASE_URL", database_url(database))
    monkeypatch.setenv("QINGHU_STORAGE_DIR", str(root))
    get_settings.cache_clear()
    try:
        dry = await asyncio.to_thread(
            runner.invoke, cli.app, ["sweep-files", "--dry-run"], catch_exceptions=False
        )
        assert dry.output.strip() == "Would remove 2 of 3 stored files older than 24 h."
        assert disk.exists(old_orphan)
        swept = await asyncio.to_thread(runner.invoke, cli.app, ["sweep-files"], catch_exceptions=False)
        assert swept.exit_code == 0, swept.output
        assert swept.output.strip() == "Removed 2 of 3 stored files older than 24 h."
    finally:
        get_settings.cache_clear()
    assert not disk.exists(old_orphan)
    assert not cut_short.exists()
    assert disk.exists(named.storage_key)
    assert disk.exists(young_orphan)


# --- an S3-compatible store ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a loopback port, with the evidence bucket."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own test server
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, "moto did not start"
                assert time.monotonic() < deadline, "moto did not answer in time"
                time.sleep(0.2)
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        ).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)


def _s3(endpoint: str, prefix: str = "evidence/") -> S3Storage:
    return storage._s3_storage(
        S3Location(
            bucket=BUCKET,
            prefix=prefix,
            endpoint_url=endpoint,
            region="us-east-1",
            access_key_id="testing",
            secret_access_key="testing",
        )
    )


async def test_the_s3_store_keeps_reads_lists_and_removes_files(s3_endpoint):
    store = _s3(s3_endpoint, prefix="unit-test/")
    key = await store.put(b"first")
    await store.write("0123456789abcdef0123456789abcdef", b"second" * 50_000)
    assert b"".join([chunk async for chunk in store.open(key)]) == b"first"
    chunks = [chunk async for chunk in store.open("0123456789abcdef0123456789abcdef")]
    assert b"".join(chunks) == b"second" * 50_000
    assert len(chunks) > 1  # streamed in chunks, not read whole
    listed = {stored.key: stored.modified_at async for stored in store.listing()}
    assert set(listed) == {key, "0123456789abcdef0123456789abcdef"}
    assert all(abs(at - datetime.now(UTC)) < timedelta(minutes=5) for at in listed.values())
    await store.delete(key)
    with pytest.raises(StoredFileMissing):
        [chunk async for chunk in store.open(key)]
    with pytest.raises(StoredFileMissing):
        await store.write("../../etc/passwd", b"x")  # keys are ours: nothing else reaches an object name


async def test_evidence_in_s3_through_the_api(make_app, county, s3_endpoint):
    app = make_app(
        storage_backend="s3",
        s3_bucket=BUCKET,
        s3_prefix="api/",
        s3_endpoint_url=s3_endpoint,
        **S3_CREDENTIALS,
    )
    async with client_for(app) as http:
        report, teacher = await _report_and_teacher(http)
        content = _pdf(300_000)
        uploaded = await http.post(
            f"/api/v1/task-reports/{report['id']}/evidence",
            files={"file": ("教案.pdf", content)},
            headers=teacher,
        )
        assert uploaded.status_code == 201, uploaded.text
        evidence = uploaded.json()
        assert evidence["sha256"] == hashlib.sha256(content).hexdigest()
        url = f"/api/v1/task-reports/{report['id']}/evidence/{evidence['id']}"
        downloaded = await http.get(url, headers=teacher)
        assert downloaded.status_code == 200
        assert downloaded.content == content
        (row,) = await _evidence_rows(app)
        bucket = boto3.client(
            "s3",
            endpoint_url=s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        assert bucket.get_object(Bucket=BUCKET, Key=f"api/{row.storage_key}")["Body"].read() == content
        assert (await http.delete(url, headers=teacher)).status_code == 204
        assert bucket.list_objects_v2(Bucket=BUCKET, Prefix="api/").get("KeyCount") == 0


async def test_an_unreachable_store_refuses_the_upload_with_nothing_registered(make_app, county):
    closed = f"http://127.0.0.1:{free_port()}"
    app = make_app(storage_backend="s3", s3_bucket=BUCKET, s3_endpoint_url=closed, **S3_CREDENTIALS)
    async with client_for(app) as http:
        report, teacher = await _report_and_teacher(http)
        response = await http.post(
            f"/api/v1/task-reports/{report['id']}/evidence", files={"file": ("a.pdf", PDF)}, headers=teacher
        )
        problem = assert_problem(response, 503, "storage-unavailable")
        assert problem["detail"] == "The file store cannot be reached; try again later."
        assert response.headers["Retry-After"] == "30"
    assert await _evidence_rows(app) == []


def test_s3_needs_a_bucket(tmp_path):
    from backend.settings import Settings

    with pytest.raises(ValueError, match="storage_backend s3 needs QINGHU_S3_BUCKET"):
        Settings(storage_backend="s3", keys_file=tmp_path / "k.json")
