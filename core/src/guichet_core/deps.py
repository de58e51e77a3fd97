"""FastAPI dependency aliases every service's routes use (``Annotated``, one place)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from guichet_core.service import Runtime


async def runtime(request: Request) -> Runtime:
    """What the service's lifespan built (engine, store, bus, vault, e-box...)."""
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(runtime)]


D = TypeVar("D")


def service_deps(kind: type[D]) -> Callable[[Request], D]:
    """A dependency giving the typed set a service's ``bootstrap`` built, e.g.
    ``Annotated[RetentionDeps, Depends(service_deps(RetentionDeps))]``."""

    def get(request: Request) -> D:
        deps = request.app.state.runtime.deps
        if not isinstance(deps, kind):  # a wiring mistake, not a caller's
            raise TypeError(f"this service's dependencies are not {kind.__name__}")
        return deps

    return get
