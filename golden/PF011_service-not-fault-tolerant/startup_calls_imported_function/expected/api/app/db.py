from sqlalchemy import create_engine
from sqlalchemy.orm import declarative_base


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

Base = declarative_base()


def init_db():
    engine = create_engine("postgresql+psycopg://postgres@postgres:5432/app")
    _polyfix_retry(lambda: Base.metadata.create_all(bind=engine))
    return engine


def unused():
    create_engine("sqlite://").connect()
