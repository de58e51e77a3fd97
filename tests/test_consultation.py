"""Consultation: need-to-know views (Art. 11, 21-26), the access policy as data, the
access log the data subject reads (Art. 29), and projections rebuilt without downtime.
On the embedded default and on PostgreSQL + Kafka."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text

from guichet_consultation.policy import POLICY, DataCategory, evaluate
from guichet_consultation.rebuild import rebuild
from guichet_consultation.views import facts_of, requester_of
from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import Caller

from .stacks import Stack
from .support import WORKER_NISS, application_form, document, environment, eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")

REASONS = "Refusal ground ZQ-314: the employer's file is incomplete."


def validity() -> dict[str, str]:
    start = date.today() + timedelta(days=30)
    return {"valid_from": start.isoformat(), "valid_until": (start + timedelta(365)).isoformat()}


async def file(stack: Stack, **form: Any) -> str:
    response = await stack.intake.post(
        "/applications", json=application_form(**form), headers=stack.tokens.employer()
    )
    assert response.status_code == 201, response.text
    return str(response.json()["application_id"])


async def visible(stack: Stack, dossier_id: str, status: str) -> dict[str, Any]:
    ops = stack.tokens.header(Authority.OE)

    async def probe() -> Any:
        response = await stack.consultation.get(f"/dossiers/{dossier_id}", headers=ops)
        body = response.json() if response.status_code == 200 else {}
        return body if body.get("data", {}).get("summary", {}).get("status") == status else None

    return dict(await eventually(probe, f"consultation shows {dossier_id} {status}"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dossiers(stack: Stack) -> dict[str, str]:
    """A granted single permit with health and criminal documents, a withdrawn one, and
    one refused by the Office, all in Flanders; decided over the bus."""
    vlg, oe = stack.tokens.header(Authority.VLG), stack.tokens.header(Authority.OE)
    documents = [
        document("passport"),
        document("diploma"),
        document("medical_certificate"),
        document("criminal_record_extract"),
    ]
    ids = {
        "granted": await file(stack, postcode="2000", documents=documents),
        "withdrawn": await file(stack, postcode="2000"),
        "refused": await file(stack, postcode="2000"),
    }
    for name, dossier_id in ids.items():
        url = f"/dossiers/{dossier_id}"

        async def received(url: str = url) -> bool:
            return (await stack.region.get(url, headers=vlg)).status_code == 200

        await eventually(received, "the region receives it")
        await stack.region.post(url + "/admissibility", json={"admissible": True}, headers=vlg)
        await stack.region.post(
            url + "/work-decision", headers=vlg, json={"authorised": True, **validity()}
        )
        body: dict[str, Any] = (
            {"authorised": False, "reasons": REASONS}
            if name == "refused"
            else {"authorised": True, **validity()}
        )

        async def decided(url: str = url, body: dict[str, Any] = body) -> bool:
            response = await stack.office.post(url + "/residence-decision", json=body, headers=oe)
            return response.status_code == 200

        await eventually(decided, f"the Office decides {name}")
        if name == "withdrawn":
            await stack.office.post(url + "/withdrawal", json={"reasons": REASONS}, headers=oe)
    await visible(stack, ids["granted"], "single_permit_granted")
    await visible(stack, ids["withdrawn"], "withdrawn")
    await visible(stack, ids["refused"], "refused")
    return ids


CALLERS: list[tuple[Authority, frozenset[str], str | None]] = [
    *((a, frozenset(), None) for a in Authority if a != Authority.APPLICANT),
    (Authority.VLG, frozenset({"health_data"}), None),
    (Authority.VLG, frozenset({"criminal_records"}), None),
    (Authority.WAL, frozenset(), None),
    (Authority.OE, frozenset({"health_data", "criminal_records"}), None),
    (Authority.FEDERAL_INSPECTION, frozenset(), "inspection"),
    (Authority.REGIONAL_INSPECTION, frozenset(), "inspection"),
    (Authority.DIPLOMATIC_POST, frozenset(), "visa_d"),
    (Authority.COMMUNE, frozenset(), "temporary_residence_document"),
    (Authority.PUBLIC_EMPLOYMENT_SERVICE, frozenset(), None),
]


async def test_every_caller_reads_exactly_what_the_policy_allows_and_every_read_is_logged(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    """The matrix generated from the policy table: every authority, role and purpose
    against every data category of each dossier."""
    checked = 0
    for (authority, roles, purpose), (name, dossier_id) in itertools.product(
        CALLERS, dossiers.items()
    ):
        token = stack.tokens.issue(
            authority=authority, subject="agent-7", roles=roles, purpose=purpose
        )
        response = await stack.consultation.get(f"/dossiers/{dossier_id}", headers=token)
        caller = Caller(
            subject="agent-7", authority=authority, agent_id="agent-7", roles=roles, purpose=purpose
        )
        expected = await expected_categories(stack, dossier_id, caller, purpose)
        if not expected:
            assert response.status_code == 403, (authority, roles, name, response.text)
        else:
            assert response.status_code == 200, (authority, roles, name, response.text)
            assert set(response.json()["data"]) == expected, (authority, roles, purpose, name)
            withheld = {w["category"] for w in response.json()["withheld"]}
            assert withheld == {c.value for c in DataCategory} - expected
        checked += 1
    log = await access_log_of(stack, dossiers["granted"])
    assert len(log) >= len(CALLERS)
    assert {entry["outcome"] for entry in log} >= {"denied", "partial"}
    assert checked == len(CALLERS) * len(dossiers)


async def expected_categories(
    stack: Stack, dossier_id: str, caller: Caller, purpose: str | None
) -> set[str]:
    from guichet_consultation.generations import Generations, load_view

    runtime = stack.apps[3].state.runtime
    async with runtime.engine.connect() as connection:
        tables = await Generations(runtime.engine).active(connection)
        view = await load_view(connection, tables, dossier_id)
    assert view is not None
    verdicts = evaluate(POLICY, requester_of(caller, purpose, set()), facts_of(view))
    return {category.value for category, verdict in verdicts.items() if verdict.allowed}


async def access_log_of(stack: Stack, dossier_id: str) -> list[dict[str, Any]]:
    """The worker reads who consulted their dossier (Art. 29, CJEU C-579/21)."""
    response = await stack.consultation.get("/me/access-log", headers=stack.tokens.worker())
    assert response.status_code == 200, response.text
    return [entry for entry in response.json() if entry["dossier_id"] == dossier_id]


async def test_the_worker_reads_who_consulted_the_dossier_and_why(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    token = stack.tokens.issue(
        authority=Authority.FEDERAL_INSPECTION, subject="inspector-3", purpose="inspection"
    )
    await stack.consultation.get(f"/dossiers/{dossiers['granted']}", headers=token)
    log = await access_log_of(stack, dossiers["granted"])
    last = log[-1]
    assert last["authority"] == "INSP_FED" and last["agent_id"] == "inspector-3"
    assert last["purpose"] == "inspection" and "identification" in last["categories"]
    employer_view = await stack.consultation.get("/me/access-log", headers=stack.tokens.employer())
    assert employer_view.status_code == 200


async def test_an_offices_refusal_shows_other_authorities_only_the_flag(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    """Art. 24 and 25: of an Immigration Office refusal, the region and the inspection
    services see only that it was taken."""
    for authority, purpose in ((Authority.VLG, None), (Authority.FEDERAL_INSPECTION, "inspection")):
        token = stack.tokens.issue(authority=authority, subject="a", purpose=purpose)
        body = (
            await stack.consultation.get(f"/dossiers/{dossiers['refused']}", headers=token)
        ).json()
        flags = body["data"]["negative_decision_flags"]
        assert flags == [
            {"step": "residence", "authority_kind": "immigration_office", "at": flags[0]["at"]}
        ]
        assert REASONS not in str(body)


async def test_public_employment_services_see_single_permit_withdrawals_only(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    """Art. 10 9°: to help the worker find another job."""
    pes = stack.tokens.issue(authority=Authority.PUBLIC_EMPLOYMENT_SERVICE, subject="vdab-1")
    withdrawn = await stack.consultation.get(f"/dossiers/{dossiers['withdrawn']}", headers=pes)
    assert withdrawn.status_code == 200 and "withdrawals" in withdrawn.json()["data"]
    assert "identification" not in withdrawn.json()["data"]
    granted = await stack.consultation.get(f"/dossiers/{dossiers['granted']}", headers=pes)
    assert granted.status_code == 403


async def test_search_by_niss_and_enterprise_number_returns_what_the_caller_may_see(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    vlg = stack.tokens.header(Authority.VLG)
    by_niss = await stack.consultation.post(
        "/dossiers/search", json={"niss": WORKER_NISS}, headers=vlg
    )
    assert set(dossiers.values()) <= {d["dossier_id"] for d in by_niss.json()}
    by_company = await stack.consultation.post(
        "/dossiers/search", json={"enterprise_number": "0403.019.261"}, headers=vlg
    )
    assert set(dossiers.values()) <= {d["dossier_id"] for d in by_company.json()}
    also_by_query = await stack.consultation.get(
        "/dossiers", params={"enterprise_number": "0403.019.261"}, headers=vlg
    )
    assert also_by_query.json() == by_company.json()
    onss = stack.tokens.header(Authority.ONSS)
    nothing = await stack.consultation.post(
        "/dossiers/search", json={"niss": WORKER_NISS}, headers=onss
    )
    assert nothing.status_code == 200 and nothing.json() == []


async def test_a_niss_in_a_query_string_is_refused_and_the_caller_told_how_to_search(
    stack: Stack,
) -> None:
    """GDPR Art. 5 §1 f, Art. 32: a query string is written into access logs and trace
    URLs, so a NISS travels in a POST body instead; the answer does not repeat it."""
    vlg = stack.tokens.header(Authority.VLG)
    response = await stack.consultation.get("/dossiers", params={"niss": WORKER_NISS}, headers=vlg)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and "POST /dossiers/search" in problem["detail"]
    assert WORKER_NISS not in response.text


async def test_repeated_searches_leave_one_denied_entry_per_caller_dossier_and_window(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    """Art. 15-17: every consultation is recorded, yet a caller repeating a search that
    shows it nothing must not flood the person's access log (Art. 29): one denied entry
    per caller, dossier and window; another caller's denial is its own entry."""
    for agent in ("curious-1", "curious-1", "curious-1", "curious-2"):
        onss = stack.tokens.header(Authority.ONSS, agent)
        response = await stack.consultation.post(
            "/dossiers/search", json={"niss": WORKER_NISS}, headers=onss
        )
        assert response.status_code == 200 and response.json() == []
    for dossier_id in dossiers.values():
        denials = [
            entry["agent_id"]
            for entry in await access_log_of(stack, dossier_id)
            if entry["authority"] == "ONSS" and entry["agent_id"].startswith("curious-")
        ]
        assert sorted(denials) == ["curious-1", "curious-2"], dossier_id


