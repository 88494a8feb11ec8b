"""How much serial traffic the dust frame parsers can take, against what sensors send.

An SDS011 sends 10 bytes a second, a PMS5003 32 bytes every 0.2-2.3 s; even a saturated
115 200 bit/s line is 11 520 bytes a second. This prints each parser's throughput on a clean
stream and on a stream with 20 % corrupted frames and noise, and the headroom as a ratio to
the saturated line, on this machine (the numbers only mean something side by side).
"""

import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.dust import pms5003, sds011
from edge.dust.simulator import SensorSimulator

LINE_BYTES_PER_S = 115_200 / 10  # 8N1: 10 bits a byte
FRAMES = 50_000
CHUNK = 64  # bytes per read, like a serial read of what arrived


def stream(encode, noisy: bool) -> bytes:  # type: ignore[no-untyped-def]
    rng = random.Random(42)
    parts = []
    kinds = ("checksum", "torn", "garbage")
    for i in range(FRAMES):
        frame = encode(rng.uniform(0, 500))
        parts.append(
            SensorSimulator.corrupt(frame, kinds[i % 3]) if noisy and i % 5 == 0 else frame
        )
    return b"".join(parts)


def measure(parser_cls, data: bytes) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    parser = parser_cls()
    t = time.perf_counter()
    for i in range(0, len(data), CHUNK):
        parser.feed(data[i : i + CHUNK])
    elapsed = time.perf_counter() - t
    return len(data) / elapsed, parser.stats.samples, parser.stats.bad_frames


def main() -> None:
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")  # fmt: skip
    cases = {
        "sds011": (sds011.Sds011Parser, lambda v: sds011.encode_frame(v / 2, v)),
        "pms5003": (pms5003.Pms5003Parser, lambda v: pms5003.encode_frame(v / 3, v / 2, v)),
    }
    print(
        f"{'parser':<8} {'stream':<6} {'bytes/s':>12} {'× 115200 bd':>12} {'frames':>7} {'bad':>6}"
    )
    for name, (cls, enc) in cases.items():
        for noisy in (False, True):
            rate, good, bad = measure(cls, stream(enc, noisy))
            label = "noisy" if noisy else "clean"
            print(f"{name:<8} {label:<6} {rate:>12,.0f} {rate / LINE_BYTES_PER_S:>12.0f} "
                  f"{good:>7} {bad:>6}")  # fmt: skip


if __name__ == "__main__":
    main()
