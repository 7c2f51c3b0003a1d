"""Every SMTP reply we send, with its enhanced status code (RFC 3463), in one place."""

OK_MAIL = "250 2.1.0 Sender OK"
OK_RCPT = "250 2.1.5 Recipient OK"
UNKNOWN_RECIPIENT = "550 5.1.1 No such inbox here"
SENDER_NOT_ALLOWED = "550 5.7.1 Sender not allowed to send to this inbox"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
QUOTA_EXCEEDED = "452 4.2.2 Mailbox full: this inbox's monthly document quota is used up"
MESSAGE_TOO_LARGE = "552 5.3.4 Message size exceeds fixed maximum message size"
TRY_AGAIN = "451 4.3.0 Temporary failure storing the message, try again later"

# Operations: TLS, limits and timeouts of a public MX.
TLS_REQUIRED = "530 5.7.0 Must issue a STARTTLS command first"
IDLE_TIMEOUT = "421 4.4.2 Timeout waiting for a command, closing connection"
DATA_TIMEOUT = "421 4.4.2 Time limit for the message data exceeded, closing connection"
TOO_MANY_CONNECTIONS = "421 4.7.0 Too many connections from your address, try again later"
TOO_MANY_MAILS = "421 4.7.0 Too many mails from your address, try again later"
TOO_MANY_ERRORS = "421 4.7.0 Too many errors, closing connection"
TOO_BUSY = "421 4.3.2 Too many connections, try again later"
SHUTTING_DOWN = "421 4.3.2 Shutting down, try again later"
DMARC_FAILED = "550 5.7.1 Mail failed the DMARC check of its sender's domain"
AUTH_TRY_AGAIN = "451 4.4.3 Cannot check who sent this mail now (DNS), try again later"


def queued(message_id: str) -> str:
    return f"250 2.0.0 Ok: queued as {message_id}"


def bad_sender(problem: str) -> str:
    return f"553 5.1.7 Sender address {problem}"


def bad_recipient(problem: str) -> str:
    return f"553 5.1.3 Recipient address {problem}"
