"""Every router of the API, listed once: the app factory mounts exactly these."""

from fastapi import APIRouter

from central.api.routes import (
    attendance,
    auth,
    device_sync,
    dust,
    evidence,
    faces,
    me,
    operations,
    payroll,
    registry,
    wage_warnings,
    workdays,
)

ROUTERS: tuple[APIRouter, ...] = (
    operations.router,
    auth.router,
    registry.router,
    faces.router,
    attendance.router,
    workdays.router,
    payroll.router,
    wage_warnings.router,
    dust.router,
    device_sync.router,
    me.router,
    me.public_router,
    evidence.router,
)
