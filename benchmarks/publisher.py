"""Simulated gates: publish a pre-signed stream at QoS 1 as fast as the broker takes it.

Run as its own process so the gates never share a GIL with the consumer being measured.
Reads the stream ``harness.save_streams`` wrote; prints one JSON line with its timings. The
moment each message was handed to paho (``time.monotonic``, one clock for every process on
the machine) is written beside the stream, ``<stream>.sent``, in the stream's order, so the
acks' latency can be measured from the gates' side (benchmarks/ingest.py).
"""

import argparse
import json
import pickle
import sys
import threading
import time
from itertools import zip_longest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wireproto.transport import BrokerAddress, new_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("broker", help="mqtt://host:port")
    parser.add_argument("stream", type=Path, help="pickled {(site, device): [(topic, payload)]}")
    parser.add_argument("--inflight", type=int, default=200, help="unacked publishes per gate")
    args = parser.parse_args()

    streams: dict[tuple[str, str], list[tuple[str, bytes]]] = pickle.loads(args.stream.read_bytes())
    total = sum(len(s) for s in streams.values())
    address = BrokerAddress.parse(args.broker)
    lock = threading.Lock()
    acked = [0]
    all_acked = threading.Event()

    def on_publish(*_a) -> None:  # type: ignore[no-untyped-def]
        with lock:
            acked[0] += 1
            if acked[0] == total:
                all_acked.set()

    # One thread drives every gate's connection (paho's manual loop): twenty network threads
    # fighting over one GIL would make the publisher, not the broker, the limit.
    clients = []
    for site, device in streams:
        c = new_client(address, f"bench-{site}-{device}", clean_session=True)
        c.max_inflight_messages_set(args.inflight)
        c.on_publish = on_publish
        c.connect(address.host, address.port)
        clients.append(c)
    deadline = time.monotonic() + 30
    while not all(c.is_connected() for c in clients):
        if time.monotonic() > deadline:
            sys.exit("publisher: the broker did not accept every gate")
        for c in clients:
            c.loop(timeout=0.01)
    sent: dict[tuple[str, str], list[float]] = {key: [] for key in streams}
    times = list(sent.values())
    start = time.monotonic()
    for row in zip_longest(*streams.values()):
        for client, msg, at in zip(clients, row, times, strict=True):
            if msg is not None:
                at.append(time.monotonic())
                client.publish(msg[0], msg[1], qos=1)
                client.loop(timeout=0)
    deadline = time.monotonic() + 900
    while not all_acked.is_set():
        if time.monotonic() > deadline:
            sys.exit(f"publisher: the broker acked {acked[0]} of {total}")
        for c in clients:
            c.loop(timeout=0.001)
    elapsed = time.monotonic() - start
    for c in clients:
        c.disconnect()
    times_file = args.stream.with_name(args.stream.name + ".sent")
    times_file.write_bytes(pickle.dumps(sent))
    print(json.dumps({"published": total, "seconds": elapsed, "times": str(times_file)}))


if __name__ == "__main__":
    main()
