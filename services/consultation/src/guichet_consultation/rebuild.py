"""``guichet consultation rebuild``: replay every topic from the beginning into a fresh
generation of the projection tables, then switch reads to it without downtime."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from guichet_consultation import projection
from guichet_consultation.feed import TOPICS, project_all
from guichet_consultation.generations import BlindIndex, Generations, tables_of
from guichet_core.kernel.bus.replay import until_quiet
from guichet_core.kernel.codec import UndecodableMessage, to_domain, to_envelope
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.kernel.store.database import create_engine, migrate
from guichet_core.service import database_config, make_bus
from guichet_core.stores.blind_index import blind_index_for
from guichet_core.stores.vault import PersonalDataVault, open_vault

FOLLOWED = {event.event_type for event in projection.FOLLOWED}


@dataclass(frozen=True)
class RebuildReport:
    generation: int
    retired: list[int]
    events: int
    seconds: float
    previous_digest: str | None
    digest: str

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def replay_into(
    settings: ServiceSettings,
    generations: Generations,
    generation: int,
    *,
    vault: PersonalDataVault,
    index: BlindIndex,
    idle_polls: int = 4,
) -> int:
    """Read every topic from its first message into ``generation``; return the count.

    It stops once the log has been quiet for ``idle_polls`` fetches: whatever arrives
    later is fed to the building generation by the live consumer as well."""
    bus = make_bus(settings, client_id="guichet-consultation-rebuild")
    group = settings.named(f"consultation.rebuild.g{generation}.{uuid.uuid4().hex[:8]}")
    topics = [settings.named(t) for t in TOPICS]
    await bus.ensure_topics(topics)  # a topic nobody wrote yet still gets a partition
    subscription = bus.subscription(group=group, topics=topics)
    await subscription.start()
    tables = tables_of(generation)
    applied = 0
    try:
        async for batch in until_quiet(subscription, idle_polls=idle_polls):
            items = []
            for received in batch:
                try:
                    envelope = to_envelope(received.message)
                    if envelope.type not in FOLLOWED:
                        continue
                    items.append((to_domain(envelope), envelope))
                except UndecodableMessage:
                    continue  # the live consumer dead-letters it; nothing to project
            async with generations.engine.begin() as connection:
                await project_all(connection, tables, items, vault=vault, index=index)
            applied += len(items)
    finally:
        await subscription.stop()
        await bus.close()
    return applied


async def rebuild(settings: ServiceSettings) -> RebuildReport:
    """Run while the service runs: reads keep using the active generation meanwhile."""
    from guichet_consultation.bootstrap import SPEC  # the service's own spec: schema, migrations

    config = database_config(SPEC, settings)
    engine = create_engine(config)
    vault, keystore_engine = await open_vault(settings)
    try:
        await migrate(
            engine, config, version_locations=[SPEC.migrations] if SPEC.migrations else []
        )
        generations = Generations(engine)
        previous = await generations.ensure_active()
        generation = await generations.start_building()
        started = time.perf_counter()
        events = await replay_into(
            settings,
            generations,
            generation,
            vault=vault,
            index=blind_index_for(settings),
        )
        seconds = time.perf_counter() - started
        previous_digest = await generations.digest(previous)
        digest = await generations.digest(generation)
        retired = await generations.activate(generation)
        await generations.drop(retired)
        return RebuildReport(generation, retired, events, seconds, previous_digest, digest)
    finally:
        await engine.dispose()
        await keystore_engine.dispose()
