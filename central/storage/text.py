"""Text every engine stores: one cleaning rule for values that came off the wire."""


def clean_text(value: str, limit: int) -> str:
    """Text every engine accepts: PostgreSQL refuses NUL, no driver encodes a lone surrogate."""
    value = value.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    return value[:limit]
