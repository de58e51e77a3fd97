"""The deletion schedule: one row per dossier, the fold's state and its deletion date."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guichet_core.kernel.store.upsert import upsert_all
from guichet_retention.schedule import (
    AppealRecord,
    Deletion,
    DossierRetention,
    RetentionRules,
    StepDecided,
    deletion,
)

metadata = MetaData()
retention_schedule = Table(
    "retention_schedule",
    metadata,
    Column("dossier_id", String(64), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("due_on", Date, nullable=True),
    Column("rule", String(40), nullable=True),
    Column("why", Text, nullable=False),
    Column("held", Boolean, nullable=False),
    Column("purged_at", DateTime(timezone=True), nullable=True),
)


store_identity = Table("store_identity", metadata, Column("epoch", String(32), primary_key=True))


async def store_epoch(engine: AsyncEngine) -> str:
    """This store's identity, made once with the store."""
    async with engine.begin() as connection:
        row = (await connection.execute(select(store_identity.c.epoch))).first()
        if row is not None:
            return str(row.epoch)
        epoch = uuid.uuid4().hex[:12]
        await connection.execute(store_identity.insert().values(epoch=epoch))
        return epoch


def digest(rows: list[tuple[str, Any, Any, Any]]) -> str:
    """A digest of (dossier, due date, rule, held) rows, in dossier order."""
    text = json.dumps(sorted([list(map(str, row)) for row in rows]))
    return hashlib.sha256(text.encode()).hexdigest()


async def schedule_digest(connection: AsyncConnection) -> str:
    table = retention_schedule
    query = select(table.c.dossier_id, table.c.due_on, table.c.rule, table.c.held)
    return digest([tuple(row) for row in await connection.execute(query)])


def dump(state: DossierRetention) -> dict[str, Any]:
    data = asdict(state)
    data["open_appeals"] = sorted(state.open_appeals)  # read by hand; the appeals say more
    encoded: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return encoded


def _days(data: dict[str, Any]) -> dict[str, date | None]:
    return {k: date.fromisoformat(v) if v else None for k, v in data.items() if k.endswith("_on")}


def load(data: dict[str, Any]) -> DossierRetention:
    """A stored state. One stored before retention kept who decided and who lodged knows
    only the ids of its open appeals: ``guichet retention replay`` teaches it the rest."""
    decisions = {
        step: StepDecided(by=d["by"], on=date.fromisoformat(d["on"]))
        for step, d in data.get("decisions", {}).items()
    }
    appeals = {
        k: AppealRecord(step=a.get("step"), lodged_by=a.get("lodged_by"), **_days(a))
        for k, a in data.get("appeals", {}).items()
    }
    for appeal_id in data.get("open_appeals", ()):
        appeals.setdefault(appeal_id, AppealRecord())
    return DossierRetention(
        dossier_id=data["dossier_id"],
        kind=data.get("kind"),
        **_days(data),
        decisions=decisions,
        appeals=appeals,
    )


async def state_of(connection: AsyncConnection, dossier_id: str) -> DossierRetention:
    query = select(retention_schedule.c.state).where(retention_schedule.c.dossier_id == dossier_id)
    row = (await connection.execute(query)).first()
    return load(row.state) if row else DossierRetention(dossier_id)


def _row(state: DossierRetention, rule: Deletion) -> dict[str, Any]:
    return {
        "dossier_id": state.dossier_id,
        "state": dump(state),
        "due_on": rule.due_on,
        "rule": rule.rule,
        "why": rule.why,
        "held": rule.held_by_appeal,
        "purged_at": datetime.combine(state.purged_on, datetime.min.time(), UTC)
        if state.purged_on
        else None,
    }


async def save(
    connection: AsyncConnection, state: DossierRetention, rules: RetentionRules
) -> Deletion:
    rule = deletion(state, rules)
    await upsert_all(connection, retention_schedule, ["dossier_id"], [_row(state, rule)])
    return rule


async def save_all(
    connection: AsyncConnection, states: Iterable[DossierRetention], rules: RetentionRules
) -> None:
    """Save many dossiers' schedules, a few hundred per statement (a replay's end)."""
    rows = [_row(state, deletion(state, rules)) for state in states]
    await upsert_all(connection, retention_schedule, ["dossier_id"], rows)


async def due(connection: AsyncConnection, today: date) -> list[str]:
    query = select(retention_schedule.c.dossier_id).where(
        retention_schedule.c.due_on <= today, retention_schedule.c.purged_at.is_(None)
    )
    return [row.dossier_id for row in await connection.execute(query)]


async def scheduled(connection: AsyncConnection, dossier_id: str) -> dict[str, Any] | None:
    """The dossier's row of the schedule, as the schedule route shows it, or None."""
    query = retention_schedule.select().where(retention_schedule.c.dossier_id == dossier_id)
    row = (await connection.execute(query)).first()
    if row is None:
        return None
    return {
        "dossier_id": row.dossier_id,
        "due_on": row.due_on,
        "rule": row.rule,
        "why": row.why,
        "held_by_appeal": row.held,
        "purged_at": row.purged_at,
    }


async def forecast(connection: AsyncConnection, until: date) -> list[dict[str, Any]]:
    query = (
        select(retention_schedule)
        .where(retention_schedule.c.purged_at.is_(None))
        .where((retention_schedule.c.due_on <= until) | retention_schedule.c.held.is_(True))
        .order_by(retention_schedule.c.due_on)
    )
    return [
        {
            "dossier_id": row.dossier_id,
            "due_on": row.due_on,
            "rule": row.rule,
            "why": row.why,
            "held_by_appeal": row.held,
        }
        for row in await connection.execute(query)
    ]
