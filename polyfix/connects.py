"""The calls that open a connection to another service (PF011's tables), as plain data: PF011 reads
them before it decides whether a service's Python is worth parsing with libcst."""
from __future__ import annotations

# Calls that connect when they are made: qualified name → what they connect to.
CONNECTS = {
    **dict.fromkeys(("psycopg.connect", "psycopg.Connection.connect", "psycopg.AsyncConnection.connect",
                     "psycopg2.connect", "psycopg2.pool.SimpleConnectionPool",
                     "psycopg2.pool.ThreadedConnectionPool", "asyncpg.connect", "asyncpg.create_pool"),
                    "a PostgreSQL server"),
    **dict.fromkeys(("couchbase.cluster.Cluster", "couchbase.cluster.Cluster.connect",
                     "acouchbase.cluster.Cluster.connect"), "a Couchbase server"),
    **dict.fromkeys(("kafka.KafkaProducer", "kafka.KafkaConsumer", "kafka.KafkaAdminClient"), "a Kafka broker"),
    **dict.fromkeys(("pika.BlockingConnection", "aio_pika.connect", "aio_pika.connect_robust"), "a RabbitMQ broker"),
    "temporalio.client.Client.connect": "a Temporal server",
}
# Clients built without connecting: the first call of one of `methods` on them connects (None: any
# method but the ones in NOT_CONNECTING).
LAZY = {
    **dict.fromkeys(("redis.Redis", "redis.StrictRedis", "redis.from_url", "redis.Redis.from_url",
                     "redis.asyncio.Redis", "redis.asyncio.from_url", "redis.asyncio.Redis.from_url"),
                    ("a Redis server", None)),
    **dict.fromkeys(("sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine"),
                    ("a database", {"connect", "begin"})),
    **dict.fromkeys(("aiokafka.AIOKafkaProducer", "aiokafka.AIOKafkaConsumer"), ("a Kafka broker", {"start"})),
}
NOT_CONNECTING = {"pipeline", "pubsub", "lock", "close", "aclose"}
HTTP_CALLS = {f"{lib}.{verb}" for lib in ("requests", "httpx")
              for verb in ("get", "post", "put", "patch", "delete", "head", "options", "request")}

# The top-level packages those calls come from: a file that never names one cannot make one.
LIBRARIES = frozenset(name.split(".")[0] for name in (*CONNECTS, *LAZY, *HTTP_CALLS))
