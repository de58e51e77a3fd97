"""FastAPI dependency aliases every service's routes use (``Annotated``, one place)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from guichet_core.service import Runtime


async def runtime(request: Request) -> Runtime:
    """What the service's lifespan built (engine, store, bus, vault, e-box...)."""
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(runtime)]
