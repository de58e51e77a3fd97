"""Feeding the projection from every topic: what the live consumer (``consumers``) and a
rebuild (``rebuild``) both write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from guichet_consultation import projection
from guichet_consultation.generations import BlindIndex, GenerationTables, load_rows
from guichet_contracts import (
    ApplicationFiled,
    CloudEventEnvelope,
    DomainEvent,
    SealedData,
)
from guichet_contracts.dossier import SealedDossier
from guichet_contracts.topics import (
    INTAKE_TOPIC,
    ONSS_FEED_TOPIC,
    REGIONAL_DECISION_TOPIC,
    RESIDENCE_DECISION_TOPIC,
)
from guichet_core.kernel.store.upsert import insert_missing, upsert_all
from guichet_core.service import Runtime
from guichet_core.stores.blind_index import blind_index_for as blind_index
from guichet_core.stores.vault import PersonalDataVault

TOPICS = [
    INTAKE_TOPIC,
    REGIONAL_DECISION_TOPIC,
    RESIDENCE_DECISION_TOPIC,
    ONSS_FEED_TOPIC,
]


def blind_index_for(runtime: Runtime) -> BlindIndex:
    return blind_index(runtime.settings)


async def subjects_of(
    vault: PersonalDataVault, index: BlindIndex, filed: ApplicationFiled
) -> tuple[str | None, list[tuple[str, str]]]:
    """The NISS index and the (subject index, role) of each applicant of the dossier."""
    if filed.dossier is None:
        return None, []
    dossier = await vault.unseal_as(
        filed.dossier, SealedDossier, dossier_id=str(filed.application_id)
    )
    worker, employer, mandatary = dossier.worker, dossier.employer, dossier.mandatary
    niss_index = index.of(worker.niss) if worker.niss else None
    identifiers: list[tuple[str | None, str]] = [
        (worker.niss, "worker"),
        (worker.email, "worker"),
    ]
    if employer is not None:
        identifiers += [(employer.enterprise_number, "employer"), (employer.email, "employer")]
    if mandatary is not None:
        identifiers += [(mandatary.enterprise_number, "mandatary"), (mandatary.email, "mandatary")]
    subjects = {(index.of(value), role) for value, role in identifiers if value}
    return niss_index, sorted(subjects)


async def project_into(
    connection: AsyncConnection,
    tables: GenerationTables,
    event: DomainEvent,
    envelope: CloudEventEnvelope,
    *,
    vault: PersonalDataVault,
    index: BlindIndex,
) -> None:
    await project_all(connection, tables, [(event, envelope)], vault=vault, index=index)


async def project_all(
    connection: AsyncConnection,
    tables: GenerationTables,
    items: Sequence[tuple[DomainEvent, CloudEventEnvelope]],
    *,
    vault: PersonalDataVault,
    index: BlindIndex,
) -> int:
    """Fold ``items`` (in log order) into their dossiers' views; return how many changed.

    A few statements whatever the number of events: the rows are made sure to exist,
    locked (the live feed and a rebuild may both write) and read together, folded in
    memory, and written back together.
    """
    if not items:
        return 0
    now = datetime.now(UTC)
    ids = sorted({str(event.application_id) for event, _ in items})  # one lock order
    await insert_missing(
        connection,
        tables.views,
        [{"dossier_id": d, "view": projection.empty(d), "updated_at": now} for d in ids],
    )
    rows = {row.dossier_id: row for row in await load_rows(connection, tables, ids, lock=True)}
    views = {d: dict(rows[d].view) for d in ids}
    found = {d: (rows[d].niss_index, rows[d].enterprise_number) for d in ids}
    changed, filings = _fold(views, items)
    subjects = await _index_filings(vault, index, filings, found)
    await insert_missing(connection, tables.subjects, subjects)
    await upsert_all(
        connection,
        tables.views,
        ["dossier_id"],
        [
            {
                "dossier_id": d,
                "view": views[d],
                "niss_index": found[d][0],
                "enterprise_number": found[d][1],
                "updated_at": now,
            }
            for d in sorted(changed)
        ],
    )
    return len(changed)


def _fold(
    views: dict[str, projection.View], items: Sequence[tuple[DomainEvent, CloudEventEnvelope]]
) -> tuple[set[str], list[ApplicationFiled]]:
    """Apply each event to its view in place; the dossiers changed and the new filings."""
    changed: set[str] = set()
    filings: list[ApplicationFiled] = []
    for event, envelope in items:
        dossier_id = str(event.application_id)
        after = projection.apply(
            views[dossier_id], event, event_id=str(envelope.id), at=envelope.time
        )
        if after is not views[dossier_id]:
            views[dossier_id] = after
            changed.add(dossier_id)
            if isinstance(event, ApplicationFiled):
                filings.append(event)
    return changed, filings


async def _index_filings(
    vault: PersonalDataVault,
    index: BlindIndex,
    filings: list[ApplicationFiled],
    found: dict[str, tuple[str | None, str | None]],
) -> list[dict[str, str]]:
    """The subject rows of each new filing; its NISS index and enterprise into ``found``."""
    subjects: list[dict[str, str]] = []
    await vault.preload([str(filed.application_id) for filed in filings])
    for filed in filings:
        dossier_id = str(filed.application_id)
        niss_index, of_dossier = await subjects_of(vault, index, filed)
        found[dossier_id] = (niss_index, filed.employer_enterprise_number)
        subjects += [
            {"dossier_id": dossier_id, "subject_index": subject, "role": role}
            for subject, role in of_dossier
        ]
    return subjects


__all__ = [
    "TOPICS",
    "SealedData",
    "blind_index_for",
    "project_all",
    "project_into",
    "subjects_of",
]
