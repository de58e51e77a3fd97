"""A revoked token is refused by every service of the platform, on both deployments.

GDPR Art. 32: a token that leaked must stop opening anything before it expires. The
platform's operators (Art. 8) revoke it on any one service; every service reads the
shared deny-list through a cache of at most 5 s, then answers 401.
"""

from __future__ import annotations

from uuid import uuid4

import httpx
import jwt
import pytest

from guichet_contracts.vocabulary import Authority

from .stacks import Stack
from .support import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")

REVOKED = "this token was revoked: ask the identity provider for a new one"


def _probes(stack: Stack) -> list[tuple[str, httpx.AsyncClient, str, Authority]]:
    """Per service, a route a valid token of the authority reaches (a 404 is fine)."""
    unknown = f"/dossiers/{uuid4()}"
    return [
        ("intake", stack.intake, "/ebox", Authority.APPLICANT),
        ("regional-decision", stack.region, unknown, Authority.VLG),
        ("residence-decision", stack.office, "/queue", Authority.OE),
        ("consultation", stack.consultation, unknown, Authority.VLG),
    ]


async def _refused_everywhere(stack: Stack, headers: list[dict[str, str]]) -> bool:
    for (_, client, path, _), header in zip(_probes(stack), headers, strict=True):
        answer = await client.get(path, headers=header)
        if answer.status_code != 401 or answer.json()["detail"] != REVOKED:
            return False
    return True


async def test_a_token_revoked_on_one_service_is_refused_by_every_service(stack: Stack) -> None:
    agent = f"leaked-{uuid4().hex[:8]}"
    headers = [stack.tokens.header(authority, agent) for *_, authority in _probes(stack)]
    for (service, client, path, _), header in zip(_probes(stack), headers, strict=True):
        assert (await client.get(path, headers=header)).status_code != 401, service
    operator = stack.tokens.header(Authority.PLATFORM_OPS, "ops-1")
    for header in headers:
        jti = jwt.decode(header["Authorization"][7:], options={"verify_signature": False})["jti"]
        answer = await stack.region.post("/auth/revocations", json={"jti": jti}, headers=operator)
        assert answer.status_code == 201, answer.text

    await eventually(lambda: _refused_everywhere(stack, headers), "refused", seconds=8)


async def test_a_subject_revoked_loses_its_tokens_on_every_service(stack: Stack) -> None:
    agent = f"stolen-{uuid4().hex[:8]}"
    headers = [stack.tokens.header(authority, agent) for *_, authority in _probes(stack)]
    operator = stack.tokens.header(Authority.PLATFORM_OPS, "ops-1")
    answer = await stack.consultation.post(
        "/auth/revocations", json={"subject": agent}, headers=operator
    )
    assert answer.status_code == 201, answer.text
    assert agent not in answer.text

    await eventually(lambda: _refused_everywhere(stack, headers), "refused", seconds=8)


async def test_only_the_platform_operators_may_revoke(stack: Stack) -> None:
    for authority in (Authority.VLG, Authority.OE, Authority.APPLICANT, Authority.ONSS):
        answer = await stack.intake.post(
            "/auth/revocations", json={"subject": "x"}, headers=stack.tokens.header(authority)
        )
        assert answer.status_code == 403, authority
