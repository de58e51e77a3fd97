"""Refused attempts on a dossier, on any service, are in that dossier's access log.

Art. 29 of the cooperation agreement and GDPR Art. 15 §1 c: the data subject learns who
consulted their dossier, and who tried to and was refused. Each service records the
refusal in its own store and outbox (an ``AccessRefused`` event, nothing personal), and
consultation appends it to the hash-chained access log the person reads at
``/me/access-log``, a 401's included. On the embedded default and on PostgreSQL + Kafka.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from guichet_contracts import (
    ACCESS_REFUSALS_TOPIC,
    AccessRefused,
    ApplicationFiled,
    CloudEventEnvelope,
)
from guichet_contracts.vocabulary import (
    ApplicantCategory,
    ApplicationKind,
    Authority,
    CompetentAuthority,
    FilerRole,
)
from guichet_core.testing.plugin import unique

from .stacks import Stack
from .stacks import filed_in_flanders as in_flanders
from .support import EMPLOYER, WORKER_NISS, eventually, read_topic

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def filed_in_flanders(stack: Stack) -> str:
    """A Flemish dossier (VLG competent, Art. 9), once consultation has it too."""
    dossier = await in_flanders(stack)

    office = stack.tokens.header(Authority.OE, "oe-reader")

    async def mine() -> Any:
        answer = await stack.consultation.get(f"/dossiers/{dossier}", headers=office)
        return answer.status_code == 200

    await eventually(mine, "the worker's dossier reaches consultation")
    return dossier


async def logged(stack: Stack, dossier: str, agent: str) -> dict[str, Any]:
    async def entry() -> Any:
        answer = await stack.consultation.get("/me/access-log", headers=stack.tokens.worker())
        assert answer.status_code == 200, answer.text
        found = [e for e in answer.json() if e["dossier_id"] == dossier and e["agent_id"] == agent]
        return found[-1] if found else None

    return dict(await eventually(entry, f"{agent}'s refused attempt is in the access log"))


async def test_every_refused_attempt_on_a_dossier_is_in_the_persons_access_log(
    stack: Stack,
) -> None:
    dossier = await filed_in_flanders(stack)
    start = date.today() + timedelta(days=30)
    period = {"valid_from": start.isoformat(), "valid_until": (start + timedelta(365)).isoformat()}
    attempts = [
        # Art. 9: only the competent region (here VLG) decides on work.
        (
            stack.region,
            "POST",
            f"/dossiers/{dossier}/work-decision",
            {"authorised": True, **period},
            Authority.WAL,
            "wal-officer",
        ),
        # Art. 12: the Immigration Office decides on residence, not on admissibility.
        (
            stack.region,
            "POST",
            f"/dossiers/{dossier}/admissibility",
            {"admissible": True},
            Authority.OE,
            "oe-agent",
        ),
        # Art. 29: an applicant reads their own dossier only (here: another employer).
        (stack.intake, "GET", f"/applications/{dossier}", None, Authority.APPLICANT, "0202239951"),
    ]
    for client, method, url, body, authority, agent in attempts:
        headers = stack.tokens.header(authority, agent)
        answer = await client.request(method, url, headers=headers, json=body)
        assert answer.status_code in (403, 404), answer.text
    wal = await logged(stack, dossier, "wal-officer")
    assert wal["authority"] == "WAL" and wal["outcome"] == "denied"
    assert wal["route"] == "regional-decision POST /dossiers/{application_id}/work-decision"
    oe = await logged(stack, dossier, "oe-agent")
    assert oe["authority"] == "OE" and oe["reason"] == "not_permitted"
    # Another applicant is recorded as an applicant, unnamed: the topic names no person.
    other = await logged(stack, dossier, "applicant")
    assert other["route"] == "intake GET /applications/{application_id}"
    assert other["reason"] in ("not_permitted", "not_found")
    # The supervisor reads the same entries in the dossier's log (GDPR Art. 58 §1 e).
    ops = stack.tokens.header(Authority.PLATFORM_OPS)
    answer = await stack.consultation.get(f"/dossiers/{dossier}/access-log", headers=ops)
    assert answer.status_code == 200, answer.text
    seen = {(e["authority"], e["agent_id"], e["route"]) for e in answer.json()}
    assert {
        (wal["authority"], "wal-officer", wal["route"]),
        ("OE", "oe-agent", oe["route"]),
    } <= seen
    # The chain still holds, the new entries included (Art. 29: tamper-evident).
    check = await stack.consultation.get("/access-log/verify", headers=ops)
    assert check.status_code == 200 and check.json()["ok"], check.text


async def test_a_refusal_on_no_dossier_is_recorded_in_no_log(stack: Stack) -> None:
    """An id that names no dossier belongs in no one's log (and cannot flood it)."""
    dossier = await filed_in_flanders(stack)
    unknown = "00000000-0000-4000-8000-000000000000"
    headers = stack.tokens.header(Authority.OE, "oe-nowhere")
    answer = await stack.region.post(
        f"/dossiers/{unknown}/admissibility", json={"admissible": True}, headers=headers
    )
    assert answer.status_code == 403
    seen = stack.tokens.header(Authority.OE, "oe-seen")
    await stack.region.post(
        f"/dossiers/{dossier}/admissibility", json={"admissible": True}, headers=seen
    )
    await logged(stack, dossier, "oe-seen")  # after it, the earlier one was handled too
    runtime = stack.apps[3].state.runtime
    from guichet_consultation.access_log import AccessLog

    assert await AccessLog(runtime.engine).for_dossiers([unknown]) == []


