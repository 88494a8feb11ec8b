"""Central's settings: one pydantic model, filled from the CLI (no module-level state)."""

import os
import socket

from pydantic import BaseModel, ConfigDict, Field


class CentralSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    db: str = Field("sitegate-central.db", description="SQLite file path or a database URL")
    broker: str | None = Field(
        None, description="mqtt://host:port of the broker; None starts the embedded broker"
    )
    broker_ca_file: str | None = None
    embedded_broker_host: str = "127.0.0.1"
    embedded_broker_port: int = Field(1883, ge=0, le=65535)
    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=0, le=65535)
    instance_id: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        description="names this instance's MQTT session: give each instance a stable one so a "
        "restart resumes its session instead of leaving messages in an orphaned one",
    )
    shared_group: str | None = Field(
        None, description="MQTT shared-subscription group, to split load over instances"
    )
    queue_size: int = Field(
        5000,
        ge=1,
        description="ingest queue bound in messages: central's memory bound under any backlog",
    )
    batch_size: int = Field(500, ge=1, description="most events written in one transaction")
    batch_wait_ms: float = Field(
        5.0, ge=0, description="longest wait to fill a batch before writing what there is"
    )
    warning_scan_interval_s: float = Field(
        900, ge=0, description="run the arrears indicators this often inside serve; 0: never"
    )
    timezone: str = Field("Asia/Shanghai", description="whose 'today' the indicators judge by")
    keep_enrollment_photos: bool = Field(
        False, description="keep enrollment photos (sealed) with the templates; off: minimisation"
    )
