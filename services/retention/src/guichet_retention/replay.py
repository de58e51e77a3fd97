"""``guichet retention replay``: rebuild the whole deletion schedule from the log.

Every topic is read from its first message under a fresh consumer group and folded in
memory per dossier (memory grows with the number of dossiers, not of events); the
schedule table is then replaced in one transaction and its digest compared with the
one it replaces.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from guichet_contracts.topics import (
    INTAKE_TOPIC,
    REGIONAL_DECISION_TOPIC,
    RESIDENCE_DECISION_TOPIC,
    RETENTION_TOPIC,
)
from guichet_core.kernel.bus.replay import until_quiet
from guichet_core.kernel.codec import UndecodableMessage, to_domain, to_envelope
from guichet_core.kernel.store.database import create_engine, migrate
from guichet_core.service import database_config, make_bus
from guichet_retention.schedule import DossierRetention, RetentionRules, evolve
from guichet_retention.settings import RetentionSettings
from guichet_retention.store import retention_schedule, save_all, schedule_digest

TOPICS = [
    INTAKE_TOPIC,
    REGIONAL_DECISION_TOPIC,
    RESIDENCE_DECISION_TOPIC,
    RETENTION_TOPIC,
]


@dataclass(frozen=True)
class ReplayReport:
    events: int
    dossiers: int
    seconds: float
    previous_digest: str
    digest: str

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def replay(settings: RetentionSettings, *, idle_polls: int = 4) -> ReplayReport:
    from guichet_retention.bootstrap import SPEC

    config = database_config(SPEC, settings)
    engine = create_engine(config)
    bus = make_bus(settings, client_id="guichet-retention-replay")
    group = settings.named(f"retention.replay.{uuid.uuid4().hex[:8]}")
    topics = [settings.named(t) for t in TOPICS]
    subscription = bus.subscription(group=group, topics=topics)
    states: dict[str, DossierRetention] = {}
    events = 0
    started = time.perf_counter()
    try:
        await migrate(
            engine, config, version_locations=[SPEC.migrations] if SPEC.migrations else []
        )
        await bus.ensure_topics(topics)  # a topic nobody wrote yet still gets a partition
        await subscription.start()
        async for batch in until_quiet(subscription, idle_polls=idle_polls, max_messages=1000):
            for received in batch:
                try:
                    event = to_domain(to_envelope(received.message))
                except UndecodableMessage:
                    continue
                dossier_id = str(event.application_id)
                states[dossier_id] = evolve(
                    states.get(dossier_id, DossierRetention(dossier_id)), event
                )
                events += 1
        seconds = time.perf_counter() - started
        rules = RetentionRules(appeal_days=settings.appeal_days)
        async with engine.begin() as connection:
            previous = await schedule_digest(connection)
            await connection.execute(retention_schedule.delete())
            await save_all(connection, states.values(), rules)
            rebuilt = await schedule_digest(connection)
        return ReplayReport(events, len(states), seconds, previous, rebuilt)
    finally:
        await subscription.stop()
        await bus.close()
        await engine.dispose()
