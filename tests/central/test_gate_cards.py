"""Gate cards registered at central reach the gates of the worker's sites, and leave them.

Central in-process (FastAPI TestClient) over a real SQLite file; the gate's side is the real
gallery sync and card registry on a real gallery file, fed the signed, sealed bytes central
would publish. Two contractors, each with a site and a gate; the card numbers must never be
stored, answered or logged whole.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from factories import SECRET, SUB_USCC, new_db, registered_project, valid_ric
from fastapi.testclient import TestClient

from central.api.app import create_app
from central.audit import entries
from central.gate_commands.gallery import SiteGallery
from central.registry.sealing import Sealer
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database
from central.wages.rules import PayTerms
from conftest import api_headers
from edge.card_reader import CardRegistry
from edge.gallery_sync import GallerySync
from edge.recognition.gallery import Gallery
from edge.recognition.gallery_key import gallery_key
from wireproto.cards import card_hash, card_key
from wireproto.commands import GalleryUpdate, open_changes
from wireproto.signing import verify

NFC = "04 A2 3B 1C 9D 80 00"  # as a reader prints it
NFC_PLAIN = "04A23B1C9D8000"


@dataclass
class GateSide:
    """One gate's gallery file, card registry and sync handler."""

    gallery: Gallery
    cards: CardRegistry
    sync: GallerySync

    def pull(self, service: CentralService, site: str) -> bool:
        message = service.gallery.update_message(site, "gate-1", SECRET, self.sync.version)
        return message is not None and self.sync.handle(message)


def gate(tmp: Path, site: str) -> GateSide:
    path = tmp / f"{site}-gallery.db"
    gallery = Gallery(path, gallery_key(SECRET))
    cards = CardRegistry(path, SECRET)
    return GateSide(gallery, cards, GallerySync(gallery, site, "gate-1", SECRET, cards))


@dataclass
class World:
    client: TestClient
    service: CentralService
    headers: dict[str, dict[str, str]]
    tmp: Path
    enterprise_b: int

    def post(self, role: str, worker: str, body: dict[str, str]):  # type: ignore[no-untyped-def]
        return self.client.post(
            f"/api/v1/workers/{worker}/cards", json=body, headers=self.headers[role]
        )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    db, sealer = new_db(tmp_path)
    terms = PayTerms(pay_kind="daily", rate_fen=36000)
    registered_project(db, sealer, "site-a", {"W1": terms, "W2": terms})
    b = registered_project(db, sealer, "site-b", {"W3": terms}, uscc=SUB_USCC, offset=10)
    url = str(tmp_path / "central.db")
    headers = {
        "admin": api_headers(url, "root", "admin"),
        "manager_a": api_headers(url, "manager-a", "site_manager", project_id="site-a"),
        "boss_b": api_headers(url, "boss-b", "contractor_admin", enterprise_id=b["id"]),
        "worker_w1": api_headers(url, "worker-w1", "worker", worker_id="W1"),
    }
    service = CentralService(CentralSettings(db=url))
    with TestClient(create_app(service, manage_service=False)) as client:
        yield World(client, service, headers, tmp_path, int(b["id"]))  # type: ignore[call-overload]
    db.close()


