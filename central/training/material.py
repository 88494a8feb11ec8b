"""A course's uploaded material: a PDF, size-capped, checked to parse as one before it is kept."""

import io
from typing import IO

from central.errors import N_, InvalidInput, TooLarge, fill

MAX_PDF_BYTES = 5 * 1024 * 1024


def refused(
    field: str, msgid: str, kind: type[InvalidInput | TooLarge] = InvalidInput, **params: object
) -> InvalidInput | TooLarge:
    """A refusal naming its field: ``field: text`` for the API (and ``field`` in the error
    body), the msgid alone for the console, which shows it next to that field."""
    exc = kind(f"{field}: {fill(msgid, params)}").marked(msgid, **params)
    exc.extra = {"field": field}
    return exc


def checked_pdf(data: bytes) -> bytes:
    """``data`` if it is a readable PDF of at most :data:`MAX_PDF_BYTES` with a page or more;
    TooLarge (413) or InvalidInput (422, naming the field and the reason) otherwise."""
    from pypdf import PdfReader  # loaded on the first upload, not at start
    from pypdf.errors import PdfReadError

    if len(data) > MAX_PDF_BYTES:
        raise refused("material_pdf", N_("at most %(mib)s MB"), TooLarge, mib=MAX_PDF_BYTES >> 20)
    if not data.startswith(b"%PDF-"):
        raise refused("material_pdf", N_("is not a PDF file"))
    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError):
        raise refused("material_pdf", N_("the PDF cannot be read")) from None
    if pages < 1:
        raise refused("material_pdf", N_("the PDF has no pages"))
    return data


def read_upload(stream: IO[bytes], filename: str | None) -> bytes | None:
    """An uploaded file's bytes, read no further than the cap (None: no file was chosen);
    TooLarge past the cap. The form's own body limit is central/api/limits.py's."""
    if not filename:
        return None
    data = stream.read(MAX_PDF_BYTES + 1)
    if len(data) > MAX_PDF_BYTES:
        raise refused("material_pdf", N_("at most %(mib)s MB"), TooLarge, mib=MAX_PDF_BYTES >> 20)
    return data or None
