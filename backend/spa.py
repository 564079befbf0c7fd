"""The built web app at ``/`` with history-mode fallback; ``/api``, ``/docs``, ``/static`` and the spec stay the
API's."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response

from backend.errors import problem_response

_RESERVED = ("api/", "docs", "redoc", "openapi.json", "healthz", "readyz", "static/")


def mount_spa(app: FastAPI, dist: Path) -> None:
    index = dist / "index.html"
    if not index.is_file():
        return

    # Serve exactly the files the build produced, nothing else. A rebuild while the process runs adds files:
    # a miss for a built file re-lists the directory once before answering 404.
    def list_files() -> dict[str, Path]:
        return {path.relative_to(dist).as_posix(): path for path in dist.rglob("*") if path.is_file()}

    files = list_files()

    @app.get("/{spa_path:path}", include_in_schema=False)
    async def spa(spa_path: str) -> Response:
        if spa_path.startswith(_RESERVED):
            return problem_response(404, detail="No such resource.")
        asset = files.get(spa_path)
        if asset is None and spa_path.startswith("assets/"):
            files.update(list_files())
            asset = files.get(spa_path)
            if asset is None:
                # A chunk of an older build: the page's loader reloads the app instead of parsing HTML as code.
                return problem_response(404, detail="No such file in this build of the web app.")
        if asset is not None and spa_path != "index.html":
            # Hashed asset names change with their content, so they may be cached for good.
            immutable = spa_path.startswith("assets/")
            return FileResponse(
                asset, headers={"Cache-Control": "public, max-age=31536000, immutable"} if immutable else None
            )
        # Every other path is a route of the web app: it reads the URL itself after loading.
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
