import os

import psycopg
from sqlalchemy import create_engine


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

# The connection the handlers share.
conn = _polyfix_retry(lambda: psycopg.connect(
    os.environ.get("DATABASE_URL", "postgresql://postgres@postgres:5432/app"),
    autocommit=True,  # no transactions here
))

engine = create_engine("postgresql+psycopg://postgres@postgres:5432/app")
with _polyfix_retry(lambda: engine.connect()) as c:
    c.exec_driver_sql("CREATE TABLE IF NOT EXISTS items (id serial, name text)")
