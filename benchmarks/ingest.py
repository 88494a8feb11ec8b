"""Central's ingest rate against a bare paho subscriber's: SQLite, PostgreSQL, 1 and 2 instances.

For each scenario the same pre-signed stream (several simulated gates, attendance plus a dust
reading every tenth event) is queued by a fresh Mosquitto for the consumer's persistent
session, published at QoS 1 as fast as the broker takes it; then the consumer connects and
drains it. (a) is a bare paho QoS 1 subscriber that only counts; (b) is
``sitegate-central serve`` validating, storing and acking every event, timed from its first
ack to the ack of the last event, seen by the devices' side; in the live mode also each
event's latency from its publish to its ack (p50/p99/max). Each (b) is compared with an (a)
measured just before it, so both share the machine's state. Run:

    .venv/bin/python benchmarks/ingest.py [--events 100000] [--devices 20] [--scenarios …]
"""

import argparse
import pickle
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

SCENARIOS = {
    # name: (database engine, number of central instances)
    "sqlite": ("sqlite", 1),
    "postgresql-1": ("postgresql", 1),
    "postgresql-2": ("postgresql", 2),
}


def cpu_seconds(centrals: list) -> float:
    """User + system CPU of the central processes and their checker processes so far."""
    import psutil

    total = 0.0
    for c in centrals:
        proc = psutil.Process(c.process.proc.pid)
        for p in [proc, *proc.children(recursive=True)]:
            try:
                times = p.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
    return total


def ack_latency(
    acks: harness.AckCounter, streams: dict, times_file: str
) -> tuple[float, float, float]:
    """p50, p99 and max seconds from the gate's publish to its verified ack, per event."""
    sent: dict[tuple[str, str], list[float]] = pickle.loads(Path(times_file).read_bytes())
    waits = sorted(
        acks.at[m.event_id] - at
        for device, messages in streams.items()
        for m, at in zip(messages, sent[device.key], strict=True)
        if m.event_id in acks.at
    )
    if not waits:
        return (float("nan"),) * 3  # type: ignore[return-value]
    pick = lambda q: waits[min(len(waits) - 1, int(q * len(waits)))]  # noqa: E731
    return pick(0.50), pick(0.99), waits[-1]


def run_bare(workdir: Path, stream_file: Path, total: int, live: bool) -> dict[str, float]:
    broker = harness.start_broker(workdir)
    try:
        result = harness.bare_drain(broker.url, total, stream_file, live)
    finally:
        broker.stop()
    result["rate"] = result["received"] / result["seconds"]
    result["cpu_us"] = result["cpu_s"] / result["received"] * 1e6
    return result


