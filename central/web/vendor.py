"""Third-party front-end code, fetched from the npm registry at set-up, never committed.

Sites run on closed networks, so the console and ``/docs`` load nothing from a CDN: the files
below are taken from pinned npm packages (``npm pack`` checks each tarball against the
registry's integrity hash) into ``central/web/vendor/`` (ignored by git, shipped as package
data) and served by central under ``/static/vendor/``. ``./dev setup`` (and so ``./dev demo``,
``./dev test`` and ``.ci/run``) runs ``python -m central.web.vendor``; it does nothing when the
pinned versions are already in place.

- Apache ECharts: the overview's charts (the library Chinese supervision dashboards use).
- swagger-ui-dist: the API's ``/docs`` page.
"""

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).parent / "vendor"
STAMP = VENDOR / "VERSIONS.json"
OPTIONAL = frozenset({"NOTICE"})  # copied when a package ships one

#: package → (pinned version, files taken from the tarball's ``package/`` folder)
PACKAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "echarts": ("6.1.0", ("dist/echarts.min.js", "LICENSE", "NOTICE")),
    "swagger-ui-dist": (
        "5.35.0",
        ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"),
    ),
}


def wanted() -> dict[str, str]:
    return {name: version for name, (version, _files) in PACKAGES.items()}


def installed() -> bool:
    """Whether the pinned versions' files are all in place."""
    try:
        stamp = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return False
    return stamp == wanted() and all(
        (VENDOR / name / Path(f).name).is_file()
        for name, (_v, files) in PACKAGES.items()
        for f in files
        if f not in OPTIONAL
    )


def fetch() -> None:
    """Download the pinned packages with npm and copy the files the console serves."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed once at set-up for the console's assets (apt install npm)")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (version, files) in PACKAGES.items():
            out = subprocess.run(
                [npm, "pack", f"{name}@{version}", "--json", "--pack-destination", tmp],
                check=True,
                capture_output=True,
                text=True,
                cwd=tmp,
            )
            tarball = Path(tmp) / json.loads(out.stdout)[0]["filename"]
            target = VENDOR / name
            target.mkdir(parents=True, exist_ok=True)
            with tarfile.open(tarball) as tar:
                for f in files:
                    try:
                        member = tar.extractfile(f"package/{f}")
                    except KeyError:
                        member = None
                    if member is None:
                        if f in OPTIONAL:
                            continue
                        raise SystemExit(f"{name}@{version} has no {f}")
                    (target / Path(f).name).write_bytes(member.read())
    STAMP.write_text(json.dumps(wanted(), indent=2) + "\n")


def main() -> None:
    if installed():
        return
    fetch()
    print(f"console assets: {', '.join(f'{n}@{v}' for n, v in wanted().items())} in {VENDOR}")


if __name__ == "__main__":
    main()
    sys.exit(0)
