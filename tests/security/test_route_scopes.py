"""A scope a role holds is a thing that role can do; a scope it lacks is a door that stays shut.

Written out here, never read from the code under test:

- ``ROUTES``: every route of the app and the scopes it requires, as the route's own dependencies say (the
  ``required_scopes`` mark of ``auth.deps.require``); ``PUBLIC``: the routes that require none, on purpose. A new
  route, or a route whose scopes change, fails ``test_every_route_declares_the_scopes_written_here``.
- ``ROLE_SCOPES`` and ``CLIENT_SCOPES``: the scopes each role holds and each machine client is granted;
  ``backend/security/roles.py`` and what ``/me`` says must agree.
- ``WITNESSES``: for each principal and each scope it holds, a call on an object in its own part of the demo
  county that succeeds. A held scope without a witness fails, and so does a witness the service refuses (a
  scope the service rules take back).

Then every principal calls every route whose scopes it lacks, with random ids and the smallest body: 403
problem+json each time, and not one row written; without a token, 401.

One demo county per module and database (the witnesses act on different objects, so their order does not
matter); the tests are parametrised by principal, not by route × principal.
"""

import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, params
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import AsyncClient

from backend.campaigns.models import CampaignTask, TaskReport
from backend.care_files.models import CareFile
from backend.clients import service as clients_service
from backend.clients.models import ApiClient
from backend.clients.schemas import ClientCreate
from backend.db import LOCAL_TIMEZONE, local_today, utcnow
from backend.demo.people import SyntheticPerson, synthetic_person
from backend.demo.seed import DemoCredentials, seed_demo_county
from backend.main import create_app
from backend.minors.models import Minor
from backend.models import metadata
from backend.security.roles import CLIENT_GRANTABLE_SCOPES, ROLE_SCOPES
from backend.seizures.models import SeizureNotice
from backend.terms import Term
from backend.transfers.models import Transfer
from backend.units.models import Unit
from backend.users.models import User
from tests.conftest import (
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    assert_problem,
    assert_status,
    client_for,
    empty_tables,
    make_settings,
)

API = "/api/v1"

# --- the routes -----------------------------------------------------------------------------------------------

