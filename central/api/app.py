"""The FastAPI application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from central.api import wage_routes
from central.api.routes import attendance, device_sync, operations
from central.api.routes import dust as dust_routes
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
    app.include_router(operations.router)
    app.include_router(attendance.router)
    app.include_router(dust_routes.router)
    app.include_router(device_sync.router)
    wage_routes.install(app)  # issue 7: auth, registry, payroll, warnings, worker view
    return app