async def test_a_caller_searching_past_the_limit_gets_429_with_when_to_retry(
    stack: Stack,
) -> None:
    """GUICHET_CONSULTATION_SEARCH_LIMIT searches (30 by default) per caller in ten
    minutes; past it, 429 with Retry-After, and other callers search on."""
    flooder = stack.tokens.header(Authority.WAL, "flooder")
    search = {"enterprise_number": "0999.999.999"}  # matches nothing: cheap to repeat
    answers = [
        (await stack.consultation.post("/dossiers/search", json=search, headers=flooder))
        for _ in range(31)
    ]
    assert [a.status_code for a in answers] == [200] * 30 + [429]
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert 0 < int(refused.headers["retry-after"]) <= 600
    assert "search" in refused.json()["detail"]
    other = stack.tokens.header(Authority.WAL, "colleague")
    response = await stack.consultation.post("/dossiers/search", json=search, headers=other)
    assert response.status_code == 200


async def test_tokens_that_prove_nothing_get_401(stack: Stack, dossiers: dict[str, str]) -> None:
    url = f"/dossiers/{dossiers['granted']}"
    assert (await stack.consultation.get(url)).status_code == 401
    expired = stack.tokens.issue(authority=Authority.VLG, subject="x", ttl=timedelta(seconds=-120))
    assert (await stack.consultation.get(url, headers=expired)).status_code == 401
    forged = {
        "Authorization": "Bearer "
        + stack.tokens.header(Authority.VLG)["Authorization"].split()[1][:-4]
        + "AAAA"
    }
    assert (await stack.consultation.get(url, headers=forged)).status_code == 401
    elsewhere = stack.tokens.for_audience("another-platform").header(Authority.VLG)
    assert (await stack.consultation.get(url, headers=elsewhere)).status_code == 401


