"""What retention follows: every dossier's events, folded into its deletion date (Art. 27)."""

from __future__ import annotations

from guichet_contracts import REGISTRY, CloudEventEnvelope, DomainEvent
from guichet_contracts.topics import (
    INTAKE_TOPIC,
    REGIONAL_DECISION_TOPIC,
    RESIDENCE_DECISION_TOPIC,
    RETENTION_TOPIC,
)
from guichet_core.dossier import record_received
from guichet_core.kernel.consumer import Handler
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.service import Runtime, SubscriptionSpec
from guichet_retention.deps import deps_of, rules_of
from guichet_retention.schedule import RetentionRules, evolve
from guichet_retention.store import save, state_of

SCHEDULE_GROUP = "retention.schedule"
# Its own topic too: a store made anew learns the appeals and purges from the log.
FOLLOWED_TOPICS = [
    INTAKE_TOPIC,
    REGIONAL_DECISION_TOPIC,
    RESIDENCE_DECISION_TOPIC,
    RETENTION_TOPIC,
]


async def on_event(
    event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork, rules: RetentionRules
) -> None:
    """Any event of a dossier: kept (its personal part stays sealed) and folded into the
    dossier's deletion date."""
    dossier_id = str(event.application_id)
    if await uow.contains(envelope.id):
        return  # one of our own (an appeal, a purge): already in the schedule
    await record_received(uow, dossier_id, event, envelope)
    state = await state_of(uow.connection, dossier_id)
    await save(uow.connection, evolve(state, event), rules)


def bind(runtime: Runtime) -> dict[str, Handler]:
    rules = rules_of(runtime)

    async def handle(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
        await on_event(event, envelope, uow, rules)

    return {model.event_type: handle for model in REGISTRY.models()}


SUBSCRIPTIONS = (
    SubscriptionSpec(
        group=SCHEDULE_GROUP,
        topics=FOLLOWED_TOPICS,
        bind=bind,
        group_suffix=lambda runtime: "." + deps_of(runtime).schedule_epoch,
    ),
)