async def test_nothing_personal_is_on_the_refusals_topic(stack: Stack) -> None:
    """GDPR Art. 5 §1 c and f: who, where and why in one word; no NISS, no name, no URL,
    and an applicant refused is not named (an applicant's agent is a person)."""
    dossier = await filed_in_flanders(stack)
    someone = "0202239951"  # another employer, signed in as an applicant
    headers = stack.tokens.header(Authority.APPLICANT, someone)
    assert (await stack.intake.get(f"/applications/{dossier}", headers=headers)).status_code in (
        403,
        404,
    )
    agent = unique("probe-")  # an officer refused after it: its entry marks the topic's end
    answer = await stack.region.post(
        f"/dossiers/{dossier}/admissibility",
        json={"admissible": True},
        headers=stack.tokens.header(Authority.OE, agent),
    )
    assert answer.status_code == 403, answer.text
    await logged(stack, dossier, agent)
    messages = await read_topic(
        stack.settings,
        stack.settings.named(ACCESS_REFUSALS_TOPIC),
        lambda found: any(agent.encode() in m.value for m in found),
        "the refusal is on the topic",
    )
    assert any(b'"APPLICANT"' in m.value for m in messages)
    for message in messages:
        wire = message.value + b" ".join(v for _, v in message.headers) + (message.key or b"")
        for personal in (WORKER_NISS, EMPLOYER, someone, "Diallo", "Amina", "amina.diallo"):
            assert personal.encode() not in wire, personal


async def test_a_401_on_a_named_dossier_is_in_its_access_log(stack: Stack) -> None:
    """A bad token is refused 401 and, the dossier being named, recorded too: an expired
    token of a real agent names that agent (its signature proves it); a forged one names
    no one (its claims are the attacker's), on another service and on consultation's own
    view alike (where the view, never reached, logs nothing itself)."""
    dossier = await filed_in_flanders(stack)
    expired_agent = unique("vlg-expired-")
    expired = stack.tokens.issue(
        authority=Authority.VLG, subject=expired_agent, ttl=-timedelta(minutes=10)
    )
    stranger = ec.generate_private_key(ec.SECP256R1())
    claimed = unique("claimed-")  # what a forger writes in the claims: never recorded
    forged_claims = {
        "iss": "guichet-dev",
        "aud": "guichet",
        "sub": claimed,
        "iat": datetime.now(UTC),
        "exp": datetime.now(UTC) + timedelta(minutes=5),
        "guichet_authority": "VLG",
        "guichet_agent": claimed,
    }
    forged = {"Authorization": f"Bearer {jwt.encode(forged_claims, stranger, algorithm='ES256')}"}
    for client, headers in ((stack.region, expired), (stack.consultation, forged)):
        answer = await client.get(f"/dossiers/{dossier}", headers=headers)
        assert answer.status_code == 401, answer.text
    real = await logged(stack, dossier, expired_agent)
    assert real["authority"] == "VLG" and real["reason"] == "not_authenticated"
    assert real["route"] == "regional-decision GET /dossiers/{application_id}"
    unverified = await logged(stack, dossier, "unverified")
    assert unverified["authority"] == "UNVERIFIED" and unverified["outcome"] == "denied"
    assert unverified["route"] == "consultation GET /dossiers/{dossier_id}"
    answer = await stack.consultation.get("/me/access-log", headers=stack.tokens.worker())
    assert claimed not in answer.text


def _envelope_of(event: Any) -> CloudEventEnvelope:
    return CloudEventEnvelope(
        id=uuid.uuid4(),
        source="/guichet/tests",
        type=event.event_type,
        time=datetime.now(UTC),
        subject=str(event.application_id),
        schemaversion=event.schema_version,
        data=event.model_dump(mode="json"),
    )


async def test_a_refusal_that_arrives_before_its_dossier_is_logged_once_it_is_projected(
    stack: Stack,
) -> None:
    """The refusals topic and the filing's are read apart: a refusal at a region may reach
    consultation before the filing. It waits, and is in the log once the dossier is."""
    from guichet_consultation.access_log import AccessLog
    from guichet_consultation.consumers import bind_projection, bind_refusals

    runtime = stack.apps[3].state.runtime
    dossier = uuid.uuid4()
    agent = unique("wal-early-")
    now = datetime.now(UTC)
    refused = AccessRefused(
        application_id=dossier,
        service="regional-decision",
        authority="WAL",
        agent_id=agent,
        method="POST",
        route="/dossiers/{application_id}/work-decision",
        status=403,
        reason="not_permitted",
        refused_at=now,
    )
    filed = ApplicationFiled(
        application_id=dossier,
        kind=ApplicationKind.SINGLE_PERMIT,
        category=ApplicantCategory.GENERAL,
        competent_authority=CompetentAuthority.FLANDERS,
        workplace_postcode="2000",
        filed_by=FilerRole.EMPLOYER,
        filed_at=now,
    )
    log = AccessLog(runtime.engine)
    async with runtime.store.unit_of_work() as uow:
        await bind_refusals(runtime)[AccessRefused.event_type](refused, _envelope_of(refused), uow)
    assert await log.for_dossiers([str(dossier)]) == []  # no dossier yet: in no log
    async with runtime.store.unit_of_work() as uow:
        await bind_projection(runtime)[ApplicationFiled.event_type](filed, _envelope_of(filed), uow)
    [entry] = await log.for_dossiers([str(dossier)])
    assert (entry.authority, entry.agent_id, entry.reason) == ("WAL", agent, "not_permitted")
    assert entry.route == "regional-decision POST /dossiers/{application_id}/work-decision"
    # Released once: the next filing event of the dossier logs nothing more.
    async with runtime.store.unit_of_work() as uow:
        await bind_projection(runtime)[ApplicationFiled.event_type](filed, _envelope_of(filed), uow)
    assert len(await log.for_dossiers([str(dossier)])) == 1
