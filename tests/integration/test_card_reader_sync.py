"""A card registered at central opens a real gate through its card reader; removed, it does not.

``sitegate-central serve`` and ``sitegate-edge run`` over a private Mosquitto; the gate's card
reader is a pseudo-terminal the test types card numbers into, as a USB reader would (the gate
is built by tests/integration/card_gate.py). The card number never appears in either
process's log, the gate's gallery file or central's database.
"""

import os
from pathlib import Path

import pytest
from card_gate import card_gate, reader  # noqa: F401 - fixture

from conftest import have_mosquitto, wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="needs the mosquitto binary")

SITE, DEVICE, WORKER = "site-c", "gate-1", "W-CARD"
CARD = "04 7F 21 AA 9C 31 80"
CARD_PLAIN = CARD.replace(" ", "")


def test_central_card_opens_the_gate_until_removed(
    tmp_path: Path,
    reader: tuple[int, str],  # noqa: F811
) -> None:
    master, port = reader
    with card_gate(tmp_path, port, SITE, DEVICE, WORKER) as at:
        # Registered at central: the gate syncs it and admits the worker by card.
        resp = at.api("POST", f"/workers/{WORKER}/cards", json={"number": CARD, "kind": "nfc"})
        assert resp.status_code == 201, resp.text
        at.synced(resp.json()["sites"][SITE], "the card at the gate")
        os.write(master, CARD.encode() + b"\r\n")  # printed with spaces, as some readers do
        wait_until(at.card_check_ins, 30, "the card check-in at central")
        assert at.card_check_ins() == [WORKER]

        # Removed at central: after the next sync the same card is refused.
        card_id = resp.json()["card"]["id"]
        resp = at.api("DELETE", f"/workers/{WORKER}/cards/{card_id}")
        assert resp.status_code == 200, resp.text
        at.synced(resp.json()["sites"][SITE], "the removal at the gate")
        os.write(master, CARD_PLAIN.encode() + b"\r\n")
        wait_until(lambda: "refused" in at.gate.output(), 30, "the gate to refuse the card")
        assert at.card_check_ins() == [WORKER]
        assert "**********3180 refused" in at.gate.output()  # the log shows the masked card only
    central = at.central.process
    logs = at.gate.output() + (central.output() if central else "")
    assert CARD_PLAIN not in logs and CARD not in logs
    for path in tmp_path.glob("*.db*"):
        assert CARD_PLAIN.encode() not in path.read_bytes(), path