# Routes that require no scope: logging in and out, who am I, the codes and labels, health, the API's docs.
PUBLIC = {
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/revoke"),
    ("GET", "/api/v1/me"),
    (
        "GET",
        "/api/v1/me/todo",
    ),  # each item is counted through the list its link names, with that list's scope
    ("POST", "/api/v1/me/password"),
    # A person's own notifications: each one is theirs alone (another's is 404), and says no more than a masked name.
    ("GET", "/api/v1/me/notifications"),
    ("GET", "/api/v1/me/notifications/unread-count"),
    ("POST", "/api/v1/me/notifications/read-all"),
    ("POST", "/api/v1/me/notifications/{notification_id}/read"),
    ("GET", "/api/v1/me/notifications/digest-address"),
    ("PUT", "/api/v1/me/notifications/digest-address"),
    ("GET", "/api/v1/reference"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/docs/assets/redoc.standalone.js"),
}

IMPORTERS = frozenset({"minors:register", "venues:write", "pharmacy_checks:write"})

# Routes two kinds of people use, each through their own scope (``auth.deps.require_any``): one of these suffices.
# Care files: the unit's workers and leads, and police officers and teachers on a file's team (the service
# narrows those to the files naming them).
ANY_OF_ROUTES = {
    ("GET", "/api/v1/care-files"): frozenset({"care_files:read", "care_files:team"}),
    ("GET", "/api/v1/care-files/{care_file_id}"): frozenset({"care_files:read", "care_files:team"}),
    ("GET", "/api/v1/care-files/{care_file_id}/entries"): frozenset({"care_files:read", "care_files:team"}),
    ("POST", "/api/v1/care-files/{care_file_id}/entries"): frozenset({"care_files:write", "care_files:team"}),
    # The rates: leads and the education bureau through stats:read, auditors through stats:overview (the service
    # refuses school staff and social workers: permissions.may_read_unit_rates).
    ("GET", "/api/v1/stats/rates"): frozenset({"stats:read", "stats:overview"}),
    # Imports of the screening forms: whoever records what one of the forms holds (the form's own permission is
    # asked at upload: a teacher uploading pharmacy checks gets 403, tests/imports/test_imports.py).
    ("GET", "/api/v1/imports"): IMPORTERS,
    ("POST", "/api/v1/imports"): IMPORTERS,
    ("GET", "/api/v1/imports/{job_id}"): IMPORTERS,
    ("GET", "/api/v1/imports/templates/{kind}"): IMPORTERS,
}

CAMPAIGNS_READ = frozenset({"campaigns:read"})
CAMPAIGNS_WRITE = frozenset({"campaigns:read", "campaigns:write"})
TASK_REPORTS_WRITE = frozenset({"campaigns:read", "task_reports:write"})
ASSESSMENTS_READ = frozenset({"assessments:read"})
ASSESSMENTS_WRITE = frozenset({"assessments:read", "assessments:write"})
WORK_RECORDS_READ = frozenset({"work_records:read"})
WORK_RECORDS_WRITE = frozenset({"work_records:read", "work_records:write"})
# Each kind of work record answers the same nine routes.
WORK_RECORD_ROUTES = {
    (method, f"/api/v1/{kind}{suffix}"): scopes
    for kind in ("publicity-activities", "inspection-visits", "responsibility-letters")
    for method, suffix, scopes in (
        ("GET", "", WORK_RECORDS_READ),
        ("POST", "", WORK_RECORDS_WRITE),
        ("GET", "/{record_id}", WORK_RECORDS_READ),
        ("PATCH", "/{record_id}", WORK_RECORDS_WRITE),
        ("DELETE", "/{record_id}", WORK_RECORDS_WRITE),
        ("POST", "/{record_id}/files", WORK_RECORDS_WRITE),
        ("GET", "/{record_id}/files/{file_id}", WORK_RECORDS_READ),
        ("DELETE", "/{record_id}/files/{file_id}", WORK_RECORDS_WRITE),
    )
}

# (method, path) → every scope the route requires.
ROUTES: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/v1/units"): frozenset({"units:read"}),
    ("GET", "/api/v1/units/tree"): frozenset({"units:read"}),
    ("POST", "/api/v1/units"): frozenset({"units:write"}),
    ("GET", "/api/v1/units/{unit_id}"): frozenset({"units:read"}),
    ("PATCH", "/api/v1/units/{unit_id}"): frozenset({"units:read", "units:write"}),
    ("GET", "/api/v1/users"): frozenset({"users:read"}),
    ("POST", "/api/v1/users"): frozenset({"users:write"}),
    ("GET", "/api/v1/users/{user_id}"): frozenset({"users:read"}),
    ("PATCH", "/api/v1/users/{user_id}"): frozenset({"users:read", "users:write"}),
    ("POST", "/api/v1/users/{user_id}/unlock"): frozenset({"users:read", "users:write"}),
    ("POST", "/api/v1/users/{user_id}/reset-password"): frozenset({"users:read", "users:write"}),
    ("GET", "/api/v1/clients"): frozenset({"clients:read"}),
    ("POST", "/api/v1/clients"): frozenset({"clients:write"}),
    ("GET", "/api/v1/clients/{client_id}"): frozenset({"clients:read"}),
    ("PATCH", "/api/v1/clients/{client_id}"): frozenset({"clients:read", "clients:write"}),
    ("POST", "/api/v1/clients/{client_id}/rotate-secret"): frozenset({"clients:read", "clients:write"}),
    ("GET", "/api/v1/minors"): frozenset({"minors:read"}),
    ("POST", "/api/v1/minors"): frozenset({"minors:register"}),
    ("GET", "/api/v1/minors/policy"): frozenset({"minors:read"}),
    ("POST", "/api/v1/minors/lookup"): frozenset({"minors:read"}),
    ("GET", "/api/v1/minors/{minor_id}"): frozenset({"minors:read"}),
    ("PATCH", "/api/v1/minors/{minor_id}"): frozenset({"minors:write"}),
    ("POST", "/api/v1/minors/{minor_id}/reveal"): frozenset({"minors:reveal"}),
    ("POST", "/api/v1/minors/duplicate-check"): frozenset({"minors:register"}),
    ("POST", "/api/v1/minors/{minor_id}/verify"): frozenset({"minors:write"}),
    ("POST", "/api/v1/minors/{minor_id}/merge"): frozenset({"minors:write"}),
    ("GET", "/api/v1/campaigns"): CAMPAIGNS_READ,
    ("POST", "/api/v1/campaigns"): CAMPAIGNS_WRITE,
    ("GET", "/api/v1/campaigns/{campaign_id}"): CAMPAIGNS_READ,
    ("PATCH", "/api/v1/campaigns/{campaign_id}"): CAMPAIGNS_WRITE,
    ("GET", "/api/v1/campaigns/{campaign_id}/tasks"): CAMPAIGNS_READ,
    ("PUT", "/api/v1/campaigns/{campaign_id}/tasks"): CAMPAIGNS_WRITE,
    ("GET", "/api/v1/campaigns/{campaign_id}/recipients"): CAMPAIGNS_READ,
    ("POST", "/api/v1/campaigns/{campaign_id}/publish"): CAMPAIGNS_WRITE,
    ("POST", "/api/v1/campaigns/{campaign_id}/close"): CAMPAIGNS_WRITE,
    ("POST", "/api/v1/campaigns/{campaign_id}/copy"): CAMPAIGNS_WRITE,
    ("GET", "/api/v1/campaigns/{campaign_id}/progress"): CAMPAIGNS_READ,
    ("GET", "/api/v1/task-reports"): CAMPAIGNS_READ,
    ("GET", "/api/v1/task-reports/{report_id}"): CAMPAIGNS_READ,
    ("PATCH", "/api/v1/task-reports/{report_id}"): TASK_REPORTS_WRITE,
    ("POST", "/api/v1/task-reports/{report_id}/submit"): TASK_REPORTS_WRITE,
    ("POST", "/api/v1/task-reports/{report_id}/approve"): CAMPAIGNS_WRITE,
    ("POST", "/api/v1/task-reports/{report_id}/return"): CAMPAIGNS_WRITE,
    ("POST", "/api/v1/task-reports/{report_id}/evidence"): TASK_REPORTS_WRITE,
    ("GET", "/api/v1/task-reports/{report_id}/evidence/{evidence_id}"): CAMPAIGNS_READ,
    ("DELETE", "/api/v1/task-reports/{report_id}/evidence/{evidence_id}"): TASK_REPORTS_WRITE,
    ("POST", "/api/v1/seizure-notices"): frozenset({"seizures:write"}),
    ("GET", "/api/v1/seizure-notices"): frozenset({"seizures:read"}),
    ("GET", "/api/v1/seizure-notices/daily-report"): frozenset({"seizures:read"}),
    ("GET", "/api/v1/seizure-notices/{notice_id}"): frozenset({"seizures:read"}),
    ("POST", "/api/v1/seizure-notices/{notice_id}/acknowledge"): frozenset(
        {"seizures:read", "seizures:acknowledge"}
    ),
    ("POST", "/api/v1/care-files"): frozenset({"care_files:write"}),
    ("POST", "/api/v1/care-files/school"): frozenset({"school_files:write"}),
    ("PATCH", "/api/v1/care-files/{care_file_id}"): frozenset({"care_files:write"}),
    ("POST", "/api/v1/care-files/{care_file_id}/assignment/confirm"): frozenset({"care_files:approve"}),
    ("POST", "/api/v1/care-files/{care_file_id}/alert/acknowledge"): frozenset({"care_files:approve"}),
    ("POST", "/api/v1/care-files/{care_file_id}/closure"): frozenset({"care_files:write"}),
    ("POST", "/api/v1/care-files/{care_file_id}/closure/approve"): frozenset({"care_files:approve"}),
    ("POST", "/api/v1/care-files/{care_file_id}/closure/reject"): frozenset({"care_files:approve"}),
    ("GET", "/api/v1/care-settings"): frozenset({"care_files:read"}),
    ("PUT", "/api/v1/care-settings"): frozenset({"care_files:approve"}),
    ("GET", "/api/v1/care-settings/lead-candidates"): frozenset({"care_files:write"}),
    ("GET", "/api/v1/care-settings/team-candidates"): frozenset({"care_files:write"}),
    ("PUT", "/api/v1/care-settings/on-duty"): frozenset({"care_files:approve"}),
    ("GET", "/api/v1/transfers"): frozenset({"transfers:read"}),
    ("GET", "/api/v1/transfers/destinations"): frozenset({"transfers:write"}),
    ("POST", "/api/v1/transfers"): frozenset({"transfers:write"}),
    ("GET", "/api/v1/transfers/{transfer_id}"): frozenset({"transfers:read"}),
    ("POST", "/api/v1/transfers/{transfer_id}/accept"): frozenset({"transfers:write"}),
    ("POST", "/api/v1/transfers/{transfer_id}/reject"): frozenset({"transfers:write"}),
    ("POST", "/api/v1/transfers/{transfer_id}/cancel"): frozenset({"transfers:write"}),
    ("POST", "/api/v1/transfers/{transfer_id}/delivered"): frozenset({"transfers:write"}),
    ("POST", "/api/v1/transfers/{transfer_id}/renew"): frozenset({"transfers:write"}),
    ("POST", "/api/v1/transfers/{transfer_id}/end"): frozenset({"transfers:write"}),
    ("GET", "/api/v1/transfers/{transfer_id}/notice"): frozenset({"transfers:read"}),
    ("GET", "/api/v1/audit-events"): frozenset({"audit:read"}),
    ("GET", "/api/v1/audit-events/verify"): frozenset({"audit:read"}),
    ("POST", "/api/v1/school-metrics"): frozenset({"metrics:write"}),
    ("GET", "/api/v1/school-metrics"): frozenset({"stats:read"}),
    ("GET", "/api/v1/stats/schools"): frozenset({"stats:read"}),
    ("GET", "/api/v1/stats/regions"): frozenset({"stats:read"}),
    ("GET", "/api/v1/stats/overview"): frozenset({"stats:overview"}),
    ("GET", "/api/v1/venues"): frozenset({"venues:read"}),
    ("POST", "/api/v1/venues"): frozenset({"venues:read", "venues:write"}),
    ("GET", "/api/v1/venues/{venue_id}"): frozenset({"venues:read"}),
    ("PATCH", "/api/v1/venues/{venue_id}"): frozenset({"venues:read", "venues:write"}),
    ("POST", "/api/v1/venues/{venue_id}/checks"): frozenset({"venues:read", "venues:write"}),
    ("POST", "/api/v1/venues/{venue_id}/checks/{check_id}/evidence"): frozenset(
        {"venues:read", "venues:write"}
    ),
    ("GET", "/api/v1/venues/{venue_id}/checks/{check_id}/evidence/{evidence_id}"): frozenset({"venues:read"}),
    ("GET", "/api/v1/pharmacy-checks"): frozenset({"pharmacy_checks:read"}),
    ("POST", "/api/v1/pharmacy-checks"): frozenset({"pharmacy_checks:read", "pharmacy_checks:write"}),
    ("GET", "/api/v1/pharmacy-checks/{check_id}"): frozenset({"pharmacy_checks:read"}),
    ("PATCH", "/api/v1/pharmacy-checks/{check_id}"): frozenset(
        {"pharmacy_checks:read", "pharmacy_checks:write"}
    ),
    ("GET", "/api/v1/assessment-schemes"): ASSESSMENTS_READ,
    ("POST", "/api/v1/assessment-schemes"): ASSESSMENTS_WRITE,
    ("GET", "/api/v1/assessment-schemes/{scheme_id}"): ASSESSMENTS_READ,
    ("PUT", "/api/v1/assessment-schemes/{scheme_id}"): ASSESSMENTS_WRITE,
    ("DELETE", "/api/v1/assessment-schemes/{scheme_id}"): ASSESSMENTS_WRITE,
    ("POST", "/api/v1/assessment-schemes/{scheme_id}/runs"): ASSESSMENTS_WRITE,
    ("GET", "/api/v1/assessment-runs/{run_id}"): ASSESSMENTS_READ,
    ("PUT", "/api/v1/assessment-runs/{run_id}/scores/{unit_id}/{indicator}"): ASSESSMENTS_WRITE,
    ("POST", "/api/v1/assessment-runs/{run_id}/finalise"): ASSESSMENTS_WRITE,
    ("GET", "/api/v1/assessment-runs/{run_id}/units/{unit_id}/figures/{indicator}"): ASSESSMENTS_READ,
    ("GET", "/api/v1/assessment-runs/{run_id}/notice"): ASSESSMENTS_READ,
    **WORK_RECORD_ROUTES,
}

