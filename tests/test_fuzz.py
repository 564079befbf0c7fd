"""Fuzzing from the spec: every operation, as every demo role and machine client, on SQLite and PostgreSQL.

Schemathesis generates requests from `openapi/openapi.json`'s operations (valid and invalid ones) and holds each
answer to the spec: no 5xx, every status declared, bodies and headers as declared, invalid input refused, 405
with the right `Allow`, no 2xx without a token. On top, every operation with an object in its path (or a unit
filter) is tried with objects outside the principal's scope (the other township's minors, care files, units,
people, notices, transfers, task reports): none may answer 2xx. A stateful run (`test_stateful`) follows the
links Schemathesis infers between operations (a created minor's id into its reads and writes).

`make test` runs a few examples per operation and principal with a fixed seed (QINGHU_FUZZ_EXAMPLES, default 3);
`make fuzz` runs many more, and the stateful machine longer (QINGHU_FUZZ_STEPS).
"""

import asyncio
import os
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
import sqlalchemy as sa
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase
from schemathesis import checks as st_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi

from backend.campaigns.models import TaskReport
from backend.care_files.models import CareFile
from backend.clients.models import ApiClient
from backend.db import make_engine, make_sessionmaker
from backend.demo.seed import DemoCredentials, seed_demo_county
from backend.main import create_app
from backend.minors.models import Minor
from backend.security.crypto import FieldCipher, session_info
from backend.seizures.models import SeizureNotice
from backend.settings import Settings
from backend.transfers.models import Transfer
from backend.units.models import Unit
from backend.users.models import User
from backend.venues.models import PharmacyCheck, Venue
from backend.work_records.models import InspectionVisit, PublicityActivity, ResponsibilityLetter
from tests.conftest import DEMO_CLIENT_SECRET, DEMO_PASSWORD, empty_tables, make_settings

FUZZ_EXAMPLES = int(os.environ.get("QINGHU_FUZZ_EXAMPLES", "3"))
FUZZ_ALL_PRINCIPALS = os.environ.get("QINGHU_FUZZ_ALL_PRINCIPALS") == "1"
FUZZ_STEPS = int(os.environ.get("QINGHU_FUZZ_STEPS", "0"))
SEED = 20261201

# Each demo account and machine client, with the township whose objects it must never reach (None: the
# county, which reaches both) and whether it may see individual minors at all.
JINHU, ANYANG = "锦湖街道", "安阳街道"


@dataclass(frozen=True)
class Principal:
    name: str
    kind: str  # "user" or "client"
    outside: str | None  # the township outside its scope
    sees_minors: bool = True


PRINCIPALS = [
    Principal("admin", "user", None),
    Principal("county_lead", "user", None),
    Principal("jinhu_lead", "user", ANYANG),
    Principal("jinhu_worker", "user", ANYANG),
    Principal("other_worker", "user", JINHU),
    Principal("jinhu_police", "user", ANYANG),
    Principal("school_teacher", "user", ANYANG),
    Principal("edu_officer", "user", None, sees_minors=False),
    Principal("auditor", "user", None),
    Principal("police-jinhu", "client", ANYANG),
    Principal("edu-bureau", "client", None, sees_minors=False),
]

CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_headers_conformance,
    st_checks.response_schema_conformance,
    st_checks.negative_data_rejection,
    st_checks.missing_required_header,
    st_checks.unsupported_method,
    st_checks.allow_header_conformance,
    st_checks.ignored_auth,
]
STATEFUL_CHECKS = [*CHECKS, st_checks.use_after_free, st_checks.ensure_resource_availability]

# The spec as the code builds it (the committed one is held to it by tests/test_openapi.py); the app that
# answers is the fixture's, on the test database. Invalid data may also be refused with 413: the body limit
# answers a list longer than the spec allows (5,000 rows of school figures) before the list is validated.
config = SchemathesisConfig.from_dict(
    {
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]
            }
        }
    }
)
schema = schemathesis.openapi.from_dict(create_app().openapi(), config=config)

