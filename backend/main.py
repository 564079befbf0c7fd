"""The application factory: routers, middleware, error handlers, and the web app's static files."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from backend import __doc__ as description
from backend.api_docs import mount_api_docs
from backend.assessments.router import router as assessment_schemes_router
from backend.assessments.router import runs_router as assessment_runs_router
from backend.audit.router import router as audit_router
from backend.auth.router import router as auth_router
from backend.campaigns.router import reports_router as task_reports_router
from backend.campaigns.router import router as campaigns_router
from backend.care_files.router import router as care_files_router
from backend.care_files.router import settings_router as care_settings_router
from backend.clients.router import router as clients_router
from backend.db import make_engine, make_sessionmaker
from backend.errors import install_error_handlers
from backend.health import router as health_router
from backend.http import API_PREFIX, HttpMiddleware, declare_contract_responses, enforce_request_contract
from backend.imports.router import router as imports_router
from backend.logging import configure_logging
from backend.minors.router import router as minors_router
from backend.notifications.router import router as notifications_router
from backend.reference.router import router as reference_router
from backend.school_metrics.router import router as school_metrics_router
from backend.security.crypto import FieldCipher, session_info
from backend.seizures.router import router as seizures_router
from backend.settings import Settings, get_settings
from backend.spa import mount_spa
from backend.stats.router import router as stats_router
from backend.transfers.router import router as transfers_router
from backend.units.router import router as units_router
from backend.users.router import router as users_router
from backend.venues.router import pharmacy_router
from backend.venues.router import router as venues_router
from backend.work_records.router import routers as work_records_routers


def operation_id(route: APIRoute) -> str:
    """``{tag}-{route name}``: stable names for the generated client."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


# The API's routers, each included in the app itself with the API prefix: nesting them under one more router
# makes every request walk two levels of routers (on `GET /me`, a quarter of the app's own time).
API_ROUTERS = (
    auth_router,
    notifications_router,
    reference_router,
    units_router,
    users_router,
    clients_router,
    minors_router,
    campaigns_router,
    task_reports_router,
    seizures_router,
    care_files_router,
    care_settings_router,
    transfers_router,
    audit_router,
    school_metrics_router,
    stats_router,
    imports_router,
    venues_router,
    pharmacy_router,
    assessment_schemes_router,
    assessment_runs_router,
    *work_records_routers,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What exists by now (modules, routes, schemas, the ORM's registry) lives as long as the process. Frozen,
        # it is left out of the collector's full passes, which otherwise walk all of it whenever a request
        # allocates much (a county's statistics, a page of minors): a third of such a request's time here.
        gc.collect()
        gc.freeze()
        # A request allocates tens of thousands of short-lived objects that reference counting frees anyway; at
        # the default threshold (700) the collector's young pass runs dozens of times per page of a list and
        # promotes what is alive at that instant, which later makes full passes. Ten thousand: a few per page.
        gc.set_threshold(10_000, *gc.get_threshold()[1:])
        yield
        await app.state.engine.dispose()

    app = FastAPI(
        title="Qinghu 青护 API",
        version="1.0.0",
        description=description,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # Served by backend.api_docs, from installed files and under the pages' Content-Security-Policy.
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "auth", "description": "Tokens (OAuth2), logout, the current principal"},
            {"name": "reference", "description": "Codes and their labels"},
            {"name": "units", "description": "The unit tree"},
            {"name": "users", "description": "People and their roles"},
            {"name": "clients", "description": "Machine clients of other systems"},
            {"name": "minors", "description": "At-risk minors, shaped by the privacy policy"},
            {
                "name": "campaigns",
                "description": "Campaigns and their task checklists (任务清单), progress tables",
            },
            {"name": "task-reports", "description": "Target units' reports on tasks, evidence files, review"},
            {
                "name": "seizures",
                "description": "Seizure notices pushed by police stations, routed and acknowledged",
            },
            {"name": "care-files", "description": "Care files, their timelines, worklists and closure"},
            {"name": "transfers", "description": "Hand-over of minors between units, with a written notice"},
            {"name": "audit", "description": "The hash-chained audit trail"},
            {
                "name": "notifications",
                "description": "My notifications (站内通知) and the daily digest's address",
            },
            {
                "name": "school-metrics",
                "description": "Term figures of schools, as schools and the bureau report them",
            },
            {
                "name": "imports",
                "description": "Screening forms (排查表): templates, uploads checked row by row, import reports",
            },
            {"name": "stats", "description": "Statistics with small counts suppressed, and the dashboard"},
            {
                "name": "assessments",
                "description": "Assessment schemes (考核方案), their runs, results, explanations and the 通报 draft",
            },
            {
                "name": "publicity-activities",
                "description": "Work records: publicity and education activities",
            },
            {"name": "inspection-visits", "description": "Work records: supervision and unannounced visits"},
            {"name": "responsibility-letters", "description": "Work records: responsibility letters signed"},
            {"name": "health", "description": "Liveness and readiness"},
        ],
    )
    app.state.settings = settings
    app.state.engine = make_engine(
        settings.database_url,
        echo=settings.database_echo,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    app.state.cipher = FieldCipher.from_settings(settings)
    app.state.sessionmaker = make_sessionmaker(app.state.engine, info=session_info(app.state.cipher))

    install_error_handlers(app)
    for domain_router in API_ROUTERS:
        declare_contract_responses(domain_router)
        app.include_router(domain_router, prefix=API_PREFIX, dependencies=[Depends(enforce_request_contract)])
    app.include_router(health_router)
    mount_api_docs(app)
    # The stylesheet of the printable pages (backend/static): linked rather than inline, for their policy.
    app.mount("/static", StaticFiles(packages=[("backend", "static")]), name="static")
    mount_spa(app, settings.frontend_dist)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID"],
        )
    app.add_middleware(
        HttpMiddleware, max_body_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes
    )
    return app
