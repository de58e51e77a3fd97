"""Consultation's use cases, one handler per command (``domain``); no HTTP here.

Each consultation is cut by the policy at read time and recorded in the person's access
log, denials included (Art. 29). Nothing here writes an event: the only writes are the
access log's own, each in its transaction (``AccessLog.append`` commits them together).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from guichet_consultation import reads
from guichet_consultation.access_log import AccessEntry, AccessRecord, ChainCheck
from guichet_consultation.deps import deps_of
from guichet_consultation.domain import (
    ConsultDossier,
    ListMyDossiers,
    NoSuchDossier,
    NothingToRead,
    ReadDossierAccessLog,
    ReadMyAccessLog,
    SearchDossiers,
    VerifyAccessLog,
    caller_key,
    outcome_of,
)
from guichet_consultation.feed import blind_index_for
from guichet_consultation.views import Cut, cut, requester_of
from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import Caller
from guichet_core.service import Runtime
from guichet_core.stores.vault import DossierErased


async def consult_dossier(rt: Runtime, command: ConsultDossier) -> Cut:
    """What the caller may read of one dossier; ``NothingToRead`` if nothing."""
    result = await _consult(rt, command)
    if not result.read:
        reasons = "; ".join(w["reason"] for w in result.withheld[:3])
        raise NothingToRead(f"nothing of this dossier is yours to read: {reasons}")
    return result


async def search_dossiers(rt: Runtime, command: SearchDossiers) -> list[dict[str, Any]]:
    """The summary of each dossier found that the caller may read; each one consulted.

    The search limit (``SearchGuard.admit``) is the route's: it answers 429 with its
    Retry-After before this runs."""
    ids = await reads.matching(
        rt.engine,
        blind_index_for(rt),
        niss=command.niss,
        enterprise_number=command.enterprise_number,
    )
    purpose = command.purpose or command.caller.purpose
    each = [ConsultDossier(command.caller, d, purpose, command.now) for d in ids]
    results = await _consult_each(rt, each, searched=True)
    return [result.data["summary"] for result in results if "summary" in result.data]


async def list_my_dossiers(rt: Runtime, command: ListMyDossiers) -> list[dict[str, Any]]:
    """The applicant's own dossiers, each one a logged consultation."""
    ids = await reads.dossiers_of(rt.engine, blind_index_for(rt).of(command.caller.subject))
    each = [ConsultDossier(command.caller, d, "own_dossier", command.now) for d in ids]
    return [result.data.get("summary", {}) for result in await _consult_each(rt, each)]


async def read_my_access_log(rt: Runtime, command: ReadMyAccessLog) -> list[AccessRecord]:
    ids = await reads.dossiers_of(rt.engine, blind_index_for(rt).of(command.caller.subject))
    return await deps_of(rt).access_log.for_dossiers(ids)


async def read_dossier_access_log(rt: Runtime, command: ReadDossierAccessLog) -> list[AccessRecord]:
    return await deps_of(rt).access_log.for_dossiers([command.dossier_id])


async def verify_access_log(rt: Runtime, command: VerifyAccessLog) -> ChainCheck:
    return await deps_of(rt).access_log.verify()


async def _consult(rt: Runtime, command: ConsultDossier, *, searched: bool = False) -> Cut:
    # Erased (Art. 27): 410 whether this service has deleted its rows yet or not, and
    # whatever the key cache still holds (the key store is asked, not the cache).
    await rt.vault.ensure_not_erased(command.dossier_id)
    view = await reads.filed_view(rt.engine, command.dossier_id)
    if view is None:
        await _record(rt, command, None)
        raise NoSuchDossier("no such dossier")
    roles = await _roles_of(rt, command.caller, command.dossier_id)
    result = await cut(view, requester_of(command.caller, command.purpose, roles), rt.vault)
    await _record(rt, command, result, searched=searched)
    return result


async def _consult_each(
    rt: Runtime, commands: list[ConsultDossier], *, searched: bool = False
) -> list[Cut]:
    """Each dossier of a list, but those erased meanwhile (a purge under way)."""
    results = []
    for command in commands:
        with contextlib.suppress(DossierErased):
            results.append(await _consult(rt, command, searched=searched))
    return results


async def _roles_of(rt: Runtime, caller: Caller, dossier_id: str) -> set[str]:
    """The caller's roles in the dossier (worker, employer, mandatary), by blind index."""
    if caller.authority is not Authority.APPLICANT:
        return set()
    return await reads.roles_in(rt.engine, dossier_id, blind_index_for(rt).of(caller.subject))


async def _record(
    rt: Runtime, command: ConsultDossier, result: Cut | None, *, searched: bool = False
) -> None:
    read = result.read if result else []
    withheld = [w["category"] for w in result.withheld] if result else []
    outcome = outcome_of(read, withheld)
    caller = command.caller
    if searched and outcome == "denied":
        # One denied entry per caller, dossier and window: a repeated search cannot
        # flood the person's access log (Art. 29), every first one is still recorded.
        searches = deps_of(rt).searches
        if not searches.records_denial(caller_key(caller), command.dossier_id, command.now):
            return
    await deps_of(rt).access_log.append(
        AccessEntry(
            authority=caller.authority.value,
            agent_id=caller.agent_id,
            roles=sorted(caller.roles),
            purpose=command.purpose,
            dossier_id=command.dossier_id,
            categories=read,
            withheld=withheld,
            outcome=outcome,
        )
    )


COMMAND_HANDLERS: dict[type, Callable[[Runtime, Any], Awaitable[Any]]] = {
    ConsultDossier: consult_dossier,
    SearchDossiers: search_dossiers,
    ListMyDossiers: list_my_dossiers,
    ReadMyAccessLog: read_my_access_log,
    ReadDossierAccessLog: read_dossier_access_log,
    VerifyAccessLog: verify_access_log,
}
