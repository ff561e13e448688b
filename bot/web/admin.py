"""The admin endpoints: re-ingest, upload or remove a document, report, versions, rollback; behind bearer tokens."""
from __future__ import annotations

import hmac

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from advisor.settings import Settings
from ingest.formats import accepted, unsupported
from ingest.report import IngestReport
from ingest.service import UPLOAD_FIELDS

from ..services import Services
from .errors import CHANNEL, require_json

UPLOAD_PATH = "/admin/documents"
UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"},
        "replace": {"type": "boolean", "description": "replace the document of the same name"},
        **{key: {"type": "string"} for key in UPLOAD_FIELDS}}}}}}


class RollbackRequest(BaseModel):
    version: str | None = Field(None, description="The version to serve; default the version that served before the "
                                                  "serving one (not undone since), from the audit log.")


async def read_upload(request: Request) -> tuple[str, bytes, bool, dict[str, str]]:
    """The uploaded file's name and bytes, whether to replace, and the details given beside it."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise HTTPException(415, "Send the document as multipart/form-data, in a field named file.")
    async with request.form(max_files=1, max_fields=12) as form:  # read only once the token is known good
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, "file: send the document in a multipart field named file.")
        name = upload.filename or ""
        if not accepted(name):
            raise HTTPException(415, f"{name or '(no name)'}: {unsupported(name)}.")
        replace = str(form.get("replace") or "").strip().lower() in ("1", "true", "yes", "on")
        meta = {key: value for key in UPLOAD_FIELDS if isinstance(value := form.get(key), str)}
        return name, await upload.read(), replace, meta


def _built(report: IngestReport, what: str) -> JSONResponse:
    """200 with the report when the version published; 422 with why when it was built but not published."""
    body = report.to_dict() | {"summary": report.summary()}
    if not report.published:
        return JSONResponse(body | {"error": f"{what}: not published: {report.reason}"}, 422)
    return JSONResponse(body)


def add_admin_routes(app: FastAPI, services: Services, tokens: dict[str, str]) -> None:
    """The admin endpoints, behind a bearer token; not added at all when no token is configured."""

    async def admin_actor(request: Request) -> str:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise HTTPException(401, "This endpoint needs an admin token: Authorization: Bearer <token>.",
                                headers={"WWW-Authenticate": "Bearer"})
        for name, token in tokens.items():
            if hmac.compare_digest(given.strip().encode(), token.encode()):
                return f"{CHANNEL}:{name}"
        raise HTTPException(403, "The admin token is not valid.")

    @app.post("/admin/reingest", tags=["admin"])
    async def reingest(actor: str = Depends(admin_actor)) -> dict:
        """Re-read the knowledge folder and publish a new version if its checks pass."""
        report = await run_in_threadpool(services.admin.reingest, actor)
        return report.to_dict() | {"summary": report.summary()}

    @app.post(UPLOAD_PATH, tags=["admin"], openapi_extra={"requestBody": UPLOAD_BODY})
    async def add_document(request: Request, actor: str = Depends(admin_actor)) -> JSONResponse:
        """Upload one document (.pdf, .docx, .md, .txt, .html) as the form field `file`, with `replace=true` to replace
        one of the same name, and optionally its details as fields (title, issuer, date YYYY-MM-DD, url, authority
        official|summary, language en|fr|nl; a Markdown file gives them in its front matter). It is published only if
        its version passes the checks; otherwise nothing changes (422)."""
        name, data, replace, meta = await read_upload(request)
        report = await run_in_threadpool(lambda: services.admin.add_document(name, data, actor, replace=replace, meta=meta))
        return _built(report, name)

    @app.delete(UPLOAD_PATH + "/{name:path}", tags=["admin"])
    async def remove_document(name: str, actor: str = Depends(admin_actor)) -> JSONResponse:
        """Take a document out (with its translations and attached questions) through a new version that must pass
        the checks; its files go to the store's trash. 404 when the serving version has no such document."""
        if name not in {d.path for d in services.admin.documents()}:
            raise HTTPException(404, f"{name}: there is no document of this name in the serving version "
                                     "(GET /admin/documents lists them).")
        return _built(await run_in_threadpool(lambda: services.admin.remove_document(name, actor)), name)

    @app.get(UPLOAD_PATH, tags=["admin"])
    def documents(actor: str = Depends(admin_actor)) -> list[dict]:
        """The documents of the serving version, with their details."""
        return [d.to_dict() for d in services.admin.documents()]

    @app.get("/admin/report", tags=["admin"])
    def report(actor: str = Depends(admin_actor)) -> dict:
        """Questions the guidance did not cover, recent feedback and counts."""
        journal = services.journal
        return {"stats": journal.stats(), "not_covered": journal.gaps(50), "feedback": journal.recent_feedback(50)}

    @app.get("/admin/versions", tags=["admin"])
    def versions(actor: str = Depends(admin_actor)) -> list[dict]:
        """The knowledge versions in the store; the serving one is marked."""
        return services.admin.store.version_rows()

    @app.post("/admin/rollback", tags=["admin"])
    async def rollback(body: RollbackRequest, actor: str = Depends(admin_actor), _: None = Depends(require_json)) -> dict:
        """Serve the version that served before the serving one (not undone since), or the version named."""
        if body.version is not None and body.version not in services.admin.store.version_ids():
            raise HTTPException(404, f"There is no knowledge version {body.version!r}.")
        return (await run_in_threadpool(services.admin.rollback, body.version, actor)).to_dict()


def admin_tokens(settings: Settings) -> dict[str, str]:
    """Every admin token by the name its actions are recorded under: ADVISOR_ADMIN_TOKEN is "admin"."""
    return ({"admin": settings.admin_token} if settings.admin_token else {}) | settings.admin_tokens