async def test_altering_one_access_log_entry_is_detected(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    supervisor = stack.tokens.issue(
        authority=Authority.PLATFORM_OPS, subject="dpo", roles=frozenset({"supervisor"})
    )
    before = (await stack.consultation.get("/access-log/verify", headers=supervisor)).json()
    assert before["ok"] is True and before["entries"] > 0
    runtime = stack.apps[3].state.runtime
    async with runtime.engine.begin() as connection:
        seq = (await connection.execute(text("select min(seq) from access_log"))).scalar_one()
        await connection.execute(
            text("update access_log set purpose = 'curiosity' where seq = :seq"), {"seq": seq + 1}
        )
    after = (await stack.consultation.get("/access-log/verify", headers=supervisor)).json()
    assert after["ok"] is False and after["first_broken_seq"] == seq + 1
    async with runtime.engine.begin() as connection:  # later tests need a sound chain
        await connection.execute(text("delete from access_log"))


async def test_a_rebuild_yields_the_same_projection_and_switches_without_downtime(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    with environment(**stack.secrets):
        report = await rebuild(stack.settings)
    # granted: filed, admissible, work, residence, permit; withdrawn: the same + withdrawal;
    # refused: filed, admissible, work, negative decision
    assert report.events == 5 + 6 + 4
    assert report.digest == report.previous_digest
    oe = stack.tokens.header(Authority.OE)
    for dossier_id in dossiers.values():
        assert (await stack.consultation.get(f"/dossiers/{dossier_id}", headers=oe)).is_success


async def test_randomised_lifecycles_never_show_a_reason_to_anyone(stack: Stack) -> None:
    """Art. 24, as a property over random lifecycles: whatever decisions are taken, in
    whatever order, no consultation view — for any authority, role or purpose, nor the
    applicant's — contains a negative decision's reasons."""
    rng = random.Random(20260131)  # the agreement's date: reproducible runs
    vlg, oe = stack.tokens.header(Authority.VLG), stack.tokens.header(Authority.OE)
    reasons_given: list[str] = []
    dossier_ids: list[str] = []
    for round_ in range(6):
        dossier_id = await file(stack, postcode=rng.choice(["2000", "3000", "8000", "9000"]))
        dossier_ids.append(dossier_id)
        url = f"/dossiers/{dossier_id}"

        async def received(url: str = url) -> bool:
            return (await stack.region.get(url, headers=vlg)).status_code == 200

        await eventually(received, "the region receives it")
        reason = f"reason-{round_}-{rng.randrange(10**9):09d}"
        reasons_given.append(reason)
        path = rng.choice(["inadmissible", "work_refused", "residence_refused", "withdrawn"])
        if path == "inadmissible":
            await stack.region.post(
                url + "/admissibility", headers=vlg, json={"admissible": False, "reasons": reason}
            )
            continue
        await stack.region.post(url + "/admissibility", json={"admissible": True}, headers=vlg)
        if path == "work_refused":
            await stack.region.post(
                url + "/work-decision", headers=vlg, json={"authorised": False, "reasons": reason}
            )
            continue
        await stack.region.post(
            url + "/work-decision", headers=vlg, json={"authorised": True, **validity()}
        )
        grant = path == "withdrawn"
        body = (
            {"authorised": True, **validity()}
            if grant
            else {"authorised": False, "reasons": reason}
        )

        async def decided(url: str = url, body: dict[str, Any] = body) -> bool:
            response = await stack.office.post(url + "/residence-decision", json=body, headers=oe)
            return response.status_code == 200

        await eventually(decided, "the Office decides")
        if grant:
            await stack.office.post(url + "/withdrawal", json={"reasons": reason}, headers=oe)
    for dossier_id in dossier_ids:
        await eventually(lambda d=dossier_id: _settled(stack, d), "the dossier is decided")
        for authority, roles, purpose in [*CALLERS, (Authority.APPLICANT, frozenset(), None)]:
            subject = WORKER_NISS if authority is Authority.APPLICANT else "agent-9"
            token = stack.tokens.issue(
                authority=authority, subject=subject, roles=roles, purpose=purpose
            )
            body_text = (
                await stack.consultation.get(f"/dossiers/{dossier_id}", headers=token)
            ).text
            for reason in reasons_given:
                assert reason not in body_text, (authority, roles, purpose)


async def _settled(stack: Stack, dossier_id: str) -> bool:
    response = await stack.consultation.get(
        f"/dossiers/{dossier_id}", headers=stack.tokens.header(Authority.OE)
    )
    status = response.json().get("data", {}).get("summary", {}).get("status")
    return status in ("refused", "withdrawn")
