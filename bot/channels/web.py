"""The web channel: a JSON API, the embeddable chat widget and a demo page over the one advisor."""
from __future__ import annotations

import hmac
import logging
import math
import re
import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware

from ingest.service import UPLOAD_TYPES

from ..errors import AdvisorError, DocumentError, IngestBusy, KnowledgeNotReady, QuestionError, StoreError

log = logging.getLogger("advisor.web")

STATIC = Path(__file__).parent / "static"
CHANNEL = "web"
ANONYMOUS = "anonymous"  # the web channel does not record who asked: no IP addresses in the journal
UPLOAD_PATH = "/admin/documents"
# The pages served here load only their own script, style and API; the widget styles itself with
# constructed style sheets, so no 'unsafe-inline' is needed anywhere.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Swagger UI is FastAPI's page: inline script and its assets from a CDN, so it gets a looser policy.
DOCS_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
            "connect-src 'self'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")
UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}}
_TOKEN_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


# Request bodies -------------------------------------------------------------------------------
class AskRequest(BaseModel):
    question: str = Field(description="The researcher's question, in English, French or Dutch.")
    lang: Literal["en", "fr", "nl"] | None = Field(None, description="The asker's language; detected when absent.")


class FeedbackRequest(BaseModel):
    question_id: int = Field(ge=1, description="The question_id returned with the answer.")
    rating: Literal[1, -1] = Field(description="1 helpful, -1 not helpful.")


class RollbackRequest(BaseModel):
    version: str | None = Field(None, description="The version to serve; default the one before the serving version.")


async def require_json(request: Request) -> None:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise HTTPException(415, "Send the request body as JSON with Content-Type: application/json.")


