"""A province's morning rush end to end: thousands of gates, Mosquitto, two centrals, PostgreSQL.

Simulates ``--gates`` gates on ``--sites`` sites for ``--minutes``: check-ins ramp from 10 % of
``--peak-rate`` up to it over 40 % of the run, stay there for 20 %, and ramp down again; every
gate also sends one dust reading every 10 s. Each gate is provisioned in central with its own
secret and signs its events with a monotonic ``seq`` the moment they are due
(``rush_gates.py``: several processes, each driving a share of the gates' MQTT connections),
publishes at QoS 1 into a Mosquitto started on a free loopback port, waits for central's
signed acks and resends what is not acked as a gate's outbox does. Two
``sitegate-central serve`` instances share the subscription (``--shared-group``) and store
into a fresh PostgreSQL database, created for the run and dropped after it.

The run is then repeated on a fresh broker and database with one central SIGKILLed halfway
through and not restarted (``--skip-kill`` leaves that out). Printed for each: the machine and
its load, offered against achieved send rate, events sent, stored, lost and doubled (from the
database, per gate against what each gate sent), latency from ``captured_at`` to stored and
to the ack at the gate, each central's CPU seconds and peak memory, PostgreSQL's growth per
million events and how long the backlog took to drain after the last send.

    .venv/bin/python benchmarks/rush.py [--minutes 10] [--gates 2000] [--sites 500]
        [--peak-rate 1400] [--skip-kill | --only-kill] [--self-check]

``--self-check``: a 30-gate, 10-second run (no kill) followed by the accounting tested
against a database that was tampered with (a row deleted, a row doubled): the figures must
show exactly that. Exits non-zero when events were lost or doubled.
"""

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
import psutil
import rush_gates
from sqlalchemy import create_engine, text

MIB = 2**20
HERE = Path(__file__).resolve().parent


@dataclass
class Usage:
    """A central's CPU seconds and peak resident memory, sampled until it ends."""

    cpu_s: float = 0.0
    peak_rss: float = 0.0
    killed_at: float | None = None


