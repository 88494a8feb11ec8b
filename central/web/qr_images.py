"""QR codes as SVG images (segno: pure Python, no native code), for the worker pages.

The check-in token (Today) and the activation link (enterprise console) are drawn here:
black on white with the standard 4-module quiet zone, error correction M (a phone camera
reads it off a cracked, dim screen), scaled 4 px per module so it stays sharp when the
page's CSS scales it up. SVG keeps a page light: a few kB.
"""

import io

import segno

MODULE_PX = 4
QUIET_ZONE = 4


def svg(text: str) -> bytes:
    """``text`` as a standalone SVG document."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out,
        kind="svg",
        scale=MODULE_PX,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgns=True,
        nl=False,
    )
    return out.getvalue()


def svg_data_uri(text: str) -> str:
    """``text`` as a ``data:`` URI for an ``<img>`` (the CSP allows ``img-src data:``)."""
    return str(
        segno.make(text, error="m").svg_data_uri(
            scale=MODULE_PX, border=QUIET_ZONE, dark="#000", light="#fff"
        )
    )
