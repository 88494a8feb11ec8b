"""Mounts the wage side (issue 7) on the app: its routers and its error mapping, in one call."""

from fastapi import FastAPI

from central.api import wage_errors
from central.api.routes import auth, evidence, faces, me, payroll, registry, wage_warnings, workdays


def install(app: FastAPI) -> None:
    wage_errors.install(app)
    for module in (auth, registry, faces, workdays, payroll, wage_warnings, me, evidence):
        app.include_router(module.router)
    app.include_router(me.public_router)
