"""Dependency aliases shared by the routers."""

from typing import Annotated

from fastapi import Depends, Request

from central.service import CentralService
from central.storage import Database


def get_service(request: Request) -> CentralService:
    return request.app.state.service


def get_db(request: Request) -> Database:
    return request.app.state.service.db


ServiceDep = Annotated[CentralService, Depends(get_service)]
DbDep = Annotated[Database, Depends(get_db)]
