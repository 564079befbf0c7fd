#!/usr/bin/env python3
"""A reference client for police station systems: push seizure notices to Qinghu (青护).

Copy it, adapt the CSV reading to your own system, keep the rest:

- a token from the OAuth2 client-credentials grant, renewed shortly before it expires;
- one ``Idempotency-Key`` per notice, derived from your station's notice number, so a retry — after a timeout,
  a dropped connection or a 5xx — can never create a second notice; retries back off exponentially;
- 4xx answers are not retried: they name what to fix (``errors[].loc``).

Usage:

    QINGHU_CLIENT_SECRET=... python examples/police_client.py --base-url https://qinghu.example \\
        --client-id police-jinhu notices.csv

The CSV has a header row with these columns (UTF-8; lists separated by ``|``):

    notice_no, seized_at, place, name, id_number, gender, phone, household_division_code, household_address,
    residence_division_code, residence_address, school_name, substances, test_result, measures, summary

It needs only ``httpx``. See docs/integrations/police.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret
NOTICES_PATH = "/api/v1/seizure-notices"
PERSON_FIELDS = (
    "name",
    "id_number",
    "gender",
    "phone",
    "household_division_code",
    "household_address",
    "residence_division_code",
    "residence_address",
    "school_name",
)
# Derives each notice's Idempotency-Key from the station and its notice number: the same notice always gets
# the same key, even after the pushing program restarts.
KEY_NAMESPACE = uuid.UUID("8f0e7d0c-4b5a-4c1e-9a57-2f1b0b6c9e11")


class PushError(Exception):
    """Qinghu refused the notice (4xx) or stayed unreachable after every retry."""

    def __init__(
        self, message: str, status: int | None = None, problem: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.problem = problem or {}


@dataclass
class PoliceClient:
    base_url: str
    client_id: str
    client_secret: str
    attempts: int = 5
    backoff_seconds: float = 0.5
    timeout_seconds: float = 10.0
    transport: httpx.BaseTransport | None = None  # tests pass the app's transport here
    sleep: Callable[[float], None] = time.sleep
    _token: str | None = field(default=None, init=False, repr=False)
    _token_expires_at: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            base_url=self.base_url, timeout=self.timeout_seconds, transport=self.transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PoliceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def token(self) -> str:
        """A bearer token, renewed a minute before it runs out."""
        if self._token and time.monotonic() < self._token_expires_at - 60:
            return self._token
        response = self._with_retries(
            lambda: self._http.post(
                TOKEN_PATH,
                data={"grant_type": "client_credentials", "scope": "seizures:write seizures:read"},
                auth=(self.client_id, self.client_secret),
            )
        )
        body = response.json()
        self._token = body["access_token"]
        self._token_expires_at = time.monotonic() + int(body.get("expires_in", 300))
        return self._token

    def idempotency_key(self, notice: dict[str, Any]) -> str:
        return str(uuid.uuid5(KEY_NAMESPACE, f"{self.client_id}:{notice['notice_no']}"))

    def push(self, notice: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Push one notice; the answer (201 new, 200 already received) with its routing."""
        key = idempotency_key or self.idempotency_key(notice)

        def send() -> httpx.Response:
            return self._http.post(
                NOTICES_PATH,
                json=notice,
                headers={"Authorization": f"Bearer {self.token()}", "Idempotency-Key": key},
            )

        return self._with_retries(send, renew_token_on_401=True).json()

    def _with_retries(
        self, send: Callable[[], httpx.Response], *, renew_token_on_401: bool = False
    ) -> httpx.Response:
        last_error = "no attempt made"
        for attempt in range(1, self.attempts + 1):
            try:
                response = send()
            except httpx.TransportError as exc:  # timeout, refused or dropped connection: safe to resend
                last_error = f"network error: {type(exc).__name__}"
            else:
                if response.status_code < 400:
                    return response
                if response.status_code == 401 and renew_token_on_401 and attempt == 1:
                    self._token = None  # revoked or expired early: one new token, then resend
                    continue
                if response.status_code < 500 and response.status_code != 429:
                    problem = _problem(response)
                    raise PushError(
                        problem.get("detail") or problem.get("title", "refused"),
                        response.status_code,
                        problem,
                    )
                last_error = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit() and attempt < self.attempts:
                    self.sleep(min(int(retry_after), 60))
                    continue
            if attempt < self.attempts:
                self.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        raise PushError(f"gave up after {self.attempts} attempts ({last_error})")


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"title": response.text[:200]}
    return body if isinstance(body, dict) else {"title": str(body)}


def notices_from_csv(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Each CSV row as the notice API.md describes; empty cells are left out."""
    for row in csv.DictReader(lines):
        cells = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        person = {name: cells[name] for name in PERSON_FIELDS if cells.get(name)}
        notice: dict[str, Any] = {
            "notice_no": cells["notice_no"],
            "seized_at": cells["seized_at"],
            "place": cells["place"],
            "person": person,
            "substances": [code for code in cells.get("substances", "").split("|") if code],
            "test_result": cells["test_result"],
            "measures": [code for code in cells.get("measures", "").split("|") if code],
        }
        if cells.get("summary"):
            notice["summary"] = cells["summary"]
        yield notice


def describe(receipt: dict[str, Any]) -> str:
    routing = receipt["routing"]
    where = (routing.get("place") or routing.get("unit") or {}).get("name", "")
    return f"{receipt['notice_no']}: {routing['status']} → {where} ({routing['reason']}), id {receipt['id']}"


def main(argv: list[str] | None = None, *, transport: httpx.BaseTransport | None = None) -> int:
    parser = argparse.ArgumentParser(description="Push seizure notices from a CSV file to Qinghu.")
    parser.add_argument("csv_file", help="UTF-8 CSV with a header row (see the module docstring)")
    parser.add_argument("--base-url", default=os.environ.get("QINGHU_BASE_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--client-id", default=os.environ.get("QINGHU_CLIENT_ID", "police-jinhu"))
    args = parser.parse_args(argv)
    secret = os.environ.get("QINGHU_CLIENT_SECRET")
    if not secret:
        print("Set QINGHU_CLIENT_SECRET to your client's secret.", file=sys.stderr)
        return 2
    failures = 0
    with (
        open(args.csv_file, encoding="utf-8-sig", newline="") as handle,
        PoliceClient(args.base_url, args.client_id, secret, transport=transport) as client,
    ):
        for notice in notices_from_csv(handle):
            try:
                print(describe(client.push(notice)))
            except PushError as exc:
                failures += 1
                fields = ", ".join(".".join(map(str, e["loc"][1:])) for e in exc.problem.get("errors", []))
                print(
                    f"{notice['notice_no']}: refused ({exc.status}): {exc}{f' [{fields}]' if fields else ''}",
                    file=sys.stderr,
                )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
