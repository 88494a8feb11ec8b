"""Shared fixtures: real brokers, real processes, real files. No mocks."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FACES = FIXTURES / "faces"
BIN = Path(sys.executable).parent

# `database` (SQLite and PostgreSQL), `postgres_url`: tests/db_fixtures.py
pytest_plugins = ["db_fixtures"]

T = TypeVar("T")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration carries the ``integration`` marker (``-m``)."""
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.integration)


def wait_until(check: Callable[[], T], timeout: float = 30.0, what: str = "condition") -> T:
    """Poll a condition until it holds (returns truthy) or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # the condition may not be checkable yet
            last_exc = exc
        time.sleep(0.05)  # poll interval of a condition wait
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_exc})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Mosquitto:
    """A private Mosquitto on a free port, so tests never share sessions or queues."""

    def __init__(self, workdir: Path, extra_conf: str = "") -> None:
        self.port = free_port()
        self.workdir = workdir
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence false\nmax_queued_messages 0\n{extra_conf}"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen(
            [exe, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(lambda: port_open(self.port), 10, "mosquitto to listen")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def have_mosquitto() -> bool:
    return bool(shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists())


@pytest.fixture(scope="session")
def broker_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Mosquitto: our own instance when the binary exists, else the one on :1883."""
    if have_mosquitto():
        m = Mosquitto(tmp_path_factory.mktemp("mosquitto"))
        m.start()
        yield m.url
        m.stop()
    elif port_open(1883):
        yield "mqtt://127.0.0.1:1883"
    else:
        pytest.skip("no Mosquitto binary and nothing listening on 127.0.0.1:1883")


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A Mosquitto of this test alone: one it may stop, or whose every message is its own."""
    if not have_mosquitto():
        pytest.skip("no Mosquitto binary")
    broker = Mosquitto(tmp_path)
    broker.start()
    yield broker
    broker.stop()


def run_cli(*args: str, check: bool = True, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """Run one of our console scripts from this venv, as a user would."""
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], capture_output=True, text=True, check=check, **kw
    )


class Process:
    """A long-running child (central or a gate) stopped with SIGINT, killed if it hangs."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        self._fh = log.open("wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [str(BIN / args[0]), *args[1:]], stdout=self._fh, stderr=subprocess.STDOUT, env=env
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 20) -> int:
        if self.alive():
            self.proc.send_signal(2)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._fh.close()
        return self.proc.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")


TEST_PASSWORD = "correct horse battery"


def api_headers(
    db: str, username: str = "test-admin", role: str = "admin", **scope: object
) -> dict[str, str]:
    """A bearer token for ``username`` (created with ``role`` if new) on central's database.

    Every /api/v1 route needs a token; tests get one the way a client would after
    ``sitegate-central users add`` and a login, minus the HTTP round trip.
    """
    from central.auth.users import UserIn, add_user, login
    from central.errors import Conflict
    from central.storage import Database

    database = Database(db)
    try:
        database.upgrade()
        user = UserIn(username=username, password=TEST_PASSWORD, role=role, **scope)  # type: ignore[arg-type]
        with contextlib.suppress(Conflict):  # made by an earlier start of the same central
            add_user(database, user)
        token, _expires, _who = login(database, username, TEST_PASSWORD)
    finally:
        database.close()
    return {"Authorization": f"Bearer {token}"}


class Central:
    """``sitegate-central serve`` in a child process, with its own database and HTTP port."""

    def __init__(self, workdir: Path, broker: str, db: str | None = None, *extra: str) -> None:
        self.workdir = workdir
        self.db = db or str(workdir / "central.db")
        self.http_port = free_port()
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.args = [
            "sitegate-central",
            "serve",
            "--db",
            self.db,
            "--broker",
            broker,
            "--port",
            str(self.http_port),
            *extra,
        ]
        self.process: Process | None = None
        self.headers: dict[str, str] = {}  # an admin's bearer token once started

    def provision(self, site: str, device: str, broker: str) -> Path:
        out = self.workdir / f"{site}-{device}.yaml"
        run_cli(
            "sitegate-central",
            "devices",
            "add",
            "--site",
            site,
            "--device",
            device,
            "--db",
            self.db,
            "--broker-url",
            broker,
            "--out",
            str(out),
        )
        return out

    def start(self) -> "Central":
        import httpx

        process = Process(self.args, self.workdir / f"central-{self.http_port}.log")
        self.process = process

        def healthy() -> bool:
            if not process.alive():
                pytest.fail(f"central exited:\n{process.output()}")
            return httpx.get(f"{self.base}/healthz").status_code == 200

        # generous: the import and migration take seconds, many more on a loaded machine
        wait_until(healthy, 90, "central to be healthy")
        self.headers = api_headers(self.db)
        return self

    def get(self, path: str, **params: object) -> object:
        import httpx

        resp = httpx.get(f"{self.base}{path}", params=params, headers=self.headers, timeout=10)
        resp.raise_for_status()
        return resp.json()

    def stop(self) -> int:
        return self.process.stop() if self.process else 0


@pytest.fixture
def central(tmp_path: Path, broker_url: str) -> Iterator[Central]:
    """A central instance on a fresh SQLite file; provision devices before ``start()``."""
    c = Central(tmp_path, broker_url)
    yield c
    c.stop()
