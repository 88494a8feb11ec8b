"""The yardstick: a bare paho-mqtt QoS 1 subscriber that only counts what it receives.

Run as its own process (like central) so it has a core and a GIL of its own. With
``--register`` it only creates its persistent session and leaves; without, it reconnects to
that session, counts ``count`` messages and prints one JSON line with its timings.
"""

import argparse
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wireproto import topics
from wireproto.transport import BrokerAddress, new_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("broker", help="mqtt://host:port")
    parser.add_argument("client_id")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--register", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    address = BrokerAddress.parse(args.broker)
    client = new_client(address, args.client_id, clean_session=False)
    subscribed = threading.Event()
    done = threading.Event()
    seen = {"n": 0, "first": 0.0, "last": 0.0, "cpu0": 0.0, "cpu1": 0.0}

    def on_message(_c, _u, _msg) -> None:  # type: ignore[no-untyped-def]
        now = time.monotonic()
        if seen["n"] == 0:
            seen["first"], seen["cpu0"] = now, time.process_time()
        seen["n"] += 1
        seen["last"] = now
        if seen["n"] >= args.count:
            seen["cpu1"] = time.process_time()
        if seen["n"] >= args.count:
            done.set()

    client.on_connect = lambda c, *_: c.subscribe(topics.ALL_EVENTS, qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = on_message
    client.connect(address.host, address.port, keepalive=60)
    client.loop_start()
    if not subscribed.wait(30):
        sys.exit("bare subscriber: no SUBACK within 30 s")
    if not args.register:
        done.wait(args.timeout)
    client.disconnect()
    client.loop_stop()
    elapsed = seen["last"] - seen["first"]
    cpu = seen["cpu1"] - seen["cpu0"]
    print(json.dumps({"received": seen["n"], "seconds": elapsed, "cpu_s": cpu}))


if __name__ == "__main__":
    main()