# --- who holds what -------------------------------------------------------------------------------------------

ROLE_SCOPES_WRITTEN: dict[str, frozenset[str]] = {
    # Units, people and API clients; the registry masked (docs/domain.md: separation of duties).
    "admin": frozenset(
        {
            "units:read",
            "units:write",
            "users:read",
            "users:write",
            "clients:read",
            "clients:write",
            "minors:read",
        }
    ),
    "supervisor": frozenset(
        {
            "units:read",
            "users:read",
            "audit:read",
            "minors:read",
            "minors:register",
            "minors:write",
            "minors:reveal",
            "campaigns:read",
            "campaigns:write",
            "task_reports:write",
            "seizures:read",
            "seizures:acknowledge",
            "stats:read",
            "stats:overview",
            "care_files:read",
            "care_files:write",
            "care_files:approve",
            "transfers:read",
            "transfers:write",
            "venues:read",
            "venues:write",
            "pharmacy_checks:read",
            "pharmacy_checks:write",
            "assessments:read",
            "assessments:write",
            "work_records:read",
            "work_records:write",
        }
    ),
    "caseworker": frozenset(
        {
            "units:read",
            "minors:read",
            "minors:register",
            "minors:write",
            "minors:reveal",
            "campaigns:read",
            "task_reports:write",
            "seizures:read",
            "seizures:acknowledge",
            "stats:overview",
            "care_files:read",
            "care_files:write",
            "transfers:read",
            "transfers:write",
            "venues:read",
            "venues:write",
            "pharmacy_checks:read",
            "pharmacy_checks:write",
            "assessments:read",
            "work_records:read",
            "work_records:write",
        }
    ),
    "police": frozenset(
        {
            "units:read",
            "seizures:write",
            "seizures:read",
            "minors:read",
            "minors:register",
            "minors:reveal",
            "campaigns:read",
            "task_reports:write",
            "care_files:team",
            "venues:read",
            "venues:write",
        }
    ),
    "school_staff": frozenset(
        {
            "units:read",
            "minors:read",
            "minors:register",
            "campaigns:read",
            "task_reports:write",
            "stats:read",
            "metrics:write",
            "care_files:team",
            "assessments:read",
            "work_records:read",
            "work_records:write",
            "school_files:write",
        }
    ),
    "education": frozenset(
        {"units:read", "stats:read", "metrics:write", "campaigns:read", "campaigns:write"}
    ),
    "auditor": frozenset(
        {
            "units:read",
            "users:read",
            "audit:read",
            "minors:read",
            "campaigns:read",
            "stats:overview",
            "care_files:read",
            "transfers:read",
            "venues:read",
            "pharmacy_checks:read",
            "assessments:read",
            "work_records:read",
        }
    ),
}

