"""The wire protocol: signatures a third party can reproduce, and one reason per failure."""

import contextlib
import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wireproto import (
    Ack,
    AckResult,
    AttendanceBody,
    Envelope,
    ProtocolError,
    canonical_bytes,
    decode_ack,
    decode_event,
    encode_ack,
    encode_event,
    new_event_id,
    topics,
)

CST = timezone(timedelta(hours=8))
SECRET = bytes.fromhex("11" * 32)
OTHER = bytes.fromhex("22" * 32)


def secrets(site: str, device: str) -> bytes | None:
    return {("s1", "g1"): SECRET, ("s1", "g2"): OTHER}.get((site, device))


def envelope(**body: object) -> Envelope:
    at = datetime(2026, 11, 26, 7, 58, 3, 120000, tzinfo=CST)
    fields = {"worker_id": "W0001", "direction": "in", "distance": 0.4123, "captured_at": at}
    return Envelope(
        id=new_event_id(),
        site="s1",
        device="g1",
        seq=7,
        created_at=at,
        body=AttendanceBody(**{**fields, **body}),
    )


def test_round_trip_keeps_every_field() -> None:
    env = envelope()
    decoded = decode_event(encode_event(env, SECRET), secrets, "s1", "g1")
    assert decoded.model_dump(exclude={"sig"}) == env.model_dump(exclude={"sig"})
    assert decoded.body.captured_at.utcoffset() == timedelta(hours=8)


def test_tampered_body_fails_signature() -> None:
    obj = json.loads(encode_event(envelope(), SECRET))
    obj["body"]["worker_id"] = "W9999"
    with pytest.raises(ProtocolError) as err:
        decode_event(json.dumps(obj).encode(), secrets)
    assert err.value.reason == "bad_signature"


def test_a_device_cannot_speak_for_another() -> None:
    # g2 signs with its own secret but claims to be g1: the signature is checked with g1's.
    payload = encode_event(envelope(), OTHER)
    with pytest.raises(ProtocolError) as err:
        decode_event(payload, secrets, "s1", "g1")
    assert err.value.reason == "bad_signature"
    # ... and publishing a correct g1 event on g2's topic is a mismatch.
    with pytest.raises(ProtocolError) as err:
        decode_event(encode_event(envelope(), SECRET), secrets, "s1", "g2")
    assert err.value.reason == "topic_mismatch"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b"[1, 2]", "not_an_object"),
        (b'{"v": 2, "id": "x"}', "unsupported_version"),
        (b'{"v": "1"}', "unsupported_version"),
        (b'{"v": 1, "id": "x"}', "invalid_schema"),
        (b"[" * 100_000, "too_large"),
        (b"[" * 50_000 + b"]" * 50_000, "too_large"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "malformed_json"),
    ],
)
def test_bad_payloads_have_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError) as err:
        decode_event(payload, secrets)
    assert err.value.reason == reason


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (("v",), True, "unsupported_version"),
        (("v",), 1.0, "unsupported_version"),
        (("seq",), "7", "invalid_schema"),
        (("seq",), 2**63, "invalid_schema"),
        (("seq",), -1, "invalid_schema"),
        (("created_at",), 1764115083, "invalid_schema"),
        (("created_at",), "2026-11-26T07:58:03", "invalid_schema"),  # no UTC offset
        (("body", "distance"), "0.41", "invalid_schema"),
        (("body", "kind"), "payroll", "invalid_schema"),
    ],
)
def test_lax_forms_are_refused(path: tuple[str, ...], value: object, reason: str) -> None:
    """Only the strict JSON forms are valid, so every implementation agrees on validity."""
    obj = json.loads(encode_event(envelope(), SECRET))
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ProtocolError) as err:
        decode_event(json.dumps(obj).encode(), secrets)
    assert err.value.reason == reason


