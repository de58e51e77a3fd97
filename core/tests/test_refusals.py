"""The refusal recorded for each kind of bad token on a route naming a dossier.

Art. 29 of the agreement and GDPR Art. 15 §1 c: a 401 on a named dossier reaches its
access log too. A token whose signature verifies but that is refused (expired, wrong
audience, too long-lived, revoked) names the authority and agent its signature proves;
one that does not verify (forged, ``alg: none``, HS256 with the public key, garbage)
names no one: its claims are the attacker's. No server: the app's own problem mapping
appends to an in-memory store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient

from guichet_contracts import AccessRefused
from guichet_contracts.registry import REGISTRY
from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import Caller, CallerDep, DevTokenIssuer, install_auth
from guichet_core.http.auth_keys import dev_private_key
from guichet_core.http.problems import install_problems
from guichet_core.http.verifier import TokenVerifier
from guichet_core.kernel.codec import NewEvent
from guichet_core.kernel.settings import ServiceSettings

DOSSIER = uuid.uuid4()


class MemoryStore:
    """What ``record_refusal`` appends to, kept in a list."""

    def __init__(self) -> None:
        self.appended: list[NewEvent] = []

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Any]:
        store = self

        class Uow:
            async def append(self, stream: str, events: list[NewEvent], **_: Any) -> None:
                assert stream == f"access-refused-{DOSSIER}"
                store.appended.extend(events)

        yield Uow()


class Revocations:
    """A deny-list that revokes one subject."""

    def __init__(self, subject: str) -> None:
        self.subject = subject

    async def is_revoked(self, caller: Caller) -> bool:
        return caller.subject == self.subject


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GUICHET_AUTH_") or name in ("GUICHET_BACKEND", "GUICHET_DATA_DIR"):
            monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path: Path) -> ServiceSettings:
    return ServiceSettings(data_dir=tmp_path / "data")


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def client(settings: ServiceSettings, store: MemoryStore) -> TestClient:
    app = FastAPI()

    @app.get("/dossiers/{dossier_id}")
    def read(dossier_id: str, caller: CallerDep) -> dict[str, str]:
        return {"agent": caller.agent_id}

    @app.get("/queue")
    def queue(caller: CallerDep) -> dict[str, str]:
        return {"agent": caller.agent_id}

    install_auth(app, TokenVerifier.from_settings(settings))
    install_problems(app)
    app.state.revocations = Revocations("revoked-agent")
    app.state.runtime = SimpleNamespace(
        spec=SimpleNamespace(name="probe"),
        settings=SimpleNamespace(named=lambda topic: topic),
        store=store,
        relay=SimpleNamespace(wake=lambda: None),
    )
    return TestClient(app)


def claims(**changes: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    base = {
        "iss": "guichet-dev",
        "aud": "guichet",
        "sub": "wal-officer",
        "iat": now,
        "exp": now + 300,
        "guichet_authority": "WAL",
        "guichet_agent": "wal-officer",
    }
    return {**base, **changes}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def by_hand(header: dict[str, Any], key: bytes | None) -> str:
    """A JWS libraries refuse to write: HS256 with ``key``, or unsigned when None."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims()).encode())}"
    mac = b"" if key is None else hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def refused(client: TestClient, store: MemoryStore, token: str | None) -> AccessRefused:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    answer = client.get(f"/dossiers/{DOSSIER}", headers=headers)
    assert answer.status_code == 401, answer.text
    [event] = store.appended
    store.appended.clear()
    loaded = REGISTRY.load(event.event_type, event.schema_version, event.data)
    assert isinstance(loaded, AccessRefused)
    assert loaded.application_id == DOSSIER and loaded.service == "probe"
    assert (loaded.status, loaded.reason, loaded.method) == (401, "not_authenticated", "GET")
    assert loaded.route == "/dossiers/{dossier_id}"
    return loaded


def test_a_token_whose_signature_verifies_names_its_real_authority_and_agent(
    settings: ServiceSettings, client: TestClient, store: MemoryStore
) -> None:
    key = dev_private_key(settings)
    now = int(datetime.now(UTC).timestamp())
    year_5138 = int(datetime(5138, 1, 1, tzinfo=UTC).timestamp())
    tokens = {
        "expired": claims(iat=now - 900, exp=now - 600),
        "wrong audience": claims(aud="another-platform"),
        "wrong issuer": claims(iss="https://idp.example/elsewhere"),
        "over-long-lived": claims(exp=year_5138),
        "not valid yet": claims(nbf=now + 3600),
    }
    for name, payload in tokens.items():
        event = refused(client, store, jwt.encode(payload, key, algorithm="ES256"))
        assert (event.authority, event.agent_id) == ("WAL", "wal-officer"), name
        assert event.verified, name


def test_a_revoked_token_names_its_real_agent(
    settings: ServiceSettings, client: TestClient, store: MemoryStore
) -> None:
    issuer = DevTokenIssuer.from_settings(settings)
    token = issuer.issue(authority=Authority.OE, agent_id="oe-agent", subject="revoked-agent")
    event = refused(client, store, token)
    assert (event.authority, event.agent_id) == ("OE", "oe-agent")


def test_an_applicants_refused_token_names_no_person(
    settings: ServiceSettings, client: TestClient, store: MemoryStore
) -> None:
    niss = "85073003328"
    expired = claims(
        sub=niss, guichet_authority="APPLICANT", guichet_agent=niss, exp=1_000, iat=900
    )
    token = jwt.encode(expired, dev_private_key(settings), algorithm="ES256")
    event = refused(client, store, token)
    assert (event.authority, event.agent_id) == ("APPLICANT", "applicant")
    assert niss not in json.dumps(event.model_dump(mode="json"))


def test_a_token_that_does_not_verify_names_no_one(
    settings: ServiceSettings, client: TestClient, store: MemoryStore
) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    public_pem = DevTokenIssuer.from_settings(settings).public_key_pem().encode()
    # The signer's known claims, an unknown authority: signed, but it proves no one.
    unknown_authority = jwt.encode(
        claims(guichet_authority="NOBODY"), dev_private_key(settings), algorithm="ES256"
    )
    tokens = {
        "forged signature": jwt.encode(claims(), stranger, algorithm="ES256"),
        "alg none": by_hand({"alg": "none", "typ": "JWT"}, None),
        "HS256 signed with the public key": by_hand({"alg": "HS256", "typ": "JWT"}, public_pem),
        "garbage": "not-a-jwt",
        "no token": None,
        "unknown authority": unknown_authority,
    }
    for name, token in tokens.items():
        event = refused(client, store, token)
        assert (event.authority, event.agent_id) == (None, None), name
        assert not event.verified, name


def test_a_401_on_a_route_naming_no_dossier_is_recorded_nowhere(
    client: TestClient, store: MemoryStore
) -> None:
    answer = client.get("/queue", headers={"Authorization": "Bearer not-a-jwt"})
    assert answer.status_code == 401
    assert store.appended == []


def test_a_valid_token_is_not_refused(
    settings: ServiceSettings, client: TestClient, store: MemoryStore
) -> None:
    issuer = DevTokenIssuer.from_settings(settings)
    token = issuer.issue(authority=Authority.WAL, agent_id="wal-officer", subject="someone")
    answer = client.get(f"/dossiers/{DOSSIER}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json() == {"agent": "wal-officer"}
    assert store.appended == []
