"""A revoked token is refused by every service, within the deny-list's cache (≤ 5 s).

GDPR Art. 32 (security of processing): a token that leaked must be stoppable before it
expires. One token is revoked by its ``jti``; a subject's tokens (identity-provider
tokens may have no ``jti``) by the time before which they were issued. Only the
platform's operators revoke (Art. 8: ONSS runs the platform).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from fastapi import FastAPI
from typer.testing import CliRunner

from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import AuthSettings, CallerDep, DevTokenIssuer, install_auth
from guichet_core.http.auth_keys import dev_private_key
from guichet_core.http.problems import install_problems
from guichet_core.http.revocation import RevocationList, open_revocations, revocation_router
from guichet_core.http.verifier import TokenVerifier
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.tools.token_cli import token_app

REVOKED = "this token was revoked: ask the identity provider for a new one"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("GUICHET_AUTH_", "GUICHET_MASTER")) or name in (
            "GUICHET_BACKEND",
            "GUICHET_DATA_DIR",
            "GUICHET_NAMESPACE",
        ):
            monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path: Path) -> ServiceSettings:
    return ServiceSettings(data_dir=tmp_path)


@pytest.fixture
def issuer(settings: ServiceSettings) -> DevTokenIssuer:
    return DevTokenIssuer.from_settings(settings)


async def _service(settings: ServiceSettings, cache_seconds: float) -> tuple[FastAPI, Any]:
    """One service's app: the verifier, the shared deny-list, the revocation route."""
    settings = settings.model_copy(
        update={"auth": AuthSettings(revocation_cache_seconds=cache_seconds)}
    )
    revocations, engine = await open_revocations(settings)
    app = FastAPI()

    @app.get("/me")
    def me(caller: CallerDep) -> dict[str, str]:
        return {"agent": caller.agent_id}

    install_auth(app, TokenVerifier.from_settings(settings))
    install_problems(app)
    app.include_router(revocation_router())
    app.state.revocations = revocations
    return app, engine


@pytest_asyncio.fixture
async def services(settings: ServiceSettings) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two services on one platform: what one revokes, the other refuses."""
    clients, engines = [], []
    for cache_seconds in (0.0, 0.3):
        app, engine = await _service(settings, cache_seconds)
        engines.append(engine)
        clients.append(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s")
        )
    yield clients
    for client in clients:
        await client.aclose()
    for engine in engines:
        await engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ops(issuer: DevTokenIssuer) -> dict[str, str]:
    return bearer(issuer.issue(subject="ops-1", authority=Authority.PLATFORM_OPS, agent_id="ops-1"))


async def test_a_token_revoked_by_its_jti_is_refused_by_every_service_within_the_cache(
    services: list[httpx.AsyncClient], issuer: DevTokenIssuer
) -> None:
    first, second = services
    token = issuer.issue(subject="alice", authority=Authority.VLG, agent_id="alice")
    other = issuer.issue(subject="alice", authority=Authority.VLG, agent_id="alice")
    assert (await second.get("/me", headers=bearer(token))).status_code == 200  # cached
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]

    answer = await first.post("/auth/revocations", json={"jti": jti}, headers=ops(issuer))

    assert answer.status_code == 201, answer.text
    assert answer.json() == {"revoked": "token", "effective_within_seconds": 0.0}
    assert jti not in answer.text  # the input is never echoed
    refused = await first.get("/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["detail"] == REVOKED
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    await asyncio.sleep(0.35)  # the second service's cache: 0.3 s
    assert (await second.get("/me", headers=bearer(token))).status_code == 401
    assert (await second.get("/me", headers=bearer(other))).status_code == 200  # only that one


async def test_a_subject_revoked_loses_the_tokens_issued_before_not_the_later_ones(
    services: list[httpx.AsyncClient], settings: ServiceSettings, issuer: DevTokenIssuer
) -> None:
    """An identity provider's token without a jti is revoked by its subject and iat."""
    first = services[0]
    key = dev_private_key(settings)
    now = datetime.now(UTC)
    base = {"iss": "guichet-dev", "aud": "guichet", "sub": "85073100145"}
    base |= {"guichet_authority": "APPLICANT", "guichet_agent": "85073100145"}
    before = jwt.encode(
        {**base, "iat": now - timedelta(minutes=2), "exp": now + timedelta(minutes=30)},
        key,
        algorithm="ES256",
    )
    answer = await first.post(
        "/auth/revocations", json={"subject": "85073100145"}, headers=ops(issuer)
    )
    assert answer.status_code == 201, answer.text
    assert "85073100145" not in answer.text
    await asyncio.sleep(1.1)  # iat has a one-second grain
    after = jwt.encode(
        {**base, "iat": datetime.now(UTC), "exp": now + timedelta(minutes=30)}, key, "ES256"
    )
    for service in services:
        assert (await service.get("/me", headers=bearer(before))).json()["detail"] == REVOKED
        assert (await service.get("/me", headers=bearer(after))).status_code == 200


@pytest.mark.parametrize(
    "authority", [a for a in Authority if a is not Authority.PLATFORM_OPS], ids=str
)
async def test_only_the_platform_operators_revoke(
    services: list[httpx.AsyncClient], issuer: DevTokenIssuer, authority: Authority
) -> None:
    token = issuer.issue(subject="x", authority=authority, agent_id="x")
    answer = await services[0].post(
        "/auth/revocations", json={"subject": "y"}, headers=bearer(token)
    )
    assert answer.status_code == 403
    assert (await services[0].get("/me", headers=bearer(token))).status_code == 200


@pytest.mark.parametrize(
    "body", [{}, {"jti": "a", "subject": "b"}, {"jti": ""}, {"jti": "a", "other": 1}]
)
async def test_a_revocation_names_exactly_one_token_or_subject(
    services: list[httpx.AsyncClient], issuer: DevTokenIssuer, body: dict[str, Any]
) -> None:
    answer = await services[0].post("/auth/revocations", json=body, headers=ops(issuer))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_the_cli_revokes_on_the_shared_list(
    settings: ServiceSettings, issuer: DevTokenIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = issuer.issue(subject="bob", authority=Authority.WAL, agent_id="bob")
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    monkeypatch.setenv("GUICHET_DATA_DIR", str(settings.data_dir))

    def run(*args: str) -> Any:
        return CliRunner().invoke(token_app, list(args))

    result = await asyncio.to_thread(run, "revoke", "--jti", jti)
    assert result.exit_code == 0, result.output
    assert (await asyncio.to_thread(run, "revoke")).exit_code == 2
    revocations, engine = await open_revocations(settings)
    try:
        caller = TokenVerifier.from_settings(settings).verify(token)
        assert await revocations.is_revoked(caller)
    finally:
        await engine.dispose()


def test_the_deny_list_cache_is_five_seconds_at_most() -> None:
    assert AuthSettings().revocation_cache_seconds <= 5
    with pytest.raises(ValueError, match="less than or equal to 5"):
        AuthSettings(revocation_cache_seconds=60)
    assert RevocationList  # the list every service reads (see open_revocations)
