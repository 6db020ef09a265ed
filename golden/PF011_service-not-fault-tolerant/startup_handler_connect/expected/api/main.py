from contextlib import asynccontextmanager

import asyncpg
import redis
from fastapi import FastAPI


def _polyfix_retry(connect, deadline=60.0):
    """Call connect() until it succeeds, waiting longer each time, for up to `deadline` seconds
    (added by polyfix: the services of a stack start together, so a dependency may not be up yet)."""
    import time

    delay, give_up = 0.5, time.monotonic() + deadline
    while True:
        try:
            return connect()
        except Exception:
            if time.monotonic() + delay > give_up:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


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

cache = redis.Redis(host="cache", port=6379)
state = {}


@asynccontextmanager
async def lifespan(app: FastAPI):
    state["pool"] = await _polyfix_retry_async(lambda: asyncpg.create_pool("postgresql://postgres@postgres:5432/app", min_size=1))
    yield
    await state["pool"].close()


app = FastAPI(lifespan=lifespan)


@app.on_event("startup")
def warm_cache():
    _polyfix_retry(lambda: cache.set("greeting", "hello"))


@app.get("/")
async def index():
    return {"greeting": cache.get("greeting")}
