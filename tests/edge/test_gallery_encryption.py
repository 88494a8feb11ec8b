"""Face templates encrypted at rest in the gate's gallery (edge/recognition/gallery.py).

Most tests use synthetic encodings (no dlib); the CLI test encodes two fixture photos.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml
from db_fixtures import fresh_database
from factories import SYNC_DEVICE as DEVICE
from factories import SYNC_SECRET as SECRET
from factories import SYNC_SITE as SITE
from factories import face
from typer.testing import CliRunner

from central.gate_commands.gallery import SiteGallery
from central.provisioning.gate_file import starter_config
from central.registry.sealing import Sealer
from central.storage import Database
from edge.gallery_sync import GallerySync
from edge.recognition import gallery as gallery_module
from edge.recognition.gallery import (
    Gallery,
    GalleryKeyMissing,
    GalleryKeyWrong,
    GalleryTampered,
)
from edge.recognition.gallery_key import gallery_key

FACES = Path(__file__).parents[1] / "fixtures" / "faces"
KEY = gallery_key(SECRET)
RNG = np.random.default_rng(11)


def unit() -> np.ndarray:
    v = RNG.normal(size=128)
    return v / np.linalg.norm(v) * 0.6


def raw(encoding: np.ndarray | list[float]) -> bytes:
    """A template as a plain gallery stores it (float32, little-endian)."""
    return np.asarray(encoding, dtype="<f4").tobytes()


def file_bytes(path: Path) -> bytes:
    """The database and whatever WAL/SHM files exist beside it."""
    parts = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


def leaks(path: Path, encodings: list[np.ndarray]) -> list[int]:
    """Indices of encodings any 32-byte piece of which is in the files (none: nothing leaks)."""
    data = file_bytes(path)
    return [
        i
        for i, e in enumerate(encodings)
        if any(raw(e)[at : at + 32] in data for at in range(0, 512, 32))
    ]


def test_gallery_key_is_derived_from_the_device_secret() -> None:
    assert len(KEY) == 32 and gallery_key(SECRET) == KEY
    assert gallery_key(bytes(range(1, 33))) != KEY
    assert KEY not in (SECRET, SECRET[:32])


def test_template_bytes_are_nowhere_in_the_files(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    encodings = [unit() for _ in range(4)]
    g = Gallery(path, KEY)
    assert g.encrypted
    g.add("A", encodings[:2], name="Ann")
    g.apply_sync([("B", "Bo", encodings[2:])], [], synced_version=1)
    assert leaks(path, encodings) == []  # while open: the database and its WAL
    blob = g.db.execute("SELECT encoding FROM templates LIMIT 1").fetchone()[0]
    assert len(blob) == 12 + 512 + 16  # nonce, ciphertext, tag
    g.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert leaks(path, encodings) == []
    g.close()
    assert leaks(path, encodings) == []
    with Gallery(path, KEY) as again:
        assert again.snapshot().match(encodings[3] + 0.01).worker_id == "B"


def test_a_missing_or_wrong_key_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    with Gallery(path, KEY) as g:
        g.add("A", [unit()])
    with pytest.raises(GalleryKeyMissing, match=r"gallery .* is encrypted"):
        Gallery(path)
    with pytest.raises(GalleryKeyWrong, match="wrong key"):
        Gallery(path, gallery_key(bytes(range(1, 33))))
    with Gallery(path, KEY) as g:  # neither attempt changed anything
        assert g.worker_ids() == ["A"] and g.version == 1


def test_a_plain_gallery_is_encrypted_in_place_on_first_open_with_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a SQLite built without SECURE_DELETE: freed cells and pages keep their old bytes,
    # so only the VACUUM after the migration removes the plaintext.
    connect = sqlite3.connect

    def insecure_connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)  # type: ignore[arg-type]
        conn.execute("PRAGMA secure_delete = OFF")
        return conn

    monkeypatch.setattr(sqlite3, "connect", insecure_connect)
    path = tmp_path / "gallery.db"
    alice, bob = unit(), unit()
    gone = [unit() for _ in range(40)]
    with Gallery(path) as lab:  # enrolled in the lab, unencrypted
        lab.add("ALICE", [alice])
        lab.add("BOB", [bob])
        lab.add("GONE", gone)
        lab.remove_worker("GONE")  # its plaintext lingers in freed cells and free pages
        plain_reader = Gallery(path)  # e.g. a lab tool still open
        assert plain_reader.snapshot().match(alice).worker_id == "ALICE"
        assert leaks(path, [alice, bob, *gone]) != []  # the premise: plaintext in the file
        version = lab.version

    with Gallery(path, KEY) as gate:
        assert gate.version == version + 1  # one transaction, one version
        assert leaks(path, [alice, bob, *gone]) == []  # vacuumed: no old page survives
        assert gate.snapshot().match(alice + 0.01).worker_id == "ALICE"
        assert gate.snapshot().match(bob).worker_id == "BOB"

    # The reader opened before the migration refuses, rather than reading ciphertext as floats.
    with pytest.raises(GalleryKeyMissing):
        plain_reader.snapshot()
    with pytest.raises(GalleryKeyMissing):
        plain_reader.add("EVE", [unit()])
    plain_reader.close()

    with Gallery(path, KEY) as gate:  # already encrypted: opened as is
        assert gate.version == version + 1 and gate.template_count() == 2
    assert leaks(path, [alice, bob, *gone]) == []


def test_a_scrub_held_up_by_a_reader_is_finished_at_the_next_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gallery_module, "_SCRUB_WAIT_MS", 50)  # not 2 s for the reader to go
    path = tmp_path / "gallery.db"
    encodings = [unit() for _ in range(20)]
    with Gallery(path) as lab:
        lab.add("A", encodings)
    reader = sqlite3.connect(path, isolation_level=None)  # a lab tool mid-read
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM templates").fetchone()
    with Gallery(path, KEY) as gate:  # encrypted, but the old pages cannot be dropped yet
        assert gate.snapshot().match(encodings[0]).worker_id == "A"
    reader.execute("COMMIT")
    reader.close()
    with Gallery(path, KEY) as gate:
        assert gate.version == 2
    assert leaks(path, encodings) == []


def test_blobs_swapped_between_workers_fail_to_decrypt(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    with Gallery(path, KEY) as g:
        g.add("A", [unit()])
        g.add("B", [unit()])
    with sqlite3.connect(path) as conn:  # someone with the SD card swaps the two blobs
        (a, blob_a), (b, blob_b) = conn.execute(
            "SELECT id, encoding FROM templates ORDER BY worker_id"
        ).fetchall()
        conn.executemany(
            "UPDATE templates SET encoding = ? WHERE id = ?", [(blob_b, a), (blob_a, b)]
        )
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")
    conn.close()
    with Gallery(path, KEY) as g, pytest.raises(GalleryTampered, match="fails authentication"):
        g.snapshot()


@pytest.fixture
def central_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    db = fresh_database("sqlite", request, tmp_path)
    yield db
    db.close()


def test_gallery_sync_into_an_encrypted_gallery(tmp_path: Path, central_db: Database) -> None:
    central = SiteGallery(central_db, Sealer(bytes(32)))
    alice, bob = face(), face()
    central.put_worker(SITE, "ALICE", [alice])
    central.put_worker(SITE, "BOB", [bob])
    path = tmp_path / "gallery.db"
    gallery = Gallery(path, KEY)
    sync = GallerySync(gallery, SITE, DEVICE, SECRET)
    assert sync.handle(central.update_message(SITE, DEVICE, SECRET, 0)) is True  # type: ignore[arg-type]
    assert sync.version == 2 and gallery.worker_ids() == ["ALICE", "BOB"]
    assert gallery.snapshot().match(np.asarray(bob) + 0.01).worker_id == "BOB"
    central.remove_worker(SITE, "BOB")
    assert sync.handle(central.update_message(SITE, DEVICE, SECRET, 2)) is True  # type: ignore[arg-type]
    assert gallery.snapshot().match(bob).worker_id is None
    gallery.close()
    assert leaks(path, [np.asarray(alice), np.asarray(bob)]) == []
    with Gallery(path, KEY) as again:
        assert again.synced_version == 3
        assert again.snapshot().match(alice).worker_id == "ALICE"


def test_cli_enroll_and_identify_with_the_gate_config(tmp_path: Path) -> None:
    from edge.cli.app import app

    runner = CliRunner()
    config = tmp_path / "gate.yaml"
    config.write_text(yaml.safe_dump(starter_config(SITE, DEVICE, SECRET.hex(), "mqtt://x:1883")))
    gallery = tmp_path / "gallery.db"  # relative "gallery.db" in the config: beside it

    enrolled = runner.invoke(
        app, ["enroll", "--config", str(config), "--worker", "W-obama", str(FACES / "obama/1.jpg")]
    )
    assert enrolled.exit_code == 0, enrolled.output
    assert enrolled.stdout.startswith("enrolled W-obama: 1 photo added (gallery version ")
    with Gallery(gallery, KEY) as g:
        assert g.worker_ids() == ["W-obama"]

    probe = str(FACES / "obama" / "2.jpg")
    found = runner.invoke(app, ["identify", "--config", str(config), probe, "--json"])
    assert found.exit_code == 0, found.output
    result = json.loads(found.stdout)
    assert set(result) == {"image", "faces"} and result["image"] == probe
    assert [(f["worker_id"], set(f)) for f in result["faces"]] == [
        ("W-obama", {"worker_id", "distance", "box"})
    ]

    refused = runner.invoke(app, ["identify", "--gallery", str(gallery), probe, "--json"])
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr == (
        f"error: gallery {gallery} is encrypted: pass --config with the gate's config to open it\n"
    )