# Path and query parameters naming an object, and the kind of object.
OBJECT_PARAMETERS = {
    ("path", "unit_id"): "unit",
    ("query", "unit_id"): "unit",
    ("query", "within"): "unit",
    ("query", "parent_id"): "unit",
    ("query", "school_id"): "unit",
    ("path", "user_id"): "user",
    ("path", "client_id"): "client",
    ("path", "minor_id"): "minor",
    ("path", "care_file_id"): "care_file",
    ("path", "notice_id"): "notice",
    ("path", "transfer_id"): "transfer",
    ("path", "report_id"): "report",
    ("path", "venue_id"): "venue",
    # A pharmacy check's id, and a venue check's under a venue: both probed with the township's pharmacy checks.
    ("path", "check_id"): "pharmacy_check",
    ("path", "record_id"): "work_record",
}
PROBES_PER_KIND = 2


def _in_thread(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine on a loop of its own: the fuzzed app's loop belongs to Schemathesis, the suite's to
    pytest-asyncio, and database connections must not cross loops."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, make()).result()


async def _seed(settings: Settings) -> dict[str, dict[str, list[str]]]:
    """The demo county with minors, notices, campaigns and care files; then, for each township, the ids of
    the objects inside it, which the other township's principals must not reach."""
    engine = make_engine(settings.database_url)
    try:
        info = session_info(FieldCipher.from_settings(settings))
        async with make_sessionmaker(engine, info=info)() as session, session.begin():
            await seed_demo_county(
                session,
                credentials=DemoCredentials(DEMO_PASSWORD, DEMO_CLIENT_SECRET),
                minors=40,
                campaigns=True,
            )
        async with make_sessionmaker(engine)() as session:
            pools: dict[str, dict[str, list[str]]] = {}
            for township in (JINHU, ANYANG):
                path = await session.scalar(sa.select(Unit.path).where(Unit.name == township))
                inside = sa.select(Unit.id).where(Unit.path.startswith(path))
                queries = {
                    "unit": inside,
                    "user": sa.select(User.id).where(User.unit_id.in_(inside)),
                    "client": sa.select(ApiClient.id).where(ApiClient.unit_id.in_(inside)),
                    "minor": sa.select(Minor.id).where(Minor.managing_unit_id.in_(inside)),
                    "care_file": sa.select(CareFile.id).where(CareFile.managing_unit_id.in_(inside)),
                    "report": sa.select(TaskReport.id).where(TaskReport.unit_id.in_(inside)),
                    "venue": sa.select(Venue.id).where(Venue.unit_id.in_(inside)),
                    "pharmacy_check": sa.select(PharmacyCheck.id).where(PharmacyCheck.unit_id.in_(inside)),
                    # Work records are about one unit (the holder, the inspected unit, the signer).
                    "work_record": sa.union_all(
                        sa.select(PublicityActivity.id).where(PublicityActivity.unit_id.in_(inside)),
                        sa.select(InspectionVisit.id).where(InspectionVisit.inspected_unit_id.in_(inside)),
                        sa.select(ResponsibilityLetter.id).where(
                            ResponsibilityLetter.signer_unit_id.in_(inside)
                        ),
                    ),
                    # Notices and transfers belong to both ends: out of the other township's reach only when
                    # both ends are inside this one.
                    "notice": sa.select(SeizureNotice.id).where(
                        SeizureNotice.receiving_unit_id.in_(inside),
                        SeizureNotice.reporting_unit_id.in_(inside),
                    ),
                    "transfer": sa.select(Transfer.id).where(
                        Transfer.from_unit_id.in_(inside),
                        sa.or_(Transfer.to_unit_id.is_(None), Transfer.to_unit_id.in_(inside)),
                    ),
                }
                pools[township] = {
                    kind: [
                        str(value) for value in (await session.scalars(query.order_by(sa.text("1")))).all()
                    ]
                    for kind, query in queries.items()
                }
            pools["all"] = {
                "minor": [
                    str(value)
                    for value in (await session.scalars(sa.select(Minor.id).order_by(Minor.id))).all()
                ],
                "care_file": [
                    str(v)
                    for v in (await session.scalars(sa.select(CareFile.id).order_by(CareFile.id))).all()
                ],
            }
            return pools
    finally:
        await engine.dispose()


async def _empty(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        await empty_tables(engine)
    finally:
        await engine.dispose()


@dataclass
class FuzzedCounty:
    app: FastAPI
    client: asgi.ASGIClient
    pools: dict[str, dict[str, list[str]]]
    tokens: dict[str, tuple[float, str]] = field(default_factory=dict)

    def headers(self, principal: Principal) -> dict[str, str]:
        """Bearer headers for the principal, logged in again after half an hour (tokens last an hour here)."""
        cached = self.tokens.get(principal.name)
        if cached is None or time.monotonic() - cached[0] > 1800:
            form = (
                {"grant_type": "password", "username": principal.name, "password": DEMO_PASSWORD}
                if principal.kind == "user"
                else {
                    "grant_type": "client_credentials",
                    "client_id": principal.name,
                    "client_secret": DEMO_CLIENT_SECRET,
                }
            )
            response = self.client.post("/api/v1/auth/token", data=form)
            assert response.status_code == 200, response.text
            cached = (time.monotonic(), response.json()["access_token"])
            self.tokens[principal.name] = cached
        return {"Authorization": f"Bearer {cached[1]}"}

    def outside_scope(self, principal: Principal, kind: str) -> list[str]:
        """Objects of this kind the principal must not reach."""
        found: list[str] = []
        if principal.outside is not None:
            found += self.pools[principal.outside].get(kind, [])[:PROBES_PER_KIND]
        if not principal.sees_minors:
            found += self.pools["all"].get(kind, [])[:PROBES_PER_KIND]
        return found


@pytest.fixture(scope="module")
def fuzzed_county(database: str) -> Any:
    # Tokens for an hour: `make fuzz` runs longer than the default 15 minutes. Failed logins (the token form
    # is fuzzed too) must not slow the demo accounts' or the test client's logins mid-run.
    settings = make_settings(
        database,
        access_token_ttl_seconds=3600,
        login_max_failures=1_000_000,
        login_address_max_failures=1_000_000,
    )
    pools = _in_thread(lambda: _seed(settings))
    app = create_app(settings)
    with asgi.get_client(app) as client:
        yield FuzzedCounty(app=app, client=client, pools=pools)
    asgi.shutdown_lifespans()  # the app's engine is disposed on its own loop
    _in_thread(lambda: _empty(settings))


def _assert_outside_scope_unreachable(county: FuzzedCounty, case: Any, principal: Principal) -> None:
    """The same request, with each object parameter pointing outside the principal's scope: never a 2xx."""
    headers = county.headers(principal)
    for location, values in (("path", case.path_parameters), ("query", case.query)):
        for name in list(values or {}):
            kind = OBJECT_PARAMETERS.get((location, name))
            if kind is None:
                continue
            original = values[name]
            for object_id in county.outside_scope(principal, kind):
                values[name] = object_id
                response = case.call(session=county.client, headers=headers)
                assert not _reached(response, location), (
                    f"{principal.name} reached {kind} {object_id} outside its scope: "
                    f"{case.method} {case.formatted_path} answered {response.status_code} {response.text[:300]}"
                )
            values[name] = original


def _reached(response: Any, location: str) -> bool:
    """A 2xx reached the object; for a list's filter, only a page that lists something does (a filter on
    what one cannot see lists nothing, as one on what does not exist)."""
    if not 200 <= response.status_code < 300:
        return False
    if location == "path":
        return True
    page = response.json()
    return not (isinstance(page, dict) and page.get("items") == [] and page.get("total") == 0)


def _call_and_validate(county: FuzzedCounty, case: Any, principal: Principal) -> None:
    headers = county.headers(principal)
    response = case.call(session=county.client, headers=headers)
    case.validate_response(
        response,
        checks=CHECKS,
        headers=headers,
        transport_kwargs={"session": county.client, "headers": headers},
    )


# The coverage cases (each parameter's boundaries and wrong types, missing and unknown fields, other methods) are
# the same for every principal: `make test` sends them as one principal that may use the operation, `make fuzz`
# as every principal.
COVERAGE_AS = {
    "auth": "jinhu_worker",
    "notifications": "jinhu_worker",
    "reference": "jinhu_worker",
    "units": "admin",
    "users": "admin",
    "clients": "admin",
    "minors": "jinhu_worker",
    "care-files": "jinhu_worker",
    "transfers": "jinhu_lead",
    "campaigns": "county_lead",
    "task-reports": "jinhu_lead",
    "seizures": "police-jinhu",
    "audit": "auditor",
    "school-metrics": "school_teacher",
    "stats": "county_lead",
    "venues": "jinhu_worker",
    "pharmacy-checks": "jinhu_worker",
    "health": "admin",
    "assessments": "county_lead",
    "publicity-activities": "jinhu_lead",
    "inspection-visits": "jinhu_lead",
    "responsibility-letters": "jinhu_lead",
    "imports": "jinhu_lead",
}
BY_NAME = {principal.name: principal for principal in PRINCIPALS}


@schema.parametrize()
@hypothesis.settings(
    deadline=None, database=None, suppress_health_check=list(HealthCheck), phases=[Phase.explicit]
)
def test_operation_coverage(case: Any, fuzzed_county: FuzzedCounty) -> None:
    county = fuzzed_county
    principals = PRINCIPALS if FUZZ_ALL_PRINCIPALS else [BY_NAME[COVERAGE_AS[case.operation.tags[0]]]]
    for principal in principals:
        _call_and_validate(county, case, principal)


@pytest.mark.parametrize("principal", PRINCIPALS, ids=[p.name for p in PRINCIPALS])
@schema.parametrize()
@hypothesis.settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate],
)
@hypothesis.seed(SEED)
def test_operation(case: Any, principal: Principal, fuzzed_county: FuzzedCounty) -> None:
    county = fuzzed_county
    _call_and_validate(county, case, principal)
    _assert_outside_scope_unreachable(county, case, principal)


