"""Callers are authenticated: a JWT bearer token names the authority and the agent.

No token or a bad one → 401 with WWW-Authenticate; a token of the wrong authority → 403.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import (
    REGIONS,
    AuthConfigurationError,
    AuthSettings,
    Caller,
    CallerDep,
    DevTokenIssuer,
    Unauthenticated,
    install_auth,
    require_authority,
)
from guichet_core.http.auth_keys import dev_key_file, dev_private_key, key_source
from guichet_core.http.verifier import TokenVerifier
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.tools.token_cli import token_app

RegionCaller = Annotated[Caller, Depends(require_authority(REGIONS))]


def _echo(caller: Caller) -> dict[str, Any]:
    return {
        "subject": caller.subject,
        "authority": caller.authority,
        "agent_id": caller.agent_id,
        "roles": sorted(caller.roles),
        "purpose": caller.purpose,
        "is_region": caller.is_region,
    }


def build_app(verifier: TokenVerifier) -> FastAPI:
    app = FastAPI()

    @app.get("/me")
    def me(caller: CallerDep) -> dict[str, Any]:
        return _echo(caller)

    @app.get("/regional-queue")
    def regional_queue(caller: RegionCaller) -> dict[str, Any]:
        return _echo(caller)

    install_auth(app, verifier)
    return app


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GUICHET_AUTH_") or name in ("GUICHET_BACKEND", "GUICHET_DATA_DIR"):
            monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path: Path) -> ServiceSettings:
    return ServiceSettings(data_dir=tmp_path / "data")


def with_auth(data_dir: Path, **auth: Any) -> ServiceSettings:
    """A service's settings whose ``auth`` section says what the test needs."""
    return ServiceSettings(data_dir=data_dir, auth=AuthSettings(**auth))


@pytest.fixture
def issuer(settings: ServiceSettings) -> DevTokenIssuer:
    return DevTokenIssuer.from_settings(settings)


@pytest.fixture
def client(settings: ServiceSettings, issuer: DevTokenIssuer) -> TestClient:
    return TestClient(build_app(TokenVerifier.from_settings(settings)))


def claims(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "iss": "guichet-dev",
        "aud": "guichet",
        "sub": "alice",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "guichet_authority": "VLG",
        "guichet_agent": "alice",
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def signed(settings: ServiceSettings, **changes: Any) -> str:
    return jwt.encode(claims(**changes), dev_private_key(settings), algorithm="ES256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_token_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["detail"]


def test_a_basic_credential_is_not_a_bearer_token(client: TestClient) -> None:
    response = client.get("/me", headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {
                "iat": datetime.now(UTC) - timedelta(hours=2),
                "exp": datetime(2025, 1, 31, tzinfo=UTC),
            },
            "the token has expired: ask the identity provider for a new one",
        ),
        ({"aud": "another-platform"}, "token audience is not 'guichet'"),
        # Never a claim of the token back (GDPR Art. 5 §1 f): general terms only.
        ({"iss": "somebody-else"}, "the token was not issued by this platform's identity provider"),
        ({"guichet_authority": None}, "token lacks the required claim 'guichet_authority'"),
        ({"guichet_agent": None}, "token lacks the required claim 'guichet_agent'"),
        ({"exp": None}, "token lacks the required claim 'exp'"),
        ({"guichet_authority": "XYZ"}, "the token names an authority this platform does not know"),
        ({"guichet_roles": "admin"}, "claim 'guichet_roles' must be a list of strings"),
        ({"iat": datetime.now(UTC) + timedelta(hours=1)}, "token is not valid yet"),
    ],
)
def test_an_invalid_token_is_401_with_a_reason(
    client: TestClient, settings: ServiceSettings, changes: dict[str, Any], reason: str
) -> None:
    response = client.get("/me", headers=bearer(signed(settings, **changes)))
    assert response.status_code == 401
    assert response.json()["detail"].startswith(reason)
    challenge = response.headers["www-authenticate"]
    assert 'error="invalid_token"' in challenge
    assert f'error_description="{reason}' in challenge


