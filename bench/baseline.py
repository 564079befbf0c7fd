"""The baseline of bench/minors.py: a bare FastAPI endpoint answering the same 50 rows from one raw SQL query
(asyncpg, no ORM, no auth, no privacy shaping), served the same way in the same run."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Response

DSN = os.environ["BENCH_DSN"]

# The list endpoint's page: minors managed in a subtree, newest change first, with the managing unit's name.
PAGE_SQL = """
SELECT m.id, m.version, m.name, m.id_document_type, m.id_number_masked, m.gender, m.birth_date, m.phone_masked,
       m.guardians, m.household_division_code, m.household_area, m.residence_division_code, m.residence_area,
       m.school_id, m.grade, m.schooling_status, m.risk_categories, m.substances, m.risk_level,
       m.managing_unit_id, m.status, m.is_sealed, m.source, m.created_at, m.updated_at, u.name AS unit_name
FROM minors m JOIN units u ON u.id = m.managing_unit_id
WHERE u.path >= $1 AND u.path < $2
ORDER BY m.updated_at DESC, m.id
LIMIT 50
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(DSN, min_size=4, max_size=10)
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/baseline")
async def baseline(path: str) -> Response:
    async with app.state.pool.acquire() as connection:
        rows = await connection.fetch(PAGE_SQL, path, path[:-1] + "0")
    # Serialised by the database driver's records straight to JSON text: the cheapest honest answer.
    import json

    body = json.dumps([dict(row) for row in rows], default=str, ensure_ascii=False)
    return Response(body, media_type="application/json")
