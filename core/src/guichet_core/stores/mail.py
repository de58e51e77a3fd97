"""Sending a notification by e-mail: the ``Mailer`` port, SMTP, and a Maildir on one machine.

Each mail carries a ``Message-ID`` derived from its notification id, so that a receiving
server can drop the duplicate of a mail sent again after a crash.
"""

from __future__ import annotations

import asyncio
import mailbox
import os
import re
import uuid
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

import aiosmtplib

from guichet_core.kernel.settings import MAIL_DOMAIN, ServiceSettings

# The namespace of notification ids: a message id unfit for a file name is hashed in it.
_MAILDIR_NAMESPACE = uuid.UUID("6c1c5b0e-3f0a-5d7e-9a43-2b1f0c9e8d71")


class MailUnavailable(Exception):
    """The mail could not be handed over; the dispatcher retries it later."""


class Mailer(Protocol):
    async def send(self, *, message_id: str, to: str, subject: str, body: str) -> None: ...


def mail_message(*, message_id: str, sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """An RFC 5322 message whose ``Message-ID`` derives from the notification id."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{message_id}@{MAIL_DOMAIN}>"
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    return message


class SmtpMailer:
    """Hands mail to an SMTP server (aiosmtplib)."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        sender: str = f"noreply@{MAIL_DOMAIN}",
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._timeout = starttls, timeout

    async def send(self, *, message_id: str, to: str, subject: str, body: str) -> None:
        message = mail_message(
            message_id=message_id, sender=self.sender, to=to, subject=subject, body=body
        )
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self._username,
                password=self._password,
                start_tls=self._starttls,
                timeout=self._timeout,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise MailUnavailable(f"SMTP {self.host}:{self.port}: {error}") from error


class MaildirMailer:
    """Single-machine default: each mail is a file in a Maildir, named by its message id."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    async def send(self, *, message_id: str, to: str, subject: str, body: str) -> None:
        sender = f"noreply@{MAIL_DOMAIN}"
        message = mail_message(
            message_id=message_id, sender=sender, to=to, subject=subject, body=body
        )
        try:
            await asyncio.to_thread(self._write, message_id, message.as_bytes())
        except OSError as error:
            raise MailUnavailable(f"maildir {self.path}: {error}") from error

    def _write(self, message_id: str, content: bytes) -> None:
        key = (
            message_id
            if re.fullmatch(r"[A-Za-z0-9._-]{1,128}", message_id)
            else str(uuid.uuid5(_MAILDIR_NAMESPACE, message_id))
        )
        box = mailbox.Maildir(self.path, create=True)
        if key in box:  # already delivered (in new/, or read and moved to cur/)
            return
        temporary = self.path / "tmp" / f"{key}.{uuid.uuid4().hex}"
        temporary.write_bytes(content)
        try:
            os.link(temporary, self.path / "new" / key)  # atomic; fails if it exists
        except FileExistsError:
            pass
        finally:
            temporary.unlink()


def mailer_for(settings: ServiceSettings) -> Mailer:
    """The mail sender the settings' ``smtp`` section calls for: SMTP, else a Maildir."""
    smtp = settings.smtp
    if smtp.host is None:
        return MaildirMailer(settings.data_dir / "mail")
    password = smtp.password.get_secret_value() if smtp.password else None
    return SmtpMailer(
        smtp.host, smtp.port, smtp.sender, smtp.username, password, starttls=smtp.starttls
    )
