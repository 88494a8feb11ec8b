"""The console's one translation catalogue: gettext ``.po`` files read with Babel at start.

Every visible string of a page is a msgid (English) in a template's ``{% trans %}`` /
``_()`` or in Python marked with :func:`N_`; ``central/web/locale/<locale>/LC_MESSAGES/
messages.po`` holds its zh-CN and English text. The ``.po`` sources are compiled in memory
when the app is built, so there is no build step and no compiled file in the repository.

The reader's language is the ``sitegate_lang`` cookie (set by the language switch in the
header, kept for a year), zh-CN when absent or unknown: the console is for Chinese
inspectors and contractors first.
"""

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT = "zh_CN"
#: The languages offered, each named in itself (a name, not a message to translate).
LANGUAGES: dict[str, str] = {"zh_CN": "中文", "en": "English"}
#: The ``lang`` attribute of ``<html>`` for each locale.
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
COOKIE = "sitegate_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def N_(message: str) -> str:
    """Mark a msgid in Python for extraction; it is translated where it is shown."""
    return message


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> Translations:
    """The compiled catalogue of ``locale`` (read once per process)."""
    with po_path(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


@cache
def msgids(locale: str) -> frozenset[str]:
    """Every msgid of ``locale``'s catalogue: text a template may translate (and so trust)."""
    with po_path(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    return frozenset(m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id)


def locale_of(request: Request) -> str:
    """The reader's locale: the cookie when it names an offered language, else zh-CN."""
    chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT


def gettext(request: Request, message: str) -> str:
    """``message`` in the reader's language (for text built in Python, e.g. flash messages)."""
    return translations(locale_of(request)).gettext(message)