def test_unknown_device() -> None:
    env = envelope().model_copy(update={"device": "g9"})
    with pytest.raises(ProtocolError) as err:
        decode_event(encode_event(env, SECRET), secrets)
    assert err.value.reason == "unknown_device"


def test_extra_fields_are_refused_not_ignored() -> None:
    obj = json.loads(encode_event(envelope(), SECRET))
    obj["body"]["bonus"] = 1
    with pytest.raises(ProtocolError) as err:
        decode_event(json.dumps(obj).encode(), secrets)
    assert err.value.reason == "invalid_schema"


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl not installed")
def test_openssl_reproduces_the_signature() -> None:
    """docs/protocol.md promises a gate can be written with openssl: check the recipe."""
    payload = encode_event(envelope(), SECRET)
    obj = json.loads(payload)
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt", f"hexkey:{SECRET.hex()}"],
        input=canonical_bytes(obj),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert out.strip().split()[-1] == obj["sig"]


def test_canonical_form_is_sorted_and_compact() -> None:
    assert canonical_bytes({"b": 1, "a": {"d": "工地", "c": 0.5}, "sig": "x"}) == (
        '{"a":{"c":0.5,"d":"工地"},"b":1}'.encode()
    )


def test_ids_sort_by_creation() -> None:
    ids = [new_event_id() for _ in range(2000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_ack_is_signed_by_central_for_that_device() -> None:
    ack = Ack(acks=[AckResult(id=new_event_id(), result="stored")], at=datetime.now(CST))
    payload = encode_ack(ack, SECRET)
    assert decode_ack(payload, SECRET).acks == ack.acks
    with pytest.raises(ProtocolError):
        decode_ack(payload, OTHER)


def test_topics_round_trip_and_refuse_wildcards() -> None:
    t = topics.event_topic("site-1", "gate.01", "attendance")
    assert topics.parse_topic(t) == ("site-1", "gate.01", "events", "attendance")
    assert topics.parse_topic("sitegate/v1/s/d/status") == ("s", "d", "status", None)
    assert topics.parse_topic("sitegate/v1/s/d/events") is None
    assert topics.parse_topic("other/v1/s/d/status") is None
    for bad in ("a/b", "+", "#", "", "x" * 65):
        with pytest.raises(topics.InvalidIdentifier):
            topics.check_id(bad)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=512),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
            lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids),
            max_leaves=30,
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_decode_never_raises_anything_but_protocol_error(payload: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_event(payload, secrets)


def test_importing_protocol_or_central_loads_no_vision_libraries() -> None:
    code = (
        "import sys, wireproto, central, central.cli.app, central.api.app, central.service, "
        "firmware_config, edge.cli.app; "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('cv2', 'dlib')); "
        "print(heavy); sys.exit(bool(heavy))"
    )
    import sys

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_layout_gets_the_same_signature_check() -> None:
    """Compact canonical JSON and any other layout of the same object verify alike."""
    payload = encode_event(envelope(), SECRET)
    assert b',"sig":"' in payload  # the reference encoding: keys sorted, sig in its place
    assert decode_event(payload, secrets, "s1", "g1").body.worker_id == "W0001"
    indented = json.dumps(json.loads(payload), indent=2).encode()  # same object, other bytes
    assert decode_event(indented, secrets, "s1", "g1").body.worker_id == "W0001"
    for tampered in (
        payload.replace(b'"W0001"', b'"W0002"'),
        payload.replace(b'"seq":7', b'"seq":8'),
        re.sub(rb'("sig":")(.)', lambda m: m[1] + (b"0" if m[2] != b"0" else b"1"), payload),
    ):
        with pytest.raises(ProtocolError) as err:
            decode_event(tampered, secrets, "s1", "g1")
        assert err.value.reason == "bad_signature"
    with pytest.raises(ProtocolError) as err:
        decode_event(payload, secrets, "s1", "g2")  # the first failing step names the reason
    assert err.value.reason == "topic_mismatch"
