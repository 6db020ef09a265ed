import os

import psycopg
from sqlalchemy import create_engine

# The connection the handlers share.
conn = psycopg.connect(
    os.environ.get("DATABASE_URL", "postgresql://postgres@postgres:5432/app"),
    autocommit=True,  # no transactions here
)

engine = create_engine("postgresql+psycopg://postgres@postgres:5432/app")
with engine.connect() as c:
    c.exec_driver_sql("CREATE TABLE IF NOT EXISTS items (id serial, name text)")
