"""Notifications to the applicant: queued with the decision, delivered by the deciding service.

Art. 20 §5: every step that concerns the applicant is delivered to the applicant's e-box
and by e-mail. Art. 24: the full text of a negative decision goes only to the applicant,
point to point, by the service that decides: a notification is written into that
service's own ``notification_outbox`` in the transaction of the decision
(``queue_notification``) and the service's ``NotificationDispatcher`` delivers it from
there. It never travels on a shared topic.

The body, which may carry a negative decision's reasons, is sealed in the outbox with
the dossier's key (``sealed_body``) and opened only to be delivered: once the key is
destroyed (Art. 27) an undelivered notification is dropped, never sent.

Each channel is marked delivered right after it succeeds, so a retry never re-sends a
channel that already went out. A crash between a delivery and its mark re-delivers that
one channel: the e-box drops a message id it already holds; the e-mail carries a
deterministic ``Message-ID`` so a receiving server can drop the duplicate.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import sqlalchemy as sa
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_contracts.vocabulary import Language
from guichet_core.kernel.retry import Backoff
from guichet_core.kernel.scrub import error_type
from guichet_core.kernel.settings import MAIL_DOMAIN
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.kernel.store.upsert import insert_missing
from guichet_core.kernel.worker import IDLE, NOW, PollingWorker
from guichet_core.stores.ebox import EBox, EBoxMessage, open_body, seal_body
from guichet_core.stores.mail import (
    MaildirMailer,
    Mailer,
    MailUnavailable,
    SmtpMailer,
    mail_message,
    mailer_for,
)
from guichet_core.stores.vault import PersonalDataVault

__all__ = [  # the mail names stay importable from here, where they always were
    "MAIL_DOMAIN",
    "MailUnavailable",
    "MaildirMailer",
    "Mailer",
    "Notification",
    "NotificationDispatcher",
    "SmtpMailer",
    "mail_message",
    "mailer_for",
    "notification_id_for",
    "queue_notification",
]

log = logging.getLogger(__name__)

NOTIFICATION_NAMESPACE = uuid.UUID("6c1c5b0e-3f0a-5d7e-9a43-2b1f0c9e8d71")

notification_outbox = sa.Table(  # created by the migration core_0002
    "notification_outbox",
    sa.MetaData(),
    sa.Column("notification_id", sa.String(64), primary_key=True),
    *(sa.Column(name, sa.String(64), nullable=False) for name in ("dossier_id", "recipient")),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("subject", sa.String(500), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # empty once sealed (core_0003)
    sa.Column("sealed_body", sa.JSON, nullable=True),
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ebox_delivered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("email_delivered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
)
_t = notification_outbox.c
UNDELIVERED = or_(
    _t.ebox_delivered_at.is_(None), _t.email.is_not(None) & _t.email_delivered_at.is_(None)
)


@dataclass(frozen=True)
class Notification:
    notification_id: str  # see ``notification_id_for``
    dossier_id: str
    recipient: str  # the applicant's subject id: NISS or enterprise number
    email: str | None
    subject: str
    body: str
    language: Language

    def __post_init__(self) -> None:
        if self.language not in get_args(Language):
            raise ValueError(f"unsupported language {self.language!r}")


def notification_id_for(cause_event_id: object, purpose: str, recipient: str) -> str:
    """The same cause, purpose and recipient always give the same id (re-queuing is a no-op)."""
    return str(uuid.uuid5(NOTIFICATION_NAMESPACE, f"{cause_event_id}\x1f{purpose}\x1f{recipient}"))


async def queue_notification(
    uow: UnitOfWork, notification: Notification, *, vault: PersonalDataVault
) -> None:
    """Queue in the unit of work's transaction: delivered only if the decision commits.
    The body is stored sealed with the dossier's key."""
    now = datetime.now(UTC)
    sealed = await seal_body(vault, notification.dossier_id, notification.body)
    row = {
        **vars(notification),
        "body": "",
        "sealed_body": sealed,
        "created_at": now,
        "next_attempt_at": now,
        "attempts": 0,
    }
    await insert_missing(uow.connection, notification_outbox, [row])


