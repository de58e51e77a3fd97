"""Start one service with uvicorn: ``guichet-<service>`` or ``python -m guichet_<service>``."""

from __future__ import annotations

import logging

import uvicorn

from guichet_core.kernel.scrub import install_log_scrubber
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.service import ServiceSpec, create_app


def serve(spec: ServiceSpec, settings: ServiceSettings) -> None:
    install_log_scrubber()  # before the first record: no personal value is ever logged
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(spec, settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
