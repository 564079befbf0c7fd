"""Tests against several API processes at once (`QINGHU_TEST_INSTANCES=2`, PostgreSQL only).

`client_for(app)` then answers from real uvicorn processes started with the app's settings on the same database,
taking turns request by request, instead of calling the app in this process. A test that passes this way has
nothing of its outcome in one process's memory: a lockout counted by one process locks logins on the other, a
token revoked through one is refused by the other, an Idempotency-Key answered by one is replayed by the other,
a reveal limit counts reveals made through both. CI runs the tests of that shared state so (`.ci/run`; their
list is `tests/shared_state.txt`).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from enum import Enum
from itertools import count
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from backend.settings import Settings

INSTANCES = int(os.environ.get("QINGHU_TEST_INSTANCES", "1"))
REPO = Path(__file__).resolve().parent.parent


def settings_environment(settings: Settings) -> dict[str, str]:
    """The environment that makes a process build these same settings."""

    def plain(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    environment = {}
    for name in type(settings).model_fields:
        value = plain(getattr(settings, name))
        if value is None:
            continue
        if isinstance(value, dict | list):
            environment[f"QINGHU_{name.upper()}"] = json.dumps(value)
        elif isinstance(value, bool):
            environment[f"QINGHU_{name.upper()}"] = "true" if value else "false"
        else:
            environment[f"QINGHU_{name.upper()}"] = str(value)
    return environment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ApiProcesses:
    """N uvicorn processes serving one set of settings, each on a loopback port of its own."""

    def __init__(self, settings: Settings, instances: int) -> None:
        environment = {**os.environ, **settings_environment(settings)}
        self.processes: list[subprocess.Popen[bytes]] = []
        self.bases: list[str] = []
        for _ in range(instances):
            port = free_port()
            self.processes.append(
                subprocess.Popen(  # noqa: S603 - our own server, arguments built here
                    [
                        *(sys.executable, "-m", "uvicorn", "backend.main:create_app", "--factory"),
                        *("--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
                    ],
                    cwd=REPO,
                    env=environment,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            self.bases.append(f"http://127.0.0.1:{port}")
        for process, base in zip(self.processes, self.bases, strict=True):
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"an API process for the tests did not start ({base})")
                time.sleep(0.1)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


class TakingTurns(httpx.AsyncBaseTransport):
    """Sends each request to the next process in turn. A test that plays a client at another address (ASGI's
    ``client=``) is forwarded for it: the processes trust 127.0.0.1 as a proxy by default."""

    def __init__(self, processes: ApiProcesses, forwarded_for: str | None = None) -> None:
        self.processes = processes
        self.forwarded_for = forwarded_for
        self.turn = count()
        self.transport = httpx.AsyncHTTPTransport()
        self.answered_by: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        chosen = self.processes.bases[next(self.turn) % len(self.processes.bases)]
        self.answered_by[chosen] += 1
        base = httpx.URL(chosen)
        request.url = request.url.copy_with(scheme=base.scheme, host=base.host, port=base.port)
        request.headers["host"] = f"{base.host}:{base.port}"
        if self.forwarded_for:
            request.headers["x-forwarded-for"] = self.forwarded_for
        return await self.transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self.transport.aclose()


_running: dict[str, ApiProcesses] = {}


def processes_for(settings: Settings) -> ApiProcesses:
    """The processes serving these settings, started on first use and kept for the session."""
    key = json.dumps(settings_environment(settings), sort_keys=True)
    if key not in _running:
        _running[key] = ApiProcesses(settings, INSTANCES)
    return _running[key]


def stop_all() -> None:
    for processes in _running.values():
        processes.stop()
    _running.clear()
