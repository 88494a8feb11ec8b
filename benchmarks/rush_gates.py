"""One share of a morning rush's gates: sign, publish at QoS 1, wait for acks, resend as gates do.

``rush.py`` starts several of these processes (one cannot keep 1,400 signed check-ins a second
on a loaded 2-core machine and read the acks too). Each drives its gates' MQTT connections
from one thread through a selector (paho's external-loop API), so hundreds of connections cost
no threads. Events are signed the moment they are due, as a gate signs after a capture, with
each gate's own secret and a monotonic ``seq``, so ``captured_at`` is the real send time and
memory holds only what is unacked. An unacked event is resent like the gate's outbox does it
(edge/outbox.py): after ``--resend-after`` seconds, then doubling, capped at 5 minutes.

Prints one JSON line: what was offered and sent, acked, resent, still unacked, per-gate
counts (for the database comparison), a latency histogram, and sends per second.
"""

import argparse
import heapq
import json
import math
import random
import selectors
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt

from wireproto import (
    AttendanceBody,
    DustReadingBody,
    Envelope,
    ProtocolError,
    decode_ack,
    encode_event,
    new_event_id,
    topics,
)
from wireproto.transport import BrokerAddress, new_client

ZONE = ZoneInfo("Asia/Shanghai")
MAX_BACKOFF_S = 300.0  # edge/outbox.py: resends back off up to 5 minutes
BUCKET = 1.05  # latency histogram: buckets 5 % wide, bounded whatever the event count
UP, TOP = 0.4, 0.2  # profile: ramp up over 40 % of the run, peak for 20 %, down for 40 %
BASE = 0.1  # the ramps start and end at 10 % of the peak


def rate_at(u: float, peak: float) -> float:
    """Check-ins per second at fraction ``u`` of the rush: a trapezoid from 10 % to the peak."""
    if u < 0 or u > 1:
        return 0.0
    if u < UP:
        share = u / UP
    elif u <= UP + TOP:
        share = 1.0
    else:
        share = (1 - u) / (1 - UP - TOP)
    return peak * (BASE + (1 - BASE) * share)


def offered_until(u: float, peak: float, seconds: float) -> float:
    """Check-ins the profile offers from its start to fraction ``u`` (the trapezoid's area)."""
    u = min(max(u, 0.0), 1.0)
    down = 1 - UP - TOP
    area = 0.0
    a = min(u, UP)  # ramp up: BASE + (1-BASE) * x/UP
    area += BASE * a + (1 - BASE) * a * a / (2 * UP)
    if u > UP:
        area += min(u, UP + TOP) - UP
    if u > UP + TOP:
        b = u - UP - TOP  # ramp down from 1 to BASE over `down`
        area += b - (1 - BASE) * b * b / (2 * down)
    return area * peak * seconds


@dataclass
class Gate:
    site: str
    device: str
    secret: bytes
    client: mqtt.Client
    seq: int = 0
    sent: int = 0
    acked: int = 0


@dataclass(slots=True)
class Pending:
    gate: int
    seq: int
    topic: str
    payload: bytes
    captured: float  # wall time of capture = first send
    attempts: int = 1


@dataclass
class Tally:
    offered: float = 0.0
    sent_attendance: int = 0
    sent_dust: int = 0
    resent: int = 0
    results: Counter[str] = field(default_factory=Counter)
    forged_acks: int = 0
    unknown_acks: int = 0
    latency: Counter[int] = field(default_factory=Counter)
    per_second: list[int] = field(default_factory=list)
    max_behind_s: float = 0.0
    last_send: float = 0.0
    last_ack: float = 0.0


def bucket(seconds: float) -> int:
    return int(math.log(max(seconds, 1e-4) * 1000) / math.log(BUCKET)) if seconds > 0 else 0


def sign(
    gate: Gate, body: AttendanceBody | DustReadingBody, at: datetime
) -> tuple[str, str, bytes]:
    """The gate's next ``seq``, signed with its own secret: (event id, topic, payload)."""
    gate.seq += 1
    env = Envelope(
        id=new_event_id(),
        site=gate.site,
        device=gate.device,
        seq=gate.seq,
        created_at=at,
        body=body,
    )
    return (
        env.id,
        topics.event_topic(gate.site, gate.device, body.kind),
        encode_event(env, gate.secret),
    )


def attendance(gate: Gate, at: datetime, rng: random.Random) -> AttendanceBody:
    return AttendanceBody(
        worker_id=f"W{gate.site}-{rng.randrange(300):04d}",
        direction="in",
        distance=round(rng.uniform(0.2, 0.45), 4),
        liveness="passed",
        captured_at=at,
    )


