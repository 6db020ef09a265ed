import httpx
import psycopg
from fastapi import FastAPI

app = FastAPI()


def get_db():
    return psycopg.connect("postgresql://postgres@postgres:5432/app")


@app.get("/orders")
def orders():
    with get_db() as conn:
        rows = conn.execute("SELECT id FROM orders").fetchall()
    stock = httpx.get("http://inventory:8080/stock").json()
    return {"orders": rows, "stock": stock}
