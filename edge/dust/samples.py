"""What a sensor driver yields: one sample of concentrations, and counters of what went wrong."""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading as the sensor reported it; concentrations in µg/m³, humidity in % RH."""

    pm2_5: float | None = None
    pm10: float | None = None
    pm1_0: float | None = None
    tsp: float | None = None
    humidity: float | None = None
    counts: tuple[int, ...] | None = None  # PMS particle counts per 0.1 L (>0.3 … >10 µm)

    def plausible(self) -> bool:
        """Within what the protocol can carry: 0-100 000 µg/m³, 0-100 % RH."""
        dust = (self.pm1_0, self.pm2_5, self.pm10, self.tsp)
        if any(v is not None and not 0 <= v <= 100_000 for v in dust):
            return False
        return self.humidity is None or 0 <= self.humidity <= 100

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            k: getattr(self, k)
            for k in ("pm1_0", "pm2_5", "pm10", "tsp", "humidity")
            if getattr(self, k) is not None
        }
        if self.counts is not None:
            out["counts_per_0_1l"] = list(self.counts)
        return out


@dataclass(slots=True)
class SensorStats:
    """Counters an installer reads to judge the wiring: bad frames mean noise or a wrong baud."""

    samples: int = 0
    bad_frames: int = 0
    skipped_bytes: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, reason: str) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1
