from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from temporalio.client import Client


async def _polyfix_retry_async(connect, deadline=60.0):
    """Await connect() until it succeeds, waiting longer each time, for up to `deadline` seconds
    (added by polyfix: the services of a stack start together, so a dependency may not be up yet)."""
    import asyncio
    import time

    delay, give_up = 0.5, time.monotonic() + deadline
    while True:
        try:
            return await connect()
        except Exception:
            if time.monotonic() + delay > give_up:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


@asynccontextmanager
async def lifespan(app):
    app.state.temporal = await _polyfix_retry_async(lambda: Client.connect("temporal:7233"))
    async with asyncpg.create_pool("postgresql://postgres@postgres:5432/app") as pool:
        app.state.pool = pool
        yield


app = Starlette(lifespan=lifespan)
