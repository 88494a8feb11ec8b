"""Fixed-length serial frames found in an untrusted byte stream.

Serial lines lose bytes, pick up noise and start mid-frame. The parser keeps a small buffer,
looks for the header, and only trusts a frame whose checks (length, checksum, tail) all
pass; after a bad one it drops a single byte and searches again, so a torn frame followed by
a good one costs exactly the torn one. It never raises on input and its buffer stays bounded.
"""

from abc import ABC, abstractmethod

from edge.dust.samples import Sample, SensorStats


class FrameParser(ABC):
    header: bytes
    frame_len: int

    def __init__(self, stats: SensorStats | None = None) -> None:
        self.stats = stats if stats is not None else SensorStats()
        self._buf = bytearray()

    @abstractmethod
    def decode(self, frame: bytes) -> Sample | None:
        """The sample in a complete candidate frame, or None when a check fails."""

    def plausible_prefix(self, buf: bytearray) -> bool:
        """Checks possible before the whole frame is in (e.g. a length field); default: yes."""
        return True

    def _skip(self, n: int) -> None:
        self.stats.skipped_bytes += n
        del self._buf[:n]

    def feed(self, data: bytes) -> list[Sample]:
        self._buf += data
        out: list[Sample] = []
        while True:
            at = self._buf.find(self.header)
            if at < 0:
                # Keep a possible header start at the very end; everything else is noise.
                keep = len(self.header) - 1
                tail = keep if keep and self._buf.endswith(self.header[:keep]) else 0
                self._skip(len(self._buf) - tail)
                return out
            if at:
                self._skip(at)
            if not self.plausible_prefix(self._buf):
                self.stats.bad_frames += 1
                self._skip(1)
                continue
            if len(self._buf) < self.frame_len:
                return out
            sample = self.decode(bytes(self._buf[: self.frame_len]))
            if sample is None:
                self.stats.bad_frames += 1
                self._skip(1)
                continue
            del self._buf[: self.frame_len]
            self.stats.samples += 1
            out.append(sample)
