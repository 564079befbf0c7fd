"""Structured logs: one JSON object per line, through the standard library so every library's records join."""

import logging
import sys

import structlog


def configure_logging(level: str = "INFO") -> None:
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name("qinghu")
    root = logging.getLogger()
    # Replace only our own handler, so building the app twice neither doubles lines nor drops others' handlers.
    root.handlers = [existing for existing in root.handlers if existing.get_name() != "qinghu"]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own access log would repeat our request line with the query string in it.
    logging.getLogger("uvicorn.access").disabled = True
    # Readiness checks ask Alembic for the current revision; its per-call info lines are noise.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
    # Database drivers log statements with their parameters at DEBUG: names and hashes of minors. Never.
    for driver in ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool"):
        logging.getLogger(driver).setLevel(logging.WARNING)