@dataclass
class Sampler:
    """Samples the centrals' usage and the database's stored count every half second."""

    pids: list[int]
    db_url: str
    usage: list[Usage] = field(default_factory=list)
    stored: list[tuple[float, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.usage = [Usage() for _ in self.pids]
        self._procs = [psutil.Process(pid) for pid in self.pids]
        self._stop = threading.Event()
        self._engine = create_engine(self.db_url)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        tick = 0
        while not self._stop.wait(0.5):
            self.sample()
            tick += 1
            if tick % 4 == 0:  # every 2 s: the stored count, for the drain timeline
                with self._engine.connect() as conn:
                    n = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
                self.stored.append((time.time(), int(n)))

    def sample(self) -> None:
        for proc, use in zip(self._procs, self.usage, strict=True):
            if use.killed_at is not None:
                continue
            try:
                times = proc.cpu_times()
                rss = proc.memory_info().rss / MIB
            except psutil.Error:
                continue
            use.cpu_s = times.user + times.system
            use.peak_rss = max(use.peak_rss, rss)

    def killed(self, index: int) -> None:
        self.sample()
        self.usage[index].killed_at = time.time()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
        self._engine.dispose()


@dataclass
class Accounting:
    """What the database holds against what the gates sent."""

    sent: int
    stored: int
    lost: int
    doubled: int
    unexpected: int  # rows from a (site, device) the gates never used, or seqs past their last
    unacked_stored: int  # still unacked at the end but stored (the ack was lost or late)
    unacked_missing: int  # still unacked and not stored: waiting in the gates' outboxes
    attendance_rows: int
    dust_rows: int


def account(
    db_url: str,
    sent_by_gate: dict[tuple[str, str], int],
    unacked: Sequence[tuple[str, str, int]] = (),
) -> Accounting:
    """Per gate: its seqs 1..sent must each be stored exactly once (``seq`` is the evidence).

    Lost = seqs a gate sent that no row has; doubled = rows beyond one per (gate, seq). Ids
    are the primary key, so a double would have to be a second id for one capture: counting
    per seq catches that too. Unexpected = rows that are no seq any gate sent. A missing seq
    is only lost for good if its gate holds no copy: ``unacked`` (still in the gates'
    outboxes at the end) are looked up, so missing − unacked-and-missing must be 0.
    """
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE rush_sent (site text, device text, n bigint)"))
        conn.execute(
            text("INSERT INTO rush_sent VALUES (:s, :d, :n)"),
            [{"s": s, "d": d, "n": n} for (s, d), n in sent_by_gate.items()],
        )
        row = conn.execute(
            text(
                "SELECT coalesce(sum(n - hit), 0), coalesce(sum(rows_ - seqs), 0), "
                "coalesce(sum(seqs - hit), 0) FROM ("
                " SELECT s.n, count(e.seq) AS rows_, count(DISTINCT e.seq) AS seqs,"
                " count(DISTINCT e.seq) FILTER (WHERE e.seq BETWEEN 1 AND s.n) AS hit"
                " FROM rush_sent s LEFT JOIN events e ON e.site = s.site AND e.device = s.device"
                " GROUP BY s.site, s.device, s.n) AS per_gate"
            )
        ).one()
        strangers = conn.execute(
            text(
                "SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM rush_sent s"
                " WHERE s.site = e.site AND s.device = e.device)"
            )
        ).scalar_one()
        conn.execute(text("CREATE TEMP TABLE rush_unacked (site text, device text, seq bigint)"))
        if unacked:
            conn.execute(
                text("INSERT INTO rush_unacked VALUES (:s, :d, :q)"),
                [{"s": s, "d": d, "q": q} for s, d, q in unacked],
            )
        unacked_stored = conn.execute(
            text(
                "SELECT count(*) FROM rush_unacked u WHERE EXISTS (SELECT 1 FROM events e"
                " WHERE e.site = u.site AND e.device = u.device AND e.seq = u.seq)"
            )
        ).scalar_one()
        conn.execute(text("DROP TABLE rush_unacked"))
        stored = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
        attendance = conn.execute(text("SELECT count(*) FROM attendance")).scalar_one()
        dust = conn.execute(text("SELECT count(*) FROM dust_readings")).scalar_one()
        conn.execute(text("DROP TABLE rush_sent"))
    engine.dispose()
    return Accounting(
        sent=sum(sent_by_gate.values()),
        stored=int(stored),
        lost=int(row[0]),
        doubled=int(row[1]),
        unexpected=int(row[2]) + int(strangers),
        attendance_rows=int(attendance),
        dust_rows=int(dust),
        unacked_stored=int(unacked_stored),
        unacked_missing=len(unacked) - int(unacked_stored),
    )


def percentiles(hist: Counter[int], qs: Sequence[float]) -> list[float]:
    """Percentiles (seconds) of a rush_gates latency histogram (buckets 5 % wide)."""
    total = sum(hist.values())
    out = []
    for q in qs:
        rank, acc = q * total, 0
        for b in sorted(hist):
            acc += hist[b]
            if acc >= rank:
                out.append(rush_gates.BUCKET ** (b + 0.5) / 1000)
                break
        else:
            out.append(math.nan)
    return out


def db_latency(db_url: str) -> tuple[float, float, float]:
    """p50, p99 and max of attendance captured_at → received_at (central's batch write time)."""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), "
                "percentile_cont(0.99) WITHIN GROUP (ORDER BY d), max(d) FROM ("
                "SELECT extract(epoch FROM (received_at::timestamptz - captured_at::timestamptz)) "
                "AS d FROM attendance) AS lat"
            )
        ).one()
    engine.dispose()
    return float(row[0] or 0), float(row[1] or 0), float(row[2] or 0)


def database_size(db_url: str) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    engine.dispose()
    return int(size)


def start_gates(
    work: Path, broker_url: str, devices: Sequence[harness.Device], args: argparse.Namespace
) -> tuple[list[subprocess.Popen[str]], float]:
    """The gate processes, each with an interleaved share (every process spans many sites)."""
    shares = [devices[i :: args.processes] for i in range(args.processes)]
    start = time.time() + 5 + len(devices) / 250  # time for every gate to connect
    procs = []
    for i, share in enumerate(shares):
        path = work / f"gates-{i}.json"
        path.write_text(json.dumps([[d.site, d.device, d.secret.hex()] for d in share]))
        cmd = [
            sys.executable, str(HERE / "rush_gates.py"), broker_url, str(path),
            "--start", f"{start:.3f}", "--seconds", str(args.minutes * 60),
            "--peak", str(args.peak_rate * len(share) / len(devices)),
            "--resend-after", str(args.resend_after), "--drain-timeout", str(args.drain_timeout),
            "--seed", str(i),
        ]  # fmt: skip
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))
    return procs, start


