"""Every SMTP reply we send, with its enhanced status code (RFC 3463), in one place."""

MESSAGE_TOO_LARGE = "552 5.3.4 Message size exceeds fixed maximum message size"
LINE_TOO_LONG = "500 5.5.2 Line too long"
