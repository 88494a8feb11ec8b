"""Central → gate commands and the gate's sync report: config push and gallery sync, v1.

This is state synchronisation, not fire-and-forget commands. A gate reports the config version
and the gallery version it has applied (on connect, with every heartbeat and after each change)
on ``…/sync``; central answers on ``…/cmd/config`` and ``…/cmd/gallery`` with whatever brings
it up to date. A lost command is repaired by the next report, a restart loses nothing, and a
command applied twice changes nothing.

Every message is signed like an event (canonical JSON, HMAC-SHA256 under the device's secret),
so a gate obeys only central and central believes only the gate. Face templates are biometric
data: a gallery update also seals them with AES-GCM under a key derived from the device secret,
so neither the broker nor another device can read them (``cryptography`` is imported only by
the functions that seal and open).
"""

import base64
import os
from typing import Annotated, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from wireproto.cards import HASH_PATTERN, HINT_PATTERN
from wireproto.codec import ProtocolError, _dumps, _schema_error, check_version, load_object
from wireproto.messages import PROTOCOL_VERSION, Id, WorkerId
from wireproto.signing import sign, verify

CONFIG = "config"
GALLERY = "gallery"
MAX_COMMAND_BYTES = 4 * 1024 * 1024
TEMPLATE_BYTES = 512  # 128 little-endian float32
MAX_CARDS = 8  # cards per worker: an ID card, a site NFC card and replacements

Sig = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Version = Annotated[int, Field(ge=0, le=2**62)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RecognitionSettings(_Strict):
    """The recognition knobs central may change remotely; None keeps the gate's own value."""

    threshold: Annotated[float, Field(gt=0, le=1.0)] | None = Field(
        None, description="max face distance to accept (lower: stricter)"
    )
    margin: Annotated[float, Field(ge=0, le=1.0)] | None = Field(
        None, description="best match must beat the next person by this"
    )


class RemoteSettings(_Strict):
    """A config overlay: the fields set here replace the gate file's values."""

    recognition: RecognitionSettings = Field(default_factory=RecognitionSettings)
    debounce_s: Annotated[float, Field(ge=0, le=86_400)] | None = Field(
        None, description="same worker, same gate: one event per window"
    )
    liveness: Literal["off", "normal", "strict"] | None = Field(
        None, description="anti-spoofing: off, or required at this strictness"
    )
    dust_profile: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")] | None = Field(
        None,
        description="the dust limit profile to judge readings by (a name the gate ships, "
        "firmware_config/dust_profiles.py); a gate without a dust monitor refuses it",
    )


class ConfigPush(_Strict):
    """Central → ``…/cmd/config``: the whole overlay at ``version`` (not a diff)."""

    v: Literal[1] = PROTOCOL_VERSION
    kind: Literal["config"] = "config"
    site: Id
    device: Id
    version: Annotated[int, Field(ge=1, le=2**62)]
    settings: RemoteSettings
    issued_at: AwareDatetime
    sig: Sig | None = None


class WorkerTemplates(_Strict):
    """One worker as the gallery should hold them: these templates replace any others."""

    worker_id: WorkerId
    name: Annotated[str, Field(max_length=128)] | None = None
    templates: list[str] = Field(min_length=1, max_length=32, description="base64 float32 LE")


class GateCard(_Strict):
    """One ID/NFC card as a gate matches it: never the number (wireproto/cards.py)."""

    hash: Annotated[str, Field(pattern=HASH_PATTERN)] = Field(
        description="HMAC-SHA256 of the normalised number under this device's card key"
    )
    hint: Annotated[str, Field(max_length=64, pattern=HINT_PATTERN)] = Field(
        description="the number masked to its last four characters, for the site office"
    )


class WorkerCards(_Strict):
    """A worker's cards at this gate: exactly these (an empty list: none any more)."""

    worker_id: WorkerId
    cards: list[GateCard] = Field(default_factory=list, max_length=MAX_CARDS)


class GalleryChanges(_Strict):
    """What is sealed inside a :class:`GalleryUpdate`.

    ``upserts`` and ``removals`` are face templates; ``cards`` carries the card set of every
    worker whose state at the site changed, independently of faces (a worker without face
    consent checks in by card alone; withdrawing consent removes the face, not the card).
    """

    upserts: list[WorkerTemplates] = Field(default_factory=list)
    removals: list[WorkerId] = Field(default_factory=list)
    cards: list[WorkerCards] = Field(default_factory=list)


