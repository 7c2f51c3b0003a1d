"""Every SMTP reply we send, with its enhanced status code (RFC 3463), in one place."""

import re

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


# aiosmtpd's own protocol replies have no enhanced code; these are the ones Postfix gives for the
# same cases. Any other 4xx/5xx gets the class's "other" code.
_PROTOCOL_CODES = {
    "220": "2.0.0",  # ready to start TLS
    "221": "2.0.0",
    "250": "2.0.0",
    "252": "2.0.0",
    "454": "4.7.0",
    "500": "5.5.2",
    "501": "5.5.4",
    "502": "5.5.1",
    "503": "5.5.1",
    "504": "5.5.4",
    "552": "5.3.4",
    "555": "5.5.4",
}
_HAS_CODE = re.compile(r"\d{3} [245]\.\d{1,3}\.\d{1,3}( |$)")
# 250 lines that answer a command other than EHLO/HELO (whose lines carry no code).
_PLAIN_250 = ("250 OK", "250 Supported commands:", "250 Syntax:")


def with_enhanced_code(reply: str) -> str:
    """`reply` with an enhanced code in front of its text, as RFC 2034 asks of a server that
    advertises ENHANCEDSTATUSCODES: all replies but the greeting, EHLO/HELO's, and the
    intermediate 334 and 354; lines of a multi-line reply stay as they are."""
    code = reply[:3]
    if reply[3:4] != " " or _HAS_CODE.match(reply) or code in ("334", "354"):
        return reply
    if code == "220" and reply != "220 Ready to start TLS":
        return reply  # the greeting
    if code == "250" and not reply.startswith(_PLAIN_250):
        return reply  # EHLO's last line, HELO's
    enhanced = _PROTOCOL_CODES.get(code, f"{code[0]}.0.0")
    return f"{code} {enhanced} {reply[4:]}"
