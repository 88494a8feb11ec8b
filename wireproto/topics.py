"""MQTT topic layout, version 1.

Every topic starts with ``sitegate/v1/<site>/<device>/`` so that broker ACLs can confine a
device to its own subtree with one pattern (``sitegate/v1/%u/...`` style rules are generated
per device by central) and a shared subscription can spread all sites over central instances.

- ``.../events/<kind>``  device → central, QoS 1: signed event envelopes (stored, then acked)
- ``.../ack``            central → device, QoS 1: which event ids are stored / rejected
- ``.../status``         device → central, QoS 1, retained: signed status; last will "offline"
- ``.../sync``           device → central, QoS 1: signed report of the config and gallery
  versions the device has applied (wireproto/commands.py)
- ``.../cmd/config``     central → device, QoS 1: signed config push (the whole overlay)
- ``.../cmd/gallery``    central → device, QoS 1: signed, sealed face-gallery delta

This module is the only place that knows the layout: everything else builds topics and
subscription filters with the functions and constants below (docs/protocol.md, section 3).
"""

import re
from typing import NamedTuple

ROOT = "sitegate/v1"
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
_ID_RE = re.compile(rf"^{ID_PATTERN}$")

EVENT_KINDS = ("attendance", "dust_reading", "dust_alarm")


class InvalidIdentifier(ValueError):
    """A site or device id that cannot be used as a topic level."""


def check_id(value: str) -> str:
    """Site and device ids become topic levels, so wildcards and slashes are refused."""
    if not _ID_RE.match(value):
        raise InvalidIdentifier(f"{value!r} is not a valid id (letters, digits, _ . -; max 64)")
    return value


CLIENT_ID_SEPARATOR = ":"  # not in ID_PATTERN, so site and device split one way only


def gate_client_id(site: str, device: str) -> str:
    """The MQTT client id of a gate's persistent session: ``gate:<site>:<device>``.

    A separator that ids may contain (``gate-north-1-gate``) would give ``north-1``/``gate``
    and ``north``/``1-gate`` the same id, and the broker would hand one gate's session (its
    queued acks and commands) to the other and disconnect them in turn.
    """
    return f"gate{CLIENT_ID_SEPARATOR}{check_id(site)}{CLIENT_ID_SEPARATOR}{check_id(device)}"


def device_root(site: str, device: str) -> str:
    return f"{ROOT}/{check_id(site)}/{check_id(device)}"


def event_topic(site: str, device: str, kind: str) -> str:
    return f"{device_root(site, device)}/events/{kind}"


def ack_topic(site: str, device: str) -> str:
    return f"{device_root(site, device)}/ack"


def command_topic(site: str, device: str, name: str) -> str:
    return f"{device_root(site, device)}/cmd/{name}"


def status_topic(site: str, device: str) -> str:
    return f"{device_root(site, device)}/status"


def sync_topic(site: str, device: str) -> str:
    """Device → central: the versions the device has applied."""
    return f"{device_root(site, device)}/sync"


# Subscriptions used by central.
ALL_EVENTS = f"{ROOT}/+/+/events/+"
ALL_STATUS = f"{ROOT}/+/+/status"
ALL_SYNC = f"{ROOT}/+/+/sync"


def shared(topic_filter: str, group: str) -> str:
    """An MQTT 5 / Mosquitto shared subscription: each message goes to one group member."""
    return f"$share/{group}/{topic_filter}"


class TopicParts(NamedTuple):
    site: str
    device: str
    channel: str  # "events", "ack", "cmd", "status" or "sync"
    name: str | None  # event kind or command name


def parse_topic(topic: str) -> TopicParts | None:
    """Split a topic under ``sitegate/v1``; None when it is not one of ours."""
    parts = topic.split("/")
    if len(parts) < 5 or f"{parts[0]}/{parts[1]}" != ROOT:
        return None
    site, device, channel = parts[2], parts[3], parts[4]
    if not (_ID_RE.match(site) and _ID_RE.match(device)):
        return None
    name = parts[5] if len(parts) == 6 else None
    if len(parts) > 6 or (channel in ("events", "cmd")) != (name is not None):
        return None
    return TopicParts(site, device, channel, name)
