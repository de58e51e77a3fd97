"""Bad tokens (issue 12, attacks on access): forged signature, ``alg: none``, HS256
signed with the public key, expired, over-long-lived (exp in 5138), wrong audience, wrong
issuer (whose 401 must not echo the claim back) and replayed after revocation, each on
one route of every service, next to a valid token that must pass (the control).

RFC 8725 (JWT best current practices) §2.1, 3.1: a verifier never lets the token choose
its algorithm; GDPR Art. 32: access only with credentials the platform trusts now.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from guichet_contracts.vocabulary import Authority
from guichet_core.http.refusals import APPLICANT_AGENT
from reliability.report import Report
from reliability.target import Filed, Target

# Tokens whose signature does not verify: their claims are the attacker's, so the access
# log names no one for them (``guichet_core.http.refusals``); the others name their agent.
UNVERIFIED = frozenset(
    {"forged signature", "alg none", "alg None", "HS256 signed with the public key"}
)
UNVERIFIED_AGENT = "unverified"  # how consultation's access log shows such a caller


@dataclass
class Attempts:
    """Refused attempts that named a dossier: (route, agent id, dossier, its worker)."""

    on_dossiers: list[tuple[str, str, Filed]] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def agent(self, case: str) -> str:
        return f"atk-{case}-{next(self.counter)}"

    def refused(self, route: str, authority: Authority, agent: str, filed: Filed) -> None:
        """One more refused attempt on ``filed``, under the agent the access log names: an
        applicant's agent is a person, so the log says "applicant" (``refusals``)."""
        named = APPLICANT_AGENT if authority is Authority.APPLICANT else agent
        self.on_dossiers.append((route, named, filed))


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
            if answer.status_code >= 400:
                report.error_body(where, answer.content)
            echoed = marker in answer.text or marker in answer.headers.get("www-authenticate", "")
            if answer.status_code == 401 and not echoed:
                refused += 1
            elif echoed:
                failures.append(f"{where}: the 401 echoes the token's claims back")
            else:
                failures.append(f"{where}: {answer.status_code}, not 401")
            if filed.dossier in path and answer.status_code == 401:
                named = UNVERIFIED_AGENT if name in UNVERIFIED else agent
                attempts.on_dossiers.append((where, named, filed))
    refused, total = await _revocation(
        target,
        report,
        (filed, attempts),
        attempts.agent("revoked"),
        (refused, total),
        failures,
    )
    report.attack(
        "bad tokens (forged, none, HS256/public key, expired, 5138, aud, revoked)",
        refused=refused,
        total=total,
        failures=failures,
    )


async def _revocation(
    target: Target,
    report: Report,
    on: tuple[Filed, Attempts],
    agent: str,
    counts: tuple[int, int],
    failures: list[str],
) -> tuple[int, int]:
    """A token used, revoked (``POST /auth/revocations`` on one service, by an operator),
    then replayed on every service must be refused 401 within the deny-list's cache; on a
    named dossier, the refusal names the revoked agent (its signature still verifies)."""
    filed, attempts = on
    routes = _token_routes(filed)
    refused, total = counts
    revokers = [client for name, client in target.clients.items() if name in _services(routes)]
    if not revokers:
        return refused, total
    tokens = {}
    for service, method, path, authority, body in routes:
        client = target.clients.get(service)
        if client is None:
            continue
        header = target.tokens.header(authority, agent)
        answer = await client.request(method, path, json=body, headers=header)
        if answer.status_code == 401:
            failures.append(f"revocation control: a valid token on {service} got 401")
        tokens[service] = header
    operator = target.tokens.header(Authority.PLATFORM_OPS, "ops-revoker")
    answer = await revokers[0].post("/auth/revocations", json={"subject": agent}, headers=operator)
    if answer.status_code != 201:
        failures.append(f"revoking a subject: {answer.status_code}, not 201")
        return refused, total + len(tokens)
    waited = answer.json().get("effective_within_seconds", 5)
    await asyncio.sleep(float(waited) + 0.5)
    for service, method, path, _, body in routes:
        if service not in tokens:
            continue
        total += 1
        answer = await target.clients[service].request(
            method, path, json=body, headers=tokens[service]
        )
        where = f"{method} {service} {path.split('?')[0]} (replayed after revocation)"
        if answer.status_code >= 400:
            report.error_body(where, answer.content)
        if answer.status_code == 401:
            refused += 1
            if filed.dossier in path:
                attempts.on_dossiers.append((where, agent, filed))
        else:
            failures.append(f"{where}: {answer.status_code}, not 401")
    return refused, total


def _services(routes: list[tuple[str, str, str, Authority, Any]]) -> set[str]:
    return {service for service, *_ in routes}
