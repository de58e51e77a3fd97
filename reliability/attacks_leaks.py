"""Where a negative decision's reason could reach someone it must not, and whether the
refused attempts on a dossier are in its access log.

Art. 24: the other authorities are informed that a negative decision was taken; its full
text with the reasons is notified only to the third-country national (their e-box and
e-mail). The individual dossier, its consultation views, timelines, queues, schedules,
searches and every error say only that it was taken. Art. 29 and GDPR Art. 15: the data
subject reads who consulted (or tried to consult) their dossier.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any

from guichet_consultation.policy import INSPECTION_PURPOSE, POLICY, VISA_PURPOSES
from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import REGIONS
from reliability.report import Report
from reliability.target import Filed, Route, Target, routes, until
from tests.support import EMPLOYER

# The one place a reason may be read: the worker's own e-box (Art. 24, Art. 20 §5).
THE_WORKERS_OWN = "GET intake /ebox"
PURPOSES = (None, INSPECTION_PURPOSE, *sorted(VISA_PURPOSES))
ROLES = frozenset(rule.role for rule in POLICY if rule.role)
READS = {"POST consultation /dossiers/search"}  # a POST that only reads
SETTLING_SECONDS = 30.0  # for the refusals recorded to reach the access log


async def negative_decision(target: Target, report: Report) -> Filed:
    """A dossier whose work authorisation the competent region refused, with reasons
    that have reached the worker's e-box (so every projection had time to see it)."""
    filed = await target.file(report)
    await target.everywhere(filed)
    await target.refuse_work(filed)
    worker = filed.worker(target.tokens)

    async def told() -> bool:
        answer = await target.clients["intake"].get("/ebox", headers=worker)
        return filed.person.reason in answer.text

    await until(told, "the refusal reaches the worker's e-box")
    return filed


async def access_request(target: Target, filed: Filed) -> str:
    """The worker asks for their data about the residence part (GDPR Art. 15): its
    controller is the Immigration Office (Art. 29 §2-3), which never decided the work and
    must not read the region's reasons in the export it answers with."""
    retention = target.clients.get("retention")
    if retention is None:
        return "0" * 32
    form = {
        "dossier_id": filed.dossier,
        "kind": "access",
        "concern": "residence",
        "details": "Which data do you hold about me?",
    }
    answer = await retention.post(
        "/rights-requests", json=form, headers=filed.worker(target.tokens)
    )
    if answer.status_code != 201:
        raise RuntimeError(f"the worker's access request gave {answer.status_code}")
    return str(answer.json()["request"]["request_id"])


def _callers(filed: Filed) -> list[tuple[str, Authority, str]]:
    applicants = [
        ("employer", EMPLOYER),
        ("worker", filed.person.niss),
        ("another applicant", "0202239951"),
    ]
    every = [
        (a.value, a, f"leak-{a.value.lower()}") for a in Authority if a is not Authority.APPLICANT
    ]
    return every + [(who, Authority.APPLICANT, subject) for who, subject in applicants]


def _requests(
    route: Route, filed: Filed, authority: Authority, request_id: str
) -> list[dict[str, Any]]:
    """The requests by which ``route`` reads about ``filed``'s dossier."""
    path = route.path.replace("{application_id}", filed.dossier)
    path = path.replace("{dossier_id}", filed.dossier).replace("{request_id}", request_id)
    own = authority if authority in REGIONS else filed.region
    path = path.replace("{authority}", own.value)
    if route.name == "POST consultation /dossiers/search":  # the NISS in a body, not a URL
        return [
            {"url": path, "json": {"niss": filed.person.niss}},
            {"url": path, "json": {"enterprise_number": EMPLOYER}},
        ]
    if route.name == "GET consultation /dossiers":
        return [{"url": f"{path}?enterprise_number={EMPLOYER}"}]
    if route.path == "/forecast":
        return [{"url": f"{path}?until=2100-01-01"}]
    if route.path == "/queues/{authority}":
        return [{"url": f"{path}?include_decided=true"}]
    return [{"url": path}]


def _variants(route: Route) -> list[tuple[str | None, frozenset[str]]]:
    """Purposes and designated roles change what consultation shows; elsewhere, nothing."""
    if route.service == "consultation" and route.path == "/dossiers/{dossier_id}":
        return [(p, r) for p in PURPOSES for r in (frozenset(), ROLES)]
    return [(None, frozenset())]


