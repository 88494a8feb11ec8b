"""Encryption at rest for ID numbers, card numbers and face templates (PIPL art. 51).

One 32-byte master key per deployment, kept outside the database (a 0600 file beside the
SQLite file, or the file named by ``SITEGATE_DATA_KEY_FILE``), so a copied database alone
reveals nothing. Two keys are derived from it with HKDF: one for AES-256-GCM (sealing) and
one for HMAC-SHA256 (a keyed hash, so "is this ID number already registered?" is one indexed
lookup without decrypting every row, and the hash cannot be reversed by trying all IDs).
The Ed25519 key that signs check-in QR tokens is derived from it too.
"""

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_FILE_ENV = "SITEGATE_DATA_KEY_FILE"
_NONCE = 12


class KeyFileError(RuntimeError):
    """The data key file is unreadable or not 32 bytes of hex."""


def key_path_for(db: str) -> Path:
    """Where the master key lives for the database ``db`` (a path or URL)."""
    if os.environ.get(KEY_FILE_ENV):
        return Path(os.environ[KEY_FILE_ENV])
    if "://" in db and not db.startswith("sqlite"):
        return Path.home() / ".config" / "sitegate" / "central-data.key"
    path = db.removeprefix("sqlite:///")
    return Path(path).expanduser().resolve().with_suffix(".key")


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class Sealer:
    """Seal/open small secrets and compute their lookup hashes."""

    def __init__(self, master: bytes) -> None:
        if len(master) != 32:
            raise KeyFileError("the data key must be 32 bytes")
        self._aead = AESGCM(_derive(master, b"sitegate seal v1"))
        self._mac_key = _derive(master, b"sitegate lookup v1")
        self._qr_seed = _derive(master, b"sitegate checkin-qr ed25519 v1")

    @classmethod
    def from_file(cls, path: Path) -> "Sealer":
        """Load the key, creating it (0600) on first use."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
        try:
            return cls(bytes.fromhex(path.read_text().strip()))
        except (OSError, ValueError) as exc:
            raise KeyFileError(f"data key {path}: {exc}") from None

    def seal(self, plaintext: bytes, context: str) -> bytes:
        """``context`` (e.g. ``"id_number"``) is bound in, so a ciphertext cannot be swapped."""
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, sealed: bytes, context: str) -> bytes:
        return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], context.encode())

    def lookup_hash(self, value: str, context: str) -> str:
        return hmac.new(self._mac_key, f"{context}:{value}".encode(), hashlib.sha256).hexdigest()

    def qr_signing_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self._qr_seed)


@lru_cache(maxsize=8)
def sealer_for(db: str) -> Sealer:
    return Sealer.from_file(key_path_for(db))
