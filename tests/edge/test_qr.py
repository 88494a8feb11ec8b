"""Check-in QR tokens: the signed format (wireproto.qr), and the gate reading real QR images.

QR images are made with OpenCV's own encoder and read back by the gate's camera path, on a
640x480 frame with camera noise, as a phone screen held up to the gate would be.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_gate_pipeline import (  # noqa: F401 (enrolled_gallery is a fixture)
    H,
    W,
    enrolled_gallery,
    events,
    gate_config,
    make_gate,
    noisy,
)

from edge.gate import Gate
from wireproto.qr import (
    MAX_TTL_S,
    QrClaims,
    QrTokenBadSignature,
    QrTokenExpired,
    QrTokenMalformed,
    QrTokenNotYetValid,
    QrTokenWrongSite,
    generate_private_key,
    issue_token,
    load_private_key,
    load_public_key,
    private_key_text,
    public_key_text,
    verify_token,
)

CENTRAL = generate_private_key()
PUBLIC = load_public_key(public_key_text(CENTRAL))
T0 = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)


# --- the token format -----------------------------------------------------------------------


def test_a_token_round_trips() -> None:
    token = issue_token(CENTRAL, "site-1", "W-0042", now=T0, ttl_s=120)
    claims = verify_token(token, PUBLIC, "site-1", now=T0 + timedelta(seconds=60))
    assert (claims.site, claims.worker_id, claims.exp - claims.iat) == ("site-1", "W-0042", 120)
    assert token.startswith("SGQ1.") and token.isascii() and len(token) < 300
    other = issue_token(CENTRAL, "site-1", "W-0042", now=T0)
    assert verify_token(other, PUBLIC, "site-1", now=T0).jti != claims.jti  # single-use ids


def test_a_token_from_another_key_is_forged() -> None:
    forged = issue_token(generate_private_key(), "site-1", "W-0042", now=T0)
    with pytest.raises(QrTokenBadSignature):
        verify_token(forged, PUBLIC, "site-1", now=T0)


def test_altered_claims_break_the_signature() -> None:
    import base64
    import json

    prefix, claims, sig = issue_token(CENTRAL, "site-1", "W-0042", now=T0).split(".")
    data = json.loads(base64.urlsafe_b64decode(claims + "=="))
    data["worker_id"] = "W-0666"
    altered = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    with pytest.raises(QrTokenBadSignature):
        verify_token(f"{prefix}.{altered}.{sig}", PUBLIC, "site-1", now=T0)


@pytest.mark.parametrize(
    ("offset_s", "error"),
    [(120 + 31, QrTokenExpired), (-31, QrTokenNotYetValid)],
    ids=["expired", "from-the-future"],
)
def test_a_token_is_short_lived(offset_s: int, error: type[Exception]) -> None:
    token = issue_token(CENTRAL, "site-1", "W-0042", now=T0, ttl_s=120)
    verify_token(token, PUBLIC, "site-1", now=T0 + timedelta(seconds=120 + 30))  # leeway
    with pytest.raises(error):
        verify_token(token, PUBLIC, "site-1", now=T0 + timedelta(seconds=offset_s))


def test_a_token_for_another_site_is_refused() -> None:
    token = issue_token(CENTRAL, "site-2", "W-0042", now=T0)
    with pytest.raises(QrTokenWrongSite):
        verify_token(token, PUBLIC, "site-1", now=T0)


@pytest.mark.parametrize(
    "text", ["", "hello", "SGQ1.a.b", "SGQ1..", "SGQ2.e30.AAAA", "SGQ1.e30.!!!!", "https://x.cn/"]
)
def test_anything_else_is_malformed(text: str) -> None:
    with pytest.raises((QrTokenMalformed, QrTokenBadSignature)):
        verify_token(text, PUBLIC, "site-1", now=T0)


def test_central_cannot_issue_long_lived_tokens() -> None:
    with pytest.raises(ValueError, match="validity"):
        issue_token(CENTRAL, "site-1", "W-0042", now=T0, ttl_s=MAX_TTL_S + 1)
    with pytest.raises(ValueError, match="validity"):
        QrClaims(site="s", worker_id="w", jti="a" * 22, iat=100, exp=100)


def test_public_key_text() -> None:
    text = public_key_text(CENTRAL)
    assert text.startswith("ed25519:") and len(text) == 8 + 43
    with pytest.raises(ValueError, match="ed25519:"):
        load_public_key(text[8:])
    with pytest.raises(ValueError, match="32 bytes"):
        load_public_key("ed25519:AAAA")
    secret = private_key_text(CENTRAL)
    assert secret.startswith("ed25519-private:")
    assert public_key_text(load_private_key(secret)) == text  # central reloads its key


# --- the gate reading codes -----------------------------------------------------------------


def qr_frame(text: str, seed: int = 0) -> np.ndarray:
    """A 640x480 frame with a phone-sized QR code of ``text`` held in it."""
    code = cv2.QRCodeEncoder.create().encode(text)
    code = cv2.resize(code, None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)
    code = cv2.copyMakeBorder(code, 16, 16, 16, 16, cv2.BORDER_CONSTANT, value=255)
    frame = np.full((H, W, 3), 90, np.uint8)
    h, w = code.shape
    frame[60 : 60 + h, 180 : 180 + w] = code[..., None]
    return noisy(frame, np.random.default_rng(seed))


@pytest.fixture
def qr_gate(tmp_path: Path, enrolled_gallery: Path) -> Gate:  # noqa: F811
    gate = make_gate(
        gate_config(
            tmp_path,
            qr={"public_key": public_key_text(CENTRAL), "used_tokens": str(tmp_path / "used.db")},
        ),
        enrolled_gallery,
    )
    yield gate
    gate.close()
    gate.outbox.close()


def qr_decisions(gate: Gate, frame: np.ndarray, at: float) -> list:
    return [d for d in gate.process(gate.config.cameras[0], frame, at) if d.method == "qr"]


def test_a_valid_code_admits_its_worker_once(qr_gate: Gate) -> None:
    frame = qr_frame(issue_token(CENTRAL, "site-1", "W-0042"))
    (first,) = qr_decisions(qr_gate, frame, 0.0)
    assert (first.action, first.worker_id) == ("admit", "W-0042") and first.event_id
    # Held up for a while: seen in every frame, judged once.
    assert qr_decisions(qr_gate, frame, 0.1) == []
    # Shown again later (a photo of the screen): replayed.
    (again,) = qr_decisions(qr_gate, frame, 30.0)
    assert (again.action, again.worker_id, again.reason) == ("refused", None, "replayed")
    (event,) = events(qr_gate)
    assert (event["worker_id"], event["method"], event["distance"]) == ("W-0042", "qr", None)
    assert qr_gate.turnstile.opened == [("cam0", "W-0042")]


def test_a_used_code_stays_used_after_a_restart(qr_gate: Gate) -> None:
    frame = qr_frame(issue_token(CENTRAL, "site-1", "W-0042"))
    assert [d.action for d in qr_decisions(qr_gate, frame, 0.0)] == ["admit"]
    restarted = make_gate(qr_gate.config)
    try:
        (again,) = qr_decisions(restarted, frame, 0.0)
        assert again.reason == "replayed" and events(restarted) == events(qr_gate)[:1]
    finally:
        restarted.close()
        restarted.outbox.close()


def test_a_forged_code_opens_nothing(qr_gate: Gate) -> None:
    forged = issue_token(generate_private_key(), "site-1", "W-0042")
    (decision,) = qr_decisions(qr_gate, qr_frame(forged), 0.0)
    assert (decision.action, decision.reason) == ("refused", "bad_signature")
    assert events(qr_gate) == [] and qr_gate.turnstile.opened == []


def test_a_gate_without_a_key_trusts_no_code(tmp_path: Path) -> None:
    gate = make_gate(gate_config(tmp_path))
    try:
        frame = qr_frame(issue_token(CENTRAL, "site-1", "W-0042"))
        (decision,) = qr_decisions(gate, frame, 0.0)
        assert decision.reason == "not_configured" and events(gate) == []
    finally:
        gate.close()
        gate.outbox.close()
