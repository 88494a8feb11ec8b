"""Nova SDS011: 10-byte frames ``AA C0 pm25(lo,hi) pm10(lo,hi) id(2) checksum AB``.

Values are in 0.1 µg/m³; the checksum is the low byte of the sum of the six data bytes.
Command replies (``AA C5 …``) are not data and are skipped as noise. The encoder is here too,
so the simulator and the parser share one description of the frame.
"""

from edge.dust.framing import FrameParser
from edge.dust.samples import Sample

HEADER = b"\xaa\xc0"
TAIL = 0xAB
FRAME_LEN = 10
MAX_VALUE = 999.9  # the SDS011's measuring range, µg/m³


class Sds011Parser(FrameParser):
    header = HEADER
    frame_len = FRAME_LEN

    def decode(self, frame: bytes) -> Sample | None:
        if frame[9] != TAIL or sum(frame[2:8]) & 0xFF != frame[8]:
            return None
        pm2_5 = int.from_bytes(frame[2:4], "little") / 10
        pm10 = int.from_bytes(frame[4:6], "little") / 10
        return Sample(pm2_5=pm2_5, pm10=pm10)


def encode_frame(pm2_5: float, pm10: float, device_id: int = 0xA160) -> bytes:
    """A valid frame for the given levels (clipped to the sensor's range)."""
    data = b"".join(
        round(min(max(v, 0.0), MAX_VALUE) * 10).to_bytes(2, "little") for v in (pm2_5, pm10)
    ) + device_id.to_bytes(2, "big")
    return HEADER + data + bytes([sum(data) & 0xFF, TAIL])