# The app ------------------------------------------------------------------------------------------
def create_app(services) -> FastAPI:
    """Build the web app over `services` (settings, advisor, journal, admin, ready); serving it is separate."""
    settings = services.settings
    app = FastAPI(title="Collaboration Advisor", version="1", summary="Quoted, sourced answers about working with Russian colleagues.")
    tokens = admin_tokens(settings.admin_token)

    # Asking ----------------------------------------------------------------------------------------
    @app.post("/api/ask", dependencies=[Depends(require_json)], tags=["ask"])
    def ask(body: AskRequest) -> dict:
        """Answer with verbatim quotes and their sources, or say the guidance is silent."""
        answer = services.advisor.ask(body.question, body.lang)
        question_id = services.journal.record_question(CHANNEL, ANONYMOUS, answer)
        return answer.to_dict() | {"question_id": question_id}

    @app.get("/api/sources", tags=["ask"])
    def sources() -> list[dict]:
        """The documents of the serving knowledge version."""
        return [d.to_dict() for d in services.advisor.sources()]

    @app.post("/api/feedback", dependencies=[Depends(require_json)], tags=["ask"])
    def feedback(body: FeedbackRequest) -> dict:
        """Record whether an answer helped."""
        if not services.journal.record_feedback(body.question_id, body.rating, CHANNEL, ANONYMOUS):
            raise HTTPException(404, f"There is no question {body.question_id} to rate.")
        return {"ok": True}

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict:
        return {"ok": True}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        if not services.ready:
            return JSONResponse({"ready": False, "error": "The knowledge is not loaded yet."}, 503)
        return JSONResponse({"ready": True, "version": services.advisor.version})

    # Pages -------------------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def demo(lang: str = "en") -> HTMLResponse:
        return HTMLResponse(demo_page(lang if lang in ("en", "fr", "nl") else "en"))

    @app.get("/widget.js", include_in_schema=False)
    async def widget() -> Response:
        return Response(static_file("widget.js"), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300", "Cross-Origin-Resource-Policy": "cross-origin"})

    @app.get("/demo.css", include_in_schema=False)
    async def demo_css() -> Response:
        return Response(static_file("demo.css"), media_type="text/css; charset=utf-8", headers={"Cache-Control": "public, max-age=300"})

    if tokens:
        add_admin_routes(app, services, tokens)
    install_error_handlers(app)
    # Added last = outermost: refusals (413, 429) still carry CORS and security headers.
    app.add_middleware(RequestLimits, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes,
                       limiter=RateLimiter(settings.web_rate_limit_per_minute))
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type"], max_age=600)
    app.add_middleware(SecurityHeaders)
    return app


def add_admin_routes(app: FastAPI, services, tokens: dict[str, str]) -> None:
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
    async def add_document(request: Request, actor: str = Depends(admin_actor)) -> dict:
        """Upload one document (.pdf, .docx, .md, .txt, .html) as the form field `file`; a file that cannot be read changes nothing."""
        if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            raise HTTPException(415, "Send the document as multipart/form-data, in a field named file.")
        async with request.form(max_files=1, max_fields=4) as form:  # read only once the token is known good
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise HTTPException(422, "file: send the document in a multipart field named file.")
            name = upload.filename or ""
            if Path(name).suffix.lower() not in UPLOAD_TYPES:
                raise HTTPException(415, f"{name or '(no name)'}: unsupported file type; send one of {', '.join(UPLOAD_TYPES)}.")
            data = await upload.read()
        report = await run_in_threadpool(services.admin.add_document, name, data, actor)
        return report.to_dict() | {"summary": report.summary()}

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
        """Serve an earlier knowledge version."""
        if body.version is not None and body.version not in services.admin.store.version_ids():
            raise HTTPException(404, f"There is no knowledge version {body.version!r}.")
        return {"version": await run_in_threadpool(services.admin.rollback, body.version, actor)}


# Errors: every refusal is {"error": "<a plain sentence>"} ----------------------------------------
def install_error_handlers(app: FastAPI) -> None:
    def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
        return JSONResponse({"error": message}, status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = exc.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return error(400, "The request body is not valid JSON.")
        return error(422, "; ".join(describe(p) for p in problems[:3]) or "The request is not valid.")

    @app.exception_handler(QuestionError)
    async def bad_question(request: Request, exc: QuestionError) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(DocumentError)
    async def bad_document(request: Request, exc: DocumentError) -> JSONResponse:
        return error(422, str(exc))

    @app.exception_handler(IngestBusy)
    async def busy(request: Request, exc: IngestBusy) -> JSONResponse:
        return error(409, str(exc), {"Retry-After": "30"})

    @app.exception_handler(KnowledgeNotReady)
    @app.exception_handler(StoreError)
    async def not_ready(request: Request, exc: AdvisorError) -> JSONResponse:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
        return error(503, str(exc))

    @app.exception_handler(AdvisorError)
    async def refused(request: Request, exc: AdvisorError) -> JSONResponse:
        return error(409, str(exc))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        # Starlette re-raises after this response, so the server logs the traceback once.
        return error(500, "Something went wrong on the server; the error has been logged.")


def describe(problem: dict) -> str:
    """One validation problem as `field: what is wrong`."""
    where = ".".join(str(p) for p in problem.get("loc", ()) if p != "body")
    message = problem.get("msg", "is not valid")
    if problem.get("type") == "missing":
        return f"{where or 'body'}: this field is required" if where else "The request needs a JSON body."
    return f"{where}: {message}" if where else f"The request body: {message}"


# Security: limits and headers, as plain ASGI middleware (cheap on the hot path) ---------------------
class RateLimiter:
    """A token bucket per client: `per_minute` requests, refilled evenly over the minute."""

    def __init__(self, per_minute: int, clock=time.monotonic, max_clients: int = 10_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}

    def wait_seconds(self, client: str) -> float:
        """Take one request from the client's bucket: 0 if allowed, else the seconds until one is free."""
        now = self.clock()
        tokens, last = self._buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[client] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_clients:
                self._forget_full(now)
            return 0.0
        self._buckets[client] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        for key, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * self.rate >= self.capacity:
                del self._buckets[key]


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit} bytes.")


class RequestLimits:
    """Rate limit for /api and /admin, and a body-size limit enforced before the body is read."""

    def __init__(self, app, max_body: int, max_upload: int, limiter: RateLimiter) -> None:
        self.app, self.max_body, self.max_upload, self.limiter = app, max_body, max_upload, limiter

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path.startswith(("/api/", "/admin/")):
            client = (scope.get("client") or ("unknown",))[0]
            wait = self.limiter.wait_seconds(client)
            if wait:
                response = JSONResponse({"error": f"Too many requests; try again in {math.ceil(wait)} seconds."}, 429,
                                        headers={"Retry-After": str(math.ceil(wait))})
                return await response(scope, receive, send)
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        limit = self.max_upload if path == UPLOAD_PATH else self.max_body
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            response = JSONResponse({"error": BodyTooLarge(limit).detail} if declared.isdigit()
                                    else {"error": "The Content-Length header is not a number."},
                                    413 if declared.isdigit() else 400, headers={"Connection": "close"})
            return await response(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:  # a chunked body that declared no length
                raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)


class SecurityHeaders:
    """Headers on every response; a strict CSP on everything but FastAPI's own docs pages."""

    COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin"),
              (b"x-frame-options", b"DENY"), (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = (DOCS_CSP if scope["path"].startswith(DOCS_PATHS) else PAGE_CSP).encode()

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.COMMON, (b"content-security-policy", csp)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Helpers ------------------------------------------------------------------------------------------
def admin_tokens(configured: str | None) -> dict[str, str]:
    """ADVISOR_ADMIN_TOKEN as {name: token}: one bare token is named "admin"; or "alice:tok1,bob:tok2"."""
    tokens: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in (configured or "").split(","))):
        name, sep, token = entry.partition(":")
        if sep and token and _TOKEN_NAME.match(name):
            tokens[name] = token
        else:
            tokens["admin" if "admin" not in tokens else f"admin{len(tokens) + 1}"] = entry
    return tokens


@lru_cache(maxsize=None)
def static_file(name: str) -> bytes:
    return (STATIC / name).read_bytes()


@lru_cache(maxsize=None)
def demo_page(lang: str) -> str:
    """The demo page, with the widget's language set to `lang`."""
    html = static_file("demo.html").decode("utf-8")
    return html.replace('data-lang="en"', f'data-lang="{lang}"').replace('<html lang="en">', f'<html lang="{lang}">')
