"""What consultation follows: every topic into the projection, the refused attempts of
every service into the access log (Art. 29), and the purges out of it (Art. 27 §2)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from guichet_consultation import pending_refusals, projection
from guichet_consultation.access_log import AccessEntry, AccessLog
from guichet_consultation.feed import TOPICS, blind_index_for, project_into
from guichet_consultation.generations import Generations, load_view
from guichet_consultation.policy import CONSULTERS
from guichet_contracts import (
    ACCESS_REFUSALS_TOPIC,
    AccessRefused,
    ApplicationFiled,
    CloudEventEnvelope,
    DomainEvent,
    DossierPurged,
)
from guichet_core.kernel.consumer import Handler
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.service import Runtime, SubscriptionSpec
from guichet_core.stores.notifications import notification_outbox

PROJECTION_GROUP = "consultation.projection"
REFUSALS_GROUP = "consultation.access-refusals"
# Consultation logs the refusals of its own views itself, with the data categories
# refused (``handlers._consult``): not twice.
LOGGED_BY_THE_VIEW = frozenset({("consultation", "/dossiers/{dossier_id}")})
# A caller whose token did not verify: the log says so rather than repeat its claims,
# which are the attacker's (the entry's authority and agent are never empty).
UNVERIFIED_AUTHORITY, UNVERIFIED_AGENT = "UNVERIFIED", "unverified"


def bind_projection(runtime: Runtime) -> Mapping[str, Handler]:
    """The live consumer: every followed event into every writable generation."""
    generations = Generations(runtime.engine)
    index = blind_index_for(runtime)
    log = AccessLog(runtime.engine)

    async def handle(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
        writable = await generations.writable(uow.connection)
        if not writable:
            raise LookupError("no projection generation to write to (start-up did not run)")
        for tables in writable:
            await project_into(
                uow.connection, tables, event, envelope, vault=runtime.vault, index=index
            )
        if isinstance(event, ApplicationFiled):  # the refusals that arrived before it
            waiting = await pending_refusals.release(uow.connection, str(event.application_id))
            entries = [entry_of(refused) for refused in waiting if not logged_by_the_view(refused)]
            if entries:
                await log.append_all_in(uow.connection, entries)

    return {event_type.event_type: handle for event_type in projection.FOLLOWED}


def logged_by_the_view(refused: AccessRefused) -> bool:
    """Whether consultation's own view logged this refusal: only once it ran, so not a
    401 nor a caller its rule refuses before it runs (an operator, Art. 8)."""
    if (refused.service, refused.route) not in LOGGED_BY_THE_VIEW or refused.status == 401:
        return False
    return refused.authority in {authority.value for authority in CONSULTERS}


def entry_of(refused: AccessRefused) -> AccessEntry:
    """A refused attempt on another service, as an entry of the dossier's access log."""
    return AccessEntry(
        authority=refused.authority or UNVERIFIED_AUTHORITY,
        agent_id=refused.agent_id or UNVERIFIED_AGENT,
        roles=[],
        purpose=None,
        dossier_id=str(refused.application_id),
        categories=[],
        withheld=[],
        outcome="denied",
        at=refused.refused_at,
        route=f"{refused.service} {refused.method} {refused.route}",
        reason=refused.reason,
    )


def bind_refusals(runtime: Runtime) -> Mapping[str, Handler]:
    """Art. 29, GDPR Art. 15 §1 c: every service's refused attempts on a dossier, appended
    to its access log in the transaction of the processed-event record (once)."""
    generations = Generations(runtime.engine)
    log = AccessLog(runtime.engine)

    async def on_refused(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
        assert isinstance(event, AccessRefused)
        if logged_by_the_view(event):
            return
        dossier_id = str(event.application_id)
        await pending_refusals.lock_dossier(uow.connection, dossier_id)
        tables = await generations.active(uow.connection)
        view = await load_view(uow.connection, tables, dossier_id)
        if view is None or not view.get("filed"):
            # Not projected yet, or no such dossier: it waits for the filing, a while.
            await pending_refusals.park(uow.connection, event, datetime.now(UTC))
            return
        await log.append_in(uow.connection, entry_of(event))

    return {AccessRefused.event_type: on_refused}


def bind_purge(runtime: Runtime) -> Mapping[str, Handler]:
    """A purged dossier leaves every generation of the projection (Art. 27 §2)."""
    generations = Generations(runtime.engine)

    async def on_purged(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
        dossier_id = str(event.application_id)
        for tables in await generations.writable(uow.connection):
            for table in (tables.views, tables.subjects):
                await uow.connection.execute(table.delete().where(table.c.dossier_id == dossier_id))
        await uow.connection.execute(
            notification_outbox.delete().where(notification_outbox.c.dossier_id == dossier_id)
        )
        await pending_refusals.forget(uow.connection, dossier_id)

    return {DossierPurged.event_type: on_purged}


SUBSCRIPTIONS = (
    SubscriptionSpec(group=PROJECTION_GROUP, topics=TOPICS, bind=bind_projection),
    SubscriptionSpec(group=REFUSALS_GROUP, topics=[ACCESS_REFUSALS_TOPIC], bind=bind_refusals),
)
