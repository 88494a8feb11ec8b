"""Central's commands to this gate (config pushes, gallery deltas): signed and addressed here.

A command counts only if it verifies under this device's secret *and* names this site and
device: a forged one, or one signed for another gate and replayed on this gate's topic, must
change nothing. Both command handlers take their input through this one check.
"""

import logging

from wireproto import ProtocolError
from wireproto.commands import Signed, decode_signed

log = logging.getLogger(__name__)


def command_for(
    payload: bytes, model: type[Signed], secret: bytes, site: str, device: str
) -> Signed | None:
    """The decoded command, or None (logged) when it is invalid or meant for another gate."""
    try:
        command = decode_signed(payload, model, secret)
        if (command.site, command.device) != (site, device):
            raise ProtocolError("topic_mismatch", f"for {command.site}/{command.device}")
    except ProtocolError as exc:
        log.warning("ignoring a %s command: %s", model.model_fields["kind"].default, exc)
        return None
    return command
