"""A dust sensor on a pseudo-terminal, so demos and tests drive the real drivers end to end.

The simulator owns a pty pair and hands out the slave's path as the "serial port": the driver
opens it with pyserial exactly as it would open /dev/ttyUSB0. SDS011 and PMS5003 modes write
valid frames at the configured levels (on demand with :meth:`emit`, or periodically after
:meth:`start`), with optional injected corruption; Modbus mode answers RTU read requests from
a register bank built with the same register map the driver uses, through pymodbus's own
framer. A real sensor does not wait for a slow reader: frames that do not fit are dropped.
"""

import contextlib
import itertools
import os
import select
import threading
import tty
from dataclasses import dataclass, replace
from typing import Literal

from edge.dust import pms5003, sds011
from firmware_config.dust import Register, _default_registers

Driver = Literal["sds011", "pms5003", "modbus"]
Corruption = Literal["checksum", "torn", "garbage"]


@dataclass(frozen=True, slots=True)
class Levels:
    """What the simulated air holds (µg/m³, % RH)."""

    pm1_0: float = 8.0
    pm2_5: float = 20.0
    pm10: float = 40.0
    tsp: float = 80.0
    humidity: float = 50.0


class SensorSimulator:
    def __init__(
        self,
        driver: Driver,
        levels: Levels | None = None,
        *,
        registers: dict[str, Register] | None = None,
        unit_id: int = 1,
        corrupt_every: int = 0,
    ) -> None:
        self.driver = driver
        self.levels = levels or Levels()
        self.registers = registers or _default_registers()
        self.unit_id = unit_id
        self.corrupt_every = corrupt_every  # every Nth frame/reply is corrupted (0: never)
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: a serial line carries bytes
        os.set_blocking(self.master, False)
        self.port = os.ttyname(self._slave)
        self.sent = 0
        self.dropped = 0
        self.corrupted = 0
        self.mute = False  # True: a sensor that went silent (unplugged, dead laser)
        self._kinds = itertools.cycle(("checksum", "torn", "garbage"))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- frames --------------------------------------------------------------------------

    def set_levels(self, **changes: float) -> None:
        self.levels = replace(self.levels, **changes)

    def frame(self) -> bytes:
        lv = self.levels
        if self.driver == "sds011":
            return sds011.encode_frame(lv.pm2_5, lv.pm10)
        if self.driver == "pms5003":
            return pms5003.encode_frame(lv.pm1_0, lv.pm2_5, lv.pm10, (900, 300, 60, 8, 2, 1))
        raise ValueError("a Modbus monitor only answers requests")

    @staticmethod
    def corrupt(frame: bytes, kind: Corruption) -> bytes:
        """A checksum error, a frame torn in half, or line noise in front of a good frame."""
        if kind == "checksum":
            return frame[:-2] + bytes([frame[-2] ^ 0x5A]) + frame[-1:]
        if kind == "torn":
            return frame[: len(frame) // 2]
        return bytes([0x00, 0xFF, frame[0], 0x13, 0x37]) + frame

    def write(self, data: bytes) -> bool:
        """Raw bytes onto the line; False when the reader is too slow and they were dropped."""
        try:
            os.write(self.master, data)
        except BlockingIOError:
            self.dropped += 1
            return False
        return True

    def _next_frame(self) -> bytes:
        frame = self.frame()
        self.sent += 1
        if self.corrupt_every and self.sent % self.corrupt_every == 0:
            self.corrupted += 1
            return self.corrupt(frame, next(self._kinds))  # type: ignore[arg-type]
        return frame

    def emit(self, n: int = 1) -> None:
        """Write ``n`` frames now (corrupting every ``corrupt_every``-th)."""
        for _ in range(n):
            self.write(self._next_frame())

    # -- Modbus --------------------------------------------------------------------------

    def register_bank(self) -> dict[tuple[str, int], int]:
        """(table, address) → 16-bit word, encoded as the driver will decode it."""
        from edge.dust.modbus import TYPES, ModbusSerialClient

        bank: dict[tuple[str, int], int] = {}
        for quantity, reg in self.registers.items():
            value = getattr(self.levels, quantity) / reg.scale
            if reg.type != "float32":
                value = round(value)
            words = ModbusSerialClient.convert_to_registers(value, TYPES[reg.type], reg.word_order)
            for i, word in enumerate(words):
                bank[(reg.table, reg.address + i)] = word
        return bank

    def _answer(self, buf: bytearray) -> None:
        from pymodbus.framer import FramerRTU
        from pymodbus.pdu import DecodePDU
        from pymodbus.pdu.register_message import (
            ReadHoldingRegistersResponse,
            ReadInputRegistersResponse,
        )

        framer = FramerRTU(DecodePDU(is_server=True))
        used, pdu = framer.handleFrame(bytes(buf), 0, 0)
        del buf[:used]
        if pdu is None or pdu.dev_id != self.unit_id or pdu.function_code not in (3, 4):
            return
        table = "holding" if pdu.function_code == 3 else "input"
        bank = self.register_bank()
        words = [bank.get((table, pdu.address + i), 0) for i in range(pdu.count)]
        cls = ReadHoldingRegistersResponse if table == "holding" else ReadInputRegistersResponse
        reply = framer.buildFrame(cls(registers=words, dev_id=self.unit_id))
        self.sent += 1
        if self.corrupt_every and self.sent % self.corrupt_every == 0:
            self.corrupted += 1
            reply = self.corrupt(reply, "checksum")
        if not self.mute:
            self.write(reply)

    def _serve_modbus(self) -> None:
        buf = bytearray()
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if not ready:
                continue
            try:
                buf += os.read(self.master, 512)
            except (BlockingIOError, OSError):
                continue
            self._answer(buf)
            del buf[:-256]  # bounded, whatever arrives

    # -- running -------------------------------------------------------------------------

    def _stream(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            if not self.mute:
                self.write(self._next_frame())

    def start(self, interval_s: float = 1.0) -> "SensorSimulator":
        """Stream frames every ``interval_s`` (SDS011/PMS) or answer requests (Modbus)."""
        target = self._serve_modbus if self.driver == "modbus" else self._stream
        args = () if self.driver == "modbus" else (interval_s,)
        self._thread = threading.Thread(target=target, args=args, daemon=True, name="dust-sim")
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
