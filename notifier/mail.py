"""Email over SMTP with aiosmtplib: a small pool of reused connections, so a burst of
messages costs one handshake per connection rather than one per message.

The MIME body (subject, text and HTML parts) is built once per distinct content: every user
told of one package event gets the same words, and the email package's header machinery was
the largest share of a worker's time in a burst. Each message then only prefixes its own
From, To, Date and Message-ID lines to those bytes."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from functools import lru_cache

import aiosmtplib

from config import Smtp
from notifier.errors import PermanentError, TransientError
from notifier.render import Email

log = logging.getLogger("notifier.mail")
POOL_SIZE = 4
TIMEOUT_S = 10.0
CHECK_IDLE_AFTER_S = 30.0  # servers drop idle sessions; probe one this old before reuse


@dataclass(frozen=True)
class OutgoingEmail:
    notification_id: str
    to: str
    content: Email


def message_id(mail_from: str, notification_id: str) -> str:
    # Stable per notification: a resend after an unknown outcome carries the same id, and
    # mail stores and clients collapse copies that share a Message-ID.
    domain = mail_from.rpartition("@")[2] or "localhost"
    return f"<{notification_id}@{domain}>"


def build_message(mail_from: str, outgoing: OutgoingEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = outgoing.to
    message["Subject"] = outgoing.content.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(mail_from, outgoing.notification_id)
    message.set_content(outgoing.content.text)
    message.add_alternative(outgoing.content.html, subtype="html")
    return message


@lru_cache(maxsize=256)
def _body(subject: str, text: str, html: str) -> bytes:
    """Subject, MIME headers and the two parts, as sent (CRLF, folded, encoded)."""
    message = EmailMessage()
    message["Subject"] = subject
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message.as_bytes(policy=SMTP)


def _plain(value: str) -> bool:
    return value.isascii() and value.isprintable() and len(value) < 900


def raw_message(mail_from: str, outgoing: OutgoingEmail) -> bytes | None:
    """The message as bytes, its own header lines before the shared body; None when an
    address needs the email package's encoding (then build_message does it all)."""
    if not (_plain(mail_from) and _plain(outgoing.to)):
        return None
    own = (f"From: {mail_from}\r\nTo: {outgoing.to}\r\nDate: {formatdate(usegmt=True)}\r\n"
           f"Message-ID: {message_id(mail_from, outgoing.notification_id)}\r\n")
    content = outgoing.content
    return own.encode("ascii") + _body(content.subject, content.text, content.html)


class _Connection:
    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client
        self.last_used = time.monotonic()


class SmtpSender:
    def __init__(self, smtp: Smtp, pool_size: int = POOL_SIZE) -> None:
        self.smtp = smtp
        self.slots = asyncio.Semaphore(pool_size)
        self.idle: list[_Connection] = []  # at most pool_size, guarded by the semaphore

    async def _connect(self) -> _Connection:
        client = aiosmtplib.SMTP(
            hostname=self.smtp.host, port=self.smtp.port, timeout=TIMEOUT_S, start_tls=self.smtp.starttls,
            username=self.smtp.username, password=self.smtp.password,
            # Certificates are checked whenever the connection is upgraded (required or offered).
            tls_context=None if self.smtp.starttls is False else ssl.create_default_context(),
        )
        await client.connect()
        return _Connection(client)

    async def _take(self) -> _Connection:
        while self.idle:
            conn = self.idle.pop()
            if not conn.client.is_connected:
                continue
            if time.monotonic() - conn.last_used > CHECK_IDLE_AFTER_S:
                try:
                    await conn.client.noop()
                except (aiosmtplib.SMTPException, OSError):
                    conn.client.close()
                    continue
            return conn
        return await self._connect()

    async def send(self, mail_from: str, outgoing: OutgoingEmail) -> str:
        raw = raw_message(mail_from, outgoing)
        message = build_message(mail_from, outgoing) if raw is None else None
        async with self.slots:
            conn: _Connection | None = None
            try:
                conn = await self._take()
                if raw is not None:
                    await conn.client.sendmail(mail_from, [outgoing.to], raw)
                else:
                    await conn.client.send_message(message)
            except aiosmtplib.SMTPResponseException as exc:
                _discard(conn)
                if exc.code >= 500:
                    raise PermanentError(f"SMTP refused the message ({exc.code})") from exc
                raise TransientError(f"SMTP deferred the message ({exc.code})") from exc
            except aiosmtplib.SMTPRecipientsRefused as exc:
                _discard(conn)
                raise PermanentError("SMTP refused the recipient") from exc
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
                _discard(conn)
                raise TransientError(f"SMTP unavailable ({type(exc).__name__})") from exc
            conn.last_used = time.monotonic()
            self.idle.append(conn)
        return message_id(mail_from, outgoing.notification_id)

    async def close(self) -> None:
        idle, self.idle = self.idle, []
        for conn in idle:
            try:
                await conn.client.quit()
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
                conn.client.close()


def _discard(conn: _Connection | None) -> None:
    if conn is not None and conn.client.is_connected:
        conn.client.close()
