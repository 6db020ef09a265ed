from sqlalchemy import create_engine
from sqlalchemy.orm import declarative_base

Base = declarative_base()


def init_db():
    engine = create_engine("postgresql+psycopg://postgres@postgres:5432/app")
    Base.metadata.create_all(bind=engine)
    return engine


def unused():
    create_engine("sqlite://").connect()