def run_central(
    workdir: Path,
    engine: str,
    instances: int,
    streams: dict,
    stream_file: Path,
    total: int,
    args: argparse.Namespace,
) -> dict[str, float]:
    devices = list(streams)
    broker = harness.start_broker(workdir)
    with ExitStack() as stack:
        stack.callback(broker.stop)
        db_url = stack.enter_context(harness.database(engine, workdir, f"{engine}{instances}"))
        harness.provision(db_url, devices)
        group = ["--shared-group", "bench"] if instances > 1 else []
        centrals = [
            harness.Central(
                workdir / f"c{i}",
                broker.url,
                db_url,
                "--instance-id",
                f"bench-{i}",
                "--batch-size",
                str(args.batch_size),
                # Every device floods at once here: the per-device limits would drop most of it.
                "--device-rate",
                "0",
                "--device-byte-rate",
                "0",
                *group,
            )
            for i in range(instances)
        ]
        for c in centrals:
            c.workdir.mkdir(parents=True, exist_ok=True)
        # First start: each instance creates its persistent session (and subscription).
        harness.start_centrals(centrals)
        for c in centrals:
            c.stop()
        acks = harness.AckCounter(broker.url, {d.key: d.secret for d in devices})
        stack.callback(acks.close)
        if args.mode == "backlog":
            published = harness.finish(harness.start_publisher(broker.url, stream_file))
        harness.start_centrals(centrals)
        for c in centrals:
            stack.callback(c.stop)
        cpu0 = cpu_seconds(centrals)
        if args.mode == "live":
            published = harness.finish(harness.start_publisher(broker.url, stream_file))
        harness.wait_until(
            lambda: acks.count() >= total or harness.refused_any(centrals),
            args.timeout,
            "every event acked",
        )
        cpu = cpu_seconds(centrals) - cpu0
        duplicates = sum(harness.metric(c, "sitegate_ingest_duplicates_total") for c in centrals)
        per_instance = [harness.metric(c, "sitegate_ingest_stored_total") for c in centrals]
        batches = sum(harness.metric(c, "sitegate_ingest_batch_size_count") for c in centrals)
        stored = harness.stored_count(db_url)
    seconds = acks.last - acks.first
    p50, p99, worst = ack_latency(acks, streams, published["times"])
    return {
        "ack_p50": p50,
        "ack_p99": p99,
        "ack_max": worst,
        "sent": total,
        "stored": stored,
        "acked": len(acks.acked),
        "duplicates": duplicates,
        "lost": total - stored,
        "seconds": seconds,
        "rate": total / seconds,
        "publish_s": published["seconds"],
        "per_instance": per_instance,
        "forged_acks": acks.forged,
        "cpu_us": cpu / total * 1e6,
        "mean_batch": total / batches if batches else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument(
        "--mode",
        choices=["live", "backlog"],
        default="live",
        help="live: consumers connected while the gates publish; backlog: the broker queues "
        "the whole stream first, then the consumer drains it",
    )
    args = parser.parse_args()
    _devices, streams, total, _size = harness.prepare_run(args.events, args.devices, "stream")
    rows = []
    print(f"mode: {args.mode}")
    with tempfile.TemporaryDirectory(prefix="sitegate-bench-") as tmp:
        stream_file = harness.save_streams(streams, Path(tmp) / "stream.pickle")
        for name in args.scenarios.split(","):
            engine, instances = SCENARIOS[name]
            bare = run_bare(Path(tmp) / f"{name}-bare", stream_file, total, args.mode == "live")
            print(
                f"  (a) bare paho QoS 1 subscriber: {bare['received']:.0f} received in "
                f"{bare['seconds']:.2f} s = {bare['rate']:,.0f}/s "
                f"(published in {bare['publish_s']:.2f} s); {bare['cpu_us']:.0f} us CPU/message"
            )
            r = run_central(Path(tmp) / name, engine, instances, streams, stream_file, total, args)
            ratio = r["rate"] / bare["rate"]
            print(
                f"  (b) central {name}: sent {r['sent']}, stored {r['stored']}, acked "
                f"{r['acked']}, duplicates {r['duplicates']:.0f}, lost {r['lost']}; "
                f"{r['seconds']:.2f} s = {r['rate']:,.0f}/s; (b)/(a) = {ratio:.2f}; "
                f"{r['cpu_us']:.0f} us CPU/event; {r['mean_batch']:.0f} events/transaction"
                + (f"; per instance {[int(x) for x in r['per_instance']]}" if instances > 1 else "")
                + (
                    f"; publish -> ack p50 {r['ack_p50']:.2f} s, p99 {r['ack_p99']:.2f} s, "
                    f"max {r['ack_max']:.2f} s"
                    if args.mode == "live"
                    else ""
                )
            )
            rows.append((name, r, bare, ratio))
    print()
    print(
        f"{'scenario':<14} {'sent':>8} {'stored':>8} {'dups':>5} {'lost':>5} "
        f"{'(a)/s':>8} {'(b)/s':>8} {'(b)/(a)':>8} {'CPU us (a)':>10} {'(b)':>5}"
        + (f" {'ack p99 s':>9}" if args.mode == "live" else "")
    )
    for name, r, bare, ratio in rows:
        print(
            f"{name:<14} {r['sent']:>8} {r['stored']:>8} {r['duplicates']:>5.0f} {r['lost']:>5} "
            f"{bare['rate']:>8,.0f} {r['rate']:>8,.0f} {ratio:>8.2f} "
            f"{bare['cpu_us']:>10.0f} {r['cpu_us']:>5.0f}"
            + (f" {r['ack_p99']:>9.2f}" if args.mode == "live" else "")
        )
    if any(r["lost"] for _n, r, _b, _q in rows):
        sys.exit("events were lost")


if __name__ == "__main__":
    main()
