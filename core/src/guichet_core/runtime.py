"""What a service's lifespan builds, and how it starts and stops it.

``start_runtime`` creates the engine, migrates, opens the shared stores, starts the
outbox relay, the notification dispatcher (for a service that notifies) and the
consumers; ``stop_runtime`` stops them, each step bounded. Nothing is created at import.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_contracts.topics import ACCESS_REFUSALS_TOPIC, RETENTION_TOPIC
from guichet_core.http.revocation import RevocationList, open_revocations
from guichet_core.kernel.bus import make_bus as make_bus  # re-exported: services import it here
from guichet_core.kernel.bus.port import Bus, Publisher
from guichet_core.kernel.consumer import EventConsumer, Handler, dead_letter_topic
from guichet_core.kernel.relay import OutboxRelay
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.kernel.store.database import DatabaseConfig, create_engine, migrate
from guichet_core.kernel.store.sql import SqlEventStore, UnitOfWork, event_store_for
from guichet_core.spec import ServiceSpec, SubscriptionSpec
from guichet_core.stores.ebox import SqlEBox, open_ebox
from guichet_core.stores.idempotency import IdempotencyStore, fence
from guichet_core.stores.notifications import NotificationDispatcher, mailer_for
from guichet_core.stores.vault import PersonalDataVault, open_vault

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notifier:
    """How a service that notifies tells applicants: the e-box and the dispatcher."""

    ebox: SqlEBox
    dispatcher: NotificationDispatcher


@dataclass
class Runtime:
    """What the lifespan built; routes reach it through ``deps``."""

    spec: ServiceSpec
    settings: ServiceSettings
    engine: AsyncEngine
    store: SqlEventStore
    bus: Bus
    publisher: Publisher
    relay: OutboxRelay
    vault: PersonalDataVault
    revocations: RevocationList  # revoked tokens, shared by every service
    idempotency: IdempotencyStore  # the Idempotency-Key of POSTs
    notifier: Notifier | None = None  # None: the service notifies nobody (spec.notifies)
    platform_engines: list[AsyncEngine] = field(default_factory=list)  # the shared stores
    deps: object = None  # what the service's ``bootstrap`` built (its own typed set)
    consumers: list[EventConsumer] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def topic(self) -> str:
        """The topic this service publishes to, in its namespace."""
        return self.settings.named(self.spec.topic)

    @property
    def ebox(self) -> SqlEBox:
        return self._notifier().ebox

    @property
    def notifications(self) -> NotificationDispatcher:
        return self._notifier().dispatcher

    def _notifier(self) -> Notifier:
        if self.notifier is None:  # a wiring mistake: the spec says it notifies nobody
            raise RuntimeError(f"{self.spec.name} has no e-box: its spec sets notifies=False")
        return self.notifier

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """A transaction; after it commits, the relay and the notification dispatcher are
        woken so that events and notifications leave at once."""
        async with self.store.unit_of_work() as uow:
            await fence(uow.connection)  # a request's Idempotency-Key: committed with it
            yield uow
        self.wake_workers()

    def wake_workers(self) -> None:
        """After a commit that may have queued events or notifications: they leave now."""
        self.relay.wake()
        if self.notifier is not None:
            self.notifier.dispatcher.wake()


def database_config(spec: ServiceSpec, settings: ServiceSettings) -> DatabaseConfig:
    return settings.database(settings.store or spec.schema)


def open_idempotency(
    engine: AsyncEngine, vault: PersonalDataVault, settings: ServiceSettings
) -> IdempotencyStore:
    """The service's Idempotency-Key store (its table is in the service's own schema)."""
    return IdempotencyStore(
        engine,
        vault,
        ttl=timedelta(seconds=settings.idempotency_ttl_seconds),
        lease=timedelta(seconds=settings.idempotency_lease_seconds),
    )


async def start_runtime(spec: ServiceSpec, settings: ServiceSettings) -> Runtime:
    config = database_config(spec, settings)
    engine = create_engine(config)
    versions = [spec.migrations] if spec.migrations else []
    await migrate(engine, config, version_locations=versions)
    store = event_store_for(engine, source=spec.source)
    bus = make_bus(settings, client_id=f"guichet-{spec.name}")
    await bus.ensure_topics(_topics(spec, settings))
    publisher = bus.publisher()
    await publisher.start()
    vault, keystore_engine = await open_vault(settings)
    revocations, revocations_engine = await open_revocations(settings)
    runtime = Runtime(
        spec,
        settings,
        engine,
        store,
        bus,
        publisher,
        OutboxRelay(store, publisher),
        vault,
        revocations,
        open_idempotency(engine, vault, settings),
        platform_engines=[keystore_engine, revocations_engine],
    )
    runtime.tasks.append(asyncio.create_task(runtime.relay.run(), name=f"{spec.name}-relay"))
    if spec.notifies:
        runtime.notifier = await _start_notifier(runtime)
    if spec.bootstrap is not None:
        runtime.deps = await spec.bootstrap(runtime)
    for subscription in [*spec.subscriptions, *_purge_subscription(spec)]:
        await _start_consumer(runtime, subscription)
    return runtime


def _topics(spec: ServiceSpec, settings: ServiceSettings) -> list[str]:
    """Every topic the service writes or reads, dead letters included, in its namespace."""
    named = settings.named
    topics = {named(spec.topic), named(ACCESS_REFUSALS_TOPIC)}  # refusals: refusals.py
    for wanted in spec.subscriptions:
        topics.update(named(topic) for topic in wanted.topics)
        topics.add(dead_letter_topic(named(wanted.group)))
    return sorted(topics)


async def _start_notifier(runtime: Runtime) -> Notifier:
    """The e-box and the dispatcher that delivers the service's queued notifications."""
    ebox, ebox_engine = await open_ebox(runtime.settings, runtime.vault)
    runtime.platform_engines.append(ebox_engine)
    dispatcher = NotificationDispatcher(
        runtime.engine, ebox, mailer_for(runtime.settings), vault=runtime.vault
    )
    name = f"{runtime.spec.name}-notifications"
    runtime.tasks.append(asyncio.create_task(dispatcher.run(), name=name))
    return Notifier(ebox, dispatcher)