def dust(at: datetime, rng: random.Random) -> DustReadingBody:
    return DustReadingBody(
        sensor="pm-1",
        window="1min",
        window_start=at - timedelta(minutes=1),
        window_end=at,
        pm2_5=round(rng.uniform(20, 90), 1),
        pm10=round(rng.uniform(40, 160), 1),
        samples=60,
        expected_samples=60,
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("broker")
    p.add_argument("devices", type=Path, help="JSON [[site, device, secret hex], ...]")
    p.add_argument("--start", type=float, required=True, help="wall time the rush begins")
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--peak", type=float, required=True, help="this share's check-ins/s at peak")
    p.add_argument("--dust-every", type=float, default=10.0)
    p.add_argument("--resend-after", type=float, default=5.0)
    p.add_argument("--drain-timeout", type=float, default=300.0)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    rng = random.Random(args.seed)
    address = BrokerAddress.parse(args.broker)
    sel = selectors.DefaultSelector()
    gates: list[Gate] = []
    pending: dict[str, Pending] = {}
    due: list[tuple[float, str]] = []  # (resend time, event id); stale entries skipped
    tally = Tally()
    writers: set[int] = set()

    def on_message(_c, userdata: int, msg: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        gate = gates[userdata]
        try:
            ack = decode_ack(bytes(msg.payload), gate.secret)
        except ProtocolError:
            tally.forged_acks += 1
            return
        now = time.time()
        tally.last_ack = now
        for r in ack.acks:
            tally.results[r.result] += 1
            if r.result not in ("stored", "duplicate"):
                continue  # the gate keeps it and resends (a refusal would show in results)
            item = pending.pop(r.id, None)
            if item is None:
                tally.unknown_acks += 1  # an ack for a resend already settled
                continue
            gate.acked += 1
            tally.latency[bucket(now - item.captured)] += 1

    def on_connect(client: mqtt.Client, userdata: int, *_a: object) -> None:
        gate = gates[userdata]
        client.subscribe(topics.ack_topic(gate.site, gate.device), qos=1)

    for i, (site, device, secret) in enumerate(json.loads(args.devices.read_text())):
        client = new_client(address, topics.gate_client_id(site, device), clean_session=True)
        client.user_data_set(i)
        client.max_inflight_messages_set(1000)  # edge/uplink.py MAX_IN_FLIGHT
        client.on_message = on_message
        client.on_connect = on_connect
        client.connect(address.host, address.port, keepalive=60)
        sel.register(client.socket(), selectors.EVENT_READ, i)
        gates.append(Gate(site, device, bytes.fromhex(secret), client))
    while time.time() < args.start:  # CONNACK and SUBACK, then wait for the common start
        for key, _ in sel.select(timeout=0.05):
            gates[key.data].client.loop_read()
    if not all(g.client.is_connected() for g in gates):
        sys.exit("rush gates: not every gate was connected at the start")

    def publish(index: int, topic: str, payload: bytes) -> None:
        client = gates[index].client
        client.publish(topic, payload, qos=1)
        if client.want_write():
            writers.add(index)

    dust_sent = 0
    next_misc = time.time() + 1
    end = args.start + args.seconds
    deadline = end + args.drain_timeout
    while True:
        now = time.time()
        t = now - args.start
        if now < end:
            u = t / args.seconds
            offered = offered_until(u, args.peak, args.seconds)
            behind = offered - tally.sent_attendance
            if behind > 1:
                rate = max(rate_at(u, args.peak), 1.0)
                tally.max_behind_s = max(tally.max_behind_s, (behind - 1) / rate)
            while tally.sent_attendance < int(offered) or dust_sent < int(
                t * len(gates) / args.dust_every
            ):
                at = datetime.now(ZONE)
                if tally.sent_attendance < int(offered):
                    index = rng.randrange(len(gates))
                    body: AttendanceBody | DustReadingBody = attendance(gates[index], at, rng)
                    tally.sent_attendance += 1
                else:
                    index = dust_sent % len(gates)
                    body = dust(at, rng)
                    dust_sent += 1
                gate = gates[index]
                event_id, topic, payload = sign(gate, body, at)
                gate.sent += 1
                pending[event_id] = Pending(index, gate.seq, topic, payload, at.timestamp())
                heapq.heappush(due, (at.timestamp() + args.resend_after, event_id))
                publish(index, topic, payload)
                second = int(t)
                while len(tally.per_second) <= second:
                    tally.per_second.append(0)
                tally.per_second[second] += 1
                tally.last_send = time.time()
        elif not pending or now > deadline:
            break
        while due and due[0][0] <= now:
            _, event_id = heapq.heappop(due)
            item = pending.get(event_id)
            if item is None:
                continue
            publish(item.gate, item.topic, item.payload)
            tally.resent += 1
            wait = min(MAX_BACKOFF_S, args.resend_after * 2**item.attempts)
            item.attempts += 1
            heapq.heappush(due, (now + wait, event_id))
        for index in list(writers):
            client = gates[index].client
            client.loop_write()
            if not client.want_write():
                writers.discard(index)
        for key, _ in sel.select(timeout=0.002):
            gates[key.data].client.loop_read()
        if now >= next_misc:  # keepalive pings
            next_misc = now + 1
            for g in gates:
                g.client.loop_misc()
    tally.offered = offered_until(1.0, args.peak, args.seconds)
    for g in gates:
        g.client.disconnect()
    print(
        json.dumps(
            {
                "offered_attendance": tally.offered,
                "offered_dust": int(args.seconds * len(gates) / args.dust_every),
                "sent_attendance": tally.sent_attendance,
                "sent_dust": dust_sent,
                "resent": tally.resent,
                "results": dict(tally.results),
                "forged_acks": tally.forged_acks,
                "acks_for_settled": tally.unknown_acks,
                "unacked": len(pending),
                "latency": {str(k): v for k, v in tally.latency.items()},
                "per_second": tally.per_second,
                "max_behind_s": tally.max_behind_s,
                "last_send": tally.last_send,
                "last_ack": tally.last_ack,
                "gates": [[g.site, g.device, g.sent, g.acked] for g in gates],
                # still in the gates' outboxes: rush.py looks each one up in the database
                "unacked_seqs": [
                    [gates[p.gate].site, gates[p.gate].device, p.seq] for p in pending.values()
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
