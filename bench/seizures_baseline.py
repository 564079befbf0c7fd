"""The baseline of bench/seizures.py: a bare FastAPI endpoint that inserts one row per POST (asyncpg, no ORM,
no auth, no validation, no matching or routing), served the same way in the same run."""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request, Response

DSN = os.environ["BENCH_DSN"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(DSN, min_size=4, max_size=10)
    async with app.state.pool.acquire() as connection:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_rows (id uuid PRIMARY KEY, body jsonb NOT NULL)"
        )
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/baseline")
async def baseline(request: Request) -> Response:
    body = await request.body()
    row_id = uuid.uuid4()
    async with app.state.pool.acquire() as connection:
        await connection.execute(
            "INSERT INTO bench_rows (id, body) VALUES ($1, $2::jsonb)", row_id, body.decode()
        )
    return Response(f'{{"id": "{row_id}"}}', status_code=201, media_type="application/json")