def merge(outputs: list[dict]) -> dict:  # type: ignore[type-arg]
    latency: Counter[int] = Counter()
    results: Counter[str] = Counter()
    per_second: list[int] = []
    for o in outputs:
        latency.update({int(k): v for k, v in o["latency"].items()})
        results.update(o["results"])
        for s, n in enumerate(o["per_second"]):
            while len(per_second) <= s:
                per_second.append(0)
            per_second[s] += n
    keys = ("offered_attendance", "offered_dust", "sent_attendance", "sent_dust", "resent")
    merged = {k: sum(o[k] for o in outputs) for k in (*keys, "unacked", "forged_acks")}
    merged["acks_for_settled"] = sum(o["acks_for_settled"] for o in outputs)
    merged.update(
        latency=latency,
        results=results,
        per_second=per_second,
        max_behind_s=max(o["max_behind_s"] for o in outputs),
        last_send=max(o["last_send"] for o in outputs),
        last_ack=max(o["last_ack"] for o in outputs),
        gates={(s, d): n for o in outputs for s, d, n, _a in o["gates"]},
        unacked_seqs=[tuple(x) for o in outputs for x in o["unacked_seqs"]],
    )
    return merged


def run(
    work: Path, devices: Sequence[harness.Device], args: argparse.Namespace, kill: bool
) -> bool:
    """One rush; prints its figures; True when nothing was lost or doubled and all drained."""
    tag = "kill" if kill else "rush"
    seconds = args.minutes * 60
    print(f"\n== {'one central SIGKILLed halfway, not restarted' if kill else 'two centrals'} ==")
    load0 = os.getloadavg()
    with ExitStack() as stack:
        broker = harness.start_broker(work / f"{tag}-broker")
        stack.callback(broker.stop)
        db_url = stack.enter_context(harness.database("postgresql", work, tag))
        t0 = time.monotonic()
        harness.provision(db_url, devices)
        print(f"provisioned {len(devices)} gates in {time.monotonic() - t0:.1f} s")
        centrals = [
            harness.Central(
                work / f"{tag}-c{i}",
                broker.url,
                db_url,
                "--instance-id",
                f"rush-{i}",
                "--shared-group",
                "rush",
            )
            for i in range(2)
        ]
        for c in centrals:
            c.workdir.mkdir(parents=True, exist_ok=True)
        for c in centrals:  # one after the other: two first starts on a fresh database race
            harness.start_centrals([c])  # on loading the division names (divisions_pkey)
            stack.callback(c.stop)
        size0 = database_size(db_url)
        pids = [c.process.proc.pid for c in centrals if c.process]
        assert broker.proc is not None
        sampler = Sampler([*pids, broker.proc.pid], db_url)  # the broker last
        stack.callback(sampler.stop)
        procs, start = start_gates(work, broker.url, devices, args)
        for p in procs:
            stack.callback(lambda p=p: p.poll() is None and p.kill())
        killed_at = None
        if kill:
            while time.time() < start + seconds / 2:
                if any(p.poll() is not None for p in procs):
                    break
                time.sleep(0.2)  # a wall-clock deadline, not synchronisation
            sampler.killed(1)
            os.kill(pids[1], signal.SIGKILL)
            killed_at = time.time()
            print(f"SIGKILLed central rush-1 (pid {pids[1]}) at t = {killed_at - start:.1f} s")
        outputs = []
        for p in procs:
            out, _ = p.communicate(timeout=seconds + args.drain_timeout + 120)
            if p.returncode != 0:
                raise RuntimeError(f"a gate process failed ({p.returncode})")
            outputs.append(json.loads(out))
        sampler.stop()
        g = merge(outputs)
        survivors = [c for i, c in enumerate(centrals) if not (kill and i == 1)]
        duplicates = sum(harness.metric(c, "sitegate_ingest_duplicates_total") for c in survivors)
        limited = sum(harness.metric(c, "sitegate_ingest_rate_limited_total") for c in survivors)
        dead = sum(harness.metric(c, "sitegate_ingest_dead_letters_total") for c in survivors)
        acct = account(db_url, g["gates"], g["unacked_seqs"])
        p50, p99, worst = db_latency(db_url)
        size1 = database_size(db_url)
    load1 = os.getloadavg()
    report(g, acct, sampler, (p50, p99, worst), (size0, size1), start, seconds, killed_at, args)
    print(
        f"central metrics (live instances): duplicates acked again {duplicates:.0f}, "
        f"rate-limited {limited:.0f}, dead letters {dead:.0f}"
    )
    print(
        f"load average before {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, "
        f"after {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}"
    )
    gone = acct.lost - acct.unacked_missing  # missing with no copy left on any gate
    return gone == 0 and acct.doubled == 0 and acct.unexpected == 0 and g["unacked"] == 0


