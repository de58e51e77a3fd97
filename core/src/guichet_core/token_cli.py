"""``guichet token``: development tokens signed with the dev key pair in GUICHET_DATA_DIR.

Refused when the settings say production (``GUICHET_BACKEND=postgres-kafka``, or a JWKS
or PEM key configured): then tokens come from the identity provider.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

from guichet_core.auth import AuthConfigurationError, Authority, AuthSettings, DevTokenIssuer

token_app = typer.Typer(help="Development tokens (embedded backend only).", no_args_is_help=True)


def _issuer() -> DevTokenIssuer:
    try:
        return DevTokenIssuer.from_settings(AuthSettings())
    except AuthConfigurationError as error:
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