# Who walks the links in `make test`: the people who create most (minors, care files and their entries; units and
# people). `make fuzz` walks them as everyone.
STATEFUL_AS = ["jinhu_worker", "admin"]


@pytest.mark.parametrize(
    "principal",
    PRINCIPALS if FUZZ_ALL_PRINCIPALS else [BY_NAME[name] for name in STATEFUL_AS],
    ids=lambda principal: principal.name,
)
def test_stateful(principal: Principal, fuzzed_county: FuzzedCounty) -> None:
    """Sequences of calls along the links Schemathesis infers (a created object's id into the operations
    that take it), each answer held to the spec, a deleted object gone, a created one found."""

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"session": fuzzed_county.client, "headers": fuzzed_county.headers(principal)}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                checks=STATEFUL_CHECKS,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Machine.run(
        settings=hypothesis.settings(
            max_examples=max(FUZZ_STEPS // 10, 3),
            stateful_step_count=10,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate],
        )
    )


def test_every_tag_has_a_coverage_principal():
    tags = {op["tags"][0] for ops in schema.raw_schema["paths"].values() for op in ops.values()}
    assert tags == set(COVERAGE_AS)


def test_every_uuid_path_parameter_has_an_out_of_scope_probe_or_needs_none():
    """Object parameters the scope probes know, so a new one is not silently left unprobed."""
    spec = schema.raw_schema
    names = {
        (parameter["in"], parameter["name"])
        for operations in spec["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter.get("schema", {}).get("format") == "uuid"
        or any(option.get("format") == "uuid" for option in parameter.get("schema", {}).get("anyOf", []))
    }
    # Campaigns reach their targets across townships (and their tasks with them), evidence belongs to its
    # report (a work record's file to its record), and the audit trail's and the notice list's filters only narrow what is listed: their scope is
    # held by their own tests. A notification is its owner's alone, not a unit's: another person's is 404
    # (tests/notifications).
    unprobed = {
        ("path", "notification_id"),
        ("path", "campaign_id"),
        ("query", "campaign_id"),
        ("query", "task_id"),
        ("path", "evidence_id"),
        ("path", "file_id"),
        ("query", "actor_id"),
        ("query", "object_id"),
        ("query", "minor_id"),
        # A scheme is read by its issuing subtree and the units it assesses, a run's results and explanations
        # by those leads and auditors or by the assessed unit for its own: held by tests/assessments.
        ("path", "scheme_id"),
        ("path", "run_id"),
        # An import job is its uploader's, or a lead's above the uploader's unit (the demo county holds none to
        # probe with): another unit's job is 404 in tests/imports.
        ("path", "job_id"),
    }
    assert names - unprobed == set(OBJECT_PARAMETERS)
