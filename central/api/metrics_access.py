"""Who may read ``/metrics``: clients on the allowed networks, or anyone with the token.

The metrics name no worker, but they show a deployment's traffic, its gates' health and its
error rates: not for the open internet. The default lets only loopback in (a Prometheus on
the same host, the benchmarks); a Prometheus elsewhere is allowed by its network
(``--metrics-allow 10.0.0.0/8``) or sends ``Authorization: Bearer <token>``
(``--metrics-token-file``). Behind a reverse proxy every client looks like the proxy: then
rely on the token, or let the proxy restrict the path (docs/deployment.md).
"""

import hmac
import ipaddress
from functools import lru_cache

from fastapi import Request

from central.errors import Forbidden
from central.settings import CentralSettings


@lru_cache(maxsize=16)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def check_metrics_access(request: Request, settings: CentralSettings) -> None:
    """Raises :class:`Forbidden` unless the token matches or the client's network is allowed."""
    token = _bearer(request)
    if settings.metrics_token and token is not None:
        if hmac.compare_digest(token.encode(), settings.metrics_token.encode()):
            return
        raise Forbidden("wrong metrics token")
    host = request.client.host if request.client else None
    try:
        address = ipaddress.ip_address(host) if host else None
    except ValueError:
        address = None
    if address is not None and any(
        address in net for net in _networks(tuple(settings.metrics_networks))
    ):
        return
    raise Forbidden("/metrics is not open to this address: use the metrics token")
