"""Retention and data-subject rights (Art. 27-29) across the platform, with a moved
clock, on the embedded default and on PostgreSQL + Kafka."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio

from guichet_contracts import SealedData
from guichet_contracts.vocabulary import Authority
from guichet_core.service import create_app
from guichet_core.stores.vault import KeyShredded, SealBroken, open_vault
from guichet_retention import handlers
from guichet_retention.bootstrap import SPEC as RETENTION
from guichet_retention.bootstrap import rules_of
from guichet_retention.clock import FixedClock
from guichet_retention.replay import replay
from guichet_retention.rights import one_month_after
from guichet_retention.settings import RetentionSettings
from guichet_retention.store import schedule_digest

from .conftest import running
from .scan import every_message, every_row
from .stacks import Stack
from .support import application_form, environment, eventually, eventually_or_false

pytestmark = pytest.mark.asyncio(loop_scope="module")

TODAY = date.today()
ZEB = {  # the worker whose dossier will be purged: values found nowhere once it is
    "niss": "17073003384",
    "last_name": "Quartermaine",
    "first_names": "Zebulon",
    "birth_date": "2017-07-30",
    "passport_number": "Z99999999",
    "email": "zq@example.org",
}


@pytest.fixture(scope="module")
def stack_retention() -> RetentionSettings:
    return RetentionSettings(today=TODAY, purge_interval_seconds=3600)


def clock(stack: Stack) -> FixedClock:
    moved: FixedClock = stack.apps[4].state.runtime.deps.clock
    return moved


async def file(stack: Stack, *, worker: dict[str, str] | None = None, **form: Any) -> str:
    body = application_form(**form)
    if worker:
        body["worker"] = {**body["worker"], **worker}
    headers = stack.tokens.employer()
    response = await stack.intake.post("/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["application_id"])


Step = tuple[str, str, dict[str, Any]]


async def decide(
    stack: Stack, dossier_id: str, *, steps: list[Step], region: Authority = Authority.VLG
) -> None:
    clients = {"region": stack.region, "office": stack.office}
    for who, path, body in steps:
        token = stack.tokens.header(region if who == "region" else Authority.OE)
        url = f"/dossiers/{dossier_id}/{path}"

        async def done(
            who: str = who,
            url: str = url,
            body: dict[str, Any] = body,
            token: dict[str, str] = token,
        ) -> bool:
            return (await clients[who].post(url, json=body, headers=token)).status_code == 200

        await eventually(done, f"{who} {path}")


def validity() -> dict[str, str]:
    start = TODAY + timedelta(days=30)
    return {"valid_from": start.isoformat(), "valid_until": (start + timedelta(365)).isoformat()}


async def scheduled(stack: Stack, dossier_id: str, **expected: Any) -> dict[str, Any]:
    assert stack.retention is not None
    ops = stack.tokens.header(Authority.PLATFORM_OPS)

    async def probe() -> Any:
        response = await stack.retention.get(f"/schedule/{dossier_id}", headers=ops)
        row = response.json() if response.status_code == 200 else {}
        return row if all(row.get(k) == v for k, v in expected.items()) else None

    return dict(await eventually(probe, f"the schedule of {dossier_id} shows {expected}"))


GRANT = [
    ("region", "admissibility", {"admissible": True}),
    ("region", "work-decision", {"authorised": True, **validity()}),
    ("office", "residence-decision", {"authorised": True, **validity()}),
]
REFUSE = [("region", "admissibility", {"admissible": False, "reasons": "incomplete file"})]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dossiers(stack: Stack) -> dict[str, str]:
    ids = {
        "refused": await file(stack, postcode="2000", worker=ZEB),
        "granted": await file(stack, postcode="2000"),
        "appealed": await file(stack, postcode="2000"),
        "withdrawn": await file(stack, postcode="2000"),
    }
    await decide(stack, ids["refused"], steps=REFUSE)
    await decide(stack, ids["granted"], steps=GRANT)
    await decide(stack, ids["appealed"], steps=REFUSE)
    await decide(stack, ids["withdrawn"], steps=GRANT)
    return ids


def years(day: date, n: int) -> str:
    return day.replace(year=day.year + n).isoformat()


async def test_art_27_each_dossier_gets_its_deletion_date(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    await scheduled(stack, dossiers["refused"], due_on=years(TODAY, 5), rule="negative_5_years")
    await scheduled(stack, dossiers["granted"], due_on=years(TODAY, 10), rule="granted_10_years")


async def test_a_withdrawal_after_a_grant_moves_the_date(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    await scheduled(stack, dossiers["withdrawn"], rule="granted_10_years")
    await decide(
        stack,
        dossiers["withdrawn"],
        steps=[("office", "withdrawal", {"reasons": "fraud established"})],
    )
    await scheduled(stack, dossiers["withdrawn"], due_on=years(TODAY, 5), rule="negative_5_years")


async def test_an_appeal_holds_deletion_until_it_ends(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    assert stack.retention is not None
    vlg = stack.tokens.header(Authority.VLG)
    dossier = dossiers["appealed"]
    await scheduled(stack, dossier, rule="negative_5_years")
    lodged = await stack.retention.post(
        f"/dossiers/{dossier}/appeals",
        headers=vlg,
        json={"appeal_id": "RvV-1", "step": "admissibility", "lodged_on": TODAY.isoformat()},
    )
    assert lodged.status_code == 201 and lodged.json()["held_by_appeal"] is True
    assert lodged.json()["due_on"] is None
    ended_on = TODAY + timedelta(days=6 * 365)
    clock(stack).move_to(ended_on)  # an appeal's end is recorded once it happened
    try:
        ended = await stack.retention.post(
            f"/dossiers/{dossier}/appeals/RvV-1/decision",
            headers=vlg,
            json={"decided_on": ended_on.isoformat()},
        )
    finally:
        clock(stack).move_to(TODAY)
    # one year after the end of the appeal and of the 60 days left to appeal further
    assert ended.json()["due_on"] == years(ended_on + timedelta(days=60), 1)
    assert ended.json()["held_by_appeal"] is False


async def test_at_expiry_the_dossier_is_erased_everywhere_and_no_other(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    assert stack.retention is not None
    ops = stack.tokens.header(Authority.PLATFORM_OPS)
    purged_id = dossiers["refused"]
    due = date.fromisoformat(years(TODAY, 5))
    clock(stack).move_to(due - timedelta(days=1))
    early = (await stack.retention.post("/purge-runs", headers=ops)).json()
    assert purged_id not in early["purged"]
    clock(stack).move_to(due)
    run = (await stack.retention.post("/purge-runs", headers=ops)).json()
    assert purged_id in run["purged"] and dossiers["granted"] not in run["purged"]
    clock(stack).move_to(TODAY)

    oe = stack.tokens.header(Authority.OE)

    # 410 Gone from the moment the key is destroyed; the scan below waits for the rows.
    consulted = await stack.consultation.get(f"/dossiers/{purged_id}", headers=oe)
    assert consulted.status_code == 410
    intake = await stack.intake.get(f"/applications/{purged_id}", headers=stack.tokens.employer())
    assert intake.status_code == 410
    for app in stack.apps:
        await app.state.runtime.relay.drain()
    await scan_for(stack, purged_id, readable_elsewhere=dossiers["granted"])
    kept = await stack.consultation.get(f"/dossiers/{dossiers['granted']}", headers=oe)
    assert kept.status_code == 200 and kept.json()["data"]["identification"]["last_name"]


async def scan_for(stack: Stack, purged_id: str, *, readable_elsewhere: str) -> None:
    """Every row of every store and every message of every topic: nothing of the purged
    dossier's personal data is readable; another dossier still opens.

    Each service erases its rows when its own consumer reads ``DossierPurged``, so the
    scan is repeated until the slowest has done so (30 s at most)."""
    places: list[tuple[str, str]] = []

    async def erased() -> bool:
        places[:] = await every_row(stack)
        places.extend(
            ("topic message", message.decode("utf-8", "replace"))
            for message in await every_message(stack)
        )
        return not any(value in text for _, text in places for value in ZEB.values())

    if not await eventually_or_false(erased, seconds=30):
        found = {
            value: sorted({where for where, text in places if value in text})
            for value in ZEB.values()
        }
        raise AssertionError(f"still readable: { {v: w for v, w in found.items() if w} }")
    texts = [text for _, text in places]
    with environment(**stack.secrets):
        vault, engine = await open_vault(stack.settings)
    try:
        sealed = [s for s in map(_sealed_in, texts) for s in s]
        mine = [s for s in sealed if s.key_id == purged_id]
        others = [s for s in sealed if s.key_id == readable_elsewhere]
        assert mine and others
        for value in mine:
            with pytest.raises(KeyShredded):
                await vault.unseal(value)
        # The other dossier's values still open (its documents are sealed bytes, not
        # JSON: whichever the scan found first, one value of it must open).
        opened = []
        for value in others:
            with contextlib.suppress(SealBroken):
                opened.append(await vault.unseal(value))
        assert any(opened)
    finally:
        await engine.dispose()


def _sealed_in(text: str) -> list[SealedData]:
    import json
    import re

    found = []
    for match in re.finditer(r'\{[^{}]*"alg": ?"AES-256-GCM"[^{}]*\}', text):
        with contextlib.suppress(ValueError):
            found.append(SealedData.model_validate(json.loads(match.group(0))))
    return found


async def test_replaying_the_log_rebuilds_the_same_schedule(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    settings = RetentionSettings(**stack.settings.model_dump())
    with environment(**stack.secrets):
        report = await replay(settings)
    assert report.events > 0 and report.dossiers >= len(dossiers)
    assert report.digest == report.previous_digest


async def test_a_retention_store_made_anew_catches_up_alone(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    live = stack.apps[4].state.runtime
    async with live.engine.connect() as connection:
        expected = await schedule_digest(connection)
    settings = RetentionSettings(
        **{**stack.settings.model_dump(), "store": "retention_anew"}, today=TODAY
    )
    with environment(**stack.secrets):
        app = create_app(RETENTION, settings)
    async with running(app):
        fresh = app.state.runtime

        async def caught_up() -> bool:
            async with fresh.engine.connect() as connection:
                return await schedule_digest(connection) == expected

        await eventually(caught_up, "the new store catches up with the log", seconds=60)


async def test_rights_requests_are_acknowledged_routed_and_tracked_for_a_month(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    assert stack.retention is not None
    worker = stack.tokens.worker()
    dossier = dossiers["granted"]
    filed = await stack.retention.post(
        "/rights-requests",
        headers=worker,
        json={
            "dossier_id": dossier,
            "kind": "access",
            "concern": "work",
            "details": "Please send me everything you hold about me.",
            "language": "fr",
        },
    )
    assert filed.status_code == 201, filed.text
    receipt = filed.json()
    assert receipt["request"]["controller"] == "VLG"
    assert receipt["request"]["due_on"] == one_month_after(TODAY).isoformat()
    assert receipt["acknowledgment"]["text"]
    employer = await stack.retention.post(
        "/rights-requests",
        headers=stack.tokens.employer(),
        json={"dossier_id": dossier, "kind": "erasure", "concern": "work", "details": "erase"},
    )
    assert employer.status_code == 403
    vlg = stack.tokens.header(Authority.VLG)
    request_id = receipt["request"]["request_id"]
    (entry,) = [
        e
        for e in (await stack.retention.get("/rights-requests/queue", headers=vlg)).json()
        if e["request_id"] == request_id
    ]
    assert entry["overdue"] is False
    clock(stack).move_to(one_month_after(TODAY) + timedelta(days=1))
    (late,) = [
        e
        for e in (await stack.retention.get("/rights-requests/queue", headers=vlg)).json()
        if e["request_id"] == request_id
    ]
    clock(stack).move_to(TODAY)
    assert late["overdue"] is True
    oe = stack.tokens.header(Authority.OE)
    url = f"/rights-requests/{request_id}/answer"
    not_theirs = await stack.retention.post(
        url, headers=oe, json={"outcome": "granted", "answer": "x"}
    )
    assert not_theirs.status_code == 404
    answered = await stack.retention.post(
        url, headers=vlg, json={"outcome": "granted", "answer": "Attached."}
    )
    assert answered.status_code == 200
    export = await stack.retention.get(f"/rights-requests/{request_id}/export", headers=worker)
    assert export.status_code == 200
    assert "Diallo" in export.text and export.json()["events"]
    notice = await stack.retention.get("/privacy-notice", params={"lang": "nl"})
    assert notice.status_code == 200 and notice.json()["language"] == "nl"


async def test_a_granted_erasure_request_erases_the_dossier_at_once(
    stack: Stack, dossiers: dict[str, str]
) -> None:
    assert stack.retention is not None
    worker = stack.tokens.worker()
    dossier = dossiers["appealed"]
    filed = await stack.retention.post(
        "/rights-requests",
        headers=worker,
        json={"dossier_id": dossier, "kind": "erasure", "concern": "work", "details": "Erase it."},
    )
    request_id = filed.json()["request"]["request_id"]
    vlg = stack.tokens.header(Authority.VLG)
    answered = await stack.retention.post(
        f"/rights-requests/{request_id}/answer",
        headers=vlg,
        json={"outcome": "granted", "answer": "Erased."},
    )
    assert answered.status_code == 200
    row = await scheduled(stack, dossier)
    assert row["purged_at"] is not None


# Appeals decide when a dossier is deleted (Art. 27 §1 3°): only the authority whose
# decision is appealed against (Art. 12 §1) or a court registry records one, and only
# whoever lodged it or the registry records its end.


def appeal(appeal_id: str, step: str = "admissibility", lodged_on: date = TODAY) -> dict[str, str]:
    return {"appeal_id": appeal_id, "step": step, "lodged_on": lodged_on.isoformat()}


async def test_only_the_authority_that_decided_or_a_court_registry_lodges_an_appeal(
    stack: Stack,
) -> None:
    assert stack.retention is not None
    dossier = await file(stack, postcode="2000")  # Antwerp: Flanders decides
    await decide(stack, dossier, steps=REFUSE)
    await scheduled(stack, dossier, rule="negative_5_years")
    url = f"/dossiers/{dossier}/appeals"
    for intruder in (Authority.WAL, Authority.OE):
        refused = await stack.retention.post(
            url, json=appeal("RvV-W"), headers=stack.tokens.header(intruder)
        )
        assert refused.status_code == 403, refused.text
        assert "decided" in refused.json()["detail"]
    assert (await scheduled(stack, dossier))["held_by_appeal"] is False  # nothing stored
    court = stack.tokens.header(Authority.COURT_REGISTRY)
    lodged = await stack.retention.post(url, json=appeal("RvV-C"), headers=court)
    assert lodged.status_code == 201, lodged.text
    assert lodged.json()["held_by_appeal"] is True
    twice = await stack.retention.post(url, json=appeal("RvV-C"), headers=court)
    assert twice.status_code == 409 and "already" in twice.json()["detail"]


async def test_only_who_lodged_an_appeal_or_a_court_registry_records_its_end(
    stack: Stack,
) -> None:
    assert stack.retention is not None
    dossier = await file(stack, postcode="5000")  # Namur: Wallonia decides
    await decide(stack, dossier, steps=REFUSE, region=Authority.WAL)
    await scheduled(stack, dossier, rule="negative_5_years")
    wal, bxl = stack.tokens.header(Authority.WAL), stack.tokens.header(Authority.BXL)
    lodged = await stack.retention.post(
        f"/dossiers/{dossier}/appeals", json=appeal("CE-1"), headers=wal
    )
    assert lodged.status_code == 201, lodged.text
    end = f"/dossiers/{dossier}/appeals/CE-1/decision"
    today = {"decided_on": TODAY.isoformat()}
    closed_by_brussels = await stack.retention.post(end, json=today, headers=bxl)
    assert closed_by_brussels.status_code == 403, closed_by_brussels.text
    assert (await scheduled(stack, dossier))["held_by_appeal"] is True  # still held
    unknown = await stack.retention.post(
        f"/dossiers/{dossier}/appeals/CE-2/decision", json=today, headers=wal
    )
    assert unknown.status_code == 404, unknown.text
    court = stack.tokens.header(Authority.COURT_REGISTRY)
    ended = await stack.retention.post(end, json=today, headers=court)
    assert ended.status_code == 200, ended.text
    assert ended.json()["held_by_appeal"] is False and ended.json()["due_on"] is not None
    again = await stack.retention.post(end, json=today, headers=wal)
    assert again.status_code == 409 and "already ended" in again.json()["detail"]


async def test_implausible_appeal_dates_are_422_with_the_reason_never_500(stack: Stack) -> None:
    assert stack.retention is not None
    dossier = await file(stack, postcode="2000")
    await decide(stack, dossier, steps=REFUSE)
    await scheduled(stack, dossier, rule="negative_5_years")
    vlg = stack.tokens.header(Authority.VLG)
    url = f"/dossiers/{dossier}/appeals"
    for absurd in (date(9990, 1, 1), date(9999, 12, 31), TODAY - timedelta(days=400)):
        refused = await stack.retention.post(
            url, json=appeal("RvV-X", lodged_on=absurd), headers=vlg
        )
        assert refused.status_code == 422, refused.text
        assert "lodged_on" in refused.json()["detail"]
    lodged = await stack.retention.post(url, json=appeal("RvV-1"), headers=vlg)
    assert lodged.status_code == 201, lodged.text
    end = f"/dossiers/{dossier}/appeals/RvV-1/decision"
    for absurd in (date(9990, 1, 1), date(9999, 12, 31)):  # was a 500: OverflowError
        refused = await stack.retention.post(
            end, json={"decided_on": absurd.isoformat()}, headers=vlg
        )
        assert refused.status_code == 422, refused.text
        assert "decided_on" in refused.json()["detail"]
    row = await scheduled(stack, dossier)
    assert row["held_by_appeal"] is True and row["due_on"] is None  # nothing half-stored


async def erase(stack: Stack, dossier: str) -> Any:
    """The worker asks for erasure and the region grants it (Art. 28-29, GDPR Art. 17)."""
    assert stack.retention is not None
    filed = await stack.retention.post(
        "/rights-requests",
        headers=stack.tokens.worker(),
        json={"dossier_id": dossier, "kind": "erasure", "concern": "work", "details": "Erase."},
    )
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["request"]["request_id"]
    return await stack.retention.post(
        f"/rights-requests/{request_id}/answer",
        headers=stack.tokens.header(Authority.VLG),
        json={"outcome": "granted", "answer": "Erased."},
    )


async def test_a_pending_appeal_holds_an_erasure_and_an_erased_dossier_takes_no_appeal(
    stack: Stack,
) -> None:
    assert stack.retention is not None
    dossier = await file(stack, postcode="2000")
    await decide(stack, dossier, steps=REFUSE)
    await scheduled(stack, dossier, rule="negative_5_years")
    vlg = stack.tokens.header(Authority.VLG)
    url = f"/dossiers/{dossier}/appeals"
    assert (await stack.retention.post(url, json=appeal("RvV-1"), headers=vlg)).status_code == 201
    # GDPR Art. 17 §3 e) and Art. 27 §1 3°: the dossier is kept while the appeal is pending
    held = await erase(stack, dossier)
    assert held.status_code == 409 and "appeal" in held.json()["detail"], held.text
    assert (await scheduled(stack, dossier))["purged_at"] is None
    ended = await stack.retention.post(
        f"{url}/RvV-1/decision", headers=vlg, json={"decided_on": TODAY.isoformat()}
    )
    assert ended.status_code == 200, ended.text
    erased = await erase(stack, dossier)
    assert erased.status_code == 200, erased.text
    await scheduled(stack, dossier, held_by_appeal=False)
    assert (await scheduled(stack, dossier))["purged_at"] is not None
    for headers in (vlg, stack.tokens.header(Authority.COURT_REGISTRY)):
        late = await stack.retention.post(url, json=appeal("RvV-2"), headers=headers)
        assert late.status_code == 410, late.text
    gone = await stack.retention.post(
        f"{url}/RvV-1/decision", headers=vlg, json={"decided_on": TODAY.isoformat()}
    )
    assert gone.status_code == 410, gone.text


async def test_a_dossier_found_due_is_not_purged_once_an_appeal_holds_it(stack: Stack) -> None:
    """The purge loop lists the due dossiers, then purges them one by one: an appeal
    recorded in between holds the dossier (Art. 27 §1 3°), its key is not destroyed."""
    assert stack.retention is not None
    dossier = await file(stack, postcode="2000")
    await decide(stack, dossier, steps=REFUSE)
    await scheduled(stack, dossier, rule="negative_5_years")
    due = date.fromisoformat(years(TODAY, 5))
    runtime = stack.apps[4].state.runtime
    clock(stack).move_to(due)
    try:
        lodged = await stack.retention.post(
            f"/dossiers/{dossier}/appeals",
            json=appeal("RvV-late", lodged_on=due),
            headers=stack.tokens.header(Authority.VLG),
        )
        assert lodged.status_code == 201, lodged.text
        # as the loop would, having found the dossier due just before the appeal came in
        assert await handlers.purge(runtime, dossier, rules_of(runtime), today=due) is None
    finally:
        clock(stack).move_to(TODAY)
    row = await scheduled(stack, dossier)
    assert row["held_by_appeal"] is True and row["purged_at"] is None
    assert not await runtime.vault.is_shredded(dossier)
