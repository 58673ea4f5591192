"""Sending one email over SMTP: `smtp://host:587` with STARTTLS, `smtps://host:465` with TLS
from the start; the user comes from the URL, the password from AGGREGATOR_SMTP_PASSWORD."""

from __future__ import annotations

import ipaddress
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from aggregator.notify.webhook import DeliveryError

PASSWORD_ENV = "AGGREGATOR_SMTP_PASSWORD"
TIMEOUT = 30.0


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True)
class SmtpServer:
    url: str
    sender: str

    def send(self, mail: Mail) -> None:
        """Send `mail`; DeliveryError (permanent for a 5xx refusal) when the server refuses."""
        try:
            with self._connect() as smtp:
                smtp.send_message(_message(self.sender, mail))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(f"refused {mail.to}: {codes}", permanent=min(codes) >= 500) from exc
        except smtplib.SMTPResponseException as exc:
            text = f"SMTP {exc.smtp_code} for {mail.to}: {exc.smtp_error!r}"
            raise DeliveryError(text, permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self._where()} failed: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if parts.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(host, parts.port or 465, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(host, parts.port or 587, timeout=TIMEOUT)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif not _loopback(host):  # never send a password or addresses in the clear
                smtp.close()
                raise DeliveryError(f"{host} does not offer STARTTLS", permanent=False)
        password = os.environ.get(PASSWORD_ENV)
        if parts.username and password:
            smtp.login(unquote(parts.username), password)
        return smtp

    def _where(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port or ''}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _message(sender: str, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    for name, value in (mail.headers or {}).items():
        message[name] = value
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    return message
