import smtplib

from tenacity import retry, stop_after_attempt


@retry(stop=stop_after_attempt(5))
def send(body):
    with smtplib.SMTP("mailpit", 1025) as smtp:
        smtp.sendmail("app@example.com", ["ops@example.com"], body)
