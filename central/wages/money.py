"""Money as text: integer fen shown as yuan, for bank files and people."""


def yuan(fen: int) -> str:
    """``123456`` → ``"1234.56"``: the bank wants yuan, and no float may touch money."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
