"""What the ingest benchmarks share: signed event streams, brokers, central processes, acks.

Everything is real: Mosquitto started on a free port, ``sitegate-central serve`` as child
processes (the command production runs), SQLite files and PostgreSQL databases created for
the run and dropped after it. The process helpers are the test suite's own (tests/conftest.py).
"""

import json
import os
import pickle
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing import Pool
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import httpx  # noqa: E402
import paho.mqtt.client as mqtt  # noqa: E402
from db_fixtures import postgres_database  # noqa: E402

from central.storage import Database  # noqa: E402
from central.storage.schema import events  # noqa: E402
from conftest import Central, Mosquitto, Process, wait_until  # noqa: E402
from wireproto import (  # noqa: E402
    AttendanceBody,
    DustReadingBody,
    Envelope,
    ProtocolError,
    decode_ack,
    encode_event,
    new_event_id,
    topics,
)
from wireproto.transport import BrokerAddress, new_client  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
BROKER_CONF = (
    # The settings docs/deployment.md discusses: no queue limit (the benchmark queues the
    # whole stream for an offline session) and a wide in-flight window towards subscribers.
    os.environ.get("BENCH_BROKER_CONF", "max_inflight_messages 1000\nmax_queued_bytes 0\n").replace(
        "|", "\n"
    )
)
PG_ADMIN_URL = os.environ.get("SITEGATE_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Device:
    site: str
    device: str
    secret: bytes

    @property
    def key(self) -> tuple[str, str]:
        return (self.site, self.device)


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    event_id: str
    payload: bytes


def make_devices(count: int, per_site: int = 4) -> list[Device]:
    return [
        Device(f"site-{i // per_site:03d}", f"gate-{i % per_site}", os.urandom(32))
        for i in range(count)
    ]


def _sign(job: tuple[Device, int, int, datetime]) -> list[Message]:
    """Events ``start..start+count`` of one device: attendance, and a dust reading every 10th."""
    device, start, count, base = job
    out = []
    for seq in range(start, start + count):
        at = base + timedelta(milliseconds=seq * 10)
        body: AttendanceBody | DustReadingBody
        if seq % 10 == 9:
            body = DustReadingBody(
                sensor="pm-1",
                window="1min",
                window_start=at - timedelta(minutes=1),
                window_end=at,
                pm2_5=35.5,
                pm10=80.25,
                samples=60,
                expected_samples=60,
            )
        else:
            body = AttendanceBody(
                worker_id=f"W{device.site}-{seq % 3000:05d}",
                direction="in" if seq % 2 else "out",
                distance=0.3712,
                liveness="passed",
                captured_at=at,
            )
        env = Envelope(
            id=new_event_id(),
            site=device.site,
            device=device.device,
            seq=seq,
            created_at=at,
            body=body,
        )
        out.append(
            Message(
                topics.event_topic(device.site, device.device, body.kind),
                env.id,
                encode_event(env, device.secret),
            )
        )
    return out


def make_streams(devices: Sequence[Device], total: int) -> dict[Device, list[Message]]:
    """``total`` signed events spread evenly over ``devices``, signed on every core."""
    per = [
        total // len(devices) + (1 if i < total % len(devices) else 0) for i in range(len(devices))
    ]
    chunk = 5000
    # A morning rush that began an hour ago (central refuses events older than its window).
    base = datetime.now(ZONE) - timedelta(hours=1)
    jobs = [
        (d, s, min(chunk, n - s), base)
        for d, n in zip(devices, per, strict=True)
        for s in range(0, n, chunk)
    ]
    with Pool(os.cpu_count() or 1) as pool:
        parts = pool.map(_sign, jobs)
    streams: dict[Device, list[Message]] = {d: [] for d in devices}
    for (device, *_), part in zip(jobs, parts, strict=True):
        streams[device].extend(part)
    return streams


def save_streams(streams: dict[Device, list[Message]], path: Path) -> Path:
    """The stream as the publisher process reads it: {(site, device): [(topic, payload)]}."""
    path.write_bytes(
        pickle.dumps({d.key: [(m.topic, m.payload) for m in s] for d, s in streams.items()})
    )
    return path


def start_publisher(broker_url: str, stream_file: Path) -> subprocess.Popen[str]:
    """The simulated gates, in their own process, publishing at once."""
    return subprocess.Popen(
        [sys.executable, str(HERE / "publisher.py"), broker_url, str(stream_file)],
        stdout=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 900) -> dict[str, float]:
    out, _ = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{proc.args} failed with {proc.returncode}")
    return json.loads(out)


@dataclass
class AckCounter:
    """The devices' side of the bargain: central's signed acks, checked and counted."""

    broker_url: str
    secrets: dict[tuple[str, str], bytes]
    acked: set[str] = field(default_factory=set)
    results: dict[str, int] = field(default_factory=lambda: {"stored": 0, "duplicate": 0})
    first: float = 0.0
    last: float = 0.0
    forged: int = 0
    at: dict[str, float] = field(default_factory=dict)  # event id → its first verified ack

    def __post_init__(self) -> None:
        address = BrokerAddress.parse(self.broker_url)
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = new_client(address, f"bench-acks-{os.getpid()}", clean_session=True)
        self.client.on_connect = lambda c, *_: c.subscribe(f"{topics.ROOT}/+/+/ack", qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(address.host, address.port)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise RuntimeError("ack counter: no SUBACK")

    def _on_message(self, _c, _u, msg: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        parts = topics.parse_topic(msg.topic)
        secret = self.secrets.get((parts.site, parts.device)) if parts else None
        try:
            ack = decode_ack(bytes(msg.payload), secret or b"")
        except ProtocolError:
            self.forged += 1
            return
        now = time.monotonic()
        with self._lock:
            if not self.acked:
                self.first = now
            self.last = now
            for r in ack.acks:
                self.results[r.result] = self.results.get(r.result, 0) + 1
                self.acked.add(r.id)
                self.at.setdefault(r.id, now)

    def count(self) -> int:
        with self._lock:
            return len(self.acked)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def start_broker(workdir: Path) -> Mosquitto:
    workdir.mkdir(parents=True, exist_ok=True)
    broker = Mosquitto(workdir, BROKER_CONF)
    broker.start()
    return broker


def bare_drain(broker_url: str, total: int, stream_file: Path, live: bool) -> dict[str, float]:
    """(a): a bare subscriber's persistent session receives the stream; its rate.

    ``live``: it is connected while the gates publish; otherwise the broker queues the whole
    stream first and the subscriber drains it.
    """
    script = [sys.executable, str(HERE / "bare_subscriber.py"), broker_url, "bare-sub"]
    subprocess.run([*script, "--register"], check=True, capture_output=True)
    if not live:
        published = finish(start_publisher(broker_url, stream_file))
    sub = subprocess.Popen([*script, "--count", str(total)], stdout=subprocess.PIPE, text=True)
    if live:
        published = finish(start_publisher(broker_url, stream_file))
    result = finish(sub)
    return {**result, "publish_s": published["seconds"]}


def provision(db_url: str, devices: Sequence[Device]) -> None:
    db = Database(db_url)
    db.upgrade()
    for d in devices:
        db.add_device(d.site, d.device, d.secret.hex())
    db.close()


def stored_count(db_url: str) -> int:
    from sqlalchemy import func, select

    db = Database(db_url)
    with db.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(events)).scalar_one()
    db.close()
    return int(n)


def start_centrals(centrals: Sequence[Central]) -> None:
    """Start all at once (a staggered start would look like a slower drain), then wait."""
    for c in centrals:
        c.process = Process(c.args, c.workdir / f"central-{c.http_port}.log")
    for c in centrals:

        def healthy(c: Central = c) -> bool:
            assert c.process is not None
            if not c.process.alive():
                raise RuntimeError(f"central exited:\n{c.process.output()}")
            return httpx.get(f"{c.base}/healthz").status_code == 200

        wait_until(healthy, 180, "central to be healthy")  # minutes on a loaded machine


def cpu_seconds(centrals: Sequence[Central]) -> float:
    """User + system CPU the central processes have used so far."""
    import psutil

    total = 0.0
    for c in centrals:
        assert c.process is not None
        times = psutil.Process(c.process.proc.pid).cpu_times()
        total += times.user + times.system
    return total


def metric(central: Central, name: str) -> float:
    """Sum of one Prometheus metric's samples as central serves it at /metrics."""
    text = httpx.get(f"{central.base}/metrics", timeout=10).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and line[len(name)] in " {":
            total += float(line.rsplit(" ", 1)[1])
    return total


def refused_any(centrals: Sequence[Central]) -> bool:
    """Stop waiting for acks that will never come (checked every few seconds, not each poll)."""
    now = time.monotonic()
    if now - _last_check[0] < 3:
        return False
    _last_check[0] = now
    dead = sum(metric(c, "sitegate_ingest_dead_letters_total") for c in centrals)
    if dead:
        logs = "\n".join(c.process.output()[-2000:] for c in centrals if c.process)
        raise RuntimeError(f"central dead-lettered {dead:.0f} benchmark events:\n{logs}")
    return False


_last_check = [0.0]


@contextmanager
def database(kind: str, workdir: Path, tag: str) -> Iterator[str]:
    """A fresh SQLite file or a throwaway PostgreSQL database for one scenario."""
    if kind == "sqlite":
        yield str(workdir / f"{tag}.db")
        return
    with postgres_database(PG_ADMIN_URL, f"sitegate_bench_{os.getpid()}_{tag}") as url:
        yield url


def prepare_run(
    events: int, device_count: int, what: str
) -> tuple[list[Device], dict[Device, list[Message]], int, float]:
    """Print the machine, sign the stream, and say what it is: how every benchmark starts.

    SIGTERM is handled after the signing pool is gone (its workers would inherit it), so a
    plain kill still stops the brokers and centrals a run started (ExitStack clean-up).
    """
    print(f"machine: {machine()}")
    devices = make_devices(device_count)
    streams = make_streams(devices, events)
    total = sum(len(s) for s in streams.values())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    size = sum(len(m.payload) for s in streams.values() for m in s) / total
    print(f"{what}: {total} signed events from {len(devices)} devices, {size:.0f} B average")
    return devices, streams, total, size


def machine() -> str:
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if "model name" in line)
    except (OSError, StopIteration):
        pass
    mem = psutil.virtual_memory().total / 2**30
    load = os.getloadavg()
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM; {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start"
    )
