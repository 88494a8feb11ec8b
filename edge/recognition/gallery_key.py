"""The key that encrypts a gate's face templates at rest, derived from the device secret.

Deriving it (HKDF-SHA256) rather than storing it means the key needs no storage of its own and
a gallery copied off a stolen SD card cannot be read without the gate's config, which holds the
secret. The ``info`` label keeps this key apart from every other use of the same secret
(message signing, card hashes). Changing the device secret makes the old gallery unreadable:
the gate then needs a fresh gallery (synced again from central, or enrolled again).
"""

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

GALLERY_KEY_INFO = b"sitegate gallery at rest v1"
GALLERY_KEY_BYTES = 32  # AES-256-GCM


def gallery_key(device_secret: bytes) -> bytes:
    """The gallery key of the gate whose device secret this is (always the same for a secret)."""
    if len(device_secret) < 16:
        raise ValueError("a device secret has at least 16 bytes")
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=GALLERY_KEY_BYTES, salt=None, info=GALLERY_KEY_INFO
    )
    return hkdf.derive(device_secret)
