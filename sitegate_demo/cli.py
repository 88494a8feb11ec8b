"""``sitegate-demo``: provision a gate, enroll workers, let the gate see them, show attendance.

Everything runs as the real commands in child processes (``sitegate-central serve``,
``sitegate-edge enroll`` / ``run``), so the demo exercises exactly what a site installs.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated

import typer
import yaml

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FACES = REPO / "tests" / "fixtures" / "faces"
SITE, DEVICE = "demo-site", "gate-01"

# worker id → (photo enrolled, photo the gate camera sees)
WORKERS = {
    "W0001": ("obama/1.jpg", "obama/2.jpg"),
    "W0002": ("biden/2.jpg", "biden/1.jpg"),
    "W0003": ("lisa/1.jpg", "lisa/4.jpg"),
    "W0004": ("london_001/1.jpg", "london_001/2.jpg"),
    "W0005": ("london_002/1.jpg", "london_002/2.jpg"),
}
# Frames with nobody enrolled: a stranger and an empty scene. They must not check anyone in.
EXTRA_FRAMES = ["_probes/unknown_face/london_008_smiling.jpg", "_probes/no_face/coffee.jpg"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _get_json(url: str, token: str | None = None) -> object:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as resp:
        return json.load(resp)


# The demo's API account, made like a real first account: the admin, because the demo's site
# is a gate without a registered project, which no supervisor's division covers.
DEMO_USER, DEMO_PASSWORD = "demo-admin", "demo-only-password"


def _login(base: str) -> str:
    body = json.dumps({"username": DEMO_USER, "password": DEMO_PASSWORD}).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.load(resp)["access_token"]


def wait_for(what: str, check, timeout: float, procs: list[subprocess.Popen]) -> object:  # type: ignore[no-untyped-def]
    """Poll ``check`` until it returns a truthy value; fail fast if a child died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise SystemExit(f"demo: {p.args[0]} exited with {p.returncode} while {what}")
        try:
            result = check()
            if result:
                return result
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)  # polling interval of a condition wait, not synchronisation
    raise SystemExit(f"demo: timed out after {timeout:.0f}s {what}")


def prepare(workdir: Path, faces: Path, broker_url: str) -> Path:
    if workdir.exists():
        shutil.rmtree(workdir)
    camera = workdir / "camera"
    camera.mkdir(parents=True)
    config_path = workdir / "gate.yaml"
    subprocess.run(
        [
            _bin("sitegate-central"),
            "devices",
            "add",
            "--site",
            SITE,
            "--device",
            DEVICE,
            "--db",
            str(workdir / "central.db"),
            "--broker-url",
            broker_url,
            "--out",
            str(config_path),
        ],
        check=True,
    )
    users_add = [_bin("sitegate-central"), "users", "add", "--username", DEMO_USER]
    users_add += ["--role", "admin", "--password-file", "-"]  # stdin: never in argv
    subprocess.run(
        [*users_add, "--db", str(workdir / "central.db")],
        input=DEMO_PASSWORD,
        text=True,
        check=True,
    )
    config = yaml.safe_load(config_path.read_text())
    config["cameras"] = [
        {
            "name": "main-gate",
            "direction": "in",
            "source": {"type": "folder", "path": "camera", "interval_ms": 300},
        }
    ]
    config["debounce_s"] = 300
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    for n, (worker, (enrol, seen)) in enumerate(WORKERS.items()):
        subprocess.run(
            [
                _bin("sitegate-edge"),
                "enroll",
                "--gallery",
                str(workdir / "gallery.db"),
                "--worker",
                worker,
                str(faces / enrol),
            ],
            check=True,
        )
        shutil.copy(faces / seen, camera / f"{n * 2:02d}-{worker}.jpg")
    for n, extra in enumerate(EXTRA_FRAMES):
        shutil.copy(faces / extra, camera / f"{n * 2 + 1:02d}-nobody.jpg")
    return config_path


def show(rows: list[dict]) -> None:  # type: ignore[type-arg]
    print(f"\n{'worker':8} {'dir':3} {'captured at (site time)':32} {'distance':8} device")
    for r in rows:
        print(
            f"{r['worker_id']:8} {r['direction']:3} {r['captured_at']:32} "
            f"{r['distance']:<8} {r['device']}"
        )


def main_cmd(
    workdir: Annotated[Path, typer.Option(help="where the demo keeps its files")] = Path(".demo"),
    faces: Annotated[Path, typer.Option(help="photo folder (<person>/<n>.jpg)")] = DEFAULT_FACES,
    broker: Annotated[
        str | None, typer.Option(envvar="SITEGATE_BROKER", help="mqtt:// URL; default: embedded")
    ] = None,
    http_port: Annotated[int, typer.Option(help="central's HTTP port (0: any free)")] = 8080,
    exit_when_done: Annotated[bool, typer.Option(help="stop once attendance is shown")] = False,
    timeout: Annotated[float, typer.Option(help="seconds to wait for attendance")] = 120,
    region: Annotated[
        bool, typer.Option(help="also seed a small Guangxi region for the web console")
    ] = True,
) -> None:
    """Run central, a broker and one simulated gate; show the attendance it records."""
    workdir = workdir.resolve()
    if http_port == 0 or not port_free(http_port):
        http_port = free_port()
    embedded_port = None if broker else free_port()
    broker_url = broker or f"mqtt://127.0.0.1:{embedded_port}"
    config_path = prepare(workdir, faces, broker_url)
    if region:
        from sitegate_demo import region as demo_region

        started = time.monotonic()
        demo_region.seed(workdir / "central.db")
        print(f"demo: seeded the Guangxi region in {time.monotonic() - started:.1f}s")

    central_cmd = [
        _bin("sitegate-central"),
        "serve",
        "--db",
        str(workdir / "central.db"),
        "--port",
        str(http_port),
    ]
    central_cmd += ["--broker", broker] if broker else ["--embedded-port", str(embedded_port)]
    procs: list[subprocess.Popen] = []  # type: ignore[type-arg]
    base = f"http://127.0.0.1:{http_port}"
    try:
        # Own sessions: Ctrl-C reaches only the demo, which stops the gate, then central.
        procs.append(subprocess.Popen(central_cmd, start_new_session=True))
        wait_for("starting central", lambda: _get_json(f"{base}/healthz"), 60, procs)
        gate_cmd = [_bin("sitegate-edge"), "run", "--config", str(config_path)]
        procs.append(subprocess.Popen(gate_cmd, start_new_session=True))
        url = f"{base}/api/v1/attendance?site={SITE}"
        token = _login(base)
        rows = wait_for(
            "waiting for attendance",
            lambda: (
                (r := _get_json(url, token)) and {x["worker_id"] for x in r} >= set(WORKERS) and r
            ),
            timeout,
            procs,
        )
        show(rows)  # type: ignore[arg-type]
        print(f"\nattendance of {len(rows)} check-ins: {url}")  # type: ignore[arg-type]
        print(f"API docs: {base}/docs    health: {base}/healthz")
        print(f"API login (POST /api/v1/auth/login): {DEMO_USER} / {DEMO_PASSWORD}")
        if region:
            print(demo_region.describe(base, (DEMO_USER, DEMO_PASSWORD)))
        else:
            print(f"web console: {base}/console/login (the same login)")
        if not exit_when_done:
            print("Ctrl-C stops the demo.")
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except KeyboardInterrupt:
        pass
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        print("demo stopped")


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    typer.run(main_cmd)
