"""Plantower PMS5003 / PMS7003: 32-byte frames ``42 4D``, length 28, 13 words, 16-bit sum.

Words 1-3 are PM1.0/PM2.5/PM10 at "CF=1" (factory calibration particle), words 4-6 the same
under atmospheric environment, which is what ambient monitoring reports, so those are the
sample's concentrations (µg/m³). Words 7-12 count particles >0.3 … >10 µm per 0.1 L. The
checksum is the sum of bytes 0-29 as a big-endian 16-bit word.
"""

from edge.dust.framing import FrameParser
from edge.dust.samples import Sample

HEADER = b"\x42\x4d"
FRAME_LEN = 32
LENGTH_FIELD = 28  # 13 data words + checksum


class Pms5003Parser(FrameParser):
    header = HEADER
    frame_len = FRAME_LEN

    def plausible_prefix(self, buf: bytearray) -> bool:
        return len(buf) < 4 or int.from_bytes(buf[2:4], "big") == LENGTH_FIELD

    def decode(self, frame: bytes) -> Sample | None:
        if sum(frame[:30]) != int.from_bytes(frame[30:32], "big"):
            return None
        words = [int.from_bytes(frame[i : i + 2], "big") for i in range(4, 30, 2)]
        return Sample(
            pm1_0=float(words[3]),
            pm2_5=float(words[4]),
            pm10=float(words[5]),
            counts=tuple(words[6:12]),
        )


def encode_frame(
    pm1_0: float, pm2_5: float, pm10: float, counts: tuple[int, ...] = (0,) * 6
) -> bytes:
    """A valid frame; CF=1 words are set equal to the atmospheric ones."""
    atm = [round(min(max(v, 0.0), 0xFFFF)) for v in (pm1_0, pm2_5, pm10)]
    words = [*atm, *atm, *(min(c, 0xFFFF) for c in counts), 0]
    body = HEADER + LENGTH_FIELD.to_bytes(2, "big") + b"".join(w.to_bytes(2, "big") for w in words)
    return body + (sum(body) & 0xFFFF).to_bytes(2, "big")
