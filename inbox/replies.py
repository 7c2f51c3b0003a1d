"""Every SMTP reply we send, with its enhanced status code (RFC 3463), in one place."""

OK_MAIL = "250 2.1.0 Sender OK"
OK_RCPT = "250 2.1.5 Recipient OK"
UNKNOWN_RECIPIENT = "550 5.1.1 No such inbox here"
SENDER_NOT_ALLOWED = "550 5.7.1 Sender not allowed to send to this inbox"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
QUOTA_EXCEEDED = "452 4.2.2 Mailbox full: this inbox's monthly document quota is used up"
MESSAGE_TOO_LARGE = "552 5.3.4 Message size exceeds fixed maximum message size"
LINE_TOO_LONG = "500 5.5.2 Line too long"
TRY_AGAIN = "451 4.3.0 Temporary failure storing the message, try again later"


def queued(message_id: str) -> str:
    return f"250 2.0.0 Ok: queued as {message_id}"
