"""The built web app at ``/`` with history-mode fallback; ``/api``, ``/docs``, ``/static`` and the spec stay the
API's.

The build leaves a brotli (``.br``) and a gzip (``.gz``) copy beside each text asset (vite-plugin-compression2);
a browser that accepts one gets it, with ``Content-Encoding`` and ``Vary: Accept-Encoding``, and the type of the
original file. Nothing is compressed per request.
"""

import mimetypes
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException

from backend.errors import problem_response, request_locale

_RESERVED = ("api/", "docs", "redoc", "openapi.json", "healthz", "readyz", "static/")
# Best first: brotli is smaller than gzip for the same file.
_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


def accepted_encodings(accept_encoding: str) -> set[str]:
    """The codings an ``Accept-Encoding`` header accepts (``q=0`` refuses one)."""
    accepted = set()
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        quality = params.strip()
        if quality.startswith("q=") and quality[2:].strip() in ("0", "0.0", "0.00", "0.000"):
            continue
        if name:
            accepted.add(name.strip())
    return accepted


def mount_spa(app: FastAPI, dist: Path) -> None:
    index = dist / "index.html"
    if not index.is_file():
        return

    # Serve exactly the files the build produced, nothing else. A rebuild while the process runs adds files:
    # a miss for a built file re-lists the directory once before answering 404.
    def list_files() -> dict[str, Path]:
        return {path.relative_to(dist).as_posix(): path for path in dist.rglob("*") if path.is_file()}

    files = list_files()

    def send(name: str, path: Path, request: Request, headers: dict[str, str]) -> FileResponse:
        # the type of the file itself, not of its compressed copy
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
        for coding, suffix in _ENCODINGS:
            compressed = files.get(name + suffix)
            if coding in accepted and compressed is not None:
                return FileResponse(
                    compressed,
                    media_type=media_type,
                    headers={**headers, "Content-Encoding": coding, "Vary": "Accept-Encoding"},
                )
        # The same address answers differently by Accept-Encoding when a compressed copy exists.
        vary = {"Vary": "Accept-Encoding"} if any(name + suffix in files for _, suffix in _ENCODINGS) else {}
        return FileResponse(path, media_type=media_type, headers={**headers, **vary})

    @app.get("/{spa_path:path}", include_in_schema=False)
    async def spa(spa_path: str, request: Request) -> Response:
        if spa_path.startswith(_RESERVED):
            # Raised, not returned: the error handler answers 405 where the path has other methods.
            raise HTTPException(404, detail="No such resource.")
        asset = files.get(spa_path)
        if asset is None and spa_path.startswith("assets/"):
            files.update(list_files())
            asset = files.get(spa_path)
            if asset is None:
                # A chunk of an older build: the page's loader reloads the app instead of parsing HTML as code.
                return problem_response(
                    404, locale=request_locale(request), detail="No such file in this build of the web app."
                )
        if asset is not None and spa_path != "index.html":
            # Hashed asset names change with their content, so they may be cached for good.
            return send(spa_path, asset, request, _IMMUTABLE if spa_path.startswith("assets/") else {})
        # Every other path is a route of the web app: it reads the URL itself after loading.
        return send("index.html", index, request, {"Cache-Control": "no-cache"})
