"""The worker pages carry their stylesheet and icons inside the page (issue 15: one request
on Slow 3G), and stay under the strict CSP: every worker page, signed in or not, and its
error page, is answered with ``style-src 'self' 'sha256-…'`` where the hash is the SHA-256
of the exact bytes of the page's one ``<style>`` element; scripts stay ``'self'`` only,
never ``'unsafe-inline'``; every icon the page uses is a symbol of its inline sprite. A
changed stylesheet gets its own hash (computed from the served bytes, not written down);
the consoles keep their external stylesheet and ``style-src 'self'``.
"""

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import console_region, new_db
from fastapi.testclient import TestClient
from sqlalchemy import select

from central.api.app import create_app
from central.auth.users import UserIn, add_user, login
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import schema
from central.web import worker_layout
from conftest import TEST_PASSWORD

STYLE = re.compile(r"<style>(.*?)</style>", re.S)
STYLE_SRC = re.compile(r"style-src ([^;]*);")
SIGNED_IN_PAGES = (
    "/worker/today",
    "/worker/days",
    "/worker/wages",
    "/worker/contracts",
    "/worker/training",
    "/worker/face",
    "/worker/help",
    "/worker/help/complaint",
    "/worker/jobs",
    "/worker/jobs/resume",
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str, str]]:
    tmp = tmp_path_factory.mktemp("worker-inline-style")
    db, sealer = new_db(tmp)
    console_region(db, sealer, tmp)
    add_user(db, UserIn(username="w-nn1", password=TEST_PASSWORD, role="worker", worker_id="NN1"))  # type: ignore[arg-type]
    token = login(db, "w-nn1", TEST_PASSWORD)[0]
    with db.engine.connect() as conn:
        line = conn.execute(
            select(schema.payroll_lines.c.id).where(schema.payroll_lines.c.worker_id == "NN1")
        ).scalar()
    assert line is not None, "the region's paid batch gives NN1 a wage line"
    db.close()
    service = CentralService(CentralSettings(db=str(tmp / "central.db")))
    with TestClient(create_app(service, manage_service=False)) as c:
        yield c, token, f"/worker/wages/{line}"
    service.db.close()


def style_sources(csp: str) -> list[str]:
    found = STYLE_SRC.search(csp + ";")
    assert found, csp
    return found[1].split()


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def check_page(html: str, csp: str) -> None:
    """The header's style hash is the hash of this page's <style> content; nothing else."""
    styles = STYLE.findall(html)
    assert len(styles) == 1, "one inline stylesheet"
    assert style_sources(csp) == ["'self'", sha256_source(styles[0])]
    assert "script-src 'self';" in csp and "unsafe" not in csp
    assert 'rel="stylesheet"' not in html and " style=" not in html
    symbols = set(re.findall(r'<symbol id="([^"]+)"', html))
    used = set(re.findall(r'<use href="#([^"]+)"', html))
    assert used and used <= symbols, used - symbols
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline script"
    assert all(" async" in s or " defer" in s for s in re.findall(r"<script[^>]*>", html))


def test_every_worker_page_admits_exactly_its_own_inline_style(
    client: tuple[TestClient, str, str],
) -> None:
    c, token, wage_line = client
    c.cookies.clear()
    for path in ("/worker/login", "/worker/activate", "/worker/no-such-page"):
        answer = c.get(path)
        assert answer.status_code == (404 if path.endswith("no-such-page") else 200), path
        check_page(answer.text, answer.headers["content-security-policy"])
    c.cookies.set("sitegate_session", token)
    for path in (*SIGNED_IN_PAGES, wage_line, "/worker/wages/999999"):
        answer = c.get(path)
        assert answer.status_code == (404 if path.endswith("999999") else 200), path
        check_page(answer.text, answer.headers["content-security-policy"])
    # the consoles are untouched: external stylesheet, style-src 'self' only
    c.cookies.clear()
    console = c.get("/console/login")
    assert style_sources(console.headers["content-security-policy"]) == ["'self'"]
    assert "<style" not in console.text and 'rel="stylesheet"' in console.text


