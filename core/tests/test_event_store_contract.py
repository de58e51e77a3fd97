"""The event store contract, run against every backend (SQLite and PostgreSQL).

A dossier is one append-only stream; an authority that decides on a stale view of it
must be refused, never silently overwrite another authority's decision.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from guichet_core.kernel.store.records import ConcurrencyConflict, NewEvent
from guichet_core.kernel.store.sql import SqlEventStore


def an_event(kind: str = "be.guichet.test.happened.v1", **data: object) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(),
        event_type=kind,
        schema_version=1,
        data={"n": 0, **data},
        occurred_at=datetime.now(UTC),
        metadata={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    )


def a_stream() -> str:
    return str(uuid.uuid4())


async def test_a_new_stream_starts_at_version_one(event_store: SqlEventStore) -> None:
    stream = a_stream()
    recorded = await event_store.append(stream, [an_event(), an_event()], expected_version=0)
    assert [e.version for e in recorded] == [1, 2]
    assert recorded[0].position < recorded[1].position


async def test_reading_a_stream_returns_exactly_what_was_appended(
    event_store: SqlEventStore,
) -> None:
    stream = a_stream()
    appended = [an_event(n=1), an_event(n=2)]
    await event_store.append(stream, appended, expected_version=0)
    read = await event_store.read_stream(stream)
    assert [e.event_id for e in read] == [e.event_id for e in appended]
    assert [e.data["n"] for e in read] == [1, 2]
    assert read[0].metadata == appended[0].metadata
    assert read[0].occurred_at == appended[0].occurred_at
    assert read[0].occurred_at.tzinfo is not None


async def test_appending_at_a_stale_version_is_refused_and_writes_nothing(
    event_store: SqlEventStore,
) -> None:
    stream = a_stream()
    await event_store.append(stream, [an_event(n=1)], expected_version=0)
    await event_store.append(stream, [an_event(n=2)], expected_version=1)
    with pytest.raises(ConcurrencyConflict) as refused:
        await event_store.append(stream, [an_event(n=99)], expected_version=1)
    assert "version 2, not 1" in str(refused.value)
    assert [e.data["n"] for e in await event_store.read_stream(stream)] == [1, 2]
    assert await event_store.outbox_backlog() == 0


async def test_concurrent_appends_at_the_same_version_let_exactly_one_win(
    event_store: SqlEventStore,
) -> None:
    stream = a_stream()
    await event_store.append(stream, [an_event()], expected_version=0)
    results = await asyncio.gather(
        *(event_store.append(stream, [an_event(n=i)], expected_version=1) for i in range(5)),
        return_exceptions=True,
    )
    assert sum(1 for r in results if isinstance(r, ConcurrencyConflict)) == 4
    assert len(await event_store.read_stream(stream)) == 2


async def test_the_same_event_cannot_be_stored_twice(event_store: SqlEventStore) -> None:
    event = an_event()
    await event_store.append(a_stream(), [event], expected_version=0)
    with pytest.raises(Exception, match=r"event_id|unique|UNIQUE"):
        await event_store.append(a_stream(), [event], expected_version=0)


async def test_read_all_returns_every_event_in_global_order_from_a_position(
    event_store: SqlEventStore,
) -> None:
    streams = [a_stream() for _ in range(3)]
    for round_ in range(3):
        for stream in streams:
            await event_store.append(stream, [an_event(n=round_)], expected_version=round_)
    everything = [e async for e in event_store.iter_all(batch=4)]
    assert len(everything) == 9
    positions = [e.position for e in everything]
    assert positions == sorted(positions)
    later = await event_store.read_all(after=positions[4])
    assert [e.position for e in later] == positions[5:]
    for stream in streams:  # per dossier, replay preserves the order of its versions
        assert [e.version for e in everything if e.stream_id == stream] == [1, 2, 3]


async def test_appending_queues_the_events_for_publication_in_the_same_transaction(
    event_store: SqlEventStore,
) -> None:
    stream = a_stream()
    await event_store.append(
        stream, [an_event(), an_event()], expected_version=0, publish_to="t.v1"
    )
    assert await event_store.outbox_backlog() == 2
    async with event_store.claim_outbox(10) as batch:
        assert [m.topic for m in batch.messages] == ["t.v1", "t.v1"]
        assert all(m.key == stream.encode() for m in batch.messages)
        assert batch.messages[0].header("ce_traceparent") is not None


async def test_a_failed_unit_of_work_leaves_neither_events_nor_outbox_rows(
    event_store: SqlEventStore,
) -> None:
    stream = a_stream()
    with pytest.raises(RuntimeError):
        async with event_store.unit_of_work() as uow:
            await uow.append(stream, [an_event()], expected_version=0, publish_to="t.v1")
            raise RuntimeError("the handler failed after appending")
    assert await event_store.read_stream(stream) == []
    assert await event_store.outbox_backlog() == 0


async def test_a_processed_message_is_recorded_once(event_store: SqlEventStore) -> None:
    async with event_store.unit_of_work() as uow:
        assert await uow.mark_processed(consumer="c", event_id="e1", topic="t") is True
    async with event_store.unit_of_work() as uow:
        assert await uow.mark_processed(consumer="c", event_id="e1", topic="t") is False
        assert await uow.mark_processed(consumer="other", event_id="e1", topic="t") is True


async def test_two_deciders_who_read_the_same_version_race_and_exactly_one_appends(
    event_store: SqlEventStore,
) -> None:
    """Two officers read the dossier at version 1 and decide at once, each in a unit of
    work as a decision runs. The loser is refused with ``ConcurrencyConflict`` (the HTTP
    layer answers 409) naming the version the winner left, never with a database error,
    and leaves nothing behind (no event, no outbox row)."""
    stream = a_stream()
    await event_store.append(stream, [an_event()], expected_version=0)
    read = len(await event_store.read_stream(stream))

    async def decide(n: int) -> None:
        async with event_store.unit_of_work() as uow:
            await uow.append(stream, [an_event(n=n)], expected_version=read, publish_to="t.v1")

    results = await asyncio.gather(decide(1), decide(2), return_exceptions=True)
    conflicts = [r for r in results if isinstance(r, ConcurrencyConflict)]
    assert len(conflicts) == 1 and results.count(None) == 1, results
    assert (conflicts[0].stream_id, conflicts[0].expected, conflicts[0].actual) == (stream, 1, 2)
    assert "version 2, not 1" in str(conflicts[0])
    assert [e.version for e in await event_store.read_stream(stream)] == [1, 2]
    assert await event_store.outbox_backlog() == 1