async def _start_consumer(runtime: Runtime, wanted: SubscriptionSpec) -> None:
    named = runtime.settings.named
    suffix = wanted.group_suffix
    group = named(wanted.group + (suffix(runtime) if suffix else ""))
    subscription = runtime.bus.subscription(
        group=group, topics=[named(topic) for topic in wanted.topics], max_wait=wanted.max_wait
    )
    await subscription.start()
    consumer = EventConsumer(
        group=group,
        subscription=subscription,
        store=runtime.store,
        handlers=wanted.bind(runtime) if wanted.bind else wanted.handlers,
        dead_letters=runtime.publisher,
        on_commit=runtime.wake_workers,
    )
    runtime.consumers.append(consumer)
    runtime.tasks.append(asyncio.create_task(consumer.run(), name=group))


def _purge_subscription(spec: ServiceSpec) -> list[SubscriptionSpec]:
    """A service that follows the purges erases its rows when a dossier is purged."""
    if not spec.follows_purges:
        return []
    from guichet_contracts import DossierPurged
    from guichet_core.stores.purge import purge_handler

    def bind(runtime: Runtime) -> Mapping[str, Handler]:
        if spec.purge_bind is not None:
            return spec.purge_bind(runtime)
        ebox = runtime.ebox if spec.erases_ebox else None
        return {DossierPurged.event_type: purge_handler(spec.dossier_tables, ebox)}

    # A purge is due days ahead (Art. 27): half a second's notice is plenty, and each
    # service then polls the retention topic 25 times less often than its own topics.
    return [
        SubscriptionSpec(
            group=f"{spec.name}.purge", topics=[RETENTION_TOPIC], bind=bind, max_wait=0.5
        )
    ]


async def stop_runtime(runtime: Runtime) -> None:
    """Stop everything, each step bounded: a broker that is away or rebalancing must not
    keep a service from stopping (what stays queued leaves at the next start)."""
    for task in runtime.tasks:
        task.cancel()
    await _bounded(asyncio.gather(*runtime.tasks, return_exceptions=True), 15)
    await _bounded(runtime.relay.drain(), 5)
    for consumer in runtime.consumers:
        await _bounded(consumer.subscription.stop(), 10)
    await _bounded(runtime.publisher.stop(), 10)
    await _bounded(runtime.bus.close(), 10)
    await runtime.engine.dispose()
    for engine in runtime.platform_engines:
        await engine.dispose()


async def _bounded(step: Awaitable[Any], seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await step
    except Exception as error:  # stopping goes on; the log says which step was cut
        log.warning("shutdown step cut short: %s", type(error).__name__)
