"""The dust monitor: one thread from the sensor to the outbox, the mist cannon and HJ 212.

Each turn of the loop reads what the sensor sent (waiting at most ``POLL_S``), stamps it with
the site clock, closes every window the clock has passed, and for each closed window:
publishes the mean (signed, durable, through the same outbox as attendance), lets the alarm
engine judge it (alarm changes go to the outbox too), hands it to the HJ 212 uploaders, and
switches the mist cannon. A port that cannot be opened or fails is reopened with backoff;
the monitor itself never dies on sensor trouble, it reports it in the device status.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from edge.dust.alarms import AlarmEngine
from edge.dust.clock import Clock, site_clock
from edge.dust.relay import FileRelay, LogRelay, MistCannon, Relay
from edge.dust.samples import SensorStats
from edge.dust.sensors import DustSensorDriver, open_sensor
from edge.dust.windows import WindowAverager, WindowMean
from edge.outbox import Outbox, OutboxFull
from firmware_config.dust import DustConfig, RelayConfig
from firmware_config.dust_profiles import Profile, get_profile
from wireproto.messages import DustAlarmBody, DustReadingBody

log = logging.getLogger(__name__)

POLL_S = 0.2
REOPEN_MAX_S = 30.0


def make_relay(cfg: RelayConfig) -> Relay:
    return FileRelay(cfg.path) if cfg.type == "gpio_file" and cfg.path else LogRelay()


class DustMonitor:
    def __init__(
        self,
        cfg: DustConfig,
        outbox: Outbox,
        zone: ZoneInfo,
        *,
        on_event: Callable[[], None] | None = None,
        clock: Clock | None = None,
        relay: Relay | None = None,
        sensor: DustSensorDriver | None = None,
        queue_dir: Path | None = None,
    ) -> None:
        self.cfg = cfg
        self.outbox = outbox
        self.on_event = on_event
        self.clock = clock or site_clock(zone)  # replaceable before start() (replays, tests)
        self.sensor = sensor or open_sensor(cfg.sensor, cfg.sample_interval_s)
        self.averager = WindowAverager(
            cfg.sample_interval_s,
            completeness=cfg.completeness,
            humidity_limit=cfg.humidity_limit,
        )
        self.alarms = AlarmEngine(self._profile(cfg.profile), cfg.alarm)
        relay_cfg = cfg.relay or RelayConfig()
        self.cannon = (
            MistCannon(relay or make_relay(relay_cfg), relay_cfg.min_run_s)
            if cfg.relay is not None or relay is not None
            else None
        )
        self.uploaders = []
        if cfg.hj212:
            from edge.dust.hj212.uploader import Hj212Uploader

            if queue_dir is None:
                raise ValueError("HJ 212 platforms need a queue_dir for their packet queues")
            self.uploaders = [
                Hj212Uploader(p, queue_dir / f"hj212-{p.name}.db", zone) for p in cfg.hj212
            ]
        self.stats: SensorStats = self.sensor.stats
        self.published = 0
        self.last_sample_at: datetime | None = None
        self.last_minute: WindowMean | None = None
        self.port_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        for up in self.uploaders:
            up.start()
        self._thread = threading.Thread(target=self.run, name=f"dust-{self.cfg.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sensor.close()
        for up in self.uploaders:
            up.stop()

    def _open(self, backoff: float) -> float:
        """Open the sensor; on failure wait ``backoff`` and return the next backoff."""
        try:
            self.sensor.open()
        except OSError as exc:
            self.port_error = type(exc).__name__
            log.warning("dust sensor %s: cannot open (%s)", self.cfg.name, exc)
            self._stop.wait(backoff)
            return min(backoff * 2, REOPEN_MAX_S)
        self.port_error = None
        self.averager.start(self.clock(), self.cfg.warmup_s)
        log.info("dust sensor %s open (%s)", self.cfg.name, self.cfg.sensor.driver)
        return 0.0

    def run(self) -> None:
        backoff, is_open = 1.0, False
        while not self._stop.is_set():
            if not is_open:
                next_backoff = self._open(backoff)
                is_open = next_backoff == 0.0
                backoff = 1.0 if is_open else next_backoff
                continue
            try:
                samples = self.sensor.poll(POLL_S)
            except OSError as exc:
                self.port_error = type(exc).__name__
                log.warning("dust sensor %s failed (%s); reopening", self.cfg.name, exc)
                self.sensor.close()
                is_open = False
                continue
            self.step(samples)

    def _profile(self, name: str) -> Profile:
        """The named profile with this site's own rule overrides on top."""
        return get_profile(name).with_overrides(tuple(r.rule() for r in self.cfg.overrides))

    def use_profile(self, name: str) -> None:
        """Judge the next windows by another limit profile (pushed by central; the name was
        validated against the shipped profiles by the config overlay)."""
        if name != self.alarms.profile.name:
            self.alarms.use_profile(self._profile(name))
            log.info("dust limits now judged by profile %s", name)

    def step(self, samples: list) -> None:  # type: ignore[type-arg]
        """One turn: record samples at the clock's now, then act on closed windows."""
        now = self.clock()
        closed: list[WindowMean] = []
        for sample in samples:
            if not sample.plausible():
                self.stats.error("implausible")
                continue
            self.last_sample_at = now
            closed += self.averager.add(now, sample)
            for up in self.uploaders:
                up.note_sample(now, sample)  # HJ 212 real-time data, when a platform asks
        closed += self.averager.close_due(now)
        for mean in closed:
            self._handle(mean)
        if self.cannon is not None:
            self.cannon.update(self.alarms.active, now)

    # -- closed windows -------------------------------------------------------------------

    def _handle(self, mean: WindowMean) -> None:
        if mean.window == "1min":
            self.last_minute = mean
        wrote = False
        if mean.window in self.cfg.publish:
            wrote = self._append(self.reading(mean))
            self.published += wrote
        for alarm in self.alarms.observe(mean):
            wrote = self._append(alarm) or wrote
            log.warning(
                "dust alarm %s: %s %s mean %.1f (limit %.1f, %s)",
                alarm.state, alarm.pollutant, alarm.window, alarm.value, alarm.limit,
                alarm.profile,
            )  # fmt: skip
            wrote = True
        for up in self.uploaders:
            up.enqueue(mean)
        if wrote and self.on_event is not None:
            self.on_event()

    def _append(self, body: DustReadingBody | DustAlarmBody) -> bool:
        try:
            self.outbox.append(body)
        except OutboxFull:
            # Attendance fills the outbox and may not be evicted: dust yields, and says so.
            self.stats.error("outbox_full")
            log.error("outbox full of attendance: %s not recorded", body.kind)
            return False
        return True

    def reading(self, mean: WindowMean) -> DustReadingBody:
        return DustReadingBody(
            sensor=self.cfg.name,
            window=mean.window,  # type: ignore[arg-type]
            window_start=mean.start,
            window_end=mean.end,
            pm1_0=mean.get("pm1_0"),
            pm2_5=mean.get("pm2_5"),
            pm10=mean.get("pm10"),
            tsp=mean.get("tsp"),
            humidity=mean.get("humidity"),
            samples=mean.samples,
            expected_samples=mean.expected,
            flags=list(mean.flags),
        )

    # -- status ---------------------------------------------------------------------------

    def state(self) -> str:
        """``port_error``, ``warmup``, ``silent``, ``incomplete`` or ``ok``."""
        if self.port_error is not None:
            return "port_error"
        now = self.clock()
        warm_until = self.averager.warmup_until
        if warm_until is not None and now < warm_until:
            return "warmup"
        last = self.last_sample_at
        if last is None or (now - last).total_seconds() > self.cfg.silent_after_s:
            return "silent"
        if self.last_minute is not None and not self.last_minute.valid:
            return "incomplete"
        return "ok"

    def health(self) -> dict[str, str]:
        """For the device status ``sensors`` map (values ≤ 64 characters)."""
        name = self.cfg.name
        out = {name: self.state(), f"{name}.bad_frames": str(self.stats.bad_frames)}
        if self.cannon is not None:  # supervisors see whether the mist cannon is running
            out[f"{name}.mist"] = "on" if self.cannon.on else "off"
        for up in self.uploaders:
            out[f"hj212.{up.platform.name}"] = up.health()
        return out