def report(
    g: dict,  # type: ignore[type-arg]
    acct: Accounting,
    sampler: Sampler,
    db_lat: tuple[float, float, float],
    sizes: tuple[int, int],
    start: float,
    seconds: float,
    killed_at: float | None,
    args: argparse.Namespace,
) -> None:
    offered = g["offered_attendance"] + g["offered_dust"]
    sent = g["sent_attendance"] + g["sent_dust"]
    per = g["per_second"]
    plateau = per[
        int(seconds * rush_gates.UP) + 1 : int(seconds * (rush_gates.UP + rush_gates.TOP))
    ]
    dust_rate = len(g["gates"]) / 10
    peak_offered = args.peak_rate + dust_rate
    peak_sent = sum(plateau) / len(plateau) if plateau else 0.0
    busiest = max((sum(per[i : i + 10]) / 10 for i in range(max(1, len(per) - 9))), default=0)
    print(
        f"offered {offered:,.0f} events ({g['offered_attendance']:,.0f} check-ins, "
        f"{g['offered_dust']:,} dust readings) in {seconds:.0f} s, sent {sent:,} "
        f"({g['sent_attendance']:,} + {g['sent_dust']:,}); at the peak offered "
        f"{peak_offered:,.0f}/s ({args.peak_rate:,.0f} check-ins + {dust_rate:,.0f} dust), "
        f"achieved {peak_sent:,.0f}/s mean over the plateau, busiest 10 s {busiest:,.0f}/s; "
        f"publishers at most {g['max_behind_s']:.2f} s behind the schedule"
    )
    print(
        f"database: stored {acct.stored:,} ({acct.attendance_rows:,} attendance, "
        f"{acct.dust_rows:,} dust), sent {acct.sent:,}, not stored {acct.lost:,} (of which "
        f"{acct.unacked_missing:,} still in the gates' outboxes, unacked; lost for good "
        f"{acct.lost - acct.unacked_missing:,}), doubled {acct.doubled}, unexpected "
        f"{acct.unexpected}; stored but unacked at the end {acct.unacked_stored:,}"
    )
    r = g["results"]
    print(
        f"gates: acks stored {r.get('stored', 0):,}, duplicate {r.get('duplicate', 0):,}"
        + "".join(f", {k} {v:,}" for k, v in r.items() if k not in ("stored", "duplicate"))
        + f"; resends {g['resent']:,}; acks for already settled events "
        f"{g['acks_for_settled']:,}; still unacked at the end {g['unacked']:,}; forged acks "
        f"{g['forged_acks']}"
    )
    a50, a99, amax = percentiles(g["latency"], (0.5, 0.99, 1.0))
    print(
        f"latency captured_at -> stored (central's write time): p50 {db_lat[0] * 1000:.0f} ms, "
        f"p99 {db_lat[1] * 1000:.0f} ms, max {db_lat[2]:.1f} s; captured_at -> ack at the gate: "
        f"p50 {a50 * 1000:.0f} ms, p99 {a99 * 1000:.0f} ms, max {amax:.1f} s"
    )
    *centrals, broker = sampler.usage
    for i, u in enumerate(centrals):
        state = f" (killed at t = {u.killed_at - start:.0f} s)" if u.killed_at else ""
        print(f"central rush-{i}: CPU {u.cpu_s:.1f} s, peak RSS {u.peak_rss:.0f} MiB{state}")
    print(f"Mosquitto: CPU {broker.cpu_s:.1f} s, peak RSS {broker.peak_rss:.0f} MiB")
    grown = sizes[1] - sizes[0]
    print(
        f"PostgreSQL: {sizes[0] / MIB:.1f} MiB -> {sizes[1] / MIB:.1f} MiB, +{grown / MIB:.1f} MiB "
        f"for {acct.stored:,} events = {grown / max(acct.stored, 1) * 1e6 / 2**30:.2f} GiB per "
        f"million events ({grown / max(acct.stored, 1):.0f} B/event)"
    )
    if g["unacked"] == 0 and g["last_ack"]:
        print(f"backlog drained {g['last_ack'] - g['last_send']:.2f} s after the last send")
    else:
        print(f"backlog NOT drained within {args.drain_timeout:.0f} s after the last send")
    if killed_at is not None:
        marks = [killed_at, start + seconds, g["last_send"] + 30, g["last_send"] + 60]
        marks += [g["last_send"] + 120, g["last_ack"]]
        line = []
        for m in marks:
            n = next((n for t, n in sampler.stored if t >= m), sampler.stored[-1][1])
            line.append(f"t={m - start:.0f}s: {n:,}")
        print("stored in the database over time: " + ", ".join(line))