@pytest.mark.parametrize("claim", ["iss", "aud", "guichet_authority", "exp"])
def test_a_refusal_never_quotes_a_claim_of_the_token(
    client: TestClient, settings: ServiceSettings, claim: str
) -> None:
    marker = "marker-4f1c9e"  # what an attacker (or a careless client) put in the token
    value: Any = marker
    if claim == "exp":  # an expired token: its expiry is a claim too
        value, marker = datetime(2025, 1, 31, 7, 7, 7, tzinfo=UTC), "2025-01-31"
    changes = (
        {claim: value, "iat": datetime(2025, 1, 31, tzinfo=UTC)}
        if claim == "exp"
        else {claim: value}
    )
    response = client.get("/me", headers=bearer(signed(settings, **changes)))
    assert response.status_code == 401
    assert marker not in response.text
    assert marker not in response.headers["www-authenticate"]


def test_a_token_signed_by_another_key_is_401(client: TestClient) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    response = client.get("/me", headers=bearer(jwt.encode(claims(), stranger, algorithm="ES256")))
    assert response.status_code == 401
    assert response.json()["detail"] == "signature does not match the configured key"


def test_symmetric_and_unsigned_tokens_are_refused(client: TestClient) -> None:
    hs256 = jwt.encode(claims(), "a shared secret of at least 32 bytes!", algorithm="HS256")
    unsigned = jwt.encode(claims(), None, algorithm="none")
    for token in (hs256, unsigned, "not-a-jwt"):
        response = client.get("/me", headers=bearer(token))
        assert response.status_code == 401, token
    assert "'HS256' is not accepted" in client.get("/me", headers=bearer(hs256)).json()["detail"]


def test_a_region_reaches_the_region_route(client: TestClient, issuer: DevTokenIssuer) -> None:
    token = issuer.issue(
        subject="agent-0042", authority=Authority.DG, agent_id="eupen-7", roles=["case-officer"]
    )
    response = client.get("/regional-queue", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "subject": "agent-0042",
        "authority": "DG",
        "agent_id": "eupen-7",
        "roles": ["case-officer"],
        "purpose": None,
        "is_region": True,
    }


def test_the_immigration_office_is_403_on_the_region_route(
    client: TestClient, issuer: DevTokenIssuer
) -> None:
    token = issuer.issue(subject="oe-1", authority=Authority.OE, agent_id="oe-1")
    assert client.get("/me", headers=bearer(token)).status_code == 200
    response = client.get("/regional-queue", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "this action is reserved to: VLG, WAL, BXL, DG; your token is for OE"
    )
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


def test_an_applicant_is_identified_by_its_subject(
    client: TestClient, issuer: DevTokenIssuer
) -> None:
    token = issuer.issue(
        subject="0123.456.789", authority=Authority.APPLICANT, agent_id="hr-desk", purpose="file"
    )
    body = client.get("/me", headers=bearer(token)).json()
    assert body["subject"] == "0123.456.789"
    assert body["authority"] == "APPLICANT"
    assert body["purpose"] == "file"
    assert body["is_region"] is False


def test_openapi_shows_the_bearer_scheme(client: TestClient) -> None:
    schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["GuichetToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["GuichetToken"]["description"],
    }


def test_the_dev_key_is_created_once_with_mode_0600(settings: ServiceSettings) -> None:
    assert not dev_key_file(settings).exists()
    first = DevTokenIssuer.from_settings(settings)
    assert stat.S_IMODE(dev_key_file(settings).stat().st_mode) == 0o600
    assert [path.name for path in dev_key_file(settings).parent.iterdir()] == [
        "dev-signing-key.pem"
    ]
    second = DevTokenIssuer.from_settings(settings)
    assert second.public_key_pem() == first.public_key_pem()


