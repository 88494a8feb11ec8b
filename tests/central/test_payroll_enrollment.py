"""Face data at central: consent gates enrollment, withdrawal deletes everywhere, counts for
the regulator. Real photos, the real encoder child process, the real site galleries.
"""

from datetime import date
from pathlib import Path

import pytest
from factories import SUB_USCC, new_db, registered_project
from sqlalchemy import func, select

from central.gate_commands.gallery import SiteGallery
from central.registry import enrollment
from central.registry.employment import EmploymentIn, add_employment
from central.registry.organisations import (
    EnterpriseIn,
    ProjectIn,
    create_enterprise,
    create_project,
)
from central.storage import schema
from central.wages.rules import PayTerms
from conftest import FACES


def test_consent_enrollment_second_site_and_withdrawal(tmp_path: Path) -> None:
    db, sealer = new_db(tmp_path)
    registered_project(
        db,
        sealer,
        "site-a",
        {
            "W1": PayTerms(pay_kind="daily", rate_fen=1),
            "W2": PayTerms(pay_kind="daily", rate_fen=1),
        },
    )
    galleries, changed = SiteGallery(db, sealer), []
    with pytest.raises(enrollment.NoConsent, match="QR code or card"):
        enrollment.enroll(
            db, sealer, "W1", [FACES / "obama/1.jpg"], galleries=galleries, changed=changed.append
        )
    enrollment.record_consent(db, "W1", "signed form", "office")
    done = enrollment.enroll(
        db,
        sealer,
        "W1",
        [FACES / "obama/1.jpg", FACES / "obama/3.jpg"],
        galleries=galleries,
        changed=changed.append,
    )
    assert (done.templates, list(done.sites), changed) == (2, ["site-a"], ["site-a"])
    assert galleries.workers("site-a") == ["W1"]
    with db.engine.connect() as conn:
        sealed = conn.execute(select(schema.face_templates.c.sealed)).scalars().all()
        assert len(sealed) == 2 and all(len(s) == 12 + 512 + 16 for s in sealed)  # AES-GCM
        assert conn.execute(select(schema.face_templates.c.photo_sealed)).scalars().all() == [
            None,
            None,
        ]
        assert enrollment.face_data_stats(conn)["people_with_face_data"] == 1

    # Employed at a second site later: the templates follow to that site's gates.
    other = create_enterprise(db, EnterpriseIn(name="分包", uscc=SUB_USCC, kind="subcontractor"))
    create_project(
        db,
        ProjectIn(id="site-b", name="B", contractor_id=other["id"], division_code="450102"),  # type: ignore[arg-type]
    )
    add_employment(
        db,
        EmploymentIn(
            worker_id="W1",
            project_id="site-b",
            employer_id=other["id"],  # type: ignore[arg-type]
            start_date=date(2025, 7, 1),
            terms=PayTerms(pay_kind="daily", rate_fen=1),
        ),
    )
    assert enrollment.publish_to_site(db, sealer, "W1", "site-b", galleries, changed.append)
    assert galleries.workers("site-b") == ["W1"]

    # Withdrawal: deleted centrally and from every site's gallery (tombstones for the gates).
    before = {s: galleries.version(s) for s in ("site-a", "site-b")}
    out = enrollment.withdraw_consent(db, "W1", "W1", galleries, changed.append)
    assert out["templates_deleted"] == 2 and set(out["removed_from_sites"]) == {"site-a", "site-b"}  # type: ignore[arg-type]
    assert galleries.workers("site-a") == [] and galleries.workers("site-b") == []
    assert all(galleries.version(s) > v for s, v in before.items())
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.face_templates)).scalar() == 0
        assert enrollment.active_consent(conn, "W1") is None
    with pytest.raises(enrollment.NoConsent):
        enrollment.enroll(
            db, sealer, "W1", [FACES / "obama/1.jpg"], galleries=galleries, changed=changed.append
        )
