"""Notifications to the applicant (Art. 20 §5, Art. 24): e-box and e-mail, once each.

The service database is the ``event_store`` of the test (SQLite file or PostgreSQL
schema); the e-box lives in its own database on the same backend; mail goes to a real
SMTP server (aiosmtpd) on a free loopback port.
"""

from __future__ import annotations

import asyncio
import mailbox
import socket
from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from guichet_core.kernel.settings import ServiceSettings, SmtpSettings
from guichet_core.kernel.store.sql import SqlEventStore
from guichet_core.stores.ebox import (
    EBoxMessage,
    SqlEBox,
    ebox_messages,
    open_ebox,
)
from guichet_core.stores.notifications import (
    MaildirMailer,
    Notification,
    NotificationDispatcher,
    SmtpMailer,
    mailer_for,
    notification_id_for,
    notification_outbox,
    queue_notification,
)
from guichet_core.stores.shared_stores import shared_database
from guichet_core.stores.vault import MasterKey, PersonalDataVault, open_vault
from guichet_core.testing.queries import counted_queries

SENDER = "noreply@guichet.belgium.be"
NISS = "85073003328"


class Collector:
    """aiosmtpd handler keeping every message it accepted."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        parsed = [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]
        return [m for m in parsed if isinstance(m, EmailMessage)]


class SmtpServer:
    """A real SMTP server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.handler = Collector()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def platform_settings(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> ServiceSettings:
    master_key = MasterKey.generate().to_base64()
    if database_backend == "sqlite":
        return ServiceSettings(backend="embedded", data_dir=tmp_path / "var", master_key=master_key)
    return ServiceSettings(
        backend="postgres-kafka",
        data_dir=tmp_path / "var",
        database_url=request.getfixturevalue("postgres_url"),
        kafka_bootstrap="127.0.0.1:9",  # never contacted here
        namespace=request.getfixturevalue("pg_namespace"),
        master_key=master_key,
    )


@pytest.fixture
async def vault(platform_settings: ServiceSettings) -> AsyncIterator[PersonalDataVault]:
    opened, engine = await open_vault(platform_settings)
    try:
        yield opened
    finally:
        await engine.dispose()


@pytest.fixture
async def ebox(
    platform_settings: ServiceSettings, vault: PersonalDataVault
) -> AsyncIterator[SqlEBox]:
    box, engine = await open_ebox(platform_settings, vault)
    try:
        yield box
    finally:
        await engine.dispose()


def notification(
    cause: str = "event-1", *, email: str | None = "amina@example.org"
) -> Notification:
    return Notification(
        notification_id=notification_id_for(cause, "work-permit-refused", NISS),
        dossier_id="0f4b8a52-6f0e-4a7e-9d55-5d3f4b8f1c21",
        recipient=NISS,
        email=email,
        subject="Décision : permis unique refusé",
        body="Votre demande est refusée.\nMotifs : l'examen du marché de l'emploi (art. 9).",
        language="fr",
    )


def dispatcher(
    store: SqlEventStore, box: Any, mailer: Any, **options: Any
) -> NotificationDispatcher:
    options = {"first_retry": 0.05, **options}
    vault = box.vault if isinstance(box, SqlEBox) else box.inner.vault
    return NotificationDispatcher(store.engine, box, mailer, vault=vault, **options)


async def queue(store: SqlEventStore, box: Any, *notifications: Notification) -> None:
    vault = box.vault if isinstance(box, SqlEBox) else box.inner.vault
    async with store.unit_of_work() as uow:
        for item in notifications:
            await queue_notification(uow, item, vault=vault)


async def outbox_row(store: SqlEventStore, notification_id: str) -> Any:
    query = select(notification_outbox).where(
        notification_outbox.c.notification_id == notification_id
    )
    async with store.engine.connect() as connection:
        return (await connection.execute(query)).one()


async def until(condition: Any, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 (polls counters of a running task)
            await asyncio.sleep(0.02)


class CountingEBox:
    """The real e-box, counting deliveries; optionally 'crashing' after the first one."""

    def __init__(self, inner: SqlEBox, *, crash_after_first: bool = False) -> None:
        self.inner = inner
        self.calls = 0
        self._crash = crash_after_first

    async def deliver(self, message: EBoxMessage) -> None:
        self.calls += 1
        await self.inner.deliver(message)
        if self._crash and self.calls == 1:
            raise RuntimeError("dispatcher died before recording the delivery")

    async def messages_for(self, recipient: str) -> list[EBoxMessage]:
        return await self.inner.messages_for(recipient)

    async def mark_read(self, recipient: str, message_id: str) -> bool:
        return await self.inner.mark_read(recipient, message_id)


async def test_a_queued_notification_reaches_the_ebox_and_the_mail_server(
    event_store: SqlEventStore, ebox: SqlEBox, smtp: SmtpServer
) -> None:
    sent = notification()
    await queue(event_store, ebox, sent)
    mailer = SmtpMailer("127.0.0.1", smtp.port)
    worker = dispatcher(event_store, ebox, mailer)

    assert await worker.pending() == 1
    assert await worker.deliver_pending() == 1

    [message] = await ebox.messages_for(NISS)
    assert (message.message_id, message.dossier_id) == (sent.notification_id, sent.dossier_id)
    assert (message.subject, message.body, message.language) == (sent.subject, sent.body, "fr")
    assert message.delivered_at is not None and message.read_at is None
    [envelope] = smtp.handler.envelopes
    assert envelope.mail_from == SENDER and envelope.rcpt_tos == ["amina@example.org"]
    [mail] = smtp.handler.messages()
    assert mail["To"] == "amina@example.org" and mail["Subject"] == sent.subject
    assert mail["Message-ID"] == f"<{sent.notification_id}@guichet.belgium.be>"
    body = mail.get_body()
    assert body is not None and body.get_content().replace("\r\n", "\n").rstrip("\n") == sent.body
    row = await outbox_row(event_store, sent.notification_id)
    assert row.ebox_delivered_at is not None and row.email_delivered_at is not None
    assert (worker.delivered, worker.failures, worker.last_error) == (1, 0, None)

    assert await worker.deliver_pending() == 0  # nothing left, nothing sent twice
    assert await worker.pending() == 0
    assert len(smtp.handler.envelopes) == 1 and len(await ebox.messages_for(NISS)) == 1

    assert await ebox.mark_read(NISS, sent.notification_id)
    assert not await ebox.mark_read("someone-else", sent.notification_id)
    [read] = await ebox.messages_for(NISS)
    assert read.read_at is not None


async def test_an_idle_dispatcher_queries_nothing_and_a_wake_delivers_at_once(
    event_store: SqlEventStore, ebox: SqlEBox, smtp: SmtpServer
) -> None:
    # Art. 20 §5: a step is delivered to the e-box and by mail as soon as it is queued;
    # in between, the dispatcher waits for that wake-up, not in a busy poll.
    worker = dispatcher(event_store, ebox, SmtpMailer("127.0.0.1", smtp.port))
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.3)  # the first round, on an empty outbox
        with counted_queries(event_store.engine) as idle_queries:
            await asyncio.sleep(1.5)
        assert idle_queries == []
        await queue(event_store, ebox, notification())
        worker.wake()
        await until(lambda: worker.delivered == 1, timeout=2)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_without_an_email_address_only_the_ebox_is_used(
    event_store: SqlEventStore, ebox: SqlEBox, smtp: SmtpServer
) -> None:
    await queue(event_store, ebox, notification(email=None))
    worker = dispatcher(event_store, ebox, SmtpMailer("127.0.0.1", smtp.port))
    assert await worker.deliver_pending() == 1
    assert len(await ebox.messages_for(NISS)) == 1 and smtp.handler.envelopes == []
    assert await worker.pending() == 0


async def test_a_notification_of_a_rolled_back_unit_of_work_is_never_delivered(
    event_store: SqlEventStore, ebox: SqlEBox, smtp: SmtpServer
) -> None:
    with pytest.raises(RuntimeError):
        async with event_store.unit_of_work() as uow:
            await queue_notification(uow, notification(), vault=ebox.vault)
            raise RuntimeError("the decision failed")
    worker = dispatcher(event_store, ebox, SmtpMailer("127.0.0.1", smtp.port))
    assert await worker.pending() == 0
    assert await worker.deliver_pending() == 0
    assert await ebox.messages_for(NISS) == [] and smtp.handler.envelopes == []


async def test_queuing_the_same_notification_twice_delivers_it_once(
    event_store: SqlEventStore, ebox: SqlEBox, smtp: SmtpServer
) -> None:
    await queue(event_store, ebox, notification(), notification())  # same transaction
    await queue(event_store, ebox, notification())  # a redelivered event, handled again
    assert notification().notification_id == notification_id_for(
        "event-1", "work-permit-refused", NISS
    )
    assert notification("event-2").notification_id != notification().notification_id
    worker = dispatcher(event_store, ebox, SmtpMailer("127.0.0.1", smtp.port))
    assert await worker.pending() == 1
    assert await worker.deliver_pending() == 1
    assert await worker.deliver_pending() == 0
    assert len(await ebox.messages_for(NISS)) == 1 and len(smtp.handler.envelopes) == 1


async def test_while_smtp_is_down_the_ebox_gets_it_and_the_mail_is_retried_once_back(
    event_store: SqlEventStore, ebox: SqlEBox, smtp: SmtpServer
) -> None:
    smtp.stop()
    sent = notification()
    await queue(event_store, ebox, sent)
    counting = CountingEBox(ebox)
    worker = dispatcher(event_store, counting, SmtpMailer("127.0.0.1", smtp.port, timeout=2))

    assert await worker.deliver_pending() == 0
    assert len(await ebox.messages_for(NISS)) == 1  # the e-box does not wait for the mail
    row = await outbox_row(event_store, sent.notification_id)
    assert row.ebox_delivered_at is not None and row.email_delivered_at is None
    assert row.attempts == 1 and "MailUnavailable" in row.last_error
    assert worker.failures == 1 and worker.last_error is not None
    assert await worker.pending() == 1

    task = asyncio.create_task(worker.run())
    try:
        await until(lambda: worker.failures >= 3)  # retried with backoff while down
        smtp.start()
        await until(lambda: worker.delivered == 1)
        await asyncio.sleep(0.2)  # a few more polls: nothing is sent again
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()

    assert len(smtp.handler.envelopes) == 1
    [mail] = smtp.handler.messages()
    assert mail["Message-ID"] == f"<{sent.notification_id}@guichet.belgium.be>"
    assert counting.calls == 1 and len(await ebox.messages_for(NISS)) == 1
    row = await outbox_row(event_store, sent.notification_id)
    assert row.email_delivered_at is not None and row.attempts >= 3
    assert worker.last_error is None and await worker.pending() == 0


async def test_a_crash_between_ebox_delivery_and_its_mark_does_not_duplicate_the_message(
    event_store: SqlEventStore, ebox: SqlEBox, smtp: SmtpServer
) -> None:
    sent = notification()
    await queue(event_store, ebox, sent)
    crashing = CountingEBox(ebox, crash_after_first=True)
    worker = dispatcher(event_store, crashing, SmtpMailer("127.0.0.1", smtp.port), first_retry=0)

    assert await worker.deliver_pending() == 0  # delivered, then "crashed" before marking
    row = await outbox_row(event_store, sent.notification_id)
    assert row.ebox_delivered_at is None and len(await ebox.messages_for(NISS)) == 1

    assert await worker.deliver_pending() == 1  # delivers again: the e-box drops it
    assert await worker.deliver_pending() == 0
    assert crashing.calls == 2
    [message] = await ebox.messages_for(NISS)
    assert message.message_id == sent.notification_id
    assert len(smtp.handler.envelopes) == 1


async def test_two_dispatchers_deliver_each_notification_once(
    event_store: SqlEventStore, ebox: SqlEBox, smtp: SmtpServer
) -> None:
    sent = [notification(f"event-{n}") for n in range(10)]
    await queue(event_store, ebox, *sent)
    mailer = SmtpMailer("127.0.0.1", smtp.port)
    first, second = (dispatcher(event_store, ebox, mailer) for _ in range(2))
    done = await asyncio.gather(first.deliver_pending(), second.deliver_pending())
    assert sum(done) == 10
    assert len(await ebox.messages_for(NISS)) == 10
    ids = sorted(str(mail["Message-ID"]) for mail in smtp.handler.messages())
    assert ids == sorted(f"<{n.notification_id}@guichet.belgium.be>" for n in sent)


async def test_the_ebox_has_its_own_database_and_several_services_may_open_it(
    platform_settings: ServiceSettings, vault: PersonalDataVault
) -> None:
    config = shared_database(platform_settings, "ebox")
    if config.is_sqlite:
        assert config.url.endswith("/var/ebox.sqlite3")
    else:
        assert config.schema == platform_settings.named("ebox")
    opened = await asyncio.gather(*(open_ebox(platform_settings, vault) for _ in range(3)))
    try:
        await opened[0][0].deliver(EBoxMessage("m-1", NISS, "d-1", "s", "b", "nl"))
        assert [m.message_id for m in await opened[2][0].messages_for(NISS)] == ["m-1"]
    finally:
        for _, engine in opened:
            await engine.dispose()


async def test_maildir_mailer_writes_one_rfc5322_file_per_message_id(tmp_path: Path) -> None:
    mailer = MaildirMailer(tmp_path / "mail")
    sent = notification()
    for _ in range(2):
        await mailer.send(
            message_id=sent.notification_id,
            to="amina@example.org",
            subject=sent.subject,
            body=sent.body,
        )
    files = list((tmp_path / "mail" / "new").iterdir())
    assert [f.name for f in files] == [sent.notification_id]
    mail = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Subject"] == sent.subject and mail["To"] == "amina@example.org"
    assert mail["Message-ID"] == f"<{sent.notification_id}@guichet.belgium.be>"
    body = mail.get_body()
    assert body is not None and body.get_content().replace("\r\n", "\n").rstrip("\n") == sent.body

    box = mailbox.Maildir(tmp_path / "mail", create=False)  # the applicant's client reads it
    message = box[sent.notification_id]
    message.set_subdir("cur")
    message.add_flag("S")
    box[sent.notification_id] = message
    await mailer.send(message_id=sent.notification_id, to="a@example.org", subject="s", body="b")
    await mailer.send(message_id="other-id", to="a@example.org", subject="s", body="b")
    assert sorted(box.keys()) == sorted([sent.notification_id, "other-id"])
    assert list((tmp_path / "mail" / "tmp").iterdir()) == []


def test_without_an_smtp_host_mail_lands_in_the_data_dir(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path / "var", smtp=SmtpSettings(host=None))
    maildir = mailer_for(settings)
    assert isinstance(maildir, MaildirMailer) and maildir.path == tmp_path / "var" / "mail"
    relayed = SmtpSettings(host="mail.example.org", port=587)
    smtp = mailer_for(settings.model_copy(update={"smtp": relayed}))
    assert isinstance(smtp, SmtpMailer) and (smtp.host, smtp.port) == ("mail.example.org", 587)


def test_the_language_is_one_of_the_four(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="language"):
        Notification("id", "d", NISS, None, "s", "b", "es")  # type: ignore[arg-type]


class RefusingRecipients(Collector):
    """A mail server that refuses the recipient and quotes the address back, as many do."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return f"550 5.1.1 <{address}>: recipient unknown"


async def test_a_failed_delivery_stores_the_error_type_only(
    event_store: SqlEventStore, ebox: SqlEBox
) -> None:
    """GDPR Art. 5 §1 f and Art. 32: ``last_error`` (a column operators read, and
    /health) keeps the exception's type, never the address or text a server quoted."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    refusing = Controller(RefusingRecipients(), hostname="127.0.0.1", port=port)
    refusing.start()
    try:
        sent = notification()
        await queue(event_store, ebox, sent)
        worker = dispatcher(event_store, ebox, SmtpMailer("127.0.0.1", port, timeout=2))
        assert await worker.deliver_pending() == 0
    finally:
        refusing.stop()
    row = await outbox_row(event_store, sent.notification_id)
    assert row.attempts == 1 and row.last_error == "MailUnavailable"
    assert worker.last_error == "MailUnavailable"


async def test_bodies_wait_sealed_and_an_erased_dossier_is_never_notified(
    event_store: SqlEventStore, ebox: SqlEBox, smtp: SmtpServer
) -> None:
    # Art. 24, 27: the reasons in a body are sealed with the dossier's key in the outbox
    # and in the e-box; once the key is destroyed nothing is delivered, nothing is shown.
    sent, erased = notification("event-1"), notification("event-2")
    erased = Notification(**{**vars(erased), "dossier_id": "7d1e2c4a-erased"})
    await queue(event_store, ebox, sent, erased)
    reason = "examen du marché de l'emploi"
    for item in (sent, erased):
        row = await outbox_row(event_store, item.notification_id)
        assert reason not in str(tuple(row)) and row.sealed_body["alg"] == "AES-256-GCM"
    await ebox.vault.shred(erased.dossier_id)
    worker = dispatcher(event_store, ebox, SmtpMailer("127.0.0.1", smtp.port))
    assert await worker.deliver_pending() == 1
    assert [m.message_id for m in await ebox.messages_for(NISS)] == [sent.notification_id]
    assert len(smtp.handler.envelopes) == 1 and await worker.pending() == 0
    async with ebox.engine.connect() as connection:
        stored = (await connection.execute(select(ebox_messages))).one()
    assert reason not in str(tuple(stored))
    await ebox.vault.shred(sent.dossier_id)
    assert await ebox.messages_for(NISS) == []
