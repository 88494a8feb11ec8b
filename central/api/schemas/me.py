"""The worker's own view: contracts and training, and the check-in QR token."""

from pydantic import BaseModel

from central.api.schemas.registry import ContractPublic, TrainingPublic


class MyContracts(BaseModel):
    contracts: list[ContractPublic]
    trainings: list[TrainingPublic]


class CheckinToken(BaseModel):
    token: str
    site: str
    ttl_s: int


class QrPublicKey(BaseModel):
    public_key: str
