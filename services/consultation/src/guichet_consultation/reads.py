"""The queries consultation's handlers run on the active projection generation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_consultation.domain import SEARCH_RESULTS, enterprise_digits
from guichet_consultation.generations import BlindIndex, Generations, load_view
from guichet_consultation.projection import View
from guichet_core.kernel.store.database import single_statements


async def filed_view(engine: AsyncEngine, dossier_id: str) -> View | None:
    """The dossier's view, or None while it is unknown or not yet filed."""
    async with single_statements(engine).connect() as connection:
        tables = await Generations(engine).active(connection)
        view = await load_view(connection, tables, dossier_id)
    return view if view is not None and view.get("filed") else None


async def roles_in(engine: AsyncEngine, dossier_id: str, subject_index: str) -> set[str]:
    """The roles (worker, employer, mandatary) a subject holds in a dossier."""
    async with engine.connect() as connection:
        tables = await Generations(engine).active(connection)
        subjects = tables.subjects
        query = select(subjects.c.role).where(
            subjects.c.dossier_id == dossier_id, subjects.c.subject_index == subject_index
        )
        return {row.role for row in await connection.execute(query)}


async def dossiers_of(engine: AsyncEngine, subject_index: str) -> list[str]:
    """The ids of the dossiers a subject is party to, in id order."""
    async with engine.connect() as connection:
        tables = await Generations(engine).active(connection)
        subjects = tables.subjects
        query = select(subjects.c.dossier_id).where(subjects.c.subject_index == subject_index)
        return sorted({row.dossier_id for row in await connection.execute(query)})


async def matching(
    engine: AsyncEngine, index: BlindIndex, *, niss: str | None, enterprise_number: str | None
) -> list[str]:
    """The ids of the dossiers of a NISS (by its blind index) and/or an enterprise number."""
    async with engine.connect() as connection:
        views = (await Generations(engine).active(connection)).views
        query = select(views.c.dossier_id)
        if niss:
            query = query.where(views.c.niss_index == index.of(niss))
        if enterprise_number:
            query = query.where(views.c.enterprise_number == enterprise_digits(enterprise_number))
        return [row.dossier_id for row in await connection.execute(query.limit(SEARCH_RESULTS))]
