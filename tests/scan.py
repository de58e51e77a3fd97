"""Everything the platform holds, as text: every row of every store and every message
of every topic, for the tests that check what may (not) be found where."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine

from guichet_core.kernel.store.database import normalise_url
from guichet_core.service import make_bus
from guichet_core.testing.plugin import unique

from .stacks import Stack

TOPICS = (
    "intake",
    "regional-decision",
    "residence-decision",
    "onss-feed",
    "consultation",
    "retention",
)


async def every_message(stack: Stack) -> list[bytes]:
    """Value, headers and key of every message on every service's topic."""
    settings = stack.settings
    bus = make_bus(settings, client_id="scan")
    topics = [settings.named(f"guichet.{name}.v1") for name in TOPICS]
    await bus.ensure_topics(topics)
    subscription = bus.subscription(group=settings.named(unique("scan-")), topics=topics)
    await subscription.start()
    seen: list[bytes] = []
    idle = 0
    try:
        while idle < 6:
            batch = await subscription.fetch(max_messages=500, timeout=0.5)
            idle = 0 if batch else idle + 1
            for received in batch:
                message = received.message
                headers = b" ".join(k.encode() + b"=" + v for k, v in message.headers)
                seen.append(message.value + b" " + headers + b" " + (message.key or b""))
    finally:
        await subscription.stop()
        await bus.close()
    return seen


async def every_row(stack: Stack) -> list[tuple[str, str]]:
    """(``store.table``, text of one row) for every row the platform keeps."""
    settings = stack.settings
    rows: list[tuple[str, str]] = []
    if settings.backend == "embedded":
        for path in sorted(settings.data_dir.glob("*.sqlite3")):
            engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
            async with engine.connect() as connection:
                query = "select name from sqlite_master where type='table'"
                names = (await connection.exec_driver_sql(query)).scalars().all()
                for name in names:
                    for row in await connection.exec_driver_sql(f'select * from "{name}"'):
                        rows.append((f"{path.stem}.{name}", text_of(row)))
            await engine.dispose()
        return rows
    engine = create_async_engine(normalise_url(str(settings.database_url)))
    async with engine.connect() as connection:
        query = (
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema like '{settings.namespace}%'"
        )
        for schema, name in (await connection.exec_driver_sql(query)).all():
            for row in await connection.exec_driver_sql(f'select * from "{schema}"."{name}"'):
                store = schema.removeprefix(settings.namespace)
                rows.append((f"{store}.{name}", text_of(row)))
    await engine.dispose()
    return rows


def text_of(row: Any) -> str:
    def plain(value: Any) -> str:
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    return " ".join(plain(value) for value in row)