def test_a_changed_stylesheet_byte_gets_its_own_hash(
    client: tuple[TestClient, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, _token, _line = client
    c.cookies.clear()
    before = c.get("/worker/login").headers["content-security-policy"]
    static = tmp_path / "static"
    static.mkdir()
    for name in ("worker.css", "worker-icons.svg", "worker-today.js"):
        (static / name).write_bytes((worker_layout.STATIC / name).read_bytes())
    css = static / "worker.css"
    css.write_text(css.read_text().replace("font-size: 18px", "font-size: 19px", 1))
    caches = (worker_layout._style_text, worker_layout.style_hash, worker_layout.worker_csp)
    monkeypatch.setattr(worker_layout, "STATIC", static)
    for cached in caches:
        cached.cache_clear()
    try:
        answer = c.get("/worker/login")
        after = answer.headers["content-security-policy"]
        assert "font-size: 19px" in answer.text and after != before
        check_page(answer.text, after)
        # and the check itself fails on a page whose style is not the hashed one
        with pytest.raises(AssertionError):
            check_page(answer.text, before)
    finally:
        monkeypatch.undo()
        for cached in caches:
            cached.cache_clear()


def test_a_stylesheet_that_could_end_the_style_element_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "worker.css").write_text("a { color: red } </style><script>x</script>")
    monkeypatch.setattr(worker_layout, "STATIC", tmp_path)
    worker_layout._style_text.cache_clear()
    try:
        with pytest.raises(ValueError, match="</"):
            worker_layout.inline_style()
    finally:
        monkeypatch.undo()
        worker_layout._style_text.cache_clear()


def test_worker_pages_alone_are_gzipped(client: tuple[TestClient, str, str]) -> None:
    c, token, _line = client
    c.cookies.clear()
    c.cookies.set("sitegate_session", token)
    page = c.get("/worker/days", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and page.headers["content-encoding"] == "gzip"
    assert "<h1" in page.text  # decoded by the client: the page itself
    raw = c.get("/worker/days", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and "<h1" in raw.text
    script = c.get(worker_layout.asset_url("worker-today.js"), headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200  # below the minimum size: sent as it is
    c.cookies.clear()
    for elsewhere in ("/console/login", "/api/v1/openapi.json", "/static/console.css"):
        answer = c.get(elsewhere, headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in answer.headers, elsewhere


CSRF_VALUE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def test_the_csrf_token_is_masked_afresh_on_every_page(
    client: tuple[TestClient, str, str],
) -> None:
    """BREACH: a compressed (worker) page must not carry the same secret twice; every masked
    token of the session still passes, another session's or a damaged one does not."""
    c, token, _line = client
    c.cookies.clear()
    c.cookies.set("sitegate_session", token)
    first = CSRF_VALUE.findall(c.get("/worker/today").text)
    second = CSRF_VALUE.findall(c.get("/worker/today").text)
    assert first and second and set(first).isdisjoint(second)
    for sent in (first[0], second[0]):
        ok = c.post(
            "/worker/lang",
            data={"csrf_token": sent, "lang": "en", "next": "/worker/today"},
            follow_redirects=False,
        )
        assert ok.status_code == 303, ok.text
    damaged = first[0][:-1] + ("0" if first[0][-1] != "0" else "1")
    for bad in (damaged, first[0][:32] + "0" * 32, "zz" * 32, ""):
        refused = c.post(
            "/worker/lang",
            data={"csrf_token": bad, "lang": "en", "next": "/worker/today"},
            follow_redirects=False,
        )
        assert refused.status_code == 403, bad
    c.cookies.clear()  # another browser (a pre-session) cannot use this session's token
    c.get("/worker/login")
    other = c.post(
        "/worker/lang",
        data={"csrf_token": first[0], "lang": "en", "next": "/worker/login"},
        follow_redirects=False,
    )
    assert other.status_code == 403
    # the consoles are not compressed: their token is the session's own, page after page
    c.cookies.set("sitegate_session", token)
    console = [CSRF_VALUE.findall(c.get("/console/login").text) for _ in range(2)]
    assert console[0] and console[0] == console[1]
