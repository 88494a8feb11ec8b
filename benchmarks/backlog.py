"""A 1-million-event backlog drains through central in bounded memory.

One region's gates were cut off for days, or central was down: the broker holds the whole
backlog for central's persistent session when central connects. That is the worst case for
central's memory (the broker pushes as fast as central reads; a reconnecting gate is gentler,
sending at most edge.uplink.MAX_IN_FLIGHT unacked events). Central's resident memory is
sampled while it drains; the bounded ingest queue must keep it flat, whatever the backlog.

    .venv/bin/python benchmarks/backlog.py [--events 1000000] [--db sqlite|postgresql]
"""

import argparse
import sys
import tempfile
import threading
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
import psutil

MIB = 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--queue-size", type=int, default=5000)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    devices, streams, total, size = harness.prepare_run(args.events, args.devices, "backlog")
    with tempfile.TemporaryDirectory(prefix="sitegate-backlog-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        stream_file = harness.save_streams(streams, work / "stream.pickle")
        del streams  # the publisher process reads the file
        broker = harness.start_broker(work / "broker")
        stack.callback(broker.stop)
        db_url = stack.enter_context(harness.database(args.db, work, "backlog"))
        harness.provision(db_url, devices)
        (work / "c").mkdir()
        central = harness.Central(
            work / "c", broker.url, db_url, "--instance-id", "backlog",
            "--queue-size", str(args.queue_size),
            # A benchmark floods from every device at once; a real gate never comes near the
            # per-device limits, which would otherwise drop (and not ack) most of the stream.
            "--device-rate", "0", "--device-byte-rate", "0",
        )  # fmt: skip
        harness.start_centrals([central])  # creates central's persistent session
        central.stop()
        acks = harness.AckCounter(broker.url, {d.key: d.secret for d in devices})
        stack.callback(acks.close)
        published = harness.finish(harness.start_publisher(broker.url, stream_file))
        broker_rss = psutil.Process(broker.proc.pid).memory_info().rss / MIB  # type: ignore[union-attr]
        print(
            f"queued in the broker in {published['seconds']:.0f} s "
            f"(broker RSS {broker_rss:.0f} MiB); starting central"
        )
        harness.start_centrals([central])
        stack.callback(central.stop)
        assert central.process is not None
        proc = psutil.Process(central.process.proc.pid)
        samples: list[tuple[int, float]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.5):
                samples.append((acks.count(), proc.memory_info().rss / MIB))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        harness.wait_until(
            lambda: acks.count() >= total or harness.refused_any([central]),
            args.timeout,
            "the backlog to drain",
        )
        done.set()
        sampler.join()
        samples.append((acks.count(), proc.memory_info().rss / MIB))  # after the last ack
        stored = harness.stored_count(db_url)
        duplicates = harness.metric(central, "sitegate_ingest_duplicates_total")
    seconds = acks.last - acks.first
    print(
        f"drained: sent {total}, stored {stored}, acked {len(acks.acked)}, duplicates "
        f"{duplicates:.0f}, lost {total - stored}; {seconds:.0f} s = {total / seconds:,.0f}/s"
    )
    print("central resident memory while draining (acked events -> RSS):")
    for fraction in (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0):
        n, rss = next(((n, r) for n, r in samples if n >= fraction * total), samples[-1])
        print(f"  {fraction:>5.0%}  {n:>9}  {rss:7.1f} MiB")
    early = max(r for n, r in samples if n <= 0.1 * total) if samples[0][0] <= 0.1 * total else 0
    peak = max(r for _n, r in samples)
    late = max(r for n, r in samples if n >= 0.5 * total)
    print(
        f"peak {peak:.1f} MiB; highest in the first 10% {early:.1f} MiB, in the second half "
        f"{late:.1f} MiB (growth {late - early:+.1f} MiB over {total * 0.9:,.0f} more events); "
        f"queue bound {args.queue_size} messages x {size:.0f} B = "
        f"{args.queue_size * size / MIB:.1f} MiB of payload"
    )
    if total != stored:
        sys.exit("events were lost")


if __name__ == "__main__":
    main()
