"""RS485 Modbus RTU dust/TSP monitors, polled through pymodbus with a configurable register map.

Site-grade monitors differ only in where they keep each value and how it is scaled, so the
map is configuration (``ModbusSensor.registers``), not code. Registers of one table are read
in one request when they fit (≤ 125 registers apart), which keeps the bus time per poll small.
Every failed poll (timeout, CRC error, exception reply) counts as a bad frame; pymodbus itself
resynchronises the RTU stream.
"""

import logging
import threading
import time
from collections import defaultdict

from pymodbus.client import ModbusSerialClient
from pymodbus.exceptions import ModbusException

from edge.dust.samples import Sample, SensorStats
from firmware_config.dust import ModbusSensor, Register

log = logging.getLogger(__name__)

MAX_SPAN = 125  # registers one read may return
DataType = ModbusSerialClient.DATATYPE
TYPES = {
    "uint16": DataType.UINT16,
    "int16": DataType.INT16,
    "uint32": DataType.UINT32,
    "int32": DataType.INT32,
    "float32": DataType.FLOAT32,
}


class ModbusPollError(Exception):
    """A poll got no usable answer from the monitor."""


def width(reg: Register) -> int:
    return TYPES[reg.type].value[1]


def decode_value(reg: Register, words: list[int]) -> float:
    """Registers → engineering value, via pymodbus's converter (word order as configured)."""
    raw = ModbusSerialClient.convert_from_registers(words, TYPES[reg.type], reg.word_order)
    return float(raw) * reg.scale  # type: ignore[arg-type]


class ModbusDustSensor:
    """Polls one monitor every ``interval_s``; ``poll`` returns at most one sample per call."""

    def __init__(self, cfg: ModbusSensor, interval_s: float, stats: SensorStats | None = None):
        self.cfg = cfg
        self.interval_s = interval_s
        self.stats = stats if stats is not None else SensorStats()
        self.client: ModbusSerialClient | None = None
        self._next_poll = 0.0
        self._closing = threading.Event()

    def open(self) -> None:
        self.client = ModbusSerialClient(
            self.cfg.port,
            baudrate=self.cfg.baud,
            parity=self.cfg.parity,
            stopbits=self.cfg.stopbits,
            timeout=self.cfg.timeout_s,
            retries=0,  # the next poll is the retry; a stale value is worth nothing
        )
        if not self.client.connect():
            raise OSError(f"cannot open {self.cfg.port}")

    def close(self) -> None:
        self._closing.set()
        if self.client is not None:
            self.client.close()

    def _read(self, table: str, address: int, count: int) -> list[int]:
        assert self.client is not None
        read = (
            self.client.read_holding_registers
            if table == "holding"
            else self.client.read_input_registers
        )
        try:
            resp = read(address, count=count, device_id=self.cfg.unit_id)
        except ModbusException as exc:
            raise ModbusPollError(type(exc).__name__) from None
        if resp.isError() or len(resp.registers) != count:
            raise ModbusPollError("exception_reply")
        return list(resp.registers)

    def read_once(self) -> Sample:
        """One poll of every mapped quantity; raises ModbusPollError when any read fails."""
        by_table: dict[str, list[tuple[str, Register]]] = defaultdict(list)
        for quantity, reg in self.cfg.registers.items():
            by_table[reg.table].append((quantity, reg))
        values: dict[str, float] = {}
        for table, regs in by_table.items():
            lo = min(r.address for _, r in regs)
            hi = max(r.address + width(r) for _, r in regs)
            if hi - lo <= MAX_SPAN:
                words = self._read(table, lo, hi - lo)
                for quantity, r in regs:
                    start = r.address - lo
                    values[quantity] = decode_value(r, words[start : start + width(r)])
            else:
                for quantity, r in regs:
                    values[quantity] = decode_value(r, self._read(table, r.address, width(r)))
        return Sample(**{k: round(v, 3) for k, v in values.items()})

    def poll(self, timeout: float) -> list[Sample]:
        wait = self._next_poll - time.monotonic()
        if wait > 0:
            # Waiting for the poll period is the device's pace, not synchronisation.
            self._closing.wait(min(wait, timeout))
            if time.monotonic() < self._next_poll:
                return []
        self._next_poll = time.monotonic() + self.interval_s
        try:
            sample = self.read_once()
        except ModbusPollError as exc:
            self.stats.bad_frames += 1
            self.stats.error(str(exc))
            log.debug("modbus poll failed: %s", exc)
            return []
        self.stats.samples += 1
        return [sample]