# What a machine client may be granted at all, and what each one here holds.
CLIENT_GRANTABLE_WRITTEN = frozenset(
    {"units:read", "seizures:write", "seizures:read", "stats:read", "metrics:write"}
)
# A school-figures platform of the education bureau, made here: the demo clients hold neither units:read nor
# metrics:write, and every grantable scope needs a witness.
EDU_METRICS = (
    "edu-metrics",
    "瑞安市教育局学校数据报送平台",
    "瑞安市教育局",
    ("units:read", "stats:read", "metrics:write"),
)


@dataclass(frozen=True)
class Who:
    name: str  # username or client id
    kind: str  # "user" or "client"
    role: str | None  # people only


# One person of each role, each acting from its own unit of the demo county, and each kind of machine client.
PRINCIPALS = [
    Who("admin", "user", "admin"),
    Who("jinhu_lead", "user", "supervisor"),
    Who("jinhu_worker", "user", "caseworker"),
    Who("jinhu_police", "user", "police"),
    Who("school_teacher", "user", "school_staff"),
    Who("edu_officer", "user", "education"),
    Who("auditor", "user", "auditor"),
    Who("police-jinhu", "client", None),
    Who("edu-bureau", "client", None),
    Who("edu-metrics", "client", None),
]
CLIENT_SCOPES: dict[str, frozenset[str]] = {
    "police-jinhu": frozenset({"seizures:write", "seizures:read"}),
    "edu-bureau": frozenset({"stats:read"}),
    "edu-metrics": frozenset({"units:read", "stats:read", "metrics:write"}),
}


def held(who: Who) -> frozenset[str]:
    return ROLE_SCOPES_WRITTEN[who.role] if who.role else CLIENT_SCOPES[who.name]


# --- the witnesses --------------------------------------------------------------------------------------------


def _someone(world: "World") -> SyntheticPerson:
    world.people += 1
    rng = random.Random(f"route-walk/{world.people}")
    return synthetic_person(rng, today=local_today(), age=15)


def minor_body(world: "World", **overrides: Any) -> dict[str, Any]:
    someone = _someone(world)
    body: dict[str, Any] = {
        "name": someone.name,
        "id_number": someone.id_number,
        "guardians": [{"relation": "mother", "name": "王秀芳", "phone": "13912345678"}],
        "household_division_code": "330381005001",
        "household_address": "锦湖街道滨江社区12幢301室",
        "residence_division_code": "330381005002",
        "residence_address": "锦湖街道锦园路8号",
        "schooling_status": "in_school",
        "grade": "初二",
        "risk_categories": ["left_behind"],
        "risk_level": "low",
    }
    return body | overrides


def notice_body(world: "World") -> dict[str, Any]:
    someone = _someone(world)
    seized_at = (utcnow() - timedelta(hours=2)).astimezone(LOCAL_TIMEZONE).replace(microsecond=0)
    return {
        "notice_no": f"JHPCS-WALK-{uuid.uuid4().hex[:8]}",
        "seized_at": seized_at.isoformat(),
        "place": "锦湖街道某KTV",
        "person": {
            "name": someone.name,
            "id_number": someone.id_number,
            "gender": someone.gender,
            "residence_division_code": "330381005002",
            "residence_address": "锦湖街道锦园路8号",
        },
        "substances": ["etomidate"],
        "test_result": "positive",
        "measures": ["admonition"],
        "summary": "当场查获，已通知监护人。",
    }


def figures_body(world: "World", school: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "students_enrolled": 1200,
        "students_registered": 1190,
        "students_completed": 1150,
        "lesson_hours": 2,
        "five_one_activities": 3,
        "exams_with_content": 1,
        "teachers_trained": 6,
    }
    if school:
        row["school_id"] = world.ids[school]
    return {"term": Term.current().code, "rows": [row]}


def campaign_body(world: "World", kinds: list[str]) -> dict[str, Any]:
    return {
        "title": f"走查专项行动 {uuid.uuid4().hex[:6]}",
        "issue_date": "2026-10-22",
        "report_deadline": "2099-11-30",
        "targets": {"kinds": kinds},
        "tasks": [{"title": "开展禁毒主题班会"}],
    }


def entry_body(world: "World") -> dict[str, Any]:
    occurred = (utcnow() - timedelta(hours=3)).astimezone(LOCAL_TIMEZONE).replace(microsecond=0)
    return {"kind": "talk", "occurred_at": occurred.isoformat(), "summary": "谈心谈话，了解近期情况"}


def venue_body(world: "World") -> dict[str, Any]:
    return {"name": f"走查KTV {uuid.uuid4().hex[:6]}", "kind": "ktv", "address": "锦湖街道锦园路18号"}


def pharmacy_body(world: "World") -> dict[str, Any]:
    return {
        "pharmacy_name": "走查大药房",
        "checked_on": local_today().isoformat(),
        "buyer_age_band": "16_17",
        "quantity": 1,
        "prescription_seen": False,
    }


@dataclass(frozen=True)
class Witness:
    scope: str
    method: str
    route: str  # the path as ROUTES names it
    ids: dict[str, str] = field(default_factory=dict)  # path parameter → a World id's name
    body: Callable[["World"], Any] | None = None
    status: int = 200


def W(scope: str, method: str, route: str, **kwargs: Any) -> Witness:
    return Witness(scope, method, API + route, **kwargs)


READ_REVEAL = {"reason": "家访前核实监护人联系方式", "fields": ["name", "phone"]}

