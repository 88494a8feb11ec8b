"""The gate's configuration model; ``gate-config.schema.json`` beside it is generated from this.

Every field carries a description and bounds so the JSON Schema documents itself for the
installer. Unknown keys are errors (``extra="forbid"``): a typo must not silently fall back
to a default at a site gate.
"""

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from firmware_config.dust import DustConfig
from firmware_config.recognition_defaults import DEFAULT_MARGIN, DEFAULT_THRESHOLD
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
    detect_width: int = Field(
        480, ge=160, le=4096, description="frames are downscaled to this width for detection"
    )
    detect_upsample: int = Field(
        0, ge=0, le=2, description="HOG upsampling on the downscaled camera frame"
    )
    min_face_px: int = Field(80, ge=20, le=2000, description="smaller faces are not judged")
    min_sharpness: float = Field(
        60.0, ge=0, description="blurrier faces are not judged (Laplacian variance at 80x80)"
    )
    max_yaw: float = Field(
        0.6, ge=0, le=1.0, description="faces turned further are not judged (0 frontal)"
    )
    jitters: int = Field(1, ge=1, le=100, description="encoder jitters per face at the gate")
    track_timeout_s: float = Field(
        1.0, gt=0, le=60, description="a face unseen this long is a new person next time"
    )


class LivenessConfig(_Config):
    """Evidence of a live face across frames: a blink, or head motion a flat photo cannot make."""

    enabled: bool = Field(
        False, description="require liveness before a face check-in (turn on at real gates)"
    )
    strictness: Literal["normal", "strict"] = Field(
        "normal", description="normal: a blink or 3-D head motion; strict: a clear blink"
    )
    window_s: float = Field(
        6.0, gt=0, le=60, description="how long a recognised face may take to show liveness"
    )


class QrConfig(_Config):
    """Personal check-in QR codes, read by the same cameras (the alternative to face)."""

    enabled: bool = Field(True, description="look for QR codes in camera frames")
    public_key: str | None = Field(
        None,
        pattern=r"^ed25519:[A-Za-z0-9_-]{43}$",
        description="central's QR signing key (ed25519:...); no key: QR codes are refused",
    )
    used_tokens: Path = Field(
        Path("qr_used.db"), description="token ids already admitted (sqlite), kept to expiry"
    )
    every_n_frames: int = Field(
        2, ge=1, le=30, description="scan one frame in n for QR codes (held up for seconds)"
    )


class CardReaderConfig(_Config):
    """An ID/NFC card reader that prints one card number per line on a serial port."""

    port: str = Field(description="serial device, e.g. /dev/ttyUSB0")
    baudrate: int = Field(9600, ge=300, le=921_600)
    direction: Literal["in", "out"] = Field("in", description="the gate side of the reader")


class LogRelay(_Config):
    type: Literal["log"] = "log"


class SerialRelay(_Config):
    """A USB/serial relay board (e.g. LCUS-1: open A0 01 01 A2, close A0 01 00 A1)."""

    type: Literal["serial"]
    port: str = Field(description="serial device of the relay board")
    baudrate: int = Field(9600, ge=300, le=921_600)
    open_hex: str = Field("A00101A2", pattern=r"^([0-9A-Fa-f]{2})+$")
    close_hex: str = Field("A00100A1", pattern=r"^([0-9A-Fa-f]{2})+$")
    pulse_ms: int = Field(1500, ge=50, le=60_000, description="how long the turnstile opens")


class GpioRelay(_Config):
    """A relay on a GPIO line, driven through its sysfs ``value`` file."""

    type: Literal["gpio"]
    value_path: Path = Field(description="e.g. /sys/class/gpio/gpio17/value (exported, out)")
    active_low: bool = False
    pulse_ms: int = Field(1500, ge=50, le=60_000, description="how long the turnstile opens")


RelayConfig = Annotated[LogRelay | SerialRelay | GpioRelay, Field(discriminator="type")]


class GateConfig(_Config):
    site: str = Field(pattern=rf"^{ID_PATTERN}$", description="site id, as provisioned")
    device: str = Field(pattern=rf"^{ID_PATTERN}$", description="device id, as provisioned")
    secret: SecretStr = Field(description="HMAC-SHA256 device secret, hex (from devices add)")
    timezone: str = Field("Asia/Shanghai", description="IANA zone of the site")
    broker: BrokerConfig = Field(default_factory=BrokerConfig)
    cameras: list[CameraConfig] = Field(min_length=1, max_length=4)
    gallery: Path = Field(Path("gallery.db"), description="local face gallery (sqlite)")
    outbox: Path = Field(Path("outbox.db"), description="durable event outbox (sqlite)")
    outbox_max_events: int = Field(
        100_000,
        ge=10,
        le=10_000_000,
        description="outbox bound; when full, dust events are evicted first, attendance never",
    )
    state: Path = Field(
        Path("state.db"), description="config applied from central, kept across restarts (sqlite)"
    )
    recognition: RecognitionConfig = Field(default_factory=RecognitionConfig)
    debounce_s: float = Field(
        300, ge=0, le=86_400, description="same worker, same gate: one event per window"
    )
    liveness: LivenessConfig = Field(default_factory=LivenessConfig)
    qr: QrConfig = Field(default_factory=QrConfig)
    card_reader: CardReaderConfig | None = Field(None, description="optional ID/NFC reader")
    relay: RelayConfig = Field(default_factory=LogRelay, description="turnstile output")
    dust: DustConfig | None = Field(
        None, description="dust monitor: sensor, limits profile, mist cannon, HJ 212 uploads"
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
        qr = self.qr.model_copy(update={"used_tokens": fix(self.qr.used_tokens)})
        return self.model_copy(
            update={
                "gallery": fix(self.gallery),
                "outbox": fix(self.outbox),
                "state": fix(self.state),
                "cameras": cams,
                "qr": qr,
            }
        )
