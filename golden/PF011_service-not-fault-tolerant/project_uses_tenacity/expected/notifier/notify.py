import pika

from mailer import send
import tenacity

connection = tenacity.Retrying(stop=tenacity.stop_after_delay(60), wait=tenacity.wait_exponential(max=5), reraise=True)(lambda: pika.BlockingConnection(pika.ConnectionParameters(host="rabbitmq")))
channel = connection.channel()
channel.basic_consume("notifications", lambda ch, method, props, body: send(body), auto_ack=True)
channel.start_consuming()