# For each principal and each scope it holds: one call that succeeds, on its own objects.
WITNESSES: dict[str, list[Witness]] = {
    "admin": [
        W("units:read", "GET", "/units/{unit_id}", ids={"unit_id": "锦湖街道"}),
        W(
            "units:write",
            "POST",
            "/units",
            body=lambda w: {"name": "锦湖新社区", "kind": "community", "parent_id": w.ids["锦湖街道"]},
            status=201,
        ),
        W("users:read", "GET", "/users/{user_id}", ids={"user_id": "user:jinhu_worker"}),
        W(
            "users:write",
            "POST",
            "/users",
            body=lambda w: {
                "username": "walk_worker",
                "display_name": "走查社工",
                "role": "caseworker",
                "unit_id": w.ids["锦湖街道"],
            },
            status=201,
        ),
        W("clients:read", "GET", "/clients/{client_id}", ids={"client_id": "client:police-jinhu"}),
        W(
            "clients:write",
            "POST",
            "/clients",
            body=lambda w: {
                "client_id": "walk-police",
                "name": "走查警务系统",
                "unit_id": w.ids["安阳派出所"],
                "scopes": ["seizures:write"],
            },
            status=201,
        ),
        W("minors:read", "GET", "/minors/{minor_id}", ids={"minor_id": "minor:admin"}),
    ],
    "jinhu_lead": [
        W("assessments:read", "GET", "/assessment-schemes"),
        W(
            "assessments:write",
            "POST",
            "/assessment-schemes",
            body=lambda w: {
                "name": "锦湖街道社区禁毒工作考核",
                "period_start": "2026-01-01",
                "period_end": "2026-12-31",
                "unit_kinds": ["community"],
                "indicators": [{"code": "leadership", "name": "组织领导", "max_score": 10, "manual": {}}],
            },
            status=201,
        ),
        W("units:read", "GET", "/units/tree"),
        W("users:read", "GET", "/users/{user_id}", ids={"user_id": "user:jinhu_worker"}),
        W("audit:read", "GET", "/audit-events"),
        W("minors:read", "GET", "/minors/{minor_id}", ids={"minor_id": "minor:lead"}),
        W("minors:register", "POST", "/minors", body=minor_body, status=201),
        W(
            "minors:write",
            "PATCH",
            "/minors/{minor_id}",
            ids={"minor_id": "minor:lead"},
            body=lambda w: {"risk_level": "high"},
        ),
        W(
            "minors:reveal",
            "POST",
            "/minors/{minor_id}/reveal",
            ids={"minor_id": "minor:lead"},
            body=lambda w: READ_REVEAL,
        ),
        W("campaigns:read", "GET", "/campaigns/{campaign_id}", ids={"campaign_id": "campaign:county"}),
        W(
            "campaigns:write",
            "POST",
            "/campaigns",
            body=lambda w: campaign_body(w, ["community"]),
            status=201,
        ),
        W(
            "task_reports:write",
            "PATCH",
            "/task-reports/{report_id}",
            ids={"report_id": "report:jinhu:1"},
            body=lambda w: {"value": 1, "note": "已完成排查"},
        ),
        W("seizures:read", "GET", "/seizure-notices/{notice_id}", ids={"notice_id": "notice:lead"}),
        W(
            "seizures:acknowledge",
            "POST",
            "/seizure-notices/{notice_id}/acknowledge",
            ids={"notice_id": "notice:lead"},
        ),
        W("stats:read", "GET", "/stats/schools"),
        W("stats:overview", "GET", "/stats/overview"),
        W("care_files:read", "GET", "/care-files/{care_file_id}", ids={"care_file_id": "file:closure"}),
        W(
            "care_files:write",
            "POST",
            "/care-files/{care_file_id}/entries",
            ids={"care_file_id": "file:lead"},
            body=entry_body,
            status=201,
        ),
        W(
            "care_files:approve",
            "POST",
            "/care-files/{care_file_id}/closure/approve",
            ids={"care_file_id": "file:closure"},
            body=lambda w: {"comment": "同意结案"},
        ),
        W("transfers:read", "GET", "/transfers/{transfer_id}", ids={"transfer_id": "transfer:demo"}),
        W(
            "transfers:write",
            "POST",
            "/transfers",
            body=lambda w: {
                "minor_id": w.ids["minor:lead-transfer"],
                "to_unit_id": w.ids["安阳街道"],
                "reason": "实际居住地在安阳街道",
            },
            status=201,
        ),
        W("venues:read", "GET", "/venues"),
        W("venues:write", "POST", "/venues", body=venue_body, status=201),
        W("pharmacy_checks:read", "GET", "/pharmacy-checks"),
        W("pharmacy_checks:write", "POST", "/pharmacy-checks", body=pharmacy_body, status=201),
        W("work_records:read", "GET", "/publicity-activities"),
        W(
            "work_records:write",
            "POST",
            "/inspection-visits",
            body=lambda w: {
                "inspected_unit_id": w.ids["滨江社区"],
                "visited_on": "2026-06-01",
                "findings": "台账齐全",
            },
            status=201,
        ),
    ],
    "jinhu_worker": [
        W("assessments:read", "GET", "/assessment-schemes"),
        W("units:read", "GET", "/units/{unit_id}", ids={"unit_id": "滨江社区"}),
        W("minors:read", "GET", "/minors/{minor_id}", ids={"minor_id": "minor:worker"}),
        W("minors:register", "POST", "/minors", body=minor_body, status=201),
        W(
            "minors:write",
            "PATCH",
            "/minors/{minor_id}",
            ids={"minor_id": "minor:worker"},
            body=lambda w: {"risk_level": "medium"},
        ),
        W(
            "minors:reveal",
            "POST",
            "/minors/{minor_id}/reveal",
            ids={"minor_id": "minor:worker"},
            body=lambda w: READ_REVEAL,
        ),
        W("campaigns:read", "GET", "/task-reports/{report_id}", ids={"report_id": "report:jinhu:2"}),
        W(
            "task_reports:write",
            "PATCH",
            "/task-reports/{report_id}",
            ids={"report_id": "report:jinhu:2"},
            body=lambda w: {"value": 1, "note": "已开展帮扶"},
        ),
        W("seizures:read", "GET", "/seizure-notices/{notice_id}", ids={"notice_id": "notice:worker"}),
        W(
            "seizures:acknowledge",
            "POST",
            "/seizure-notices/{notice_id}/acknowledge",
            ids={"notice_id": "notice:worker"},
        ),
        W("stats:overview", "GET", "/stats/overview"),
        W(
            "care_files:read",
            "GET",
            "/care-files/{care_file_id}/entries",
            ids={"care_file_id": "file:worker"},
        ),
        W(
            "care_files:write",
            "POST",
            "/care-files/{care_file_id}/entries",
            ids={"care_file_id": "file:worker"},
            body=entry_body,
            status=201,
        ),
        W("transfers:read", "GET", "/transfers/{transfer_id}/notice", ids={"transfer_id": "transfer:demo"}),
        W(
            "transfers:write",
            "POST",
            "/transfers",
            body=lambda w: {
                "minor_id": w.ids["minor:worker-transfer"],
                "to_unit_id": w.ids["安阳街道"],
                "reason": "实际居住地在安阳街道",
            },
            status=201,
        ),
        W("venues:read", "GET", "/venues"),
        W("venues:write", "POST", "/venues", body=venue_body, status=201),
        W("pharmacy_checks:read", "GET", "/pharmacy-checks"),
        W("pharmacy_checks:write", "POST", "/pharmacy-checks", body=pharmacy_body, status=201),
        W("work_records:read", "GET", "/responsibility-letters"),
        W(
            "work_records:write",
            "POST",
            "/publicity-activities",
            body=lambda w: {"kind": "six_entries", "held_on": "2026-06-26", "place": "滨江社区"},
            status=201,
        ),
    ],
    "jinhu_police": [
        W("units:read", "GET", "/units/{unit_id}", ids={"unit_id": "锦湖派出所"}),
        W("seizures:write", "POST", "/seizure-notices", body=notice_body, status=201),
        W("seizures:read", "GET", "/seizure-notices/{notice_id}", ids={"notice_id": "notice:lead"}),
        W("minors:read", "GET", "/minors/{minor_id}", ids={"minor_id": "minor:police"}),
        W("minors:register", "POST", "/minors", body=minor_body, status=201),
        W(
            "minors:reveal",
            "POST",
            "/minors/{minor_id}/reveal",
            ids={"minor_id": "minor:police"},
            body=lambda w: READ_REVEAL,
        ),
        W("campaigns:read", "GET", "/task-reports/{report_id}", ids={"report_id": "report:police:1"}),
        W(
            "task_reports:write",
            "PATCH",
            "/task-reports/{report_id}",
            ids={"report_id": "report:police:1"},
            body=lambda w: {"value": 1, "note": "已开展宣传"},
        ),
        # The files whose team names the officer (none in this county yet: an empty page, not a refusal).
        W("care_files:team", "GET", "/care-files"),
        W("venues:read", "GET", "/venues"),
        W("venues:write", "POST", "/venues", body=venue_body, status=201),
    ],
    "school_teacher": [
        W("assessments:read", "GET", "/assessment-schemes"),
        W("units:read", "GET", "/units/{unit_id}", ids={"unit_id": "瑞安市锦湖中学"}),
        W("minors:read", "GET", "/minors"),
        W("minors:register", "POST", "/minors", body=minor_body, status=201),
        W("campaigns:read", "GET", "/task-reports/{report_id}", ids={"report_id": "report:school:7"}),
        W(
            "task_reports:write",
            "PATCH",
            "/task-reports/{report_id}",
            ids={"report_id": "report:school:7"},
            body=lambda w: {"value": 1, "note": "已关注公众号"},
        ),
        W("stats:read", "GET", "/stats/schools"),
        W("metrics:write", "POST", "/school-metrics", body=lambda w: figures_body(w, None), status=201),
        W("care_files:team", "GET", "/care-files"),
        W("work_records:read", "GET", "/publicity-activities"),
        W(
            "work_records:write",
            "POST",
            "/publicity-activities",
            body=lambda w: {
                "kind": "lecture",
                "held_on": "2026-06-26",
                "place": "学校报告厅",
                "participants": 300,
            },
            status=201,
        ),
        W(
            "school_files:write",
            "POST",
            "/care-files/school",
            body=lambda w: {"minor_id": w.ids["minor:pupil"]},
            status=201,
        ),
    ],
    "edu_officer": [
        # A department reaches its own unit (docs/domain.md, Units); its schools through statistics and metrics.
        W("units:read", "GET", "/units/{unit_id}", ids={"unit_id": "瑞安市教育局"}),
        W("stats:read", "GET", "/stats/regions"),
        W(
            "metrics:write",
            "POST",
            "/school-metrics",
            body=lambda w: figures_body(w, "瑞安市锦湖第一小学"),
            status=201,
        ),
        W(
            "campaigns:read",
            "GET",
            "/campaigns/{campaign_id}/progress",
            ids={"campaign_id": "campaign:school"},
        ),
        W("campaigns:write", "POST", "/campaigns", body=lambda w: campaign_body(w, ["school"]), status=201),
    ],
    "auditor": [
        W("assessments:read", "GET", "/assessment-schemes"),
        W("units:read", "GET", "/units/tree"),
        W("users:read", "GET", "/users/{user_id}", ids={"user_id": "user:jinhu_worker"}),
        W("audit:read", "GET", "/audit-events/verify"),
        W("minors:read", "GET", "/minors/{minor_id}", ids={"minor_id": "minor:lead"}),
        W("campaigns:read", "GET", "/campaigns/{campaign_id}", ids={"campaign_id": "campaign:county"}),
        W("stats:overview", "GET", "/stats/overview"),
        W("care_files:read", "GET", "/care-files/{care_file_id}", ids={"care_file_id": "file:worker"}),
        W("transfers:read", "GET", "/transfers/{transfer_id}", ids={"transfer_id": "transfer:demo"}),
        W("venues:read", "GET", "/venues"),
        W("pharmacy_checks:read", "GET", "/pharmacy-checks"),
        W("work_records:read", "GET", "/inspection-visits"),
    ],
    "police-jinhu": [
        W("seizures:write", "POST", "/seizure-notices", body=notice_body, status=201),
        W("seizures:read", "GET", "/seizure-notices/{notice_id}", ids={"notice_id": "notice:worker"}),
    ],
    # The bureau's client reads the rates (API.md); its school statistics are witnessed by the bureau's officer.
    "edu-bureau": [W("stats:read", "GET", "/stats/rates")],
    "edu-metrics": [
        W("units:read", "GET", "/units/tree"),
        W("stats:read", "GET", "/school-metrics"),
        W(
            "metrics:write",
            "POST",
            "/school-metrics",
            body=lambda w: figures_body(w, "瑞安市安阳实验中学"),
            status=201,
        ),
    ],
}

