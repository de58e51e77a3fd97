"""Rights requests on both backends: recorded, listed for the person and for the controller
(soonest due first, overdue flagged), answered once, deleted with their dossier."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

import guichet_retention
from guichet_core.kernel.store.database import DatabaseConfig, create_engine, migrate
from guichet_retention.rights import (
    Concern,
    RightKind,
    RightsError,
    RightsRequest,
    answer,
    receive,
)
from guichet_retention.rights_store import RightsStore, rights_requests

MIGRATIONS = Path(guichet_retention.__file__).parent / "migrations" / "versions"
ALICE = "a" * 64
BOB = "b" * 64


@pytest.fixture
async def engine(database_config: DatabaseConfig) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_config)
    await migrate(engine, database_config, version_locations=[MIGRATIONS])
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> RightsStore:
    return RightsStore(engine)


def request(
    request_id: str,
    *,
    received_at: datetime,
    subject_index: str = ALICE,
    dossier_id: str = "D-1",
    kind: RightKind = RightKind.ACCESS,
    concern: Concern = Concern.WORK,
    region: str = "BXL",
    details: str = "Je souhaite recevoir toutes mes données. Mon NISS : 85073003328.",
) -> RightsRequest:
    return receive(
        request_id=request_id,
        dossier_id=dossier_id,
        subject_index=subject_index,
        kind=kind,
        concern=concern,
        competent_region=region,
        details=details,
        received_at=received_at,
    )


async def test_add_and_get_round_trip(store: RightsStore) -> None:
    original = request(
        "R-1",
        received_at=datetime(2025, 1, 31, 23, 30, 15, 123456, tzinfo=UTC),
        details="Mijn naam is fout gespeld: « Özil », niet « Ozil ».\nDank u.",
        kind=RightKind.RECTIFICATION,
        region="VLG",
    )
    await store.add(original)
    stored = await store.get("R-1")
    assert stored == original
    assert stored is not None
    assert stored.received_at.tzinfo is not None
    assert stored.due_on == date(2025, 3, 1)  # received 1 February in Brussels
    assert stored.details == original.details  # stored as given
    assert await store.get("R-404") is None


async def test_add_twice_is_refused(store: RightsStore) -> None:
    first = request("R-1", received_at=datetime(2025, 3, 1, tzinfo=UTC))
    await store.add(first)
    with pytest.raises(RightsError, match="already recorded"):
        await store.add(first)


async def test_add_refuses_an_answered_request(store: RightsStore) -> None:
    first = request("R-1", received_at=datetime(2025, 3, 1, tzinfo=UTC))
    answered = answer(first, "granted", "Voici l'export.", datetime(2025, 3, 2, tzinfo=UTC))
    with pytest.raises(RightsError):
        await store.add(answered)


async def test_mine_lists_only_the_requesters_own_oldest_first(store: RightsStore) -> None:
    await store.add(request("R-2", received_at=datetime(2025, 3, 5, tzinfo=UTC)))
    await store.add(request("R-1", received_at=datetime(2025, 3, 1, tzinfo=UTC)))
    await store.add(request("R-3", received_at=datetime(2025, 3, 2, tzinfo=UTC), subject_index=BOB))
    mine = await store.mine(ALICE)
    assert [r.request_id for r in mine] == ["R-1", "R-2"]
    assert [r.request_id for r in await store.mine(BOB)] == ["R-3"]
    assert await store.mine("c" * 64) == []


async def test_queue_per_controller_soonest_due_first_with_overdue_flags(
    store: RightsStore,
) -> None:
    await store.add(request("R-late", received_at=datetime(2025, 1, 10, tzinfo=UTC)))  # 10/02
    await store.add(request("R-due", received_at=datetime(2025, 1, 31, tzinfo=UTC)))  # 28/02
    await store.add(request("R-new", received_at=datetime(2025, 2, 20, tzinfo=UTC)))  # 20/03
    await store.add(request("R-mid", received_at=datetime(2025, 1, 20, tzinfo=UTC)))  # 20/02
    await store.add(
        request("R-oe", received_at=datetime(2025, 1, 5, tzinfo=UTC), concern=Concern.RESIDENCE)
    )
    await store.add(request("R-wal", received_at=datetime(2025, 1, 5, tzinfo=UTC), region="WAL"))
    answered = answer(
        request("R-done", received_at=datetime(2025, 1, 1, tzinfo=UTC)),
        "refused",
        "Demande manifestement infondée.",
        datetime(2025, 1, 15, tzinfo=UTC),
    )
    await store.add(request("R-done", received_at=datetime(2025, 1, 1, tzinfo=UTC)))
    await store.save_answer(answered)

    queue = await store.queue("BXL", today=date(2025, 2, 28))
    assert [(r.request_id, overdue) for r, overdue in queue] == [
        ("R-late", True),
        ("R-mid", True),
        ("R-due", False),  # due today: not yet overdue
        ("R-new", False),
    ]
    assert [r.due_on for r, _ in queue] == sorted(r.due_on for r, _ in queue)
    next_day = await store.queue("BXL", today=date(2025, 3, 1))
    assert [(r.request_id, overdue) for r, overdue in next_day][2] == ("R-due", True)

    assert [(r.request_id, o) for r, o in await store.queue("OE", today=date(2025, 2, 28))] == [
        ("R-oe", True)
    ]
    assert [r.request_id for r, _ in await store.queue("WAL", today=date(2025, 1, 6))] == ["R-wal"]
    assert await store.queue("DG", today=date(2025, 2, 28)) == []


async def test_answer_is_saved_once(store: RightsStore) -> None:
    received = request("R-1", received_at=datetime(2025, 3, 1, tzinfo=UTC))
    await store.add(received)
    at = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
    first = answer(received, "granted", "Vous trouverez l'export en pièce jointe.", at)
    await store.save_answer(first)
    assert await store.get("R-1") == first

    # A second agent answered from the same stale copy: refused, the first answer stays.
    second = answer(received, "refused", "Non.", at)
    with pytest.raises(RightsError, match="already answered"):
        await store.save_answer(second)
    assert await store.get("R-1") == first
    assert await store.queue("BXL", today=date(2025, 3, 10)) == []
    assert [r.status for r in await store.mine(ALICE)] == ["answered"]


async def test_concurrent_answers_only_one_wins(store: RightsStore) -> None:
    received = request("R-1", received_at=datetime(2025, 3, 1, tzinfo=UTC))
    await store.add(received)
    at = datetime(2025, 3, 10, tzinfo=UTC)
    answers = [answer(received, "granted", f"Réponse {n}.", at) for n in range(5)]
    results = await asyncio.gather(*(store.save_answer(a) for a in answers), return_exceptions=True)
    assert sum(result is None for result in results) == 1
    assert all(isinstance(r, RightsError) for r in results if r is not None)
    stored = await store.get("R-1")
    assert stored in answers


async def test_save_answer_needs_an_answer_and_a_known_request(store: RightsStore) -> None:
    received = request("R-1", received_at=datetime(2025, 3, 1, tzinfo=UTC))
    with pytest.raises(RightsError):
        await store.save_answer(received)  # nothing to save
    with pytest.raises(RightsError):
        await store.save_answer(answer(received, "granted", "Fait.", datetime.now(UTC)))


async def test_a_granted_erasure_is_stored_as_requiring_a_purge(store: RightsStore) -> None:
    received = request("R-1", received_at=datetime(2025, 3, 1, tzinfo=UTC), kind=RightKind.ERASURE)
    await store.add(received)
    await store.save_answer(answer(received, "granted", "Effacé.", datetime.now(UTC)))
    stored = await store.get("R-1")
    assert stored is not None and stored.requires_purge


async def test_delete_dossier(store: RightsStore) -> None:
    await store.add(request("R-1", received_at=datetime(2025, 3, 1, tzinfo=UTC)))
    await store.add(request("R-2", received_at=datetime(2025, 3, 2, tzinfo=UTC)))
    await store.add(request("R-3", received_at=datetime(2025, 3, 3, tzinfo=UTC), dossier_id="D-2"))
    assert await store.delete_dossier("D-1") == 2
    assert await store.get("R-1") is None and await store.get("R-2") is None
    assert [r.request_id for r in await store.mine(ALICE)] == ["R-3"]
    assert await store.delete_dossier("D-1") == 0


async def test_the_database_refuses_an_inconsistent_row(engine: AsyncEngine) -> None:
    row = {
        "request_id": "R-x",
        "dossier_id": "D-1",
        "subject_index": ALICE,
        "kind": "access",
        "concern": "work",
        "controller": "BXL",
        "details": "x",
        "received_at": datetime(2025, 3, 1, tzinfo=UTC),
        "due_on": date(2025, 4, 1),
        "status": "answered",
        "answered_at": None,
        "outcome": None,
        "answer": None,
    }
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(rights_requests.insert().values(**row))
    async with engine.connect() as connection:
        assert (await connection.execute(select(rights_requests))).first() is None
