from fastapi import FastAPI

from .db import init_db as create_tables

app = FastAPI()


@app.on_event("startup")
def startup():
    create_tables()


@app.get("/health")
def health():
    return {"ok": True}
