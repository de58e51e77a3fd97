"""The skeleton every Guichet service is built on: ``create_app`` and what it wires.

A service declares a ``ServiceSpec`` (name, topic, migrations, routers, subscriptions;
``spec``); ``create_app`` turns it into a FastAPI app whose lifespan builds the
``Runtime`` (``runtime``: engine, migrations, shared stores, relay, consumers) and stops
it cleanly, with the health probes (``health``). Nothing is created at import time.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import SpanProcessor

from guichet_core.health import health_router
from guichet_core.http.auth import install_auth
from guichet_core.http.http_limits import install_request_guard
from guichet_core.http.idempotency_http import install_idempotency
from guichet_core.http.problems import install_problems
from guichet_core.http.revocation import revocation_router
from guichet_core.http.verifier import TokenVerifier
from guichet_core.kernel.scrub import install_log_scrubber
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.kernel.tracing import configure_tracing
from guichet_core.runtime import Runtime, database_config, make_bus, start_runtime, stop_runtime
from guichet_core.spec import ServiceSpec, SubscriptionSpec
from guichet_core.stores.master_key import master_key_for

__all__ = [  # the import path services use, whichever module defines each name
    "Runtime",
    "ServiceSpec",
    "SubscriptionSpec",
    "create_app",
    "database_config",
    "make_bus",
]


def create_app(
    spec: ServiceSpec, settings: ServiceSettings, *, span_processor: SpanProcessor | None = None
) -> FastAPI:
    install_log_scrubber()  # one scrubber for every log record (STYLE 14, GDPR Art. 32)
    configure_tracing(f"guichet-{spec.name}", settings.otel_exporter, extra=span_processor)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = await start_runtime(spec, settings)
        app.state.revocations = app.state.runtime.revocations  # read by current_caller
        try:
            yield
        finally:
            await stop_runtime(app.state.runtime)

    app = FastAPI(
        title=spec.title, description=spec.description, version="0.1.0", lifespan=lifespan
    )
    # Before serving: a production deployment without a verification key, or with a weak
    # master key, refuses to start.
    master_key_for(settings)
    install_auth(app, TokenVerifier.from_settings(settings))
    install_problems(app, spec.problems)  # every error as problem+json, never the input
    # Added before the request guard, so inside it: a body is limited before the
    # idempotency middleware reads it to hash it.
    install_idempotency(app)
    install_request_guard(app, settings=settings)  # body limits, JSON no store can keep
    app.include_router(health_router())
    # Every service takes a revocation: an operator's client already points at one, and
    # the deny-list it writes is the one every service reads (no service to add).
    app.include_router(revocation_router())
    for router in spec.routers:
        app.include_router(router)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health,livez,readyz")
    return app
