"""A gate without cameras, for fault injection: the real Outbox and Uplink, events from a loop.

    python fault_gate.py GATE_YAML TOTAL RATE_PER_S

Appends attendance events to the gate's outbox until its ``last_seq`` reaches TOTAL (so a
restarted process carries on where the killed one stopped), at about RATE_PER_S, while the
uplink sends, resends and settles them exactly as ``sitegate-edge run`` does. Runs until
SIGINT/SIGTERM, then stops cleanly.
"""

import logging
import signal
import sys
import threading
from datetime import datetime

import edge
from edge.outbox import Outbox
from edge.uplink import Uplink
from firmware_config import load_config
from wireproto.messages import AttendanceBody


def main(path: str, total: int, rate: float) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = load_config(path)
    outbox = Outbox.for_gate(config)  # as edge/device.py opens it
    uplink = Uplink(config, outbox, lambda: {"software_version": edge.__version__})
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    uplink.start()
    seq = outbox.db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
    appended = seq[0] if seq else 0
    while appended < total and not stop.is_set():
        now = datetime.now(config.zone)
        outbox.append(
            AttendanceBody(
                worker_id=f"W{appended + 1}", direction="in", captured_at=now, camera="loop"
            )
        )
        appended += 1
        uplink.nudge()
        stop.wait(1 / rate)  # load pacing, like people walking through a gate
    logging.info("appended up to seq %d", appended)
    stop.wait()
    uplink.stop()
    outbox.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
