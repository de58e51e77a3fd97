"""Erasing a dossier everywhere (Art. 27 §2, GDPR Art. 17): at the end of its retention,
by the hourly loop or on demand, or when a controller grants an erasure request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, date, datetime

from guichet_contracts import DossierPurged
from guichet_core.kernel.codec import new_event
from guichet_core.kernel.store.records import ConcurrencyConflict
from guichet_core.service import Runtime
from guichet_retention.clock import Clock
from guichet_retention.domain import DeletionHeld
from guichet_retention.rights_store import rights_requests
from guichet_retention.schedule import Deletion, RetentionRules, deletion, evolve
from guichet_retention.store import due, save, state_of

log = logging.getLogger(__name__)


async def refuse_if_held(rt: Runtime, dossier_id: str, rules: RetentionRules) -> None:
    """GDPR Art. 17 §3 e) and Art. 27 §1 3°: a dossier under appeal is not erased."""
    async with rt.engine.connect() as connection:
        _held(deletion(await state_of(connection, dossier_id), rules))


def _held(rule: Deletion) -> None:
    if rule.held_by_appeal:
        raise DeletionHeld(
            "an appeal is pending on this dossier: it is kept until "
            "the appeal ends (Art. 27 §1 3°, GDPR Art. 17 §3 e); "
            "answer the erasure once it has ended"
        )


async def purge(
    rt: Runtime, dossier_id: str, rules: RetentionRules, *, erasure: bool = False, today: date
) -> DossierPurged | None:
    """Erase one dossier everywhere, or None if it is no longer due (an appeal lodged
    since it was found due). The purge takes the dossier's next version first, so an
    appeal recorded meanwhile conflicts; then its key is destroyed — from then on none of
    its sealed data opens in any store, topic or backup — and every service is told.

    Retention's consumer records what other services publish into the same stream: a
    purge that loses that race looks again (an appeal recorded meanwhile still holds it).
    """
    for _ in range(_PURGE_ATTEMPTS - 1):
        with contextlib.suppress(ConcurrencyConflict):
            return await _purge_once(rt, dossier_id, rules, erasure=erasure, today=today)
    return await _purge_once(rt, dossier_id, rules, erasure=erasure, today=today)


_PURGE_ATTEMPTS = 5


async def _purge_once(
    rt: Runtime, dossier_id: str, rules: RetentionRules, *, erasure: bool, today: date
) -> DossierPurged | None:
    async with rt.unit_of_work() as uow:
        # the version first: an appeal committed after it makes the append below conflict
        version = await uow.stream_version(dossier_id)
        state = await state_of(uow.connection, dossier_id)
        rule = deletion(state, rules)
        if not erasure and (rule.held_by_appeal or rule.due_on is None or rule.due_on > today):
            return None
        _held(rule)
        purged = DossierPurged(
            application_id=uuid.UUID(dossier_id),
            rule="erasure_request" if erasure else (rule.rule or "erasure_request"),
            due_on=rule.due_on or today,
            purged_at=datetime.now(UTC),
        )
        await uow.append(
            dossier_id, [new_event(purged)], expected_version=version, publish_to=rt.topic
        )
        await save(uow.connection, evolve(state, purged), rules)
        # the person's own words to their controller go with the dossier
        await uow.connection.execute(
            rights_requests.delete().where(rights_requests.c.dossier_id == dossier_id)
        )
        await rt.vault.shred(dossier_id)
    return purged


async def purge_due(rt: Runtime, clock: Clock, rules: RetentionRules) -> list[str]:
    """Art. 27 §2: every dossier whose date has come is deleted automatically."""
    today = clock.today()
    async with rt.engine.connect() as connection:
        ids = await due(connection, today)
    purged = []
    for dossier_id in ids:
        try:
            done = await purge(rt, dossier_id, rules, today=today)
        except ConcurrencyConflict:  # the dossier changed (an appeal?): the next run decides
            log.info("dossier %s changed while being purged: left to the next run", dossier_id)
            continue
        if done is not None:
            purged.append(dossier_id)
            log.info("dossier %s purged (retention ended)", dossier_id)
    return purged


async def purge_loop(rt: Runtime, clock: Clock, rules: RetentionRules, interval: float) -> None:
    while True:
        try:
            await purge_due(rt, clock, rules)
        except Exception:
            log.exception("retention purge run failed")
        await asyncio.sleep(interval)
