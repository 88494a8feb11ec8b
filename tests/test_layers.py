"""Every import arrow points one way: the layer diagram of README.md ("Layers"), enforced.

Reads every module of the shipped packages with ``ast`` (function-level and ``TYPE_CHECKING``
imports included: a type-only import is still a loop a reader has to untangle) and fails on
any import the diagram does not allow, and on any new central package missing from it. Also:
no module explains itself by the history of its making ("issue 7") instead of its purpose.
"""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("wireproto", "firmware_config", "edge", "central", "sitegate_demo")
NATIVE = ("cv2", "dlib")  # the camera and face libraries: edge only

# Top level: which of our packages (and the native face libraries) each may import.
TOP: dict[str, set[str]] = {
    "wireproto": set(),
    "firmware_config": {"wireproto"},
    "edge": {"wireproto", "firmware_config", *NATIVE},
    "central": {"wireproto", "firmware_config"},  # gate files, defaults shared with the gates
    "sitegate_demo": {"wireproto", "firmware_config", "edge", "central"},
}

# Helpers any central unit may import; they import nothing of central but each other.
HELPERS = {"errors", "clock", "validation", "wages", "registry.sealing", "spreadsheets"}
SERVICES = {
    "registry",
    "auth",
    "attendance",
    "warnings",
    "warnings.store",
    "warnings.subjects",
    "warnings.wage_law",
    "payroll",
    "reports",
    "complaints",
    "contracts",
    "training",
    "ingest",
    "gate_commands",
    "provisioning",
    "audit",
    "worker_actions",
}
# Within central: unit → the units it may import (besides itself and HELPERS).
CENTRAL: dict[str, set[str]] = {
    **{helper: set() for helper in HELPERS},
    # validators refuse with a message id the pages translate (central.errors.N_, InvalidValue)
    "validation": {"errors"},
    "metrics": set(),
    "settings": set(),
    "broker": set(),
    # storage: tables, migrations, the write path; and the records every service appends to
    "storage": set(),
    "audit": {"storage"},
    # a warning's subject: a msgid per kind and its parameters; imports nothing
    "warnings.subjects": set(),
    "warnings.store": {"storage", "warnings.subjects"},
    # services
    "ingest": {"storage", "metrics"},
    "provisioning": {"storage", "audit"},  # a gate provisioned from the console is audited
    "registry": {"storage", "audit"},
    "auth": {"storage", "audit", "registry"},
    # staff config pushes; the training rule decides who the gallery sync sends as removed
    "gate_commands": {"storage", "ingest", "registry", "audit", "training"},
    "attendance": {"storage", "registry", "audit"},  # 补卡 decisions are audited
    "warnings.wage_law": {"warnings.store"},
    # handling is audited; training about to expire is warned of per the project's rule
    # projects' cities are named from the registry's GB/T 2260 divisions
    "warnings": {
        *("storage", "audit", "attendance", "registry", "training"),
        *("warnings.store", "warnings.subjects"),
    },
    "payroll": {
        *("storage", "audit", "registry", "attendance"),
        *("warnings.store", "warnings.wage_law"),
    },
    "reports": {"storage", "registry", "attendance", "payroll"},
    # e-contracts and safety training: scoped by auth, audited; signing re-checks the password
    "contracts": {"storage", "audit", "auth"},
    "training": {"storage", "audit", "auth"},
    # staff's writes about one worker (consent, photos, cards, linking, reveal): scope + write
    "worker_actions": {"storage", "audit", "auth", "registry"},
    # a worker's wage complaint: an arrears case and a warning, in one transaction
    "complaints": {"storage", "audit", "registry", "warnings.store"},
    # the running service, then the entry points
    "service": {
        *("storage", "metrics", "settings", "broker", "ingest", "gate_commands", "warnings"),
        "training",  # the periodic pass that takes expired training off the gates
        "registry",  # division names loaded into a new database at start
    },
    # the web console: pages over the same services as the API; the app factory mounts it
    "web": {"storage", "settings", "service", *SERVICES},
    "api": {"storage", "metrics", "settings", "service", "web", *SERVICES},
    "cli": {"storage", "metrics", "settings", "service", "api", *SERVICES},
}
SUB_UNITS = sorted((u for u in CENTRAL if "." in u), key=len, reverse=True)


def unit_of(module: str) -> str:
    """``central.payroll.batches`` → ``payroll``; ``central.warnings.store`` → itself."""
    rest = module.removeprefix("central.")
    for sub in SUB_UNITS:
        if rest == sub or rest.startswith(sub + "."):
            return sub
    return rest.split(".")[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every absolute import in the file (``from central import audit`` → central.audit)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # the name may be a module: central.warnings.store
                yield node.lineno, f"{node.module}.{alias.name}"


def violations() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # revisions are frozen history: they import only alembic and sqlalchemy
            here = module_name(path)
            where = f"{path.relative_to(ROOT)}"
            for line, target in imports(path):
                top = target.split(".")[0]
                if top not in (*PACKAGES, *NATIVE) or top == package:
                    if top == package == "central":
                        found += _central_arrow(here, target, f"{where}:{line}")
                    continue
                if top not in TOP[package]:
                    found.append(f"{where}:{line}: {package} may not import {target}")
    return found


def _central_arrow(here: str, target: str, where: str) -> list[str]:
    src, dst = unit_of(here), unit_of(target)
    if here == "central" or src == dst or (dst in HELPERS and src not in HELPERS):
        return []
    if src not in CENTRAL:
        return [f"{where}: central.{src} is not in the layer map (tests/test_layers.py)"]
    if dst not in CENTRAL[src]:
        return [f"{where}: central.{src} may not import central.{dst} ({target})"]
    return []


def test_every_import_follows_the_layers() -> None:
    assert violations() == []


def test_the_layer_check_sees_a_wrong_arrow(tmp_path: Path) -> None:
    """The check itself can fail: storage importing payroll, central importing edge."""
    assert _central_arrow("central.storage.database", "central.payroll.batches", "x")
    assert _central_arrow("central.attendance.days", "central.warnings.indicators", "x")
    assert _central_arrow("central.payroll.batches", "central.warnings.indicators", "x")
    assert not _central_arrow("central.payroll.batches", "central.warnings.store", "x")
    assert _central_arrow("central.brand_new.x", "central.storage", "x")
    assert "edge" not in TOP["central"] and "cv2" not in TOP["central"]


@pytest.mark.parametrize("package", PACKAGES)
def test_the_map_knows_every_package(package: str) -> None:
    assert (ROOT / package / "__init__.py").exists()
    if package == "central":
        units = {
            unit_of(module_name(p))
            for p in (ROOT / "central").rglob("*.py")
            if module_name(p) != "central" and "migrations" not in p.parts
        }
        assert units <= set(CENTRAL), sorted(units - set(CENTRAL))


HISTORY = re.compile(r"\bissues?\s+#?\d+", re.IGNORECASE)


def test_no_module_explains_itself_by_the_history_of_its_making() -> None:
    """Code says what it is for, not which issue or wave brought it ("issue 7", "issue #5")."""
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HISTORY.search(line)
    ]
    assert found == []
