import pika

from mailer import send

connection = pika.BlockingConnection(pika.ConnectionParameters(host="rabbitmq"))
channel = connection.channel()
channel.basic_consume("notifications", lambda ch, method, props, body: send(body), auto_ack=True)
channel.start_consuming()
