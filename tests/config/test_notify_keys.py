"""The alert and webhook keys in sources.toml, validated with FILE:LINE."""

from __future__ import annotations

from pathlib import Path

from aggregator.config import check_config, load_config
from aggregator.config.types import WEBHOOK_EVENTS

GOOD = """[settings]
smtp_url = "smtp://mail.example.org:587"
smtp_from = "feeds@example.org"
alert_emails = ["admin@example.org"]
alert_after_failures = 3
alert_idle = "30d"

[[webhook]]
url = "https://site.example.org/hooks/feeds"
secret = "a-long-enough-secret"
events = ["publish"]

[[webhook]]
url = "https://other.example.org/hook"
secret = "another-long-secret"
"""

BAD = """[settings]
smtp_url = "http://mail.example.org"
smtp_from = "feeds"
alert_emails = ["admin@example.org", "nobody"]
alert_after_failures = 0
alert_idle = "soon"

[[webhook]]
url = "ftp://site.example.org/"
secret = "short"
events = ["publish", "everything"]
colour = "red"
"""


def test_the_keys_are_read(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(GOOD)
    config = load_config(path)
    settings = config.settings
    assert (settings.smtp_url, settings.smtp_from) == (
        "smtp://mail.example.org:587",
        "feeds@example.org",
    )
    assert settings.alert_emails == ("admin@example.org",)
    assert (settings.alert_after_failures, settings.alert_idle) == (3, 30 * 86400.0)
    assert [(w.url, w.events) for w in config.webhooks] == [
        ("https://site.example.org/hooks/feeds", ("publish",)),
        ("https://other.example.org/hook", WEBHOOK_EVENTS),
    ]


def test_defaults_without_the_keys(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text("[settings]\n")
    config = load_config(path)
    assert config.webhooks == () and config.settings.alert_emails == ()
    assert config.settings.alert_after_failures == 5
    assert config.settings.alert_idle == 120 * 86400.0


def test_every_problem_is_reported_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(BAD)
    found = [(error.line, error.message.split(":")[1].strip()) for error in check_config(path)]
    assert found == [
        (2, "smtp_url"),
        (3, "smtp_from"),
        (4, "alert_emails"),
        (5, "alert_after_failures"),
        (6, "alert_idle"),
        (9, "url"),
        (10, "secret"),
        (11, "events"),
        (12, 'unknown key "colour"'),
    ]


def test_alert_emails_need_an_smtp_server(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[settings]\nalert_emails = ["admin@example.org"]\n')
    (error,) = check_config(path)
    assert error.line == 2 and "needs smtp_url and smtp_from" in error.message