def self_check(work: Path, args: argparse.Namespace) -> None:
    """The accounting sees a deleted row as lost and a second row for one seq as doubled."""
    fake = (
        "INSERT INTO events (event_id, site, device, seq, kind, created_at, received_at, "
        "payload) VALUES (:id, :s, :d, :q, 'attendance', '', '', '')"
    )
    devices = harness.make_devices(args.gates, per_site=max(1, args.gates // args.sites))
    with harness.database("postgresql", work, "check") as db_url:
        harness.provision(db_url, devices)
        engine = create_engine(db_url)
        sent = {d.key: 3 for d in devices[:2]}
        with engine.begin() as conn:
            for (site, device), n in sent.items():
                for seq in range(1, n + 1):
                    conn.execute(
                        text(fake),
                        {"id": f"{site}-{device}-{seq}", "s": site, "d": device, "q": seq},
                    )
        ok = account(db_url, sent)
        with engine.begin() as conn:
            first, second = list(sent)
            conn.execute(
                text("DELETE FROM events WHERE event_id = :i"), {"i": f"{first[0]}-{first[1]}-2"}
            )
            for event_id, seq in (("again", 1), ("stray", 99)):  # one doubled, one not sent
                conn.execute(text(fake), {"id": event_id, "s": second[0], "d": second[1], "q": seq})
        engine.dispose()
        unacked = [(*first, 2), (*second, 3)]  # one deleted (missing), one stored
        bad = account(db_url, {**sent, ("site-x", "gate-x"): 1}, unacked)
    print(f"self-check accounting: intact {ok}; tampered {bad}")
    if (ok.lost, ok.doubled, ok.stored) != (0, 0, 6) or (
        bad.lost,
        bad.doubled,
        bad.unexpected,
        bad.unacked_missing,
        bad.unacked_stored,
    ) != (2, 1, 1, 1, 1):
        sys.exit("self-check: the accounting is wrong")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--gates", type=int, default=2000)
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--peak-rate", type=float, default=1400.0, help="check-ins/s at the peak")
    parser.add_argument("--processes", type=int, default=4, help="gate processes")
    parser.add_argument("--resend-after", type=float, default=5.0, help="a gate's first resend")
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--skip-kill", action="store_true")
    which.add_argument("--only-kill", action="store_true", help="the run with a kill alone")
    parser.add_argument("--self-check", action="store_true", help="tiny run + accounting check")
    args = parser.parse_args()
    if args.self_check:
        args.minutes, args.gates, args.sites, args.peak_rate = 1 / 6, 30, 10, 60.0
        args.processes, args.skip_kill = 2, True
    if args.gates < args.sites:
        parser.error("--gates must be at least --sites")
    per_site = math.ceil(args.gates / args.sites)
    devices = harness.make_devices(args.gates, per_site=per_site)
    print(f"machine: {harness.machine()}")
    print(
        f"rush: {len(devices)} gates on {len({d.site for d in devices})} sites, "
        f"{args.minutes:g} min, peak "
        f"{args.peak_rate:,.0f} check-ins/s, one dust reading per gate every 10 s; "
        f"{args.processes} gate processes; PostgreSQL {harness.PG_ADMIN_URL.rsplit('@', 1)[-1]}"
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    ok = True
    with tempfile.TemporaryDirectory(prefix="sitegate-rush-") as tmp:
        if not args.only_kill:
            ok &= run(Path(tmp), devices, args, kill=False)
        if not args.skip_kill:
            ok &= run(Path(tmp), devices, args, kill=True)
        if args.self_check:
            self_check(Path(tmp), args)
    if not ok:
        sys.exit("events were lost or doubled, or the backlog did not drain in time")


if __name__ == "__main__":
    main()