# --- the county -----------------------------------------------------------------------------------------------


@dataclass
class World:
    app: FastAPI
    client: AsyncClient
    ids: dict[str, str]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    people: int = 0  # synthetic people made so far: each witness registers someone new


async def _token(client: AsyncClient, who: Who) -> dict[str, str]:
    form = (
        {"grant_type": "password", "username": who.name, "password": DEMO_PASSWORD}
        if who.kind == "user"
        else {"grant_type": "client_credentials", "client_id": who.name, "client_secret": DEMO_CLIENT_SECRET}
    )
    response = assert_status(await client.post(f"{API}/auth/token", data=form), 200)
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _first(session: Any, statement: Any, what: str) -> str:
    value = await session.scalar(statement)
    assert value is not None, f"the demo county has no {what}"
    return str(value)


@pytest.fixture(scope="module")
async def world(database: str) -> AsyncIterator[World]:
    """The demo county (minors, notices, campaigns), a machine client for school figures, and what the witnesses
    act on (``_prepare``)."""
    settings = make_settings(database)
    app = create_app(settings)
    try:
        async with app.state.sessionmaker() as session, session.begin():
            credentials = DemoCredentials(DEMO_PASSWORD, DEMO_CLIENT_SECRET)
            await seed_demo_county(session, credentials=credentials, minors=80, campaigns=True)
            client_id, name, unit_name, scopes = EDU_METRICS
            bureau = await session.scalar(sa.select(Unit.id).where(Unit.name == unit_name))
            await clients_service.create_client(
                session,
                principal=None,
                client_in=ClientCreate.model_validate(
                    {"client_id": client_id, "name": name, "unit_id": bureau, "scopes": list(scopes)}
                ),
                secret=DEMO_CLIENT_SECRET,
            )
        async with client_for(app) as client:
            world = World(app=app, client=client, ids={})
            for who in [*PRINCIPALS, Who("county_lead", "user", "supervisor")]:
                world.headers[who.name] = await _token(client, who)
            await _prepare(world)
            yield world
    finally:
        await empty_tables(app.state.engine)
        await app.state.engine.dispose()