async def reasons_stay_with_the_worker(target: Target, report: Report, filed: Filed) -> None:
    """Every caller x every route that reads: the reason appears only in the worker's e-box."""
    secret = filed.person.reason
    marker = secret.split(":")[0]  # "Motif <12 hex>", unique to this dossier
    reads = [
        r
        for r in routes()
        if r.service in target.clients and (r.method == "GET" or r.name in READS)
    ]
    request_id = await access_request(target, filed)
    clean, total, failures = 0, 0, []
    seen_by_worker = False
    for route, (who, authority, subject) in ((r, c) for r in reads for c in _callers(filed)):
        for purpose, roles in _variants(route):
            for request in _requests(route, filed, authority, request_id):
                headers = target.tokens.issue(
                    authority=authority, subject=subject, roles=roles, purpose=purpose
                )
                client = target.clients[route.service]
                answer = await client.request(route.method, headers=headers, **request)
                if answer.status_code >= 400:
                    report.error_body(f"{route.name} as {who}", answer.content)
                leaked = secret in answer.text or marker in answer.text
                if route.name == THE_WORKERS_OWN and who == "worker":
                    seen_by_worker = seen_by_worker or leaked
                    continue
                total += 1
                if leaked:
                    failures.append(
                        f"{who} reads the reason at {route.name} "
                        f"(purpose {purpose}, roles {sorted(roles)})"
                    )
                else:
                    clean += 1
    if "intake" in target.clients and not seen_by_worker:
        failures.append("the worker's own e-box does not hold the reason (Art. 24)")
    report.attack(
        "a negative decision's reason, read by anyone else",
        refused=clean,
        total=total,
        failures=failures,
    )


async def recorded_in_access_log(
    target: Target, report: Report, attempts: list[tuple[str, str, Filed]]
) -> None:
    """Each refused attempt that named a dossier is in that dossier's access log, which
    its data subject reads (Art. 29; GDPR Art. 15 §1 c)."""
    consultation = target.clients.get("consultation")
    if consultation is None or not attempts:
        return
    # Each attempt is one entry: a named agent's own, or one of the unverified callers'
    # (a token that did not verify names no one), so they are counted, not just seen.
    expected: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for _, agent, filed in attempts:
        expected[filed.dossier][agent] += 1
    agents: dict[str, collections.Counter[str]] = {}
    # The services publish their refusals; consultation appends them as they arrive.
    deadline = asyncio.get_running_loop().time() + SETTLING_SECONDS
    for filed in {attempt[2].dossier: attempt[2] for attempt in attempts}.values():
        while True:
            agents[filed.dossier] = await _logged_agents(target, filed)
            settled = expected[filed.dossier] <= agents[filed.dossier]
            if settled or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.5)
    missing: collections.Counter[str] = collections.Counter()
    tried: collections.Counter[str] = collections.Counter()
    examples: dict[str, list[str]] = {}  # a few of the missing ones, to say which
    for dossier, wanted in expected.items():
        for agent, count in wanted.items():
            short = max(0, count - agents[dossier][agent])  # the last ones are missing
            mine = [route for route, a, f in attempts if a == agent and f.dossier == dossier]
            for route in mine[count - short :]:
                missing[route.split()[1]] += 1
                examples.setdefault(route.split()[1], []).append(f"{route} as {agent}")
    for route, _, _ in attempts:
        tried[route.split()[1]] += 1
    failures = [
        f"{service}: {missing[service]} of {tried[service]} refused attempts not in the access "
        f"log (e.g. {'; '.join(examples[service][:3])})"
        for service in sorted(missing)
    ]
    total = sum(tried.values())
    report.attack(
        "refused attempts on a dossier in its access log",
        refused=total - sum(missing.values()),
        total=total,
        failures=failures,
    )


async def _logged_agents(target: Target, filed: Filed) -> collections.Counter[str]:
    consultation = target.clients["consultation"]
    worker = filed.worker(target.tokens)

    async def mine() -> Any:
        answer = await consultation.get("/me/dossiers", headers=worker)
        return answer.status_code == 200 and answer.json()

    await until(mine, "the worker's dossier reaches the consultation projection")
    answer = await consultation.get("/me/access-log", headers=worker)
    entries = answer.json() if answer.status_code == 200 else []
    return collections.Counter(
        e["agent_id"] for e in entries if e.get("dossier_id") == filed.dossier
    )
