"""Which dossiers a worker's records belong to: the NISS blind index of each filed dossier.

The feed reads intake's ``ApplicationFiled``, opens the sealed dossier just long enough
to compute the worker's NISS blind index, and keeps (index, employer, dossier, kind):
never the NISS itself. A dossier filed without a NISS links to nothing yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from guichet_contracts import ApplicationFiled, CloudEventEnvelope, DomainEvent
from guichet_contracts.dossier import SealedDossier
from guichet_core.kernel.consumer import Handler
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.service import Runtime
from guichet_core.stores.blind_index import blind_index_for
from guichet_core.stores.vault import KeyShredded
from guichet_onss_feed.tables import dossier_links


@dataclass(frozen=True)
class Link:
    dossier_id: str
    employer: str | None
    kind: str
    category: str


async def link(connection: AsyncConnection, *, niss_index: str, filed: ApplicationFiled) -> None:
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    await connection.execute(
        insert(dossier_links)
        .values(
            dossier_id=str(filed.application_id),
            niss_index=niss_index,
            employer=filed.employer_enterprise_number,
            kind=filed.kind.value,
            category=filed.category.value,
            linked_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing()
    )


async def dossiers_for(
    connection: AsyncConnection, niss_indexes: Iterable[str]
) -> dict[str, list[Link]]:
    """The dossiers of each NISS index (one query for a whole batch)."""
    wanted = sorted(set(niss_indexes))
    found: dict[str, list[Link]] = defaultdict(list)
    for start in range(0, len(wanted), 500):  # stay under every driver's parameter limit
        query = select(dossier_links).where(
            dossier_links.c.niss_index.in_(wanted[start : start + 500])
        )
        for row in await connection.execute(query):
            found[row.niss_index].append(Link(row.dossier_id, row.employer, row.kind, row.category))
    return found


def bind(runtime: Runtime) -> Mapping[str, Handler]:
    """The consumer of intake's topic: link each filed dossier by its worker's NISS."""
    index = blind_index_for(runtime.settings)

    async def filed(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
        assert isinstance(event, ApplicationFiled)
        if event.dossier is None:
            return  # upcast from v1: no personal data, nothing to link by
        dossier_id = str(event.application_id)
        try:
            dossier = await runtime.vault.unseal_as(
                event.dossier, SealedDossier, dossier_id=dossier_id
            )
        except KeyShredded:
            return  # deleted meanwhile (Art. 27): nothing to link
        if dossier.worker.niss:
            await link(uow.connection, niss_index=index.of(dossier.worker.niss), filed=event)

    return {ApplicationFiled.event_type: filed}