async def _prepare(world: World) -> None:
    """A campaign of the county office to the townships and police stations; a notice more for 锦湖街道; three
    care files of 锦湖街道, one asking to close, and a transfer under way (made here: the demo seed opens its
    care files only into a county without any, and acknowledging its first notice has opened one); then the
    ids of every object a witness names."""
    client, ids = world.client, world.ids
    county_lead = world.headers["county_lead"]
    # The county office's campaign to every township and police station: each reports on its own tasks.
    created = assert_status(
        await client.post(
            f"{API}/campaigns",
            json={
                "title": "全市青少年禁毒宣传月",
                "issue_date": "2026-10-22",
                "report_deadline": "2099-11-30",
                "targets": {"kinds": ["township", "police_station"]},
                "tasks": [{"title": "开展禁毒宣传进社区活动"}, {"title": "开展重点青少年排查"}],
            },
            headers=county_lead,
        ),
        201,
    )
    campaign_id = created.json()["id"]
    assert_status(await client.post(f"{API}/campaigns/{campaign_id}/publish", headers=county_lead), 200)
    # One more notice routed to 锦湖街道 (the demo's overdue one is the lead's to acknowledge).
    pushed = await client.post(
        f"{API}/seizure-notices",
        json=notice_body(world),
        headers={**world.headers["police-jinhu"], "Idempotency-Key": str(uuid.uuid4())},
    )
    assert_status(pushed, 201)

    async with world.app.state.sessionmaker() as session:
        units = {unit.name: unit for unit in (await session.scalars(sa.select(Unit))).all()}
        ids.update({name: str(unit.id) for name, unit in units.items()})
        jinhu = units["锦湖街道"]
        for username in ("jinhu_worker",):
            ids[f"user:{username}"] = await _first(
                session, sa.select(User.id).where(User.username == username), username
            )
        ids["client:police-jinhu"] = await _first(
            session, sa.select(ApiClient.id).where(ApiClient.client_id == "police-jinhu"), "police client"
        )
        # 锦湖街道's minors without a care file or a transfer: each witness edits or reveals its own.
        free = (
            await session.scalars(
                sa.select(Minor.id)
                .where(
                    Minor.managing_unit_id == jinhu.id,
                    Minor.id.not_in(sa.select(CareFile.minor_id)),
                    Minor.id.not_in(sa.select(Transfer.minor_id)),
                )
                .order_by(Minor.birth_date, Minor.name)
            )
        ).all()
        names = [
            "minor:lead",
            "minor:worker",
            "minor:police",
            "minor:admin",
            "minor:lead-transfer",
            "minor:worker-transfer",
            "minor:file-lead",
            "minor:file-worker",
            "minor:file-closure",
            "minor:transfer",
        ]
        assert len(free) >= len(names), f"锦湖街道 has {len(free)} minors free for the witnesses"
        ids.update({name: str(minor_id) for name, minor_id in zip(names, free, strict=False)})
        waiting = (
            await session.scalars(
                sa.select(SeizureNotice.id)
                .where(SeizureNotice.receiving_unit_id == jinhu.id, SeizureNotice.acknowledged_at.is_(None))
                .order_by(SeizureNotice.received_at)
            )
        ).all()
        assert len(waiting) == 2, waiting
        ids["notice:lead"], ids["notice:worker"] = str(waiting[0]), str(waiting[1])
        ids["campaign:county"] = campaign_id
        school_campaign = await _first(
            session,
            sa.select(TaskReport.campaign_id).where(TaskReport.unit_id == units["瑞安市锦湖中学"].id),
            "school campaign",
        )
        ids["campaign:school"] = school_campaign
        for key, campaign, unit, position in (
            ("report:jinhu:1", campaign_id, "锦湖街道", 1),
            ("report:jinhu:2", campaign_id, "锦湖街道", 2),
            ("report:police:1", campaign_id, "锦湖派出所", 1),
            ("report:school:7", school_campaign, "瑞安市锦湖中学", 7),
        ):
            ids[key] = await _first(
                session,
                sa.select(TaskReport.id)
                .join(CampaignTask, CampaignTask.id == TaskReport.task_id)
                .where(
                    TaskReport.campaign_id == uuid.UUID(campaign),
                    TaskReport.unit_id == units[unit].id,
                    CampaignTask.position == position,
                ),
                key,
            )

    # 锦湖街道's care files, a closure asked for and a transfer under way, made as its social worker would.
    worker = world.headers["jinhu_worker"]
    for name in ("file-lead", "file-worker", "file-closure"):
        opened = await client.post(
            f"{API}/care-files",
            json={"minor_id": ids[f"minor:{name}"], "lead_worker_id": ids["user:jinhu_worker"]},
            headers=worker,
        )
        ids[f"file:{name.removeprefix('file-')}"] = assert_status(opened, 201).json()["id"]
    assert_status(
        await client.post(
            f"{API}/care-files/{ids['file:closure']}/closure",
            json={"reason": "stable", "note": "帮教期满，表现良好"},
            headers=worker,
        ),
        200,
    )
    # A 双差生 pupil of 瑞安市锦湖中学, registered by its teacher: the school opens its own file for them.
    pupil = await client.post(
        f"{API}/minors",
        json=minor_body(world, risk_categories=["double_poor"]),
        headers=world.headers["school_teacher"],
    )
    ids["minor:pupil"] = assert_status(pupil, 201).json()["id"]
    transfer = await client.post(
        f"{API}/transfers",
        json={
            "minor_id": ids["minor:transfer"],
            "to_unit_id": ids["安阳街道"],
            "reason": "实际居住地在安阳街道",
        },
        headers=worker,
    )
    ids["transfer:demo"] = assert_status(transfer, 201).json()["id"]


