"""Settings are validated at start, and every error names the setting."""

from __future__ import annotations

import pytest

from inbox.cli import SETTING_FLAGS
from inbox.config import ConfigError, Settings


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"INBOX_LOG_FORMAT": "xml"}, "INBOX_LOG_FORMAT"),
        ({"INBOX_DNS_SERVERS": "127.0.0.1:0"}, "INBOX_DNS_SERVERS"),
        ({"INBOX_DNS_TIMEOUT": "0"}, "INBOX_DNS_TIMEOUT"),
        ({"INBOX_SMTP_TIMEOUT": "-1"}, "INBOX_SMTP_TIMEOUT"),
        ({"INBOX_MAX_CONNECTIONS_PER_IP": "0"}, "INBOX_MAX_CONNECTIONS_PER_IP"),
        ({"INBOX_MAILS_PER_MINUTE_PER_IP": "many"}, "INBOX_MAILS_PER_MINUTE_PER_IP"),
        ({"INBOX_REQUIRE_TLS": "maybe"}, "INBOX_REQUIRE_TLS"),
        ({"INBOX_TRUSTED_PROXIES": "10.0.0.1, proxy.local"}, "INBOX_TRUSTED_PROXIES: 'proxy.local'"),
        ({"INBOX_RELAY_URL": "mail.example.com:25"}, "INBOX_RELAY_URL"),
        ({"INBOX_RELAY_URL": "smtp://relay.example:99999"}, "INBOX_RELAY_URL: has no valid port"),
        ({"INBOX_RELAY_FROM": "not an address"}, "INBOX_RELAY_FROM"),
        ({"INBOX_PUBLIC_URL": "inbox.example.com"}, "INBOX_PUBLIC_URL"),
    ],
)
def test_a_bad_value_is_refused_naming_the_setting(environ, named):
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(environ)


def test_every_setting_is_a_flag_too():
    assert sorted(SETTING_FLAGS.values()) == sorted(f for f in Settings.__dataclass_fields__)
    assert SETTING_FLAGS["--mails-per-minute-per-ip"] == "mails_per_minute_per_ip"


def test_flags_win_over_the_environment():
    settings = Settings.from_env({"INBOX_SMTP_TIMEOUT": "10"}, smtp_timeout="20")
    assert settings.smtp_timeout == 20.0


def test_a_bad_relay_url_is_named_without_its_password():
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"INBOX_RELAY_URL": "smtps://user:s3cret@relay.example:465"})
    assert "INBOX_RELAY_URL" in str(refused.value) and "s3cret" not in str(refused.value)


def test_links_in_mail_use_the_public_url_else_the_listening_address():
    assert Settings.from_env({}).web_url == "http://127.0.0.1:8000"
    assert Settings.from_env({"INBOX_PUBLIC_URL": "https://inbox.example.com/"}).web_url == (
        "https://inbox.example.com"
    )
    assert Settings.from_env({}, mail_domain="in.example").mail_from == "invoice-inbox@in.example"
