"""Broker passwords and their Mosquitto PBKDF2-SHA512 hashes (``$7$`` in the password file).

Mosquitto 2 checks ``$7$<iterations>$<salt b64>$<hash b64>`` itself, so central keeps only
the hash and can rewrite the password file at any time without knowing a password. The
format is the one ``mosquitto_passwd`` writes (tests log in to a real Mosquitto with it).
"""

import base64
import hashlib
import hmac
import secrets

ITERATIONS = 10_000  # mosquitto_passwd uses 101; a gate connects rarely, so afford more
SALT_BYTES = 12


class BadPasswordHash(ValueError):
    """A string that is not a Mosquitto ``$7$`` hash."""


def new_password() -> str:
    """32 random bytes, URL-safe: no character needs quoting in YAML or a URL."""
    return secrets.token_urlsafe(32)


def mosquitto_hash(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, hashed: str) -> bool:
    parts = hashed.split("$")
    if len(parts) != 5 or parts[1] != "7" or not parts[2].isdigit():
        raise BadPasswordHash("expected $7$iterations$salt$hash")
    salt, expected = base64.b64decode(parts[3]), base64.b64decode(parts[4])
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, int(parts[2]))
    return hmac.compare_digest(digest, expected)
