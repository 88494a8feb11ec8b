"""README command 1 keeps working: the demo brings up attendance for the people it enrolled,
and seeds a supervised Guangxi region the console shows, with one working login per role."""

import re
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from central.storage import Database, schema
from conftest import Central, run_cli
from sitegate_demo.cli import WORKERS
from sitegate_demo.region import LOGINS, SHANGHAI, SILENT_GATE, SITES, seed


def test_demo_shows_attendance_and_seeds_the_region(tmp_path: Path, broker_url: str) -> None:
    workdir = tmp_path / "demo"
    result = run_cli(
        "sitegate-demo", "--exit-when-done", "--workdir", str(workdir),
        "--http-port", "0", "--timeout", "120", timeout=300,
    )  # fmt: skip
    out = result.stdout + result.stderr
    shown = re.findall(r"^(W\d{4}) +in ", result.stdout, flags=re.M)
    assert sorted(shown) == sorted(WORKERS), out
    assert "demo stopped" in result.stdout
    assert re.search(r"web console: http://127\.0\.0\.1:\d+/console/login", result.stdout), out
    printed = dict(re.findall(r"^  .{20} (\S+) +(\S+) ", result.stdout, flags=re.M))
    assert {x.username for x in LOGINS} | {"demo-admin"} <= set(printed), out

    # The region outlives the demo: central again on its database, logged in as printed.
    central = Central(workdir, broker_url, str(workdir / "central.db")).start()
    try:

        def as_user(username: str) -> dict[str, str]:
            body = {"username": username, "password": printed[username]}
            resp = httpx.post(f"{central.base}/api/v1/auth/login", json=body, timeout=10)
            assert resp.status_code == 200, resp.text
            return {"Authorization": f"Bearer {resp.json()['access_token']}"}

        for username in printed:  # every printed login works
            as_user(username)
        province, city = as_user("gx-province"), as_user("nanning-city")

        def overview(headers: dict[str, str]) -> dict[str, object]:
            resp = httpx.get(f"{central.base}/api/v1/overview", headers=headers, timeout=10)
            assert resp.status_code == 200, resp.text
            return resp.json()  # type: ignore[no-any-return]

        whole, nanning = overview(province), overview(city)
        assert whole["registered_workers"] == sum(s.workers for s in SITES) > 100
        assert whole["projects"] == len(SITES)
        assert whole["gates_offline"] == 1
        assert whole["wages_paid_total_fen"] > 0  # type: ignore[operator]
        # more than one city: Nanning's supervisor sees only its own two projects
        nanning_sites = [s for s in SITES if s.division.startswith("4501")]
        assert nanning["projects"] == len(nanning_sites) < whole["projects"]  # type: ignore[operator]
        assert nanning["registered_workers"] == sum(s.workers for s in nanning_sites)

        def open_warnings(kind: str) -> list[dict[str, object]]:
            resp = httpx.get(
                f"{central.base}/api/v1/warnings",
                params={"kind": kind, "state": "open"},
                headers=province,
                timeout=10,
            )
            assert resp.status_code == 200, resp.text
            return resp.json()  # type: ignore[no-any-return]

        silent = open_warnings("device_offline")
        assert [w["project_id"] for w in silent] == [SILENT_GATE[0]], silent
        overdue = {w["project_id"] for w in open_warnings("batch_overdue")}
        unpaid = {s.id for s in SITES if not s.paid}
        assert unpaid <= overdue, overdue
        assert len(open_warnings("dust_exceedance")) == 1
        assert len(open_warnings("bank_failed")) == 1
        # places by name: the demo's divisions come from the dataset fetched at set-up
        named = httpx.get(
            f"{central.base}/api/v1/divisions",
            params={"code": sorted({s.division for s in SITES} | {"450100"})},
            headers=city,
            timeout=10,
        ).json()
        names = {d["code"]: d["name"] for d in named}
        assert (names["450100"], names["450102"], names["450103"]) == ("南宁市", "兴宁区", "青秀区")
        assert len(names) == len({s.division for s in SITES}) + 1, names
    finally:
        central.stop()


def test_the_region_seeds_in_the_first_hours_of_a_month(tmp_path: Path) -> None:
    """Last month closes however soon after its end the demo starts: the seed refused to close
    it from 00:00 to 04:00 on the 1st (Shanghai), when its silent gate's last word, four hours
    back, came before the month's end. Seeded at 00:40 on 1 December: last month closed for
    every paid project, the silent gate still last heard before midnight."""
    now = datetime(2026, 12, 1, 0, 40, tzinfo=SHANGHAI)
    assert seed(tmp_path / "central.db", now=now)
    db = Database(str(tmp_path / "central.db"))
    c, d = schema.period_closings.c, schema.devices.c
    with db.engine.connect() as conn:
        closed = set(
            conn.execute(
                select(c.project_id).where(c.period == "2026-11", c.state == "closed")
            ).scalars()
        )
        status_at = conn.execute(
            select(d.status_at).where(d.site == SILENT_GATE[0], d.device == SILENT_GATE[1])
        ).scalar_one()
    db.close()
    assert closed == {site.id for site in SITES if site.paid}
    assert datetime.fromisoformat(status_at) == now - timedelta(hours=3)  # its offline will
