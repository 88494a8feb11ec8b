"""Payload models, protocol version 1 (pydantic v2, strict about unknown fields).

An *event* is anything a gate must not lose: attendance, dust readings, dust alarms. Each is
wrapped in an :class:`Envelope` that names its site, device, a UUIDv7 id, a per-device
sequence number and the device's signature. Central stores an event once per id and answers
with an :class:`Ack`. Device status is an envelope too (so it cannot be forged), but it is
state, not evidence: it is published retained and never acked.
"""

import re
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from wireproto.topics import ID_PATTERN

PROTOCOL_VERSION: Final = 1  # Final: its type is Literal[1], what the ``v`` fields accept
UUID7_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"

Id = Annotated[str, Field(pattern=rf"^{ID_PATTERN}$")]
WorkerId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Micrograms = Annotated[float, Field(ge=0, le=100_000, description="µg/m³")]

# RFC 3339 date-time, as docs/protocol.md section 6 specifies it: "T" between date and time,
# seconds, an optional fraction, and "Z" or "±HH:MM". Forms the JSON parser would also take
# (a space for "T", "+0800", no seconds) are refused, so every implementation agrees.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def _rfc3339(value: Any) -> Any:
    """Text is parsed here (strict validation takes no text after a before-validator)."""
    if not isinstance(value, str):
        return value
    if not _RFC3339.match(value):
        raise ValueError("date-time must be YYYY-MM-DDTHH:MM:SS[.fraction] then Z or ±HH:MM")
    return datetime.fromisoformat(value)


WireDatetime = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AttendanceBody(_Strict):
    """A worker passed (or was seen at) a gate."""

    kind: Literal["attendance"] = "attendance"
    worker_id: WorkerId
    direction: Literal["in", "out"]
    method: Literal["face", "qr", "card"] = "face"
    distance: Annotated[float, Field(ge=0, le=4)] | None = Field(
        None, description="face match distance (lower is closer); null for qr/card"
    )
    liveness: Literal["passed", "failed", "not_checked"] = "not_checked"
    captured_at: WireDatetime = Field(description="device clock, ISO 8601 with UTC offset")
    camera: Annotated[str, Field(max_length=64)] | None = None


class DustReadingBody(_Strict):
    """An averaged dust reading over one regulatory window (never raw 1 Hz samples)."""

    kind: Literal["dust_reading"] = "dust_reading"
    sensor: Annotated[str, Field(max_length=64)]
    window: Literal["1min", "15min", "1h"]
    window_start: WireDatetime
    window_end: WireDatetime
    pm1_0: Micrograms | None = None
    pm2_5: Micrograms | None = None
    pm10: Micrograms | None = None
    tsp: Micrograms | None = None
    humidity: Annotated[float, Field(ge=0, le=100)] | None = None
    samples: Annotated[int, Field(ge=0)]
    expected_samples: Annotated[int, Field(ge=0)]
    flags: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list, max_length=16)


class DustAlarmBody(_Strict):
    """A dust limit was exceeded (raised) or is respected again (cleared)."""

    kind: Literal["dust_alarm"] = "dust_alarm"
    state: Literal["raised", "cleared"]
    pollutant: Literal["pm2_5", "pm10", "tsp"]
    value: Micrograms
    limit: Micrograms
    profile: Annotated[str, Field(max_length=64)]
    window: Literal["1min", "15min", "1h", "24h"]
    at: WireDatetime
    exceedances_today: Annotated[int, Field(ge=0)] | None = Field(
        None, description="windows above the limit so far this local day (this one included)"
    )
    allowed_per_day: Annotated[int, Field(ge=0)] | None = Field(
        None, description="exceedances the profile allows per day; null: no daily budget"
    )


#: Why a gate turned someone away (edge/turned_away.py counts them per local day).
TurnedAwayKind = Literal["face_unknown", "face_refused", "qr_refused", "card_refused"]


class DeviceStatusBody(_Strict):
    """Retained device state; the last will publishes ``state: offline``."""

    kind: Literal["status"] = "status"
    state: Literal["online", "offline"]
    software_version: Annotated[str, Field(max_length=32)] | None = None
    outbox_depth: Annotated[int, Field(ge=0)] | None = None
    camera_ok: bool | None = None
    sensors: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=64)]] = (
        Field(default_factory=dict, max_length=16)
    )
    clock_synced: bool | None = None
    clock_offset_ms: int | None = Field(
        None, description="device clock minus reference time (NTP), milliseconds"
    )
    turned_away: dict[TurnedAwayKind, Annotated[int, Field(ge=0, le=2**31 - 1)]] = Field(
        default_factory=dict,
        description="people the gate did not let through since its local midnight, by kind: "
        "faces matching nobody, faces failing liveness, refused QR codes, unknown cards "
        "(counts only: no image leaves the gate)",
    )
    turned_away_day: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = Field(
        None, description="the gate's local date the counts are for"
    )
    at: WireDatetime


EventBody = Annotated[
    AttendanceBody | DustReadingBody | DustAlarmBody | DeviceStatusBody,
    Field(discriminator="kind"),
]


class Envelope(_Strict):
    """The signed wrapper around every body a device sends."""

    v: Literal[1] = PROTOCOL_VERSION
    id: Annotated[str, Field(pattern=UUID7_PATTERN, description="UUIDv7, lower-case")]
    site: Id
    device: Id
    seq: Annotated[
        int,
        Field(
            ge=0,
            le=2**63 - 1,  # a signed 64-bit column on every database we support
            description="per-device counter, increasing; status messages count on their own",
        ),
    ]
    created_at: WireDatetime
    body: EventBody
    sig: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None

    @property
    def kind(self) -> str:
        return self.body.kind


class AckResult(_Strict):
    """Central's verdict on one event id; ``rejected`` events will never be accepted."""

    id: str
    result: Literal["stored", "duplicate", "rejected"]
    reason: Annotated[str, Field(max_length=200)] | None = None


class Ack(_Strict):
    """Central → device: verdicts for a batch of event ids, signed with the device secret."""

    v: Literal[1] = PROTOCOL_VERSION
    acks: list[AckResult] = Field(max_length=10_000)
    at: datetime
    sig: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