class GalleryUpdate(_Strict):
    """Central → ``…/cmd/gallery``: the site gallery's changes in (from_version, to_version].

    A device at version ``v`` applies it when ``from_version <= v < to_version``: each worker
    appears once with their latest state, so re-applying an overlap is harmless.
    """

    v: Literal[1] = PROTOCOL_VERSION
    kind: Literal["gallery"] = "gallery"
    site: Id
    device: Id
    from_version: Version
    to_version: Version
    more: bool = Field(False, description="further changes follow the device's next report")
    sealed: str = Field(description="base64(nonce ‖ AES-GCM(GalleryChanges JSON))")
    issued_at: AwareDatetime
    sig: Sig | None = None


class SyncReport(_Strict):
    """Device → ``…/sync``: what it has applied, so central knows what to send."""

    v: Literal[1] = PROTOCOL_VERSION
    kind: Literal["sync"] = "sync"
    site: Id
    device: Id
    config_version: Version
    config_error: Annotated[str, Field(max_length=200)] | None = None
    config_rejected: Version | None = Field(None, description="a pushed version it refused")
    gallery_version: Version
    at: AwareDatetime
    sig: Sig | None = None


Signed = TypeVar("Signed", ConfigPush, GalleryUpdate, SyncReport)


def encode_signed(message: BaseModel, secret: bytes) -> bytes:
    obj = message.model_dump(mode="json", exclude={"sig"})
    obj["sig"] = sign(obj, secret)
    return _dumps(obj)


def decode_signed(payload: bytes, model: type[Signed], secret: bytes) -> Signed:
    """Version, signature, then schema: nothing unsigned is even parsed into a model."""
    obj = load_object(payload, MAX_COMMAND_BYTES)
    check_version(obj)
    if not verify(obj, secret):
        raise ProtocolError("bad_signature")
    try:
        return model.model_validate_json(payload, strict=True)  # as strict as events
    except ValidationError as exc:
        raise _schema_error(exc) from None


def peek_identity(payload: bytes) -> tuple[str, str] | None:
    """(site, device) a message claims, to find the secret that must verify it."""
    try:
        obj = load_object(payload, MAX_COMMAND_BYTES)
    except ProtocolError:
        return None
    site, device = obj.get("site"), obj.get("device")
    return (site, device) if isinstance(site, str) and isinstance(device, str) else None


# -- sealing -------------------------------------------------------------------------------


def _gallery_key(secret: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(hashes.SHA256(), 32, salt=None, info=b"sitegate v1 gallery").derive(secret)


def _aad(site: str, device: str, from_version: int, to_version: int) -> bytes:
    # Binds the ciphertext to its header: a sealed delta cannot be replayed under other versions.
    return f"{site}/{device}/{from_version}/{to_version}".encode()


def seal_changes(
    changes: GalleryChanges,
    secret: bytes,
    site: str,
    device: str,
    from_version: int,
    to_version: int,
) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    plain = changes.model_dump_json().encode("utf-8")
    sealed = AESGCM(_gallery_key(secret)).encrypt(
        nonce, plain, _aad(site, device, from_version, to_version)
    )
    return base64.b64encode(nonce + sealed).decode("ascii")


def open_changes(update: GalleryUpdate, secret: bytes) -> GalleryChanges:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = base64.b64decode(update.sealed, validate=True)
        plain = AESGCM(_gallery_key(secret)).decrypt(
            raw[:12],
            raw[12:],
            _aad(update.site, update.device, update.from_version, update.to_version),
        )
    except (ValueError, InvalidTag):
        raise ProtocolError("bad_seal", "does not open under this device's key") from None
    try:
        return GalleryChanges.model_validate_json(plain)
    except ValidationError as exc:
        raise _schema_error(exc) from None


def template_to_text(raw: bytes) -> str:
    if len(raw) != TEMPLATE_BYTES:
        raise ValueError(f"a template is {TEMPLATE_BYTES} bytes, got {len(raw)}")
    return base64.b64encode(raw).decode("ascii")


def template_from_text(text: str) -> bytes:
    raw = base64.b64decode(text, validate=True)
    if len(raw) != TEMPLATE_BYTES:
        raise ProtocolError("invalid_schema", f"template of {len(raw)} bytes")
    return raw
