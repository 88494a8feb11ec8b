"""Window means on the site's clock: 1 minute, 15 minutes, 1 hour (the regulators' windows).

Windows are aligned to the local wall clock (08:00-08:15, not "15 minutes since boot") so
readings from every gate and the authority's platform line up. A window closes when the
clock passes its end, whether or not samples arrived: a silent sensor still produces a
window, flagged, so missing data is visible instead of absent. Quality flags:

- ``no_data``: no valid sample at all (values null);
- ``incomplete``: fewer than ``completeness`` × expected samples (GB 3095-2012 §8 asks 45 of
  60 minutes for an hourly mean: 0.75 is the default for every window);
- ``warmup``: part of the window fell in the sensor's warm-up, whose samples are discarded;
- ``humidity_high``: a sample was taken above the humidity limit (SDS011 rated ≤ 70 % RH).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from edge.dust.samples import Sample

WINDOWS: dict[str, timedelta] = {
    "1min": timedelta(minutes=1),
    "15min": timedelta(minutes=15),
    "1h": timedelta(hours=1),
}
MAX_BACKLOG = timedelta(days=1)
QUANTITIES = ("pm1_0", "pm2_5", "pm10", "tsp", "humidity")


def window_start(at: datetime, window: str) -> datetime:
    """The start of the ``window`` containing ``at``, on ``at``'s own (site) wall clock."""
    minutes = int(WINDOWS[window].total_seconds() // 60)
    floored = at.replace(second=0, microsecond=0)
    return floored.replace(minute=floored.minute - floored.minute % minutes)


@dataclass(frozen=True, slots=True)
class WindowMean:
    window: str
    start: datetime
    end: datetime
    means: dict[str, float]  # quantity → mean over valid samples (absent: never reported)
    mins: dict[str, float]
    maxs: dict[str, float]
    samples: int
    expected: int
    flags: tuple[str, ...]

    @property
    def valid(self) -> bool:
        """Usable for limits: enough samples (warm-up samples were never counted)."""
        return not {"no_data", "incomplete"} & set(self.flags)

    def get(self, quantity: str) -> float | None:
        return self.means.get(quantity)


@dataclass(slots=True)
class _Accumulator:
    start: datetime
    sums: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    mins: dict[str, float] = field(default_factory=dict)
    maxs: dict[str, float] = field(default_factory=dict)
    samples: int = 0
    warmup: bool = False
    humid: bool = False

    def add(self, sample: Sample, humidity_limit: float) -> None:
        self.samples += 1
        for q in QUANTITIES:
            value = getattr(sample, q)
            if value is not None:
                self.sums[q] = self.sums.get(q, 0.0) + value
                self.counts[q] = self.counts.get(q, 0) + 1
                self.mins[q] = min(self.mins.get(q, value), value)
                self.maxs[q] = max(self.maxs.get(q, value), value)
        if sample.humidity is not None and sample.humidity > humidity_limit:
            self.humid = True


class WindowAverager:
    """Feeds every sample into the three windows; :meth:`close_due` returns finished means."""

    def __init__(
        self,
        sample_interval_s: float,
        *,
        completeness: float = 0.75,
        humidity_limit: float = 70.0,
        windows: tuple[str, ...] = tuple(WINDOWS),
    ) -> None:
        self.sample_interval_s = sample_interval_s
        self.completeness = completeness
        self.humidity_limit = humidity_limit
        self.windows = windows
        self._open: dict[str, _Accumulator] = {}
        self.warmup_until: datetime | None = None

    def expected(self, window: str) -> int:
        return max(1, round(WINDOWS[window].total_seconds() / self.sample_interval_s))

    def _acc(self, window: str, at: datetime) -> _Accumulator:
        acc = self._open.get(window)
        if acc is None:
            acc = self._open[window] = _Accumulator(window_start(at, window))
        return acc

    def start(self, at: datetime, warmup_s: float) -> None:
        """The sensor (re)started at ``at``: open windows now and discard its warm-up."""
        self.warmup_until = at + timedelta(seconds=warmup_s)
        for w in self.windows:
            acc = self._acc(w, at)
            if warmup_s > 0:
                acc.warmup = True

    def add(self, at: datetime, sample: Sample) -> list[WindowMean]:
        """Record a sample taken at ``at``; returns windows it proved finished (clock moved)."""
        closed = self.close_due(at)
        in_warmup = self.warmup_until is not None and at < self.warmup_until
        for w in self.windows:
            acc = self._acc(w, at)
            if in_warmup:
                acc.warmup = True
            else:
                acc.add(sample, self.humidity_limit)
        return closed

    def close_due(self, now: datetime) -> list[WindowMean]:
        """Close every window whose end is ≤ ``now`` (then open the one containing ``now``)."""
        out: list[WindowMean] = []
        for w in self.windows:
            acc = self._open.get(w)
            if acc is not None and now - acc.start > MAX_BACKLOG:
                # The clock jumped (NTP after a long power cut): do not invent a day of
                # empty windows; the gap is visible as missing windows.
                acc = self._open[w] = _Accumulator(window_start(now, w))
            while acc is not None and acc.start + WINDOWS[w] <= now:
                out.append(self._finish(w, acc))
                nxt = acc.start + WINDOWS[w]
                acc = self._open[w] = _Accumulator(nxt)
                if self.warmup_until is not None and nxt < self.warmup_until:
                    acc.warmup = True
        return sorted(out, key=lambda m: (m.end, WINDOWS[m.window]))

    def _finish(self, window: str, acc: _Accumulator) -> WindowMean:
        expected = self.expected(window)
        flags = []
        if acc.samples == 0:
            flags.append("no_data")
        elif acc.samples < self.completeness * expected:
            flags.append("incomplete")
        if acc.warmup:
            flags.append("warmup")
        if acc.humid:
            flags.append("humidity_high")
        means = {q: round(acc.sums[q] / acc.counts[q], 1) for q in acc.sums}
        return WindowMean(
            window=window,
            start=acc.start,
            end=acc.start + WINDOWS[window],
            means=means,
            mins=dict(acc.mins),
            maxs=dict(acc.maxs),
            samples=acc.samples,
            expected=expected,
            flags=tuple(flags),
        )