def test_the_production_backend_refuses_dev_keys(tmp_path: Path) -> None:
    production = ServiceSettings(
        backend="postgres-kafka",
        database_url="postgresql://guichet@db:5432/guichet",
        kafka_bootstrap="broker:9092",
        data_dir=tmp_path,
    )
    with pytest.raises(AuthConfigurationError, match="GUICHET_AUTH_JWKS_URL"):
        key_source(production)
    with pytest.raises(AuthConfigurationError):
        TokenVerifier.from_settings(production)
    assert not (tmp_path / "dev-signing-key.pem").exists()

    key_file = tmp_path / "idp.pem"
    key_file.write_text(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    configured = production.model_copy(update={"auth": AuthSettings(public_key_file=key_file)})
    assert key_source(configured) == "public_key_file"
    with pytest.raises(AuthConfigurationError):
        DevTokenIssuer.from_settings(configured)


def test_the_embedded_backend_uses_the_service_data_dir(tmp_path: Path) -> None:
    service = ServiceSettings(data_dir=tmp_path / "svc")
    assert key_source(service) == "dev"
    assert dev_key_file(service) == tmp_path / "svc" / "dev-signing-key.pem"


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, dict[str, Any]]]:
    """A real HTTP server on 127.0.0.1 serving whatever JWK Set the test puts in the dict."""
    document: dict[str, Any] = {"keys": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json", document
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_jwks_configured_verifier_accepts_the_identity_providers_tokens(
    tmp_path: Path, jwks_server: tuple[str, dict[str, Any]]
) -> None:
    url, document = jwks_server
    idp_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(idp_key.public_key()))
    document["keys"] = [{**jwk, "kid": "idp-2025", "use": "sig", "alg": "RS256"}]
    settings = with_auth(tmp_path, jwks_url=url, issuer="https://idp.example.be")
    verifier = TokenVerifier.from_settings(settings)
    client = TestClient(build_app(verifier))

    token = jwt.encode(
        claims(iss="https://idp.example.be", guichet_authority="WAL", guichet_agent="namur-3"),
        idp_key,
        algorithm="RS256",
        headers={"kid": "idp-2025"},
    )
    response = client.get("/regional-queue", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["authority"] == "WAL"

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        claims(iss="https://idp.example.be"), stranger, algorithm="RS256", headers={"kid": "x"}
    )
    response = client.get("/me", headers=bearer(forged))
    assert response.status_code == 401
    assert url in response.json()["detail"]
    assert not (tmp_path / "dev-signing-key.pem").exists()  # no dev key when a JWKS is set


def test_an_unreachable_key_set_is_503_not_401(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/jwks.json"
    settings = with_auth(tmp_path, jwks_url=url)
    client = TestClient(build_app(TokenVerifier.from_settings(settings)))
    idp_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims(), idp_key, algorithm="RS256", headers={"kid": "idp-2025"})
    response = client.get("/me", headers=bearer(token))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"


def test_the_dev_jwks_lets_another_service_verify_dev_tokens(
    tmp_path: Path, issuer: DevTokenIssuer, jwks_server: tuple[str, dict[str, Any]]
) -> None:
    url, document = jwks_server
    document.update(issuer.jwks())
    verifier = TokenVerifier.from_settings(with_auth(tmp_path, jwks_url=url))
    caller = verifier.verify(issuer.issue(subject="s", authority=Authority.ONSS, agent_id="a"))
    assert caller.authority is Authority.ONSS


