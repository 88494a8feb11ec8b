"""Central's own broker credentials: the password comes from a file, not the command line."""

from urllib.parse import quote, urlsplit, urlunsplit


def with_password(url: str, password: str) -> str:
    """``mqtt://central@host:port`` + password → a URL that BrokerAddress.parse understands.

    Logs use ``BrokerAddress.redacted()``, so the password never leaves this process.
    """
    parts = urlsplit(url)
    if not parts.username:
        raise ValueError("the broker URL needs a user (mqtt://USER@host:port) for a password")
    host = parts.hostname or ""
    netloc = f"{quote(parts.username, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
