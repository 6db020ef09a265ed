from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from temporalio.client import Client


@asynccontextmanager
async def lifespan(app):
    app.state.temporal = await Client.connect("temporal:7233")
    async with asyncpg.create_pool("postgresql://postgres@postgres:5432/app") as pool:
        app.state.pool = pool
        yield


app = Starlette(lifespan=lifespan)
