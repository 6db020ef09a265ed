from contextlib import asynccontextmanager

import asyncpg
import redis
from fastapi import FastAPI

cache = redis.Redis(host="cache", port=6379)
state = {}


@asynccontextmanager
async def lifespan(app: FastAPI):
    state["pool"] = await asyncpg.create_pool("postgresql://postgres@postgres:5432/app", min_size=1)
    yield
    await state["pool"].close()


app = FastAPI(lifespan=lifespan)


@app.on_event("startup")
def warm_cache():
    cache.set("greeting", "hello")


@app.get("/")
async def index():
    return {"greeting": cache.get("greeting")}
