"""The gate's side of gallery sync: apply central's signed, sealed deltas to the local gallery.

The local gallery file is the gate's working copy: recognition reads only it, so the gate keeps
admitting enrolled workers while the uplink is down. The version central's changes brought it
to is stored in the same transaction as the changes (``Gallery.apply_sync``), so a restart
resumes from exactly what is on disk.

Cards central registered travel in the same delta, as hashes under this gate's card key
(wireproto/cards.py). They are written first, in their own transaction, and the faces and the
version after: a crash in between leaves the version behind, so central sends the delta again
and the card sets (each worker's complete set) are simply written once more.
"""

import logging

import numpy as np

from edge.card_reader import CardRegistry
from edge.recognition.gallery import Gallery
from edge.signed_commands import command_for
from wireproto import ProtocolError
from wireproto.commands import GalleryUpdate, open_changes, template_from_text

log = logging.getLogger(__name__)


class GallerySync:
    def __init__(
        self,
        gallery: Gallery,
        site: str,
        device: str,
        secret: bytes,
        cards: CardRegistry | None = None,
    ) -> None:
        self.gallery = gallery
        self.cards = cards
        self.site, self.device, self._secret = site, device, secret

    @property
    def version(self) -> int:
        return self.gallery.synced_version

    def handle(self, payload: bytes) -> bool:
        """Apply one ``cmd/gallery`` message; True when the gallery changed.

        Anything not signed and sealed for this device is ignored: a forged command must not
        add a face that opens the turnstile.
        """
        update = command_for(payload, GalleryUpdate, self._secret, self.site, self.device)
        if update is None:
            return False
        have = self.version
        if not update.from_version <= have < update.to_version:
            log.debug(
                "gallery delta %d→%d does not apply at %d",
                update.from_version,
                update.to_version,
                have,
            )
            return False
        try:
            changes = open_changes(update, self._secret)
            upserts = [
                (
                    w.worker_id,
                    w.name,
                    [np.frombuffer(template_from_text(t), dtype="<f4") for t in w.templates],
                )
                for w in changes.upserts
            ]
            if not all(np.isfinite(t).all() for _, _, ts in upserts for t in ts):
                raise ValueError("a template that is not finite")
        except (ProtocolError, ValueError) as exc:
            log.warning("ignoring a gallery command: %s", exc)
            return False
        card_sets = {w.worker_id: [(c.hash, c.hint) for c in w.cards] for w in changes.cards}
        if self.cards is None and any(card_sets.values()):
            log.warning("gallery command carries cards but this gate keeps no card registry")
            return False
        try:
            if self.cards is not None and card_sets:
                self.cards.apply_central(card_sets)
            self.gallery.apply_sync(upserts, changes.removals, update.to_version)
        except ValueError as exc:  # faces and version stay as they were (one transaction)
            log.warning("refusing a gallery command: %s", exc)
            return False
        log.info(
            "gallery synced to version %d: %d added or changed, %d removed, %d card sets",
            update.to_version,
            len(upserts),
            len(changes.removals),
            len(card_sets),
        )
        return True
