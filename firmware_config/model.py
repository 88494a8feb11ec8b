"""The gate's configuration model; ``schema.json`` beside it is generated from this.

Every field carries a description and bounds so the JSON Schema documents itself for the
installer. Unknown keys are errors (``extra="forbid"``): a typo must not silently fall back
to a default at a site gate.
"""

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from edge.recognition.defaults import DEFAULT_MARGIN, DEFAULT_THRESHOLD
from wireproto.topics import ID_PATTERN


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FolderSource(_Config):
    """Images from a folder, in name order: for tests, the demo and offline replays."""

    type: Literal["folder"]
    path: Path = Field(description="folder of .jpg/.jpeg/.png frames")
    interval_ms: int = Field(200, ge=0, le=60_000, description="pause between frames")
    loop: bool = Field(False, description="start again after the last image")


class UsbSource(_Config):
    type: Literal["usb"]
    index: int = Field(0, ge=0, le=16, description="OpenCV camera index (/dev/videoN)")


class StreamSource(_Config):
    type: Literal["stream"]
    url: str = Field(description="rtsp://, http:// stream URL (credentials stay in this file)")


class FileSource(_Config):
    type: Literal["file"]
    path: Path = Field(description="a video file")


CameraSource = Annotated[
    FolderSource | UsbSource | StreamSource | FileSource, Field(discriminator="type")
]


class CameraConfig(_Config):
    name: str = Field("cam0", max_length=64)
    direction: Literal["in", "out"] = Field(
        "in", description="every face this camera admits is checked in (in) or out (out)"
    )
    source: CameraSource


class BrokerConfig(_Config):
    url: str = Field(
        "mqtt://127.0.0.1:1883",
        pattern=r"^mqtts?://",
        description="mqtt://host:port, or mqtts:// for TLS (required outside a lab)",
    )
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = Field(None, description="CA certificate for mqtts://")


class RecognitionConfig(_Config):
    threshold: float = Field(
        DEFAULT_THRESHOLD, gt=0, le=1.0, description="max face distance to accept (lower: stricter)"
    )
    margin: float = Field(
        DEFAULT_MARGIN, ge=0, le=1.0, description="best match must beat the next person by this"
    )
    upsample: int = Field(1, ge=0, le=3, description="HOG detector upsampling")


class GateConfig(_Config):
    site: str = Field(pattern=rf"^{ID_PATTERN}$", description="site id, as provisioned")
    device: str = Field(pattern=rf"^{ID_PATTERN}$", description="device id, as provisioned")
    secret: SecretStr = Field(description="HMAC-SHA256 device secret, hex (from devices add)")
    timezone: str = Field("Asia/Shanghai", description="IANA zone of the site")
    broker: BrokerConfig = Field(default_factory=BrokerConfig)
    cameras: list[CameraConfig] = Field(min_length=1, max_length=4)
    gallery: Path = Field(Path("gallery.db"), description="local face gallery (sqlite)")
    outbox: Path = Field(Path("outbox.db"), description="durable event outbox (sqlite)")
    recognition: RecognitionConfig = Field(default_factory=RecognitionConfig)
    debounce_s: float = Field(
        300, ge=0, le=86_400, description="same worker, same gate: one event per window"
    )
    status_interval_s: float = Field(30, gt=0, le=3600, description="heartbeat period")
    resend_after_s: float = Field(
        5, gt=0, le=3600, description="first resend of an unacked event (then backoff)"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("secret")
    @classmethod
    def _hex_secret(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        try:
            key = bytes.fromhex(raw)
        except ValueError:
            raise ValueError("secret must be hex") from None
        if len(key) < 16:
            raise ValueError("secret must be at least 16 bytes (32 hex digits)")
        return value

    @model_validator(mode="after")
    def _unique_cameras(self) -> "GateConfig":
        names = [c.name for c in self.cameras]
        if len(set(names)) != len(names):
            raise ValueError("camera names must be unique")
        return self

    @property
    def secret_bytes(self) -> bytes:
        return bytes.fromhex(self.secret.get_secret_value())

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def resolve_paths(self, base: Path) -> "GateConfig":
        """Relative paths in a config file are relative to that file, not to the cwd."""

        def fix(p: Path) -> Path:
            return p if p.is_absolute() else (base / p).resolve()

        cams = [
            c.model_copy(
                update={"source": c.source.model_copy(update={"path": fix(c.source.path)})}
            )
            if isinstance(c.source, FolderSource | FileSource)
            else c
            for c in self.cameras
        ]
        return self.model_copy(
            update={"gallery": fix(self.gallery), "outbox": fix(self.outbox), "cameras": cams}
        )
