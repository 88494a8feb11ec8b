"""The ``dust:`` section of the gate config: sensor, limits, mist cannon, HJ 212 platforms.

Pydantic only (no serial or Modbus imports): the config package is a leaf that central and the
gate both import, so it never loads a driver. The sensor is a discriminated union on
``driver``, like camera sources, so a typo in a driver name is one clear error at the right line.
"""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from firmware_config.dust_profiles import PROFILES, Pollutant, Rule, RuleWindow

AveragingWindow = Literal["1min", "15min", "1h"]
ALL_WINDOWS: tuple[AveragingWindow, ...] = ("1min", "15min", "1h")


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SerialPort(_Config):
    port: str = Field(description="serial device, e.g. /dev/ttyUSB0 or /dev/ttyAMA0")
    baud: int = Field(9600, ge=1200, le=921_600, description="line speed (SDS011/PMS: 9600)")


class Sds011Sensor(SerialPort):
    """Nova SDS011 in its default active mode (one frame a second)."""

    driver: Literal["sds011"]


class Pms5003Sensor(SerialPort):
    """Plantower PMS5003 / PMS7003 in active mode (32-byte frames)."""

    driver: Literal["pms5003"]


Quantity = Literal["pm1_0", "pm2_5", "pm10", "tsp", "humidity"]


class Register(_Config):
    """Where a Modbus monitor keeps one quantity, and how to turn registers into µg/m³ (or %)."""

    address: int = Field(ge=0, le=65_535, description="register address (0-based, as on the wire)")
    table: Literal["holding", "input"] = Field("holding", description="function 03 or 04")
    type: Literal["uint16", "int16", "uint32", "int32", "float32"] = "uint16"
    word_order: Literal["big", "little"] = Field("big", description="for 32-bit values")
    scale: float = Field(1.0, gt=0, description="value × scale = µg/m³ (mg/m³ sensors: 1000)")


def _default_registers() -> dict[Quantity, Register]:
    # The layout of sitegate's simulator; real monitors publish theirs in the manual.
    return {
        "pm2_5": Register(address=0),
        "pm10": Register(address=1),
        "tsp": Register(address=2),
        "humidity": Register(address=3, scale=0.1),
    }


class ModbusSensor(SerialPort):
    """An RS485 Modbus RTU dust/TSP monitor, polled with a configurable register map."""

    driver: Literal["modbus"]
    unit_id: int = Field(1, ge=1, le=247, description="Modbus device (slave) address")
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    timeout_s: float = Field(1.0, gt=0, le=10, description="reply timeout per request")
    registers: dict[Quantity, Register] = Field(
        default_factory=_default_registers, description="quantity → register (at least one PM)"
    )

    @model_validator(mode="after")
    def _has_dust(self) -> "ModbusSensor":
        if not {"pm2_5", "pm10", "tsp"} & set(self.registers):
            raise ValueError("registers must map at least one of pm2_5, pm10, tsp")
        return self


DustSensor = Annotated[Sds011Sensor | Pms5003Sensor | ModbusSensor, Field(discriminator="driver")]


class RuleConfig(_Config):
    pollutant: Pollutant
    window: RuleWindow
    limit: float = Field(gt=0, le=100_000, description="µg/m³, compared with the window mean")
    max_per_day: int | None = Field(None, ge=0, le=1440, description="allowed exceedances/day")

    def rule(self) -> Rule:
        return Rule(self.pollutant, self.window, self.limit, self.max_per_day)


class AlarmConfig(_Config):
    hysteresis: float = Field(
        0.1, ge=0, lt=1, description="clear only below limit × (1 − hysteresis)"
    )
    raise_after_s: float = Field(
        0, ge=0, le=86_400, description="the mean must stay above the limit this long to raise"
    )
    clear_after_s: float = Field(
        0, ge=0, le=86_400, description="and below the clear level this long to clear"
    )


class RelayConfig(_Config):
    """The mist cannon / sprinkler output driven by alarms."""

    type: Literal["log", "gpio_file"] = Field(
        "log", description="log: record only; gpio_file: write 1/0 to a file (sysfs GPIO value)"
    )
    path: Path | None = Field(None, description="for gpio_file: e.g. /sys/class/gpio/gpio17/value")
    min_run_s: float = Field(
        300, ge=0, le=86_400, description="once on, run at least this long after levels fall"
    )

    @model_validator(mode="after")
    def _path_for_file(self) -> "RelayConfig":
        if self.type == "gpio_file" and self.path is None:
            raise ValueError("relay type gpio_file needs a path")
        return self


class Hj212Platform(_Config):
    """An environmental authority's platform receiving this site's data over HJ 212/TCP."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="label, names the queue file")
    host: str
    port: int = Field(ge=1, le=65_535)
    edition: Literal["2017", "2025"] = Field(description="HJ 212 edition the platform speaks")
    mn: str = Field(
        pattern=r"^[0-9A-Za-z]{1,24}$", description="device code (MN) the authority assigned"
    )
    password: SecretStr = Field(description="access password (PW) the authority assigned")
    st: str = Field("39", pattern=r"^[0-9]{2}$", description="system code; 39 = 工地扬尘")
    version_bits: int | None = Field(
        None, ge=0, le=63, description="override Flag V5..V0 if the platform expects another"
    )
    unit: Literal["ug/m3", "mg/m3"] = Field("ug/m3", description="unit the platform expects")
    minute_data: bool = Field(True, description="send 1-minute means (CN=2051)")
    hour_data: bool = Field(True, description="send hourly means (CN=2061)")
    reply_timeout_s: float = Field(10, gt=0, le=300, description="wait for the 9014 reply")
    retry_s: float = Field(10, gt=0, le=3600, description="first reconnect/resend delay")


class DustConfig(_Config):
    name: str = Field("dust0", pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="sensor name")
    sensor: DustSensor
    sample_interval_s: float = Field(
        1.0, gt=0, le=600, description="how often the sensor reports (Modbus: poll period)"
    )
    warmup_s: float = Field(
        30, ge=0, le=3600, description="samples after (re)start are not used (SDS011: 30 s)"
    )
    completeness: float = Field(
        0.75, gt=0, le=1, description="share of expected samples a window needs to be valid"
    )
    silent_after_s: float = Field(10, gt=0, le=3600, description="no sample this long: silent")
    humidity_limit: float = Field(
        70, gt=0, le=100, description="flag readings above this RH % (SDS011 rated ≤ 70 %)"
    )
    publish: list[AveragingWindow] = Field(
        default_factory=lambda: list(ALL_WINDOWS), description="windows sent to central"
    )
    profile: str = Field("gb3095-2012", description="jurisdiction limit profile")
    overrides: list[RuleConfig] = Field(default_factory=list, max_length=16)
    alarm: AlarmConfig = Field(default_factory=AlarmConfig)
    relay: RelayConfig | None = Field(None, description="mist cannon output; none: no relay")
    hj212: list[Hj212Platform] = Field(default_factory=list, max_length=4)

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in PROFILES:
            raise ValueError(f"unknown profile {value!r}; shipped: {', '.join(sorted(PROFILES))}")
        return value

    @model_validator(mode="after")
    def _unique_platforms(self) -> "DustConfig":
        names = [p.name for p in self.hj212]
        if len(set(names)) != len(names):
            raise ValueError("hj212 platform names must be unique")
        return self
