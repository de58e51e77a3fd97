"""What a service declares: its ``ServiceSpec`` and the ``SubscriptionSpec`` of each
consumer group; ``service.create_app`` turns it into an app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from guichet_core.http.problems import Problem
from guichet_core.kernel.consumer import Handler

if TYPE_CHECKING:
    from guichet_core.runtime import Runtime


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
    # Whether the service tells applicants of its steps (Art. 20 §5): only then does it
    # open the e-box and a mail sender, and run the notification dispatcher.
    notifies: bool = True

    @property
    def schema(self) -> str:
        return self.name.replace("-", "_")

    @property
    def source(self) -> str:
        return f"/guichet/{self.name}"
