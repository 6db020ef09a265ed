"""The API: reads items from the database."""
from fastapi import FastAPI

from .db import conn

app = FastAPI()


@app.get("/items")
def items():
    return conn.execute("SELECT id, name FROM items").fetchall()
