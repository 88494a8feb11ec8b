"""HJ 212 packets: ``##`` + 4-digit length + data segment + CRC16 (4 hex digits) + CRLF.

The data segment is ASCII: ``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;CP=&&…&&``. The CRC is the one
the standard's appendix gives in C (not the Modbus CRC: the register is shifted right 8 bits
*before* each byte is XORed in), over the data segment only. Editions differ in the version
bits of ``Flag`` (bits 7..2); what else differs, and what sitegate assumes, is in docs/dust.md.
"""

from dataclasses import dataclass
from datetime import datetime

from edge.dust.windows import WindowMean

MAX_SEGMENT = 1024  # bytes a data segment may have (both editions)
CN_MINUTE = "2051"
CN_HOUR = "2061"
CN_DATA_REPLY = "9014"
POLLUTANT_CODES = {"pm10": "a34002", "pm2_5": "a34004", "tsp": "a34001", "humidity": "a01002"}
CONCENTRATIONS = ("pm10", "pm2_5", "tsp")


class Hj212FormatError(ValueError):
    """Bytes that are not a well-formed HJ 212 packet (length, CRC or syntax)."""


@dataclass(frozen=True, slots=True)
class Edition:
    name: str
    version_bits: int  # Flag bits V5..V0


EDITIONS = {
    "2017": Edition("HJ 212-2017", 1),
    # 2025: the edition after 2017 takes the next version number; a platform that
    # expects another value is configured with ``version_bits`` (see docs/dust.md).
    "2025": Edition("HJ 212-2025", 2),
}


def crc16(data: bytes) -> int:
    """The HJ 212 CRC-16 (appendix algorithm), as an integer 0..0xFFFF."""
    reg = 0xFFFF
    for byte in data:
        reg = (reg >> 8) ^ byte
        for _ in range(8):
            lsb = reg & 1
            reg >>= 1
            if lsb:
                reg ^= 0xA001
    return reg


def frame(segment: str) -> bytes:
    data = segment.encode("ascii")
    if len(data) > MAX_SEGMENT:
        raise Hj212FormatError(f"data segment of {len(data)} bytes > {MAX_SEGMENT}")
    return b"##%04d%s%04X\r\n" % (len(data), data, crc16(data))


def flag(version_bits: int, needs_reply: bool) -> int:
    """``Flag``: V5..V0 in bits 7..2, D (split packet) bit 1, A (reply wanted) bit 0."""
    return (version_bits << 2) | int(needs_reply)


def segment(qn: str, st: str, cn: str, pw: str, mn: str, flag_value: int, cp: str) -> str:
    return f"QN={qn};ST={st};CN={cn};PW={pw};MN={mn};Flag={flag_value};CP=&&{cp}&&"


def qn_of(moment: datetime) -> str:
    """Request number: local time to the millisecond, YYYYMMDDhhmmsszzz."""
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"


def _number(value: float, unit: str) -> str:
    return f"{value / 1000:.3f}" if unit == "mg/m3" else f"{value:.1f}"


def data_cp(mean: WindowMean, unit: str) -> str:
    """CP of minute/hour data: DataTime is the window start on the site clock.

    Each measurand gets Min/Avg/Max and a data flag: ``N`` (normal) for a valid window,
    ``B`` (communication fault between instrument and data logger) when the window lacks
    samples, which is what a silent serial line is.
    """
    data_flag = "N" if mean.valid else "B"
    groups = [f"DataTime={mean.start.strftime('%Y%m%d%H%M%S')}"]
    for quantity, code in POLLUTANT_CODES.items():
        avg = mean.get(quantity)
        if avg is None and quantity not in CONCENTRATIONS:
            continue
        as_unit = "ug/m3" if quantity == "humidity" else unit  # humidity is % either way
        parts = []
        if avg is not None:
            parts += [
                f"{code}-Min={_number(mean.mins[quantity], as_unit)}",
                f"{code}-Avg={_number(avg, as_unit)}",
                f"{code}-Max={_number(mean.maxs[quantity], as_unit)}",
            ]
        elif mean.valid:
            continue  # this sensor does not measure it
        parts.append(f"{code}-Flag={data_flag}")
        groups.append(",".join(parts))
    return ";".join(groups)


def parse_segment(text: str) -> dict[str, str]:
    """Header fields of a data segment, plus ``CP`` (the text between ``&&`` and ``&&``)."""
    head, sep, rest = text.partition("CP=&&")
    if not sep or not rest.endswith("&&"):
        raise Hj212FormatError("no CP=&&…&& in data segment")
    fields: dict[str, str] = {}
    for item in head.rstrip(";").split(";"):
        key, eq, value = item.partition("=")
        if not eq:
            raise Hj212FormatError(f"bad field {item[:40]!r}")
        fields[key] = value
    fields["CP"] = rest[:-2]
    return fields


def parse_packet(packet: bytes) -> dict[str, str]:
    """Verify framing, length and CRC of one complete packet; return its fields."""
    if not (packet.startswith(b"##") and packet.endswith(b"\r\n")) or len(packet) < 12:
        raise Hj212FormatError("not framed by ## … CRLF")
    try:
        length = int(packet[2:6])
    except ValueError:
        raise Hj212FormatError("length is not 4 digits") from None
    data = packet[6:-6]
    if len(data) != length:
        raise Hj212FormatError(f"length field {length} but {len(data)} bytes")
    if packet[-6:-2].upper() != b"%04X" % crc16(data):
        raise Hj212FormatError("CRC mismatch")
    return parse_segment(data.decode("ascii", errors="replace"))


def split_packets(buf: bytearray) -> list[bytes]:
    """Take every complete packet out of ``buf``, dropping noise before a ``##``."""
    out = []
    while True:
        start = buf.find(b"##")
        if start < 0:
            del buf[: max(0, len(buf) - 1)]
            return out
        del buf[:start]
        end = buf.find(b"\r\n")
        if end < 0:
            if len(buf) > MAX_SEGMENT + 12:
                del buf[:2]  # a header with no end in sight: not a packet
                continue
            return out
        out.append(bytes(buf[: end + 2]))
        del buf[: end + 2]