def test_the_cli_issues_a_token_the_verifier_accepts(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"GUICHET_DATA_DIR": str(tmp_path)}
    result = runner.invoke(
        token_app,
        [
            "issue",
            "--authority",
            "insp_fed",
            "--agent",
            "inspector-9",
            "--role",
            "controller",
            "--role",
            "reader",
            "--purpose",
            "Art. 25 control",
            "--ttl-minutes",
            "15",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    verifier = TokenVerifier.from_settings(ServiceSettings(data_dir=tmp_path))
    caller = verifier.verify(token)
    assert caller == Caller(
        subject="inspector-9",
        authority=Authority.FEDERAL_INSPECTION,
        agent_id="inspector-9",
        roles=frozenset({"controller", "reader"}),
        purpose="Art. 25 control",
        token_id=caller.token_id,
        issued_at=caller.issued_at,
    )
    assert caller.token_id  # every development token can be revoked by its jti
    lifetime = jwt.decode(token, options={"verify_signature": False})
    assert lifetime["exp"] - lifetime["iat"] == 15 * 60

    # The printed public key configures a verifier elsewhere (GUICHET_AUTH_PUBLIC_KEY_FILE).
    pem = runner.invoke(token_app, ["public-key"], env=env)
    assert pem.exit_code == 0, pem.output
    key_file = tmp_path / "guichet-dev.pub.pem"
    key_file.write_text(pem.stdout)
    elsewhere = with_auth(tmp_path / "x", public_key_file=key_file, dev_keys=False)
    assert TokenVerifier.from_settings(elsewhere).verify(token).agent_id == "inspector-9"


def test_the_cli_refuses_production_and_applicants_without_subject(tmp_path: Path) -> None:
    runner = CliRunner()
    production = {"GUICHET_DATA_DIR": str(tmp_path), "GUICHET_BACKEND": "postgres-kafka"}
    result = runner.invoke(
        token_app, ["issue", "--authority", "VLG", "--agent", "a"], env=production
    )
    assert result.exit_code == 2
    assert "GUICHET_BACKEND=postgres-kafka" in result.stderr
    assert not (tmp_path / "dev-signing-key.pem").exists()
    servers = {**production, "DATABASE_URL": "postgresql://db/g", "KAFKA_BOOTSTRAP": "k:9092"}
    result = runner.invoke(token_app, ["issue", "--authority", "VLG", "--agent", "a"], env=servers)
    assert result.exit_code == 2
    assert "GUICHET_AUTH_JWKS_URL" in result.stderr
    assert not (tmp_path / "dev-signing-key.pem").exists()

    embedded = {"GUICHET_DATA_DIR": str(tmp_path)}
    result = runner.invoke(
        token_app, ["issue", "--authority", "APPLICANT", "--agent", "a"], env=embedded
    )
    assert result.exit_code == 2
    assert "--subject" in result.stderr


def test_verify_raises_unauthenticated_for_garbage(settings: ServiceSettings) -> None:
    DevTokenIssuer.from_settings(settings)
    with pytest.raises(Unauthenticated, match="not a well-formed JWT"):
        TokenVerifier.from_settings(settings).verify("a.b.c")


def test_a_token_verified_once_is_refused_once_it_expires(
    settings: ServiceSettings, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Verified tokens are remembered so the signature is checked once, but expiry is
    # checked on every request.
    token = signed(settings, exp=datetime.now(UTC) + timedelta(seconds=60))
    assert client.get("/me", headers=bearer(token)).status_code == 200
    assert client.get("/me", headers=bearer(token)).status_code == 200
    later = datetime.now(UTC).timestamp() + 3600
    monkeypatch.setattr("guichet_core.http.verifier.time.time", lambda: later)
    monkeypatch.setattr("jwt.api_jwt.datetime", _FrozenDatetime(later))
    response = client.get("/me", headers=bearer(token))
    assert response.status_code == 401
    assert "the token has expired" in response.json()["detail"]


def test_a_remembered_token_does_not_vouch_for_a_forged_one(
    settings: ServiceSettings, client: TestClient
) -> None:
    token = signed(settings)
    assert client.get("/me", headers=bearer(token)).status_code == 200
    header, _, signature = token.split(".")
    claims_as_oe = {
        **jwt.decode(token, options={"verify_signature": False}),
        "guichet_authority": "OE",
    }
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims_as_oe).encode()).decode()
    forged = f"{header}.{forged_payload}.{signature}"
    response = client.get("/me", headers=bearer(forged))
    assert response.status_code == 401
    assert "signature" in response.json()["detail"]


class _FrozenDatetime:
    """Stands in for ``datetime`` inside PyJWT, at a fixed moment."""

    def __init__(self, timestamp: float) -> None:
        self._now = datetime.fromtimestamp(timestamp, UTC)

    def now(self, tz: Any = None) -> datetime:
        return self._now

    def __getattr__(self, name: str) -> Any:
        return getattr(datetime, name)


# A stolen token is a key to the dossiers its caller may open: GDPR Art. 32 §1 asks for
# measures that bound the harm, so a token lives one hour for an applicant and one
# working day (12 h) for an authority's agent, whatever its issuer wrote.
@pytest.mark.parametrize(
    ("authority", "lifetime", "accepted"),
    [
        ("APPLICANT", timedelta(minutes=60), True),
        ("APPLICANT", timedelta(minutes=61), False),
        ("VLG", timedelta(hours=12), True),
        ("VLG", timedelta(hours=12, minutes=1), False),
        ("OE", timedelta(days=365 * 3112), False),  # the probe's token: exp in year 5138
    ],
)
def test_a_token_living_longer_than_allowed_is_401(
    client: TestClient,
    settings: ServiceSettings,
    authority: str,
    lifetime: timedelta,
    accepted: bool,
) -> None:
    now = datetime.now(UTC)
    token = signed(settings, guichet_authority=authority, iat=now, exp=now + lifetime)
    response = client.get("/me", headers=bearer(token))
    if accepted:
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 401
    assert "lifetime" in response.json()["detail"]
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_a_token_issued_long_ago_but_expiring_far_ahead_is_401(
    client: TestClient, settings: ServiceSettings
) -> None:
    # An `iat` set in the past does not stretch what is left: exp - now counts too.
    now = datetime.now(UTC)
    token = signed(settings, iat=now - timedelta(hours=1), exp=now + timedelta(days=2))
    response = client.get("/me", headers=bearer(token))
    assert response.status_code == 401
    assert "lifetime" in response.json()["detail"]


def test_the_maximum_lifetimes_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUICHET_AUTH_MAX_TOKEN_LIFETIME_SECONDS", "600")
    monkeypatch.setenv("GUICHET_AUTH_MAX_AUTHORITY_TOKEN_LIFETIME_SECONDS", "1200")
    settings = ServiceSettings(data_dir=tmp_path)
    auth = settings.auth  # the nested section keeps the names GUICHET_AUTH_*
    assert (auth.max_token_lifetime_seconds, auth.max_authority_token_lifetime_seconds) == (
        600,
        1200,
    )
    verifier = TokenVerifier.from_settings(settings)
    now = datetime.now(UTC)
    short = signed(settings, guichet_authority="APPLICANT", iat=now, exp=now + timedelta(minutes=9))
    long = signed(settings, guichet_authority="APPLICANT", iat=now, exp=now + timedelta(minutes=11))
    assert verifier.verify(short).authority is Authority.APPLICANT
    with pytest.raises(Unauthenticated, match="lifetime"):
        verifier.verify(long)
    officer = signed(settings, iat=now, exp=now + timedelta(minutes=21))
    with pytest.raises(Unauthenticated, match="lifetime"):
        verifier.verify(officer)


def test_dev_tokens_live_no_longer_than_the_verifier_allows(settings: ServiceSettings) -> None:
    issuer = DevTokenIssuer.from_settings(settings)
    verifier = TokenVerifier.from_settings(settings)
    applicant = issuer.issue(subject="85073003328", authority=Authority.APPLICANT, agent_id="w")
    officer = issuer.issue(subject="officer-1", authority=Authority.VLG, agent_id="officer-1")
    assert verifier.verify(applicant).authority is Authority.APPLICANT
    assert verifier.verify(officer).authority is Authority.VLG
