"""Attacks on access (issue 12, ``make reliability``): bad tokens on every service, every
authority on every route its declared rule does not admit (STYLE 13), authorities that
are admitted by the route but not competent for the dossier, a negative decision's
reason looked for wherever another authority reads (``attacks_leaks``), and every
refused attempt on a named dossier looked up in the dossier's access log (Art. 29).

Each case reports refused/total and, by name, what was not refused. The platform's own
defects are reported, not fixed here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from guichet_core.auth import REGIONS, Authority
from reliability import attacks_leaks
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


@dataclass
class Attempts:
    """Refused attempts that named a dossier: (route, agent id, dossier, its worker)."""

    on_dossiers: list[tuple[str, str, Filed]] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def agent(self, case: str) -> str:
        return f"atk-{case}-{next(self.counter)}"


# --- tokens ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A JWS written by hand (libraries refuse to write these): HS256 with ``key``, or
    unsigned when ``key`` is None."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = (
        b"" if key is None else hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    )
    return f"{signing_input}.{_b64(signature)}"


def _claims(target: Target, authority: Authority, agent: str, **changes: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    issuer = target.tokens._issuer  # the trusted issuer's iss and aud
    claims = {
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "sub": agent,
        "iat": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
        "guichet_authority": str(authority),
        "guichet_agent": agent,
        "guichet_roles": [],
    }
    return {**claims, **changes}


def forged_tokens(target: Target, authority: Authority, agent: str, marker: str) -> dict[str, str]:
    """Each attack of issue 12 on tokens, as the token an attacker would send."""
    claims = _claims(target, authority, agent)
    kid = target.tokens._issuer.key_id
    stranger = ec.generate_private_key(ec.SECP256R1())
    year_5138 = datetime(5138, 1, 1, tzinfo=UTC) - datetime.now(UTC)

    def signed(**changes: Any) -> str:
        return target.tokens.issue(authority=authority, subject=agent, **changes)[
            "Authorization"
        ].removeprefix("Bearer ")

    return {
        "forged signature": jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": kid}),
        "alg none": _compact({"alg": "none", "typ": "JWT"}, claims, None),
        "alg None": _compact({"alg": "None", "typ": "JWT", "kid": kid}, claims, None),
        "HS256 signed with the public key": _compact(
            {"alg": "HS256", "typ": "JWT", "kid": kid}, claims, target.public_key_pem
        ),
        "expired": signed(ttl=-timedelta(minutes=10)),
        "over-long-lived (exp in 5138)": signed(ttl=year_5138),
        "wrong audience": target.tokens.for_audience("another-platform")
        .issue(authority=authority, subject=agent)["Authorization"]
        .removeprefix("Bearer "),
        "wrong issuer (echo probe)": jwt.encode(
            {**claims, "iss": f"https://idp.example/{marker}"},
            target.tokens._issuer._key,
            algorithm="ES256",
            headers={"kid": kid},
        ),
    }


def _token_routes(filed: Filed) -> list[tuple[str, str, str, Authority, Any]]:
    """Per service, one route that a valid token of ``authority`` may use."""
    far = (date.today() + timedelta(days=3650)).isoformat()
    return [
        ("intake", "GET", "/ebox", Authority.APPLICANT, None),
        ("regional-decision", "GET", f"/dossiers/{filed.dossier}", filed.region, None),
        ("residence-decision", "GET", "/queue", Authority.OE, None),
        ("consultation", "GET", f"/dossiers/{filed.dossier}", filed.region, None),
        ("onss-feed", "POST", "/batches/dimona", Authority.ONSS, []),
        ("retention", "GET", f"/forecast?until={far}", Authority.PLATFORM_OPS, None),
    ]


async def bad_tokens(target: Target, report: Report, filed: Filed, attempts: Attempts) -> None:
    refused, total, failures = 0, 0, []
    for service, method, path, authority, body in _token_routes(filed):
        client = target.clients.get(service)
        if client is None:
            continue
        control = target.tokens.header(authority, attempts.agent("control"))
        answer = await client.request(method, path, json=body, headers=control)
        if answer.status_code >= 300:
            failures.append(f"control: a valid token on {service} {path} got {answer.status_code}")
        marker = uuid.uuid4().hex
        agent = attempts.agent("token")
        for name, token in forged_tokens(target, authority, agent, marker).items():
            total += 1
            headers = {"Authorization": f"Bearer {token}"}
            answer = await client.request(method, path, json=body, headers=headers)
            where = f"{method} {service} {path.split('?')[0]} ({name})"
            report.error_body(where, answer.content)
            echoed = marker in answer.text or marker in answer.headers.get("www-authenticate", "")
            if answer.status_code == 401 and not echoed:
                refused += 1
            elif echoed:
                failures.append(f"{where}: the 401 echoes the token's claims back")
            else:
                failures.append(f"{where}: {answer.status_code}, not 401")
            if filed.dossier in path and answer.status_code == 401:
                attempts.on_dossiers.append((where, agent, filed))
    refused, total = await _revocation(target, report, refused, total, failures)
    report.attack(
        "bad tokens (forged, none, HS256/public key, expired, 5138, aud, revoked)",
        refused=refused,
        total=total,
        failures=failures,
    )


async def _revocation(
    target: Target, report: Report, refused: int, total: int, failures: list[str]
) -> tuple[int, int]:
    """A token used, revoked, then replayed must be refused. The platform says how it
    revokes in its OpenAPI (a route naming revocation) or it cannot."""
    total += 1
    for service, client in target.clients.items():
        paths = (await client.get("/openapi.json")).json().get("paths", {})
        if any("revo" in path for path in paths):
            failures.append(f"{service} has a revocation route the harness does not drive yet")
            return refused, total
    failures.append(
        "replayed after revocation: the platform cannot revoke a token (no "
        "revocation route, no jti deny-list); it stays valid until exp"
    )
    return refused, total


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
                    attempts.on_dossiers.append((route.name, agent, filed))
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
            attempts.on_dossiers.append((name, agent, filed))
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
