"""Central's settings: one pydantic model, filled from the CLI (no module-level state)."""

import ipaddress
import os
import socket

from pydantic import BaseModel, ConfigDict, Field, field_validator


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
    batch_size: int = Field(2000, ge=1, description="most events written in one transaction")
    batch_wait_ms: float = Field(
        5.0, ge=0, description="longest wait to fill a batch before writing what there is"
    )
    checkers: int = Field(
        -1,
        ge=-1,
        description="worker processes that validate and verify messages beside the writer "
        "(central/ingest/checkers.py); 0: in the writer's thread; -1: one per core but one",
    )
    device_rate: float = Field(
        500, ge=0, description="messages per second one device may send, sustained; 0: no limit"
    )
    device_burst: float = Field(
        10_000, ge=1, description="messages one device may send at once (an outbox after an outage)"
    )
    device_byte_rate: float = Field(
        1_048_576, ge=0, description="payload bytes per second per device, sustained; 0: no limit"
    )
    device_byte_burst: float = Field(
        16 * 1_048_576, ge=1, description="payload bytes one device may send at once"
    )
    max_capture_age_days: float = Field(
        35,
        gt=0,
        le=3660,
        description="attendance captured longer ago than this (on receipt) is held, not counted; "
        "raise it only to take in a gate's records of an older month on purpose",
    )
    dead_letter_rows_per_hour: int = Field(
        10,
        ge=0,
        description="dead letters kept whole per device, reason and hour; the rest counted",
    )
    dead_letter_max_age_days: float = Field(30, gt=0, description="dead letters older are pruned")
    dead_letter_max_rows: int = Field(100_000, ge=0, description="newest dead letters kept")
    dead_letter_counts_max_age_days: float = Field(
        180, gt=0, description="per-hour dead-letter counts older than this are pruned"
    )
    retention_interval_s: float = Field(
        600, gt=0, description="how often serve prunes dead letters"
    )
    metrics_networks: list[str] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"],
        description="client networks (CIDR) that may read /metrics without a token",
    )

    @field_validator("metrics_networks")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        """A typo in a network must stop serve at start, not answer 500 at every scrape."""
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)
        return value

    metrics_token: str | None = Field(
        None, description="bearer token that may read /metrics from any address", repr=False
    )
    warning_scan_interval_s: float = Field(
        900, ge=0, description="run the arrears indicators this often inside serve; 0: never"
    )
    gate_silent_after_s: float = Field(
        1800,
        ge=60,
        description="a gate not heard from (status or event) this long becomes a "
        "device_offline warning; resolved when it is heard from again",
    )
    gate_watch_interval_s: float = Field(
        60, ge=0, description="how often serve looks for silent gates and dust alarms; 0: never"
    )
    timezone: str = Field("Asia/Shanghai", description="whose 'today' the indicators judge by")
    complaint_sla_days: int = Field(
        5,
        ge=1,
        le=60,
        description="a worker's wage complaint not handled by supervisors within this many "
        "days raises a complaint_overdue warning (the periodic scan)",
    )
    keep_enrollment_photos: bool = Field(
        False, description="keep enrollment photos (sealed) with the templates; off: minimisation"
    )
    activation_code_hours: float = Field(
        72,
        gt=0,
        le=720,
        description="how long a worker's one-time activation code (first sign-in, forgotten "
        "PIN) stays valid",
    )
    secure_cookies: bool = Field(
        False,
        description="mark the console's cookies Secure even when a request arrives over plain "
        "HTTP (a TLS proxy in front that uvicorn does not trust); HTTPS requests always are",
    )
