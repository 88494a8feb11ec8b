"""The gate's card registry under central's sync: real gallery files, real sealed deltas."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from edge.card_reader import CardRegistry
from edge.gallery_sync import GallerySync
from edge.recognition.gallery import Gallery
from edge.recognition.gallery_key import gallery_key
from wireproto.cards import card_hash, card_key, mask
from wireproto.commands import (
    GalleryChanges,
    GalleryUpdate,
    GateCard,
    WorkerCards,
    encode_signed,
    seal_changes,
)

SECRET = bytes(range(32))
SITE, DEVICE = "site-k", "gate-1"


def entry(number: str) -> tuple[str, str]:
    return card_hash(card_key(SECRET), number), mask(number)


def test_a_gate_added_card_hashes_as_central_sends_it(tmp_path: Path) -> None:
    cards = CardRegistry(tmp_path / "gallery.db", SECRET)
    assert cards.add("4501 0219 9001 0112 34", "W-7") == "**************1234"
    row = cards.db.execute("SELECT card_hash, hint, source FROM cards").fetchone()
    assert row == (*entry("450102199001011234"), "local")
    cards.close()


def test_central_sets_replace_only_central_cards_of_the_named_workers(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    with sqlite3.connect(path) as conn:  # a gallery file from before central cards
        conn.execute(
            "CREATE TABLE cards (card_hash TEXT PRIMARY KEY, worker_id TEXT NOT NULL,"
            " hint TEXT, added_at TEXT)"
        )
        h, hint = entry("LOCAL0001")
        conn.execute("INSERT INTO cards VALUES (?, 'W-1', ?, '2025-01-01')", [h, hint])
    cards = CardRegistry(path, SECRET)
    assert cards.worker_for("local-0001") == "W-1"

    cards.apply_central({"W-1": [entry("AAAA1111")], "W-2": [entry("BBBB2222")]})
    cards.apply_central({"W-1": [entry("AAAA1111")], "W-2": [entry("BBBB2222")]})  # again
    assert cards.hints("W-1") == ["*****0001", "****1111"]
    assert cards.worker_for("BBBB2222") == "W-2"

    # The card moves to W-3; W-2 now has none; W-1's hand-added card stays.
    cards.apply_central({"W-2": [], "W-3": [entry("BBBB2222")]})
    assert cards.worker_for("BBBB2222") == "W-3" and cards.hints("W-2") == []
    cards.apply_central({"W-1": []})
    assert cards.worker_for("AAAA1111") is None and cards.worker_for("LOCAL0001") == "W-1"
    cards.close()


def update(changes: GalleryChanges, to_version: int) -> bytes:
    message = GalleryUpdate(
        site=SITE,
        device=DEVICE,
        from_version=0,
        to_version=to_version,
        sealed=seal_changes(changes, SECRET, SITE, DEVICE, 0, to_version),
        issued_at=datetime.now(UTC),
    )
    return encode_signed(message, SECRET)


def test_a_gate_without_a_card_registry_does_not_skip_cards(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    gallery = Gallery(path, gallery_key(SECRET))
    h, hint = entry("AAAA1111")
    changes = GalleryChanges(
        cards=[WorkerCards(worker_id="W-1", cards=[GateCard(hash=h, hint=hint)])]
    )
    blind = GallerySync(gallery, SITE, DEVICE, SECRET)
    assert blind.handle(update(changes, 1)) is False and blind.version == 0  # asked again later

    cards = CardRegistry(path, SECRET)
    sync = GallerySync(gallery, SITE, DEVICE, SECRET, cards)
    assert sync.handle(update(changes, 1)) is True and sync.version == 1
    assert cards.worker_for("AAAA1111") == "W-1"
    cards.close()
    gallery.close()