def test_a_card_registered_at_central_opens_the_workers_gates_until_removed(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gate_a, gate_b = gate(world.tmp, "site-a"), gate(world.tmp, "site-b")
    gate_a.cards.add("LOCAL-0001", "W9")  # registered at the gate by hand: survives syncs

    resp = world.post("manager_a", "W1", {"number": NFC, "kind": "nfc"})
    assert resp.status_code == 201, resp.text
    added = resp.json()
    assert added["card"]["masked"] == "**********8000" and added["card"]["kind"] == "nfc"
    assert list(added["sites"]) == ["site-a"]

    # The gate of W1's site takes the card; the other contractor's gate hears nothing.
    assert gate_a.pull(world.service, "site-a")
    assert gate_a.cards.worker_for(NFC_PLAIN) == "W1"
    assert gate_a.cards.worker_for("04-a2-3b-1c-9d-80-00") == "W1"  # the same card, printed so
    assert gate_a.cards.hints("W1") == ["**********8000"]
    assert gate_a.cards.worker_for("LOCAL-0001") == "W9"
    assert not gate_b.pull(world.service, "site-b")
    assert gate_b.cards.worker_for(NFC_PLAIN) is None

    # What travelled is this gate's keyed hash, never the number.
    message = world.service.gallery.update_message("site-a", "gate-1", SECRET, 0)
    assert message is not None and NFC_PLAIN.encode() not in message
    update = GalleryUpdate.model_validate_json(message)
    sent = {w.worker_id: w.cards for w in open_changes(update, SECRET).cards}
    assert [c.hash for c in sent["W1"]] == [card_hash(card_key(SECRET), NFC_PLAIN)]
    assert list(sent) == ["W1"]  # each delta names the workers whose state changed
    assert card_hash(card_key(b"other secret" * 3), NFC_PLAIN) != sent["W1"][0].hash
    assert verify(update.model_dump(mode="json"), SECRET)

    # The worker's own ID card (GB 11643, checked to be theirs), then a second sync.
    own_id = valid_ric(0)  # registered_project gave W1 the first resident ID
    resp = world.post("manager_a", "W1", {"number": own_id, "kind": "id_card"})
    assert resp.status_code == 201, resp.text
    assert gate_a.pull(world.service, "site-a")
    assert gate_a.cards.worker_for(own_id) == "W1"

    # Removed at central: refused at the gate after the next sync; the other card still opens.
    card_id = added["card"]["id"]
    resp = world.client.delete(
        f"/api/v1/workers/W1/cards/{card_id}", headers=world.headers["manager_a"]
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["card"]["masked"] == "**********8000"
    assert gate_a.pull(world.service, "site-a")
    assert gate_a.cards.worker_for(NFC_PLAIN) is None
    assert gate_a.cards.worker_for(own_id) == "W1"
    assert gate_a.cards.worker_for("LOCAL-0001") == "W9"

    # Employed at the other contractor's site later: the card contractor A registered stays
    # A's (it opens A's sites only), as a face consent given to A would.
    employ = {
        "worker_id": "W1",
        "project_id": "site-b",
        "employer_id": world.enterprise_b,
        "start_date": "2025-07-01",
        "terms": {"pay_kind": "daily", "rate_fen": 36000},
    }
    resp = world.client.post("/api/v1/employments", json=employ, headers=world.headers["admin"])
    assert resp.status_code == 201, resp.text
    gate_b.pull(world.service, "site-b")
    assert gate_b.cards.worker_for(own_id) is None

    # Audit rows name the masked card only; no whole number in the database file or any log.
    with world.service.db.engine.connect() as conn:
        rows = entries(conn, action=None)
    actions = [(r["action"], r["actor"]) for r in rows if str(r["action"]).startswith("gate_")]
    assert actions == [
        ("gate_card.removed", "manager-a"),
        ("gate_card.added", "manager-a"),
        ("gate_card.added", "manager-a"),
    ]
    assert all(NFC_PLAIN not in str(r["detail"]) and own_id not in str(r["detail"]) for r in rows)
    for path in world.tmp.glob("*.db*"):
        data = path.read_bytes()
        assert NFC_PLAIN.encode() not in data and own_id.encode() not in data, path
    assert NFC_PLAIN not in caplog.text and own_id not in caplog.text


def test_card_registration_is_scoped_checked_and_unique(world: World) -> None:
    # Outside the caller's scope: as if the worker did not exist.
    assert world.post("boss_b", "W1", {"number": NFC, "kind": "nfc"}).status_code == 404
    # The worker sees their own cards but does not register them.
    assert world.post("worker_w1", "W1", {"number": NFC, "kind": "nfc"}).status_code == 403
    assert world.post("manager_a", "W1", {"number": NFC, "kind": "nfc"}).status_code == 201
    own = world.client.get("/api/v1/workers/W1/cards", headers=world.headers["worker_w1"])
    assert own.status_code == 200 and [c["masked"] for c in own.json()] == ["**********8000"]
    other = world.client.get("/api/v1/workers/W3/cards", headers=world.headers["manager_a"])
    assert other.status_code == 404

    # One card, one worker: the answer does not say whose it is.
    taken = world.post("manager_a", "W2", {"number": NFC_PLAIN, "kind": "nfc"})
    assert taken.status_code == 409 and "W1" not in taken.text
    again = world.post("manager_a", "W1", {"number": NFC_PLAIN.lower(), "kind": "nfc"})
    assert again.status_code == 409

    # Someone else's resident ID card is refused; malformed numbers are refused unechoed.
    colleague_id = valid_ric(1)
    wrong = world.post("manager_a", "W1", {"number": colleague_id, "kind": "id_card"})
    assert wrong.status_code == 422 and colleague_id not in wrong.text
    for bad in ("12", "1" * 81, "04A2\n3B1C", "卡号12345"):
        resp = world.post("manager_a", "W1", {"number": bad, "kind": "nfc"})
        assert resp.status_code == 422, bad
        assert bad not in resp.text
    assert world.post("manager_a", "W1", {"number": NFC, "kind": "bus"}).status_code == 422

    # Removing a card of another worker, or one that does not exist: 404.
    card_id = own.json()[0]["id"]
    resp = world.client.delete(
        f"/api/v1/workers/W2/cards/{card_id}", headers=world.headers["manager_a"]
    )
    assert resp.status_code == 404
    resp = world.client.delete(
        f"/api/v1/workers/W1/cards/{card_id}", headers=world.headers["boss_b"]
    )
    assert resp.status_code == 404
    resp = world.client.delete(
        f"/api/v1/workers/W1/cards/{card_id}", headers=world.headers["worker_w1"]
    )
    assert resp.status_code == 403


def test_a_card_change_bumps_the_row_and_keeps_the_face(database: Database) -> None:
    gallery = SiteGallery(database, Sealer(bytes(32)))
    face = [0.01 * i for i in range(128)]
    assert gallery.put_worker("site-t", "W1", [face]) == 1
    assert gallery.touch_worker("site-t", "W1") == 2  # W1's cards changed
    assert gallery.touch_worker("site-t", "W2") == 3  # W2 has cards and no face
    delta = gallery.changes_since("site-t", 1)
    assert delta.workers == ("W1", "W2") and delta.to_version == 3
    assert [w.worker_id for w in delta.changes.upserts] == ["W1"]  # the template is still sent
    assert delta.changes.removals == ["W2"] and gallery.workers("site-t") == ["W1"]


def test_another_employer_can_neither_use_nor_remove_a_card_it_did_not_register(
    world: World,
) -> None:
    """The attack: enterprise B, which also employs W1, tries to send the card contractor A
    registered to B's gates, to list it, and to remove it so W1 cannot enter A's site."""
    gate_a, gate_b = gate(world.tmp, "site-a"), gate(world.tmp, "site-b")
    employ = {
        "worker_id": "W1",
        "project_id": "site-b",
        "employer_id": world.enterprise_b,
        "start_date": "2025-07-01",
        "terms": {"pay_kind": "daily", "rate_fen": 36000},
    }
    assert (
        world.client.post(
            "/api/v1/employments", json=employ, headers=world.headers["admin"]
        ).status_code
        == 201
    )
    a_card = world.post("manager_a", "W1", {"number": NFC, "kind": "nfc"})
    assert a_card.status_code == 201, a_card.text
    a_id = a_card.json()["card"]["id"]

    # B sees W1 (it employs him) but not A's card, and cannot remove it: 404, not 403.
    listed = world.client.get("/api/v1/workers/W1/cards", headers=world.headers["boss_b"])
    assert listed.status_code == 200 and listed.json() == []
    gone = world.client.delete(f"/api/v1/workers/W1/cards/{a_id}", headers=world.headers["boss_b"])
    assert gone.status_code == 404
    assert gate_a.pull(world.service, "site-a")
    assert gate_a.cards.worker_for(NFC_PLAIN) == "W1"
    gate_b.pull(world.service, "site-b")
    assert gate_b.cards.worker_for(NFC_PLAIN) is None  # A's card does not open B's gates

    # B's own card for W1 opens B's site only; A does not see it.
    b_card = world.post("boss_b", "W1", {"number": "04 11 22 33 44 55 66", "kind": "nfc"})
    assert b_card.status_code == 201, b_card.text
    assert list(b_card.json()["sites"]) == ["site-a", "site-b"]  # both galleries re-checked
    assert gate_b.pull(world.service, "site-b")
    assert gate_b.cards.worker_for("04112233445566") == "W1"
    gate_a.pull(world.service, "site-a")
    assert gate_a.cards.worker_for("04112233445566") is None
    mine = world.client.get("/api/v1/workers/W1/cards", headers=world.headers["manager_a"])
    assert [c["id"] for c in mine.json()] == [a_id]
    every = world.client.get("/api/v1/workers/W1/cards", headers=world.headers["admin"])
    assert len(every.json()) == 2
