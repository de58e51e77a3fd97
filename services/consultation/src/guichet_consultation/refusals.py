"""Every service's refused attempts on a dossier, into that dossier's access log.

Art. 29 of the agreement and GDPR Art. 15 §1 c: the data subject reads who tried to read
or act on their dossier and was refused, on any service. Each service publishes an
``AccessRefused`` (``guichet_core.refusals``); this consumer appends it to the chained
access log in the same transaction as its processed-event record, so a redelivered
event is appended once.
"""

from __future__ import annotations

from collections.abc import Mapping

from guichet_consultation.access_log import AccessEntry, AccessLog
from guichet_consultation.generations import Generations, load_view
from guichet_contracts import AccessRefused, CloudEventEnvelope, DomainEvent
from guichet_core.consumer import Handler
from guichet_core.service import Runtime
from guichet_core.store.sql import UnitOfWork

GROUP = "consultation.access-refusals"
# Consultation logs the refusals of its own views itself, with the data categories
# refused (``app._consult``): not twice.
LOGGED_BY_THE_VIEW = frozenset({("consultation", "/dossiers/{dossier_id}")})


def entry_of(refused: AccessRefused) -> AccessEntry:
    return AccessEntry(
        authority=refused.authority,
        agent_id=refused.agent_id,
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


def bind(runtime: Runtime) -> Mapping[str, Handler]:
    generations = Generations(runtime.engine)
    log = AccessLog(runtime.engine)

    async def on_refused(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
        assert isinstance(event, AccessRefused)
        if (event.service, event.route) in LOGGED_BY_THE_VIEW:
            return
        dossier_id = str(event.application_id)
        tables = await generations.active(uow.connection)
        view = await load_view(uow.connection, tables, dossier_id)
        if view is None or not view.get("filed"):
            return  # no such dossier: no one whose log it belongs in (and no flooding)
        await log.append_in(uow.connection, entry_of(event))

    return {AccessRefused.event_type: on_refused}
