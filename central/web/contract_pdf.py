"""A contract's PDF (and a training course's material) as a page answer, the same for the
enterprise and the worker.

Both consoles serve the document the caller may read (``econtracts.document`` decides by the
caller's scope, 404 otherwise) inline, with its SHA-256 so the signed copy can be checked
against the one recorded, and never cached (a contract names a person). A course's material
is the same for everyone it is assigned to: inline, no digest.
"""

from fastapi import Request
from starlette.responses import Response

from central.auth.users import Principal
from central.contracts import econtracts
from central.training import courses
from central.web.sessions import database


def contract_pdf(request: Request, who: Principal, contract_id: int) -> Response:
    """The PDF of contract ``contract_id`` as ``who`` may read it (the signed one once signed)."""
    with database(request).engine.connect() as conn:
        data, digest = econtracts.document(conn, who, contract_id)
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="contract-{contract_id}.pdf"',
            "X-Content-SHA256": digest,
            "Cache-Control": "no-store",
        },
    )


def course_material_pdf(request: Request, who: Principal, course_id: int) -> Response:
    """The PDF material of course ``course_id`` as ``who`` may read it (``courses.material_pdf``
    decides: 404 outside the caller's courses or when the course has no PDF)."""
    with database(request).engine.connect() as conn:
        data = courses.material_pdf(conn, who, course_id)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="course-{course_id}.pdf"'},
    )
