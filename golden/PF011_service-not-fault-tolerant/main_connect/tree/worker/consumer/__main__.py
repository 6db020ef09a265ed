import json

from kafka import KafkaConsumer

from consumer.handle import handle


def main():
    consumer = KafkaConsumer("orders", bootstrap_servers="redpanda:9092", group_id="worker")
    for message in consumer:
        handle(json.loads(message.value))


if __name__ == "__main__":
    main()
