import json

from kafka import KafkaConsumer

from consumer.handle import handle


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


def main():
    consumer = _polyfix_retry(lambda: KafkaConsumer("orders", bootstrap_servers="redpanda:9092", group_id="worker"))
    for message in consumer:
        handle(json.loads(message.value))


if __name__ == "__main__":
    main()