class NotificationDispatcher:
    """Delivers the service's queued notifications: e-box first, then e-mail, with retries.

    A row is claimed with a lease (``next_attempt_at`` pushed ``lease`` seconds ahead) so
    two replicas never deliver it at the same time; after a failure it is due again after
    the platform's backoff (``first_retry`` doubled per attempt, at most ``max_backoff``).
    It runs on a ``PollingWorker``: woken by each commit that queued a notification, it
    otherwise sleeps until the next retry falls due (``idle`` seconds at most).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        ebox: EBox,
        mailer: Mailer,
        *,
        vault: PersonalDataVault,
        batch_size: int = 100,
        idle: float = 5.0,
        max_backoff: float = 300,
        first_retry: float = 1.0,
        lease: float = 120.0,
    ) -> None:
        self._engine, self._ebox, self._mailer, self._vault = engine, ebox, mailer, vault
        self._batch_size, self._lease = batch_size, lease
        self._backoff = Backoff(first=first_retry, cap=max_backoff)
        self._worker = PollingWorker(
            "notifications",
            self._round,
            idle=idle,
            backoff=self._backoff,
            on_failure=self._failed,
        )
        self.delivered = 0
        self.failures = 0
        self.last_error: str | None = None

    def wake(self) -> None:
        """Called after a commit that queued notifications, so they leave without a poll."""
        self._worker.wake()

    async def pending(self) -> int:
        """Notifications with a channel still to deliver (for /health)."""
        query = select(func.count()).select_from(notification_outbox).where(UNDELIVERED)
        async with self._engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def deliver_pending(self) -> int:
        """Deliver the due notifications once; return how many are now fully delivered."""
        now = datetime.now(UTC)
        query = (
            select(_t.notification_id)
            .where(UNDELIVERED & (_t.next_attempt_at <= now))
            .order_by(_t.next_attempt_at, _t.created_at)
            .limit(self._batch_size)
        )
        async with self._engine.connect() as connection:
            due = list((await connection.execute(query)).scalars())
        done = 0
        for notification_id in due:
            row = await self._claim(notification_id)
            if row is not None and await self._deliver(row):
                done += 1
        self.delivered += done
        return done

    async def _claim(self, notification_id: str) -> Any:
        now = datetime.now(UTC)
        claim = (
            update(notification_outbox)
            .where(
                (_t.notification_id == notification_id) & UNDELIVERED & (_t.next_attempt_at <= now)
            )
            .values(next_attempt_at=now + timedelta(seconds=self._lease))
            .returning(*notification_outbox.c)
        )
        async with self._engine.begin() as connection:
            return (await connection.execute(claim)).first()  # None: delivered or claimed meanwhile

    async def _deliver(self, row: Any) -> bool:
        key = _t.notification_id == row.notification_id
        try:
            body = await open_body(self._vault, row.dossier_id, row.sealed_body, row.body)
            if body is None:  # the dossier was erased (Art. 27): nothing may be sent now
                async with self._engine.begin() as connection:
                    await connection.execute(notification_outbox.delete().where(key))
                return False
            if row.ebox_delivered_at is None:
                await self._ebox.deliver(
                    EBoxMessage(
                        message_id=row.notification_id,
                        recipient=row.recipient,
                        dossier_id=row.dossier_id,
                        subject=row.subject,
                        body=body,
                        language=row.language,
                    )
                )
                await self._mark(key, ebox_delivered_at=datetime.now(UTC))
            if row.email is not None and row.email_delivered_at is None:
                await self._mailer.send(
                    message_id=row.notification_id, to=row.email, subject=row.subject, body=body
                )
                await self._mark(key, email_delivered_at=datetime.now(UTC))
        except Exception as error:  # e-box or mail server down, or a database hiccup
            self.failures += 1
            self.last_error = error_type(error)
            delay = self._backoff.delay(row.attempts + 1)
            log.warning(
                "notification %s: delivery failed, retrying in %.1fs: %s",
                row.notification_id,
                delay,
                error,
            )
            with contextlib.suppress(Exception):  # if this fails too, the lease expires
                await self._mark(
                    key,
                    attempts=_t.attempts + 1,
                    last_error=self.last_error[:2000],
                    next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay),
                )
            return False
        self.last_error = None
        return True

    async def _mark(self, key: Any, **values: Any) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(update(notification_outbox).where(key).values(**values))

    async def run(self) -> None:
        await self._worker.run()

    async def _round(self) -> float | None:
        if await self.deliver_pending():
            return NOW  # more may be waiting
        return await self._seconds_until_due()

    async def _seconds_until_due(self) -> float | None:
        """When the next undelivered notification falls due (a retry), or IDLE."""
        query = select(func.min(_t.next_attempt_at)).where(UNDELIVERED)
        async with self._engine.connect() as connection:
            due = (await connection.execute(query)).scalar_one()
        if due is None:
            return IDLE
        if due.tzinfo is None:  # SQLite keeps no time zone; we store UTC
            due = due.replace(tzinfo=UTC)
        seconds: float = (due - datetime.now(UTC)).total_seconds()
        return max(seconds, 0.05)

    def _failed(self, error: Exception) -> None:  # the service database is unreachable
        self.failures += 1
        self.last_error = error_type(error)
