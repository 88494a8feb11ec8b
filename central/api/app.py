"""The FastAPI application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from central.api import errors
from central.api.routers import ROUTERS
from central.service import CentralService


def create_app(service: CentralService, *, manage_service: bool = True) -> FastAPI:
    """Build the app around ``service``; with ``manage_service`` its lifespan starts/stops it."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manage_service:
            service.start()
        try:
            yield
        finally:
            if manage_service:
                service.stop()

    app = FastAPI(title="sitegate central", version="0.1.0", lifespan=lifespan)
    app.state.service = service
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
