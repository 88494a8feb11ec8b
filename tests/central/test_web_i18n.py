"""Every visible string of the console goes through the one catalogue, in both languages.

* No template holds literal prose (Chinese or English) outside ``{% trans %}`` / ``_()``: the
  templates are lexed with Jinja's own lexer, the text between tags is kept, and any letter
  or CJK character left over fails the test (``visible_prose``). A planted bad template
  proves the scanner catches what it is meant to catch.
* Every msgid extracted from the console's Python and templates (fresh, as ``pybabel
  extract`` would) has a non-empty translation in ``zh_CN`` and ``en``.
"""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from central.web import i18n
from central.web.templating import ENV, TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
PROSE = re.compile(r"[A-Za-z\u3400-\u9fff\uf900-\ufaff]")
TAG = re.compile(r"<[^>]*>", re.S)
VISIBLE_ATTRIBUTE = re.compile(r'\b(?:title|placeholder|alt|aria-label)="([^"]*)"')
ENTITY = re.compile(r"&#?\w+;")
HOLE = "\x00"  # where an expression or tag of Jinja stood


def visible_prose(source: str) -> list[str]:
    """Literal text a reader would see, outside the catalogue's calls."""
    text: list[str] = []
    in_trans = False
    previous = ""
    for _line, kind, value in ENV.lex(source):
        if kind == "name" and previous == "block_begin" and value in ("trans", "pluralize"):
            in_trans = True
        elif kind == "name" and previous == "block_begin" and value == "endtrans":
            in_trans = False
        if kind == "data" and not in_trans:
            text.append(value)
        elif kind != "data":
            text.append(HOLE)
        if kind not in ("whitespace",):
            previous = kind
    html = "".join(text)
    found = [m for m in VISIBLE_ATTRIBUTE.findall(html) if PROSE.search(m.replace(HOLE, ""))]
    for chunk in TAG.sub(HOLE, html).split(HOLE):
        chunk = ENTITY.sub("", chunk).strip()
        if PROSE.search(chunk):
            found.append(chunk)
    return found


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_hold_no_literal_prose(template: str) -> None:
    assert visible_prose((TEMPLATES / template).read_text(encoding="utf-8")) == []


def test_the_scanner_finds_literal_prose() -> None:
    bad = (
        '<p>{{ _("Fine") }}</p><p>登录</p><button title="Close">{% trans %}Ok{% endtrans %}'
        "</button><span>Total: {{ n }}</span>"
    )
    assert visible_prose(bad) == ["Close", "登录", "Total:"]
    good = '<p class="x" data-a="{{ v }}">{{ _("Fine") }} · {{ n }} &nbsp; 1/2</p>'
    assert visible_prose(good) == []


def msgids() -> set[str]:
    """The msgids ``pybabel extract -F central/web/babel.cfg`` finds (the same mapping file):
    templates, the console's Python and every service's refusal marked with ``N_``."""
    with (ROOT / "central/web/babel.cfg").open(encoding="utf-8") as fh:
        method_map, options = parse_mapping_cfg(fh)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, options_map=options
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("locale", sorted(i18n.LANGUAGES))
def test_every_msgid_is_translated(locale: str) -> None:
    with i18n.po_path(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    # a plural entry's id and string are tuples (singular, plural) and (one form per count)
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalog
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    wanted = msgids()
    assert len(wanted) > 50  # the extraction really sees the console
    assert sorted(wanted - translated) == []


def test_the_services_refusals_are_extracted() -> None:
    """A refusal marked with ``central.errors.N_`` in a service module (not the web) is in the
    extraction, so the test above demands its zh-CN and English text."""
    found = msgids()
    assert "months: %(month)s has not begun yet" in found  # central/complaints/filing.py
    assert "must not be blank" in found  # central/validation/text.py


PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("locale", sorted(i18n.LANGUAGES))
def test_translations_use_only_their_msgids_placeholders(locale: str) -> None:
    """A translation naming a parameter its msgid does not give would fail when filled
    (a warning subject's ``x_fen`` is also given as ``x_yuan``: central/warnings/subjects.py)."""
    with i18n.po_path(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    wrong = []
    for m in catalog:
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        given = {name for i in ids for name in PLACEHOLDER.findall(i)}
        given |= {name.removesuffix("_fen") + "_yuan" for name in given if name.endswith("_fen")}
        for text in strings:
            if set(PLACEHOLDER.findall(text or "")) - given:
                wrong.append(m.id)
    assert wrong == []


def test_chinese_is_the_default_and_english_is_english() -> None:
    assert i18n.DEFAULT == "zh_CN"
    assert i18n.translations("zh_CN").gettext("Overview") == "概览分析"
    assert i18n.translations("en").gettext("Overview") == "Overview"


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_trans_blocks_name_their_variables(template: str) -> None:
    """Inside ``{% trans %}`` a variable is ``{{ n }}``: a literal ``%(n)s`` is shown as is."""
    inside, previous, literal = False, "", []
    for _line, kind, value in ENV.lex((TEMPLATES / template).read_text(encoding="utf-8")):
        if kind == "name" and previous == "block_begin":
            inside = value in ("trans", "pluralize") or (inside and value != "endtrans")
        if inside and kind == "data" and "%(" in value:
            literal.append(value)
        if kind != "whitespace":
            previous = kind
    assert literal == []


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_text_that_is_no_msgid_is_escaped_when_passed_to_gettext(locale: str) -> None:
    """``_()`` output is trusted markup; a name from the database passed to it by mistake must
    still come out as text (central/web/templating._gettext)."""
    page = ENV.from_string("{{ _(name) }}|{{ _('Project') }}").render(
        locale=locale, name="<script>alert(1)</script>"
    )
    shown, known = page.split("|")
    assert shown == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert known == i18n.translations(locale).gettext("Project") and known != ""


def test_every_shipped_dust_profile_title_is_a_msgid() -> None:
    """The site's dust page shows its limit profile's title translated: each title the gate's
    config ships (firmware_config, outside the extraction) is marked in the dust route."""
    from central.web.routes.dust import PROFILE_TITLES
    from firmware_config.dust_profiles import PROFILES

    assert {p.title for p in PROFILES.values()} == PROFILE_TITLES
    assert msgids() >= PROFILE_TITLES
