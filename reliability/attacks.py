"""Attacks on access (issue 12, ``make reliability``): bad tokens on every service
(``attacks_tokens``), every authority on every route its declared rule does not admit
(STYLE 13), authorities that are admitted by the route but not competent for the
dossier, a negative decision's reason looked for wherever another authority reads
(``attacks_leaks``), and every refused attempt on a named dossier looked up in the
dossier's access log (Art. 29).

Each case reports refused/total and, by name, what was not refused. The platform's own
defects are reported, not fixed here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import REGIONS
from reliability import attacks_leaks
from reliability.attacks_tokens import Attempts, bad_tokens
from reliability.load import Person, application_form, validity
from reliability.report import Report
from reliability.target import Filed, Route, Target, routes, target_of
from tests.support import EMPLOYER

REFUSED = frozenset({401, 403})
NOT_YOURS = frozenset({401, 403, 404})  # an id that is not the caller's may also be unknown
DOSSIER_PARAMS = ("{application_id}", "{dossier_id}")
# Checked inside the handler instead of declared (each one a STYLE 13 finding of its own).
INNER_RULES: dict[str, frozenset[Authority]] = {
    "GET consultation /me/dossiers": frozenset({Authority.APPLICANT}),
    "GET consultation /me/access-log": frozenset({Authority.APPLICANT}),
    "POST onss-feed /batches/{source}": frozenset({Authority.ONSS}),  # source: dimona
    "POST onss-feed /imports/{source}": frozenset({Authority.ONSS}),
}


async def run(stack: Any, report: Report) -> None:
    async with target_of(stack) as target:
        await attack(target, report)


async def attack(target: Target, report: Report) -> None:
    probed, victim = await target.file(report), await target.file(report)
    for filed in (probed, victim):
        await target.everywhere(filed)
    await target.refuse_work(victim)  # a decided step, against which an appeal lies
    attempts = Attempts()
    await bad_tokens(target, report, probed, attempts)
    await matrix(target, report, probed, attempts)
    await competence(target, report, victim, attempts)
    refused = await attacks_leaks.negative_decision(target, report)
    await attacks_leaks.reasons_stay_with_the_worker(target, report, refused)
    await attacks_leaks.recorded_in_access_log(target, report, attempts.on_dossiers)


# --- every authority on every route it must not use -----------------------------------


def request_for(route: Route, filed: Filed, report: Report) -> dict[str, Any]:
    """A well-formed request for ``route`` about ``filed``'s dossier (so that only the
    access rule can refuse it)."""
    path = route.path
    for name in DOSSIER_PARAMS:
        path = path.replace(name, filed.dossier)
    path = path.replace("{authority}", filed.region.value).replace("{source}", "dimona")
    path = path.replace("{request_id}", "0" * 32).replace("{appeal_id}", "RvV-probe")
    today = date.today().isoformat()
    end = path.rsplit("/", 1)[-1]
    bodies: dict[str, Any] = {
        "applications": application_form(Person.fresh(report), "1000"),
        "supplementary-documents": {
            "request_id": "probe",
            "documents": application_form(filed.person, "1000")["documents"],
        },
        "admissibility": {"admissible": True},
        "document-requests": {
            "document_kinds": ["passport"],
            "due_on": today,
            "explanation": "probe",
        },
        "work-decision": {"authorised": True, **validity()},
        "professional-card-decision": {"granted": True, **validity()},
        "residence-decision": {"authorised": True, **validity()},
        "withdrawal": {"reasons": "probe"},
        "end-of-stay": {"reasons": "probe"},
        "appeals": {"appeal_id": "RvV-probe", "step": "work", "lodged_on": today},
        "decision": {"decided_on": today},
        "rights-requests": {
            "dossier_id": filed.dossier,
            "kind": "access",
            "concern": "work",
            "details": "probe",
        },
        "answer": {"outcome": "refused", "answer": "probe"},
        "dimona": [],
    }
    if route.path.startswith("/imports/"):
        return {"url": path, "content": b"", "headers": {"content-type": "application/x-ndjson"}}
    if route.path == "/forecast":
        path += f"?until={today}"
    return {"url": path, "json": bodies.get(end) if route.method == "POST" else None}


async def probe(
    target: Target, report: Report, route: Route, filed: Filed, authority: Authority, agent: str
) -> httpx.Response:
    request = request_for(route, filed, report)
    headers = {**request.pop("headers", {}), **target.tokens.header(authority, agent)}
    answer = await target.clients[route.service].request(route.method, headers=headers, **request)
    if answer.status_code >= 400:
        report.error_body(f"{route.name} as {authority}", answer.content)
    return answer


async def matrix(target: Target, report: Report, filed: Filed, attempts: Attempts) -> None:
    """Every authority x every route whose rule does not admit it: 401 or 403."""
    every = [r for r in routes() if r.service in target.clients and r.authenticated]
    undeclared = [r.name for r in every if r.admits is None]
    report.case(
        "every route declares who may call it (STYLE 13)",
        ok=not undeclared,
        kind="attack",
        failures=[f"no declared rule: {n}" for n in undeclared],
        declared=len(every) - len(undeclared),
        routes=len(every),
    )
    refused, total, failures = 0, 0, []
    for route in every:
        admits = route.admits if route.admits is not None else INNER_RULES.get(route.name)
        if admits is None:
            continue  # decided by the consultation policy: attacks_leaks reads those
        for authority in (a for a in Authority if a not in admits):
            agent = attempts.agent("matrix")
            answer = await probe(target, report, route, filed, authority, agent)
            total += 1
            if answer.status_code in REFUSED:
                refused += 1
                if any(p in route.path for p in DOSSIER_PARAMS):
                    attempts.refused(route.name, authority, agent, filed)
            else:
                failures.append(f"{authority} {route.name}: {answer.status_code}")
    report.attack(
        "authority x route it must not use", refused=refused, total=total, failures=failures
    )


async def competence(target: Target, report: Report, filed: Filed, attempts: Attempts) -> None:
    """Admitted by the route, not competent for this dossier: another region deciding
    (Art. 9), anyone but the decider recording an appeal against a step (Art. 27 §1 3°),
    another employer, someone who is not the data subject (Art. 29)."""
    by_path = {r.name: r for r in routes() if r.service in target.clients}
    others = sorted(REGIONS - {filed.region})
    cases: list[tuple[str, Authority, str, str | None]] = []
    for step in (
        "admissibility",
        "document-requests",
        "work-decision",
        "professional-card-decision",
        "withdrawal",
    ):
        route = f"POST regional-decision /dossiers/{{application_id}}/{step}"
        cases += [(route, region, attempts.agent("competence"), None) for region in others]
    appeals = "POST retention /dossiers/{dossier_id}/appeals"
    cases += [(appeals, a, attempts.agent("competence"), None) for a in [*others, Authority.OE]]
    cases += [
        (appeals + "/{appeal_id}/decision", a, attempts.agent("competence"), None)
        for a in [*others, Authority.OE]
    ]
    for route in (
        "GET intake /applications/{application_id}",
        "POST intake /applications/{application_id}/supplementary-documents",
        "POST retention /rights-requests",
    ):
        cases.append((route, Authority.APPLICANT, "0202239951", "another employer"))
    cases.append(
        (
            "POST retention /rights-requests",
            Authority.APPLICANT,
            EMPLOYER,
            "the employer, not the data subject",
        )
    )
    if appeals in by_path:  # the competent region lodges the appeal the others then close
        lodged = await probe(target, report, by_path[appeals], filed, filed.region, "decider")
        if lodged.status_code != 201:
            report.error_body("lodging the probe appeal", lodged.content)
    refused, total, failures = 0, 0, []
    for name, authority, agent, who in cases:
        if name not in by_path:
            continue
        answer = await probe(target, report, by_path[name], filed, authority, agent)
        total += 1
        if answer.status_code in NOT_YOURS:
            refused += 1
            # A dossier named only in the body (a rights request) is not recorded yet:
            # the refusal mapping finds dossiers in the route's path.
            if any(p in name for p in DOSSIER_PARAMS):
                attempts.refused(name, authority, agent, filed)
        else:
            failures.append(
                f"{who or authority} on {filed.region}'s dossier: {name} → {answer.status_code}"
            )
    report.attack(
        "admitted but not competent for the dossier",
        refused=refused,
        total=total,
        failures=failures,
    )
