"""The probes every service answers: ``/livez``, ``/health`` and ``/readyz`` (no token)."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy import text

from guichet_core.http.auth import public
from guichet_core.runtime import Runtime


class Alive(BaseModel):
    status: str = "alive"


class RelayHealth(BaseModel):
    published: int  # outbox rows published since the start
    backlog: int | None  # rows waiting; None when the database is unreachable
    last_error: str | None  # the type of the last failure, None once publishing again


class NotificationsHealth(BaseModel):
    delivered: int
    last_error: str | None


class ConsumerHealth(BaseModel):
    handled: int
    duplicates: int
    ignored: int
    dead_lettered: int


class HealthReport(BaseModel):
    """What a service reports of itself; 503 when it cannot serve."""

    service: str
    backend: str
    database: str  # "ok", or "unreachable: <error type>"
    topic: str
    relay: RelayHealth
    notifications: NotificationsHealth | None  # None: the service notifies nobody
    consumers: dict[str, ConsumerHealth]  # by consumer group
    tasks: dict[str, bool]  # background task → still running

    @property
    def ready(self) -> bool:
        """Database reachable, relay publishing, every background task running."""
        return self.database == "ok" and self.relay.last_error is None and all(self.tasks.values())


UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": HealthReport, "description": "Not able to serve"}
}


def health_router() -> APIRouter:
    router = APIRouter(tags=["operations"], dependencies=[Depends(public)])  # probes: no token

    @router.get("/livez")
    async def livez() -> Alive:
        """The process answers (no dependency is checked)."""
        return Alive()

    @router.get("/health", responses=UNAVAILABLE)
    async def health(request: Request, response: Response) -> HealthReport:
        """Database reachable, outbox backlog, relay and consumer state."""
        report = await _report(request.app.state.runtime)
        if report.database != "ok":
            response.status_code = 503
        return report

    @router.get("/readyz", responses=UNAVAILABLE)
    async def readyz(request: Request, response: Response) -> HealthReport:
        """Ready to serve: database reachable, relay publishing, every consumer running."""
        report = await _report(request.app.state.runtime)
        if not report.ready:
            response.status_code = 503
        return report

    return router


async def _report(runtime: Runtime) -> HealthReport:
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("select 1"))
        database = "ok"
        backlog: int | None = await runtime.store.outbox_backlog()
    except Exception as error:
        database = f"unreachable: {type(error).__name__}"
        backlog = None
    notifier = runtime.notifier
    return HealthReport(
        service=runtime.spec.name,
        backend=runtime.settings.backend,
        database=database,
        topic=runtime.topic,
        relay=RelayHealth(
            published=runtime.relay.published,
            backlog=backlog,
            last_error=runtime.relay.last_error,
        ),
        notifications=None
        if notifier is None
        else NotificationsHealth(
            delivered=notifier.dispatcher.delivered, last_error=notifier.dispatcher.last_error
        ),
        consumers={
            c.group: ConsumerHealth(**dataclasses.asdict(c.stats)) for c in runtime.consumers
        },
        tasks={task.get_name(): not task.done() for task in runtime.tasks},
    )
