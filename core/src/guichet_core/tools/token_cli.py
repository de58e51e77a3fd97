"""``guichet token``: development tokens signed with the dev key pair in GUICHET_DATA_DIR.

Issuing is refused when the settings say production (``GUICHET_BACKEND=postgres-kafka``,
or a JWKS or PEM key configured): then tokens come from the identity provider. Revoking
(``guichet token revoke``) works on every backend: it writes the shared deny-list.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer
from pydantic import ValidationError

# Signing needs the key and its settings only: not guichet_core.http.auth, which is FastAPI's
# side of tokens (issue 11: `guichet token issue` answers in well under a second).
from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth_keys import AuthConfigurationError, key_source
from guichet_core.http.dev_tokens import DevTokenIssuer
from guichet_core.kernel.settings import ServiceSettings

token_app = typer.Typer(help="Development tokens (embedded backend only).", no_args_is_help=True)


def _issuer() -> DevTokenIssuer:
    try:  # production settings (postgres-kafka) are refused either way
        return DevTokenIssuer.from_settings(ServiceSettings())
    except (AuthConfigurationError, ValidationError) as error:
        typer.echo(f"guichet token: {error}", err=True)
        raise typer.Exit(code=2) from error


@token_app.command("issue")
def issue(
    authority: Annotated[
        Authority, typer.Option(help="The calling authority", case_sensitive=False)
    ],
    agent: Annotated[str, typer.Option(help="The agent id (person or system acting)")],
    subject: Annotated[
        str | None,
        typer.Option(
            help="`sub`: an applicant's NISS, enterprise number or mandatary id "
            "(default: the agent id; required for APPLICANT)"
        ),
    ] = None,
    role: Annotated[list[str] | None, typer.Option(help="A role; repeat for several")] = None,
    purpose: Annotated[str | None, typer.Option(help="The purpose of the access")] = None,
    ttl_minutes: Annotated[
        int | None,
        typer.Option(
            min=1, help="Lifetime in minutes (default and at most: 60 for APPLICANT, 720 else)"
        ),
    ] = None,
) -> None:
    """Print a development token to stdout."""
    if subject is None and authority is Authority.APPLICANT:
        typer.echo("guichet token: an APPLICANT token needs --subject", err=True)
        raise typer.Exit(code=2)
    token = _issuer().issue(
        subject=subject or agent,
        authority=authority,
        agent_id=agent,
        roles=role or (),
        purpose=purpose,
        ttl=None if ttl_minutes is None else timedelta(minutes=ttl_minutes),
    )
    typer.echo(token)


@token_app.command("public-key")
def public_key(
    jwks: Annotated[bool, typer.Option("--jwks", help="Print a JWK Set (JSON) instead")] = False,
) -> None:
    """Print the dev public key (PEM), to configure GUICHET_AUTH_PUBLIC_KEY_FILE elsewhere."""
    issuer = _issuer()
    if jwks:
        typer.echo(json.dumps(issuer.jwks(), indent=2))
    else:
        typer.echo(issuer.public_key_pem(), nl=False)


@token_app.command("revoke")
def revoke(
    jti: Annotated[str | None, typer.Option(help="Revoke the one token with this `jti`")] = None,
    subject: Annotated[
        str | None,
        typer.Option(help="Revoke every token of this `sub` issued until now (no `jti` needed)"),
    ] = None,
) -> None:
    """Revoke a token on every service (within the deny-list's cache, at most 5 s)."""
    if (jti is None) == (subject is None):
        typer.echo("guichet token revoke: give exactly one of --jti or --subject", err=True)
        raise typer.Exit(code=2)
    import asyncio

    from guichet_core.http.revocation import open_revocations

    async def record() -> float:
        settings = ServiceSettings()
        key_source(settings)  # a misconfigured platform refuses, as its services do
        revocations, engine = await open_revocations(settings)
        try:
            if jti is not None:
                await revocations.revoke_token(jti)
            else:
                assert subject is not None
                await revocations.revoke_subject(subject)
        finally:
            await engine.dispose()
        return revocations.cache_seconds

    try:
        within = asyncio.run(record())
    except AuthConfigurationError as error:
        typer.echo(f"guichet token: {error}", err=True)
        raise typer.Exit(code=2) from error
    what = "the token" if jti is not None else "the subject's tokens issued until now"
    typer.echo(f"revoked {what}: every service refuses it within {within:g} s")
