"""Contract PDFs: Chinese text in an embedded subset of a CJK font (fpdf2 subsets what is used).

The font is not committed: it comes from Debian's ``fonts-noto-cjk`` (``./dev setup`` and
``.ci/run`` install it), or from the file named by ``SITEGATE_CJK_FONT`` (a TTF/OTF/TTC with
Simplified Chinese glyphs). A PDF without its font would show the signer empty boxes, so a
missing font is an error, never a silent fallback.
"""

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from central.errors import Conflict

FONT_ENV = "SITEGATE_CJK_FONT"
# Debian's fonts-noto-cjk: one collection, Simplified Chinese is face 2 (JP, KR, SC, TC, HK).
DEBIAN_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEBIAN_SC_FACE = 2
FONT_NAME = "cjk"


class FontMissing(Conflict):
    """No CJK font to embed: install fonts-noto-cjk or set SITEGATE_CJK_FONT."""


@dataclass(frozen=True, slots=True)
class FontFile:
    path: Path
    face: int


@cache
def font_file() -> FontFile:
    """The CJK font to embed, looked up once per process."""
    named = os.environ.get(FONT_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise FontMissing(f"{FONT_ENV} names {path}, which is not a file")
        return FontFile(path, DEBIAN_SC_FACE if path.suffix.lower() == ".ttc" else 0)
    if DEBIAN_FONT.is_file():
        return FontFile(DEBIAN_FONT, DEBIAN_SC_FACE)
    raise FontMissing(
        f"no CJK font for contract PDFs: install Debian's fonts-noto-cjk or set {FONT_ENV}"
    )


@dataclass(frozen=True, slots=True)
class Signature:
    """The signature block printed under a signed contract."""

    name: str
    signed_at: str  # site time with its UTC offset
    method: str
    draft_sha256: str


def render(title: str, body: str, signature: Signature | None = None) -> bytes:
    """One contract as PDF bytes: the title, the body's paragraphs and, when signed, the
    worker's signature block (name, time with offset, how it was signed, the draft's hash)."""
    from fpdf import FPDF  # ~1 s to import: loaded on the first contract, not at start

    font = font_file()
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("sitegate")
    pdf.set_auto_page_break(auto=True, margin=18)
    if font.path.suffix.lower() == ".ttc":
        pdf.add_font(FONT_NAME, fname=str(font.path), collection_font_number=font.face)
    else:
        pdf.add_font(FONT_NAME, fname=str(font.path))
    pdf.add_page()
    pdf.set_font(FONT_NAME, size=18)
    pdf.multi_cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT_NAME, size=11)
    for paragraph in body.split("\n"):
        pdf.multi_cell(0, 7, paragraph or " ", new_x="LMARGIN", new_y="NEXT")
    if signature is not None:
        pdf.ln(8)
        pdf.set_font(FONT_NAME, size=11)
        lines = (
            "乙方（劳动者）电子签名 / Signed by the worker",
            f"签名人 Name：{signature.name}",
            f"签署时间 Signed at：{signature.signed_at}",
            f"签署方式 Method：{signature.method}",
            f"合同草稿 SHA-256：{signature.draft_sha256}",
        )
        for line in lines:
            pdf.multi_cell(0, 7, line, border=0, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


if __name__ == "__main__":  # ./dev setup: say where the font comes from, or fail
    found = font_file()
    print(f"contract PDFs embed {found.path} (face {found.face})")
