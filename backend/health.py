"""Liveness and readiness for operators and load balancers."""

from functools import lru_cache
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

router = APIRouter(tags=["health"])


@lru_cache
def _code_heads(migrations_dir: Path) -> frozenset[str]:
    """The migration heads this code expects; they cannot change while the process runs."""
    return frozenset(ScriptDirectory(str(migrations_dir)).get_heads())


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    migrations: str
    detail: str | None = None


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Ready: database reachable and migrations at head",
    responses={503: {"model": Readiness, "description": "Not ready, with the reason"}},
)
async def readyz(request: Request) -> Readiness | JSONResponse:
    heads = _code_heads(request.app.state.settings.migrations_dir)
    try:
        async with request.app.state.engine.connect() as connection:
            current = set(
                await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
            )
    except Exception as exc:
        body = Readiness(
            status="unavailable", database="unreachable", migrations="unknown", detail=type(exc).__name__
        )
        return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})
    if current != heads:
        body = Readiness(
            status="unavailable",
            database="ok",
            migrations="behind",
            detail=f"database at {sorted(current) or 'nothing'}, code expects {sorted(heads)}; run `qinghu migrate`",
        )
        return JSONResponse(body.model_dump(), status_code=503)
    return Readiness(status="ok", database="ok", migrations="at head")
