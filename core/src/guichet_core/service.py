"""The skeleton every Guichet service is built on: wiring in the lifespan, health routes.

A service declares a ``ServiceSpec`` (name, topic, migrations, routers, subscriptions);
``create_app`` turns it into a FastAPI app whose lifespan creates the engine, migrates,
starts the outbox relay and the consumers, and stops them cleanly. Nothing is created
at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import SpanProcessor
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_contracts.topics import ACCESS_REFUSALS_TOPIC, RETENTION_TOPIC
from guichet_core.auth import TokenVerifier, auth_settings_for, install_auth, public
from guichet_core.bus import make_bus as make_bus  # re-exported: services import it here
from guichet_core.bus.port import Bus, Publisher
from guichet_core.consumer import EventConsumer, Handler, dead_letter_topic
from guichet_core.ebox import SqlEBox, open_ebox
from guichet_core.http_limits import install_request_guard
from guichet_core.idempotency import IdempotencyStore, fence
from guichet_core.idempotency_http import install_idempotency
from guichet_core.notifications import NotificationDispatcher, mailer_for
from guichet_core.problems import Problem, install_problems
from guichet_core.relay import OutboxRelay
from guichet_core.revocation import RevocationList, open_revocations, revocation_router
from guichet_core.scrub import install_log_scrubber
from guichet_core.settings import ServiceSettings
from guichet_core.store.database import DatabaseConfig, create_engine, migrate
from guichet_core.store.sql import SqlEventStore, UnitOfWork, event_store_for
from guichet_core.tracing import configure_tracing
from guichet_core.vault import PersonalDataVault, master_key_for, open_vault

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubscriptionSpec:
    """A consumer group of the service: the topics it reads and a handler per event type.

    Handlers that need what the lifespan builds (the vault, other stores) are given by
    ``bind``, called with the runtime once it exists.
    """

    group: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    bind: Callable[[Runtime], Mapping[str, Handler]] | None = None
    # Ties the group to the store it feeds (e.g. a store made anew replays all): the
    # suffix is added to the group's name once the service's dependencies exist.
    group_suffix: Callable[[Runtime], str] | None = None
    max_wait: float | None = None  # seconds a message may wait unnoticed (bus default)


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # e.g. "regional-decision"
    title: str
    description: str
    topic: str  # the one topic this service produces, e.g. "guichet.intake.v1"
    migrations: Path | None = None  # the service's own Alembic versions directory
    routers: Sequence[APIRouter] = ()
    subscriptions: Sequence[SubscriptionSpec] = ()
    # Builds the service's own typed dependencies once the shared stores exist, before any
    # consumer starts (e.g. creates projection tables, starts a loop); routes reach them
    # through ``deps.service_deps`` and they are ``Runtime.deps``.
    bootstrap: Callable[[Runtime], Awaitable[object]] | None = None
    # Retention issues the purges (Art. 27); every other service follows them.
    follows_purges: bool = True
    # The service's tables that hold rows about a dossier, erased when it is purged
    # (Art. 27 §2); a dynamic list (e.g. projection generations) comes from ``bind``.
    dossier_tables: Sequence[tuple[Any, str]] = ()
    purge_bind: Callable[[Runtime], Mapping[str, Handler]] | None = None
    erases_ebox: bool = False  # the applicant-facing service erases the e-box too
    # The service's own domain exceptions and the problem each is answered as (STYLE 14):
    # one mapping, merged with core's ``PROBLEMS``, instead of a try/except per route.
    problems: Mapping[type[Exception], Problem] = field(default_factory=dict)

    @property
    def schema(self) -> str:
        return self.name.replace("-", "_")

    @property
    def source(self) -> str:
        return f"/guichet/{self.name}"


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
    ebox: SqlEBox
    notifications: NotificationDispatcher
    idempotency: IdempotencyStore | None = None  # the Idempotency-Key of POSTs
    revocations: RevocationList | None = None  # revoked tokens, shared by every service
    platform_engines: list[AsyncEngine] = field(default_factory=list)  # key store, e-box
    deps: object = None  # what the service's ``bootstrap`` built (its own typed set)
    consumers: list[EventConsumer] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def topic(self) -> str:
        """The topic this service publishes to, in its namespace."""
        return self.settings.named(self.spec.topic)

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
        self.notifications.wake()


def database_config(spec: ServiceSpec, settings: ServiceSettings) -> DatabaseConfig:
    return settings.database(settings.store or spec.schema)


async def start_runtime(spec: ServiceSpec, settings: ServiceSettings) -> Runtime:
    config = database_config(spec, settings)
    engine = create_engine(config)
    versions = [spec.migrations] if spec.migrations else []
    await migrate(engine, config, version_locations=versions)
    store = event_store_for(engine, source=spec.source)
    bus = make_bus(settings, client_id=f"guichet-{spec.name}")
    named = settings.named
    topics = {named(spec.topic), named(ACCESS_REFUSALS_TOPIC)}  # refusals: refusals.py
    for wanted in spec.subscriptions:
        topics.update(named(topic) for topic in wanted.topics)
        topics.add(dead_letter_topic(named(wanted.group)))
    await bus.ensure_topics(sorted(topics))
    publisher = bus.publisher()
    await publisher.start()
    relay = OutboxRelay(store, publisher)
    vault, keystore_engine = await open_vault(settings)
    ebox, ebox_engine = await open_ebox(settings, vault)
    revocations, revocations_engine = await open_revocations(
        settings, auth=auth_settings_for(settings)
    )
    notifications = NotificationDispatcher(engine, ebox, mailer_for(settings), vault=vault)
    runtime = Runtime(
        spec,
        settings,
        engine,
        store,
        bus,
        publisher,
        relay,
        vault,
        ebox,
        notifications,
        idempotency=IdempotencyStore(
            engine,
            vault,
            ttl=timedelta(seconds=settings.idempotency_ttl_seconds),
            lease=timedelta(seconds=settings.idempotency_lease_seconds),
        ),
        platform_engines=[keystore_engine, ebox_engine, revocations_engine],
        revocations=revocations,
    )
    runtime.tasks.append(asyncio.create_task(relay.run(), name=f"{spec.name}-relay"))
    runtime.tasks.append(
        asyncio.create_task(notifications.run(), name=f"{spec.name}-notifications")
    )
    if spec.bootstrap is not None:
        runtime.deps = await spec.bootstrap(runtime)
    for subscription_spec in [*spec.subscriptions, *_purge_subscription(spec)]:
        suffix = subscription_spec.group_suffix
        group = named(subscription_spec.group + (suffix(runtime) if suffix else ""))
        subscription = bus.subscription(
            group=group,
            topics=[named(topic) for topic in subscription_spec.topics],
            max_wait=subscription_spec.max_wait,
        )
        await subscription.start()
        consumer = EventConsumer(
            group=group,
            subscription=subscription,
            store=store,
            handlers=(
                subscription_spec.bind(runtime)
                if subscription_spec.bind
                else subscription_spec.handlers
            ),
            dead_letters=publisher,
            on_commit=runtime.wake_workers,
        )
        runtime.consumers.append(consumer)
        runtime.tasks.append(asyncio.create_task(consumer.run(), name=group))
    return runtime


def _purge_subscription(spec: ServiceSpec) -> list[SubscriptionSpec]:
    """A service that follows the purges erases its rows when a dossier is purged."""
    if not spec.follows_purges:
        return []
    from guichet_contracts import DossierPurged
    from guichet_core.purge import purge_handler

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


def create_app(
    spec: ServiceSpec, settings: ServiceSettings, *, span_processor: SpanProcessor | None = None
) -> FastAPI:
    install_log_scrubber()  # one scrubber for every log record (STYLE 14, GDPR Art. 32)
    configure_tracing(f"guichet-{spec.name}", settings.otel_exporter, extra=span_processor)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = await start_runtime(spec, settings)
        app.state.revocations = app.state.runtime.revocations  # read by current_caller
        try:
            yield
        finally:
            await stop_runtime(app.state.runtime)

    app = FastAPI(
        title=spec.title, description=spec.description, version="0.1.0", lifespan=lifespan
    )
    # Before serving: a production deployment without a verification key, or with a weak
    # master key, refuses to start.
    master_key_for(settings)
    install_auth(app, TokenVerifier.from_settings(auth_settings_for(settings)))
    install_problems(app, spec.problems)  # every error as application/problem+json, never the input
    # Added before the request guard, so inside it: a body is limited before the
    # idempotency middleware reads it to hash it.
    install_idempotency(app)
    install_request_guard(app, settings=settings)  # body limits, JSON no store can keep
    app.include_router(health_router())
    # Every service takes a revocation: an operator's client already points at one, and
    # the deny-list it writes is the one every service reads (no service to add).
    app.include_router(revocation_router())
    for router in spec.routers:
        app.include_router(router)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health,livez,readyz")
    return app


def health_router() -> APIRouter:
    router = APIRouter(tags=["operations"], dependencies=[Depends(public)])  # probes: no token

    @router.get("/livez")
    async def livez() -> dict[str, str]:
        """The process answers (no dependency is checked)."""
        return {"status": "alive"}

    @router.get("/health")
    async def health(request: Request, response: Response) -> dict[str, Any]:
        """Database reachable, outbox backlog, relay and consumer state."""
        runtime: Runtime = request.app.state.runtime
        report = await _report(runtime)
        if report["database"] != "ok":
            response.status_code = 503
        return report

    @router.get("/readyz")
    async def readyz(request: Request, response: Response) -> dict[str, Any]:
        """Ready to serve: database reachable, relay publishing, every consumer running."""
        runtime: Runtime = request.app.state.runtime
        report = await _report(runtime)
        ready = (
            report["database"] == "ok"
            and report["relay"]["last_error"] is None
            and all(task_alive for task_alive in report["tasks"].values())
        )
        if not ready:
            response.status_code = 503
        return report

    return router


async def _report(runtime: Runtime) -> dict[str, Any]:
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("select 1"))
        database = "ok"
        backlog: int | None = await runtime.store.outbox_backlog()
    except Exception as error:
        database = f"unreachable: {type(error).__name__}"
        backlog = None
    return {
        "service": runtime.spec.name,
        "backend": runtime.settings.backend,
        "database": database,
        "topic": runtime.topic,
        "relay": {
            "published": runtime.relay.published,
            "backlog": backlog,
            "last_error": runtime.relay.last_error,
        },
        "notifications": {
            "delivered": runtime.notifications.delivered,
            "last_error": runtime.notifications.last_error,
        },
        "consumers": {c.group: vars(c.stats) for c in runtime.consumers},
        "tasks": {task.get_name(): not task.done() for task in runtime.tasks},
    }
