import psycopg
from tenacity import retry, stop_after_delay, wait_exponential


@retry(stop=stop_after_delay(60), wait=wait_exponential(max=5))
def connect():
    return psycopg.connect("postgresql://postgres@postgres:5432/app")


conn = connect()
