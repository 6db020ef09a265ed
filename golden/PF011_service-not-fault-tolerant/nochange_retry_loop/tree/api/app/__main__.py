import time

import psycopg
import redis

client = redis.Redis(host="cache")
for attempt in range(30):
    try:
        client.ping()
        break
    except redis.ConnectionError:
        time.sleep(1)


def connect_db():
    return psycopg.connect("postgresql://postgres@postgres:5432/app")


while True:
    try:
        db = connect_db()
        break
    except psycopg.OperationalError:
        time.sleep(2)
