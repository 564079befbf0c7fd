"""The built web app, served at ``/`` with history-mode fallback; ``/api``, ``/docs`` and the spec stay the API's."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from backend.errors import problem_response

_RESERVED = ("api/", "docs", "redoc", "openapi.json", "healthz", "readyz")


def mount_spa(app: FastAPI, dist: Path) -> None:
    index = dist / "index.html"
    if not index.is_file():
        return
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="spa-assets")

    @app.get("/{spa_path:path}", include_in_schema=False)
    async def spa(spa_path: str, request: Request) -> Response:
        if spa_path.startswith(_RESERVED):
            return problem_response(404, detail="No such resource.")
        candidate = (dist / spa_path).resolve()
        if spa_path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        # Every other path is a route of the web app: it reads the URL itself after loading.
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
