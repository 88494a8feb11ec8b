"""Opening a dust sensor from its config: serial frame sensors and Modbus monitors alike.

Every driver has the same small surface (``open``, ``poll(timeout)``, ``close``, ``stats``) so
the monitor, the installer's ``sensor read`` command and the tests treat them alike.
"""

from typing import Protocol

import serial

from edge.dust.framing import FrameParser
from edge.dust.pms5003 import Pms5003Parser
from edge.dust.samples import Sample, SensorStats
from edge.dust.sds011 import Sds011Parser
from firmware_config.dust import DustSensor, ModbusSensor

READ_CHUNK = 256


class DustSensorDriver(Protocol):
    stats: SensorStats

    def open(self) -> None: ...

    def poll(self, timeout: float) -> list[Sample]: ...

    def close(self) -> None: ...


class SerialFrameSensor:
    """A sensor that streams frames by itself (SDS011, PMS5003 in active mode)."""

    def __init__(self, port: str, baud: int, parser: FrameParser) -> None:
        self.port, self.baud, self.parser = port, baud, parser
        self.stats = parser.stats
        self.serial: serial.Serial | None = None

    def open(self) -> None:
        self.serial = serial.Serial(self.port, self.baud, timeout=0.2)

    def poll(self, timeout: float) -> list[Sample]:
        """What arrived within ``timeout`` seconds (possibly nothing: a silent sensor)."""
        assert self.serial is not None
        self.serial.timeout = timeout
        data = self.serial.read(max(1, min(self.serial.in_waiting, READ_CHUNK)))
        if data and self.serial.in_waiting:
            data += self.serial.read(min(self.serial.in_waiting, READ_CHUNK))
        return self.parser.feed(data) if data else []

    def close(self) -> None:
        if self.serial is not None:
            self.serial.close()


def open_sensor(cfg: DustSensor, interval_s: float = 1.0) -> DustSensorDriver:
    """A driver for ``cfg`` (not yet opened)."""
    if isinstance(cfg, ModbusSensor):
        from edge.dust.modbus import ModbusDustSensor

        return ModbusDustSensor(cfg, interval_s)
    parser: FrameParser = Sds011Parser() if cfg.driver == "sds011" else Pms5003Parser()
    return SerialFrameSensor(cfg.port, cfg.baud, parser)