# --- reading the app ------------------------------------------------------------------------------------------


def _scopes_required(dependant: Any) -> tuple[frozenset[str], frozenset[str]]:
    """(every one of these, at least one of these) as the route's dependencies mark them."""
    every: set[str] = set()
    any_of: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        every |= {scope.value for scope in getattr(current.call, "required_scopes", ())}
        any_of |= {scope.value for scope in getattr(current.call, "any_of_scopes", ())}
        pending.extend(current.dependencies)
    return frozenset(every), frozenset(any_of)


def _app_routes() -> dict[tuple[str, str], tuple[tuple[frozenset[str], frozenset[str]], bool]]:
    """(method, path) → ((scopes required, one-of scopes), whether the body is a form) for every APIRoute."""
    found: dict[tuple[str, str], tuple[tuple[frozenset[str], frozenset[str]], bool]] = {}
    for context in iter_route_contexts(create_app().routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        dependant = context.dependant
        form = any(isinstance(p.field_info, (params.Form, params.File)) for p in dependant.body_params)
        for method in context.methods:
            found[(method, context.path)] = (_scopes_required(dependant), form)
    return found


APP_ROUTES = _app_routes()


def test_every_route_declares_the_scopes_written_here():
    declared = {route: scopes for route, (scopes, _) in APP_ROUTES.items()}
    unguarded = {route for route, (every, any_of) in declared.items() if not every and not any_of}
    assert unguarded == PUBLIC, "a route without a scope must be on the PUBLIC list, on purpose"
    assert {route: every for route, (every, _) in declared.items() if every} == ROUTES
    assert {route: any_of for route, (_, any_of) in declared.items() if any_of} == ANY_OF_ROUTES


def opens_to(route: tuple[str, str], scopes: frozenset[str]) -> bool:
    """Whether a principal holding ``scopes`` passes the route's scope check."""
    if route in ANY_OF_ROUTES:
        return bool(ANY_OF_ROUTES[route] & scopes)
    return ROUTES[route] <= scopes


def test_each_role_holds_the_scopes_written_here():
    assert {
        role.value: frozenset(scope.value for scope in scopes) for role, scopes in ROLE_SCOPES.items()
    } == (ROLE_SCOPES_WRITTEN)
    assert {scope.value for scope in CLIENT_GRANTABLE_SCOPES} == CLIENT_GRANTABLE_WRITTEN
    for scopes in CLIENT_SCOPES.values():
        assert scopes <= CLIENT_GRANTABLE_WRITTEN


def test_every_held_scope_has_one_witness_on_a_route_that_requires_it():
    assert {who.role for who in PRINCIPALS if who.role} == set(ROLE_SCOPES_WRITTEN), "one person per role"
    assert set(WITNESSES) == {who.name for who in PRINCIPALS}
    for who in PRINCIPALS:
        witnessed = [witness.scope for witness in WITNESSES[who.name]]
        assert sorted(witnessed) == sorted(held(who)), who.name
        for witness in WITNESSES[who.name]:
            route = (witness.method, witness.route)
            assert witness.scope in ROUTES.get(route, ANY_OF_ROUTES.get(route, frozenset())), (
                who.name,
                witness,
            )
            assert opens_to(route, held(who)), (who.name, witness)


async def _row_counts(world: World) -> dict[str, int]:
    async with world.app.state.engine.connect() as connection:
        return {
            table.name: await connection.scalar(sa.select(sa.func.count()).select_from(table))
            for table in metadata.sorted_tables
        }


def _url(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, path
    return path


def _random_ids(path: str) -> dict[str, str]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return {name: str(uuid.uuid4()) for name in names}


async def _call_without_scope(client: AsyncClient, method: str, path: str, headers: dict[str, str]) -> Any:
    _, form = APP_ROUTES[(method, path)]
    url = _url(path, _random_ids(path))
    headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    if method in ("GET", "DELETE"):
        return await client.request(method, url, headers=headers)
    if form:
        return await client.request(
            method, url, files={"file": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}, headers=headers
        )
    return await client.request(method, url, json={}, headers=headers)


@pytest.mark.parametrize("who", PRINCIPALS, ids=lambda who: who.name)
async def test_a_route_whose_scope_is_not_held_answers_403_and_writes_nothing(world: World, who: Who):
    lacking = sorted(route for route in [*ROUTES, *ANY_OF_ROUTES] if not opens_to(route, held(who)))
    assert lacking, who.name
    before = await _row_counts(world)
    wrong = []
    for method, path in lacking:
        response = await _call_without_scope(world.client, method, path, world.headers[who.name])
        if response.status_code != 403:
            wrong.append((method, path, response.status_code, response.text[:200]))
            continue
        body = assert_problem(response, 403, "forbidden")
        missing = sorted(
            ROUTES.get((method, path), ANY_OF_ROUTES.get((method, path), frozenset())) - held(who)
        )
        assert any(scope in body["detail"] for scope in missing), body
    assert wrong == []
    assert await _row_counts(world) == before


async def test_every_guarded_route_answers_401_without_a_token(world: World):
    before = await _row_counts(world)
    for method, path in sorted([*ROUTES, *ANY_OF_ROUTES]):
        response = await _call_without_scope(world.client, method, path, {})
        assert_problem(response, 401)
    assert await _row_counts(world) == before


@pytest.mark.parametrize("who", PRINCIPALS, ids=lambda who: who.name)
async def test_me_reports_the_scopes_written_here(world: World, who: Who):
    me = assert_status(await world.client.get(f"{API}/me", headers=world.headers[who.name]), 200).json()
    assert (me["kind"], me["role"]) == (who.kind, who.role)
    assert frozenset(me["scopes"]) == held(who)


@pytest.mark.parametrize("who", PRINCIPALS, ids=lambda who: who.name)
async def test_every_held_scope_is_a_thing_the_role_can_do(world: World, who: Who):
    failed = []
    for witness in WITNESSES[who.name]:
        url = _url(witness.route, {name: world.ids[key] for name, key in witness.ids.items()})
        headers = dict(world.headers[who.name])
        if who.kind == "client" and witness.method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        body = witness.body(world) if witness.body else None
        response = await world.client.request(witness.method, url, json=body, headers=headers)
        if response.status_code != witness.status:
            failed.append((witness.scope, witness.method, url, response.status_code, response.text[:300]))
    assert failed == []
