"""The web app: asking, sources, feedback, health, the demo page and the widget script."""
from __future__ import annotations

import json
from functools import cache
from html import escape
from pathlib import Path
from typing import Literal

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from advisor.conversation import ask_in
from advisor.documents import LANGUAGES, OFFICIAL, DocumentMeta, Language
from advisor.passages import Passage
from advisor.strings import t

from ..ratelimit import RateLimiter
from ..services import Services
from ..strings import EXAMPLES
from .admin import add_admin_routes, admin_tokens
from .admin_page import add_admin_page
from .apidocs import api_page
from .errors import CHANNEL, install_error_handlers, require_json
from .security import RefusedOrigins, RequestLimits, SecurityHeaders
from .strings import WIDGET

STATIC = Path(__file__).parent / "static"
ANONYMOUS = "anonymous"  # the web channel does not record who asked: no IP addresses in the journal
_STRINGS_SLOT, _LIMIT_SLOT = "/*STRINGS*/null", "/*LIMIT*/1000"


# Request bodies -------------------------------------------------------------------------------
class AskRequest(BaseModel):
    question: str = Field(description="The researcher's question, in English, French or Dutch.")
    lang: Language | None = Field(None, description="The asker's language; detected when absent.")
    conversation: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description=(
        "The conversation id returned with the previous answer; a follow-up is read with the earlier turns. "
        "Unknown or expired: a new conversation starts (and its id is returned)."))
    previous: str | None = Field(None, description=(
        "The `topic` returned with the previous answer (or the question asked just before), for follow-ups when the "
        "server no longer knows the conversation (restarted, expired) or for clients without a conversation id. "
        "The conversation's own turns come first; it is only searched with, never quoted. At most as long as a "
        "question (ADVISOR_MAX_QUESTION_CHARS)."))


class FeedbackRequest(BaseModel):
    question_id: int = Field(ge=1, description="The question_id returned with the answer.")
    feedback_token: str = Field(min_length=1, max_length=64, description="The feedback_token returned with the answer.")
    rating: Literal[1, -1] = Field(description="1 helpful, -1 not helpful.")
    comment: str | None = Field(None, max_length=1000, description=(
        "What was missing or wrong, in the asker's words (optional); sent again with the vote, it replaces the first."))


def create_app(services: Services) -> FastAPI:
    """Build the web app over `services` (settings, advisor, journal, admin, ready); serving it is separate."""
    settings = services.settings
    app = FastAPI(title="Collaboration Advisor", version="1", summary="Quoted, sourced answers about working with Russian colleagues.",
                  docs_url=None, redoc_url=None)  # /docs is our own page: FastAPI's loads its scripts from a CDN
    tokens = admin_tokens(settings)

    # Asking ----------------------------------------------------------------------------------------
    @app.post("/api/ask", dependencies=[Depends(require_json)], tags=["ask"])
    def ask(body: AskRequest) -> dict:
        """Answer with verbatim quotes and their sources, or say the guidance is silent."""
        if body.previous and len(body.previous) > settings.max_question_chars:
            raise HTTPException(422, f"previous: at most {settings.max_question_chars} characters, got {len(body.previous)}.")
        conversations = services.conversations
        key = body.conversation if body.conversation and conversations.is_open(body.conversation) else conversations.start()
        earlier = body.previous if body.previous and not conversations.turns(key) else None
        answer, topic = ask_in(services.advisor, conversations, key, body.question, body.lang, replying_to=earlier)
        recorded = services.journal.record_question(CHANNEL, ANONYMOUS, answer)
        services.review.consider(answer)
        # `topic`: what a follow-up to this answer leans on; a client keeps it to send back as `previous`.
        reply = answer.to_dict() | {"conversation": key, "topic": None if answer.small_talk else topic}
        for quote, quoted in zip(reply["quotes"], answer.quotes):  # where the quote can be read in its document, here
            quote["view_url"] = quoted.view_url()
        return reply | {"question_id": recorded.question_id if recorded else None,
                        "feedback_token": recorded.feedback_token if recorded else None}

    @app.get("/api/sources", tags=["ask"])
    def sources() -> list[dict]:
        """The documents of the serving knowledge version."""
        return [d.to_dict() for d in services.advisor.sources()]

    @app.post("/api/feedback", dependencies=[Depends(require_json)], tags=["ask"])
    def feedback(body: FeedbackRequest) -> dict:
        """Record whether an answer helped."""
        if not services.journal.record_feedback(body.question_id, body.rating, CHANNEL, ANONYMOUS, token=body.feedback_token,
                                              comment=(body.comment or "").strip() or None):
            raise HTTPException(404, f"There is no question {body.question_id} with that feedback token to rate.")
        if body.rating < 0:
            services.review.thumbs_down(services.journal.question(body.question_id))
        return {"ok": True}

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict:
        return {"ok": True}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        if not services.ready:
            return JSONResponse({"ready": False, "error": "The knowledge is not loaded yet."}, 503)
        body = {"ready": True, "version": services.advisor.version}
        # Still answering; an operator should know the log is not kept, or new versions cannot be seen.
        problems = [p for p in (services.journal.problem, services.advisor.store.problem) if p]
        if problems:
            body["degraded"] = " ".join(problems)
        return JSONResponse(body)

    add_pages(app, services)
    if tokens:
        add_admin_routes(app, services, tokens)
        app.state.admin_sessions = add_admin_page(app, services, tokens)
    install_error_handlers(app)
    # Added last = outermost: refusals (413, 429) still carry CORS and security headers.
    app.add_middleware(RequestLimits, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes,
                       limiter=RateLimiter(settings.web_rate_limit_per_minute),
                       admin_limiter=RateLimiter(settings.admin_rate_limit_per_minute))
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type"], max_age=600)
    app.add_middleware(RefusedOrigins, allowed=settings.cors_origin_list)
    app.add_middleware(SecurityHeaders)
    if settings.trusted_proxy_list:  # outermost: the rate limits count the client the proxy names, not the proxy
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    return app


def add_pages(app: FastAPI, services: Services) -> None:
    """The demo page, the widget script, the document viewer and their style sheets."""
    settings = services.settings

    @app.get("/", include_in_schema=False)
    async def demo(lang: str = "en") -> HTMLResponse:
        return HTMLResponse(demo_page(lang if lang in LANGUAGES else "en"))

    @app.get("/widget.js", include_in_schema=False)
    async def widget() -> Response:
        return Response(widget_script(settings.max_question_chars), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300", "Cross-Origin-Resource-Policy": "cross-origin"})

    @app.get("/documents/{path:path}", include_in_schema=False)
    def document(path: str, lang: str | None = None) -> HTMLResponse:
        """A document of the serving version, each passage anchored by its id: a quote one click from its place.
        With `lang` (fr, nl, en), each paragraph's unofficial translation into it is shown beside the original."""
        found = services.advisor.document(path)
        if found is None:
            raise HTTPException(404, f"There is no document {path!r} in the serving knowledge.")
        meta, passages = found
        reader = lang if lang in LANGUAGES and lang != meta.language else None
        note = services.advisor.translation_note(path, reader) if reader else None
        return HTMLResponse(document_page(meta, passages, reader, note))

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(api_page(app.openapi()))

    @app.get("/document.css", include_in_schema=False)
    async def document_css() -> Response:
        return Response(static_file("document.css"), media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300"})

    @app.get("/demo.css", include_in_schema=False)
    async def demo_css() -> Response:
        return Response(static_file("demo.css"), media_type="text/css; charset=utf-8", headers={"Cache-Control": "public, max-age=300"})


def static_file(name: str) -> bytes:
    return (STATIC / name).read_bytes()


@cache
def demo_page(lang: str) -> str:
    """The demo page, with the widget's language set to `lang`."""
    html = static_file("demo.html").decode("utf-8")
    return html.replace('data-lang="en"', f'data-lang="{lang}"').replace('<html lang="en">', f'<html lang="{lang}">')


def document_page(meta: DocumentMeta, passages: list[Passage], reader: str | None = None, note: str | None = None) -> str:
    """The document as a page; every value is escaped, and the passage a link names is highlighted (CSS :target).
    For a `reader` of another language, each paragraph's translation follows it, marked unofficial."""
    authority = "Official text" if meta.authority == OFFICIAL else "Summary, not an official text"
    if reader:
        authority = f"{authority} · {note or t(reader, 'translation_note')}"
    details = " · ".join(escape(x) for x in (meta.issuer, meta.date, authority) if x)
    original = (f'<p><a href="{escape(meta.url, quote=True)}" rel="noopener noreferrer">Original source ↗</a></p>'
                if meta.url.lower().startswith(("https://", "http://")) else "")
    note = f'<aside class="note">{escape(meta.note)}</aside>' if meta.note else ""
    body, heading = [], ""
    for passage in passages:
        if passage.heading and passage.heading != heading and passage.heading != meta.title:
            heading = passage.heading
            body.append(f"<h2>{escape(heading)}</h2>")
        body.append(f'<p id="{escape(passage.id, quote=True)}">{escape(passage.text)}</p>')
        translation = passage.translations.get(reader) if reader else None
        if reader and translation:
            label = escape(t(reader, "translation")) + (" :" if reader == "fr" else ":")  # French spaces its colon
            body.append(f'<p class="translation" lang="{reader}"><span class="label">{label}</span> {escape(translation)}</p>')
    return (f'<!doctype html><html lang="{escape(meta.language, quote=True)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(meta.title)}</title><link rel="stylesheet" href="/document.css"></head><body><main>'
            f'<h1>{escape(meta.title)}</h1><p class="meta">{details}</p>{original}{note}{"".join(body)}'
            "</main></body></html>")


@cache
def widget_script(max_question_chars: int) -> bytes:
    """widget.js with its strings filled in from the one string table, and the longest question the server takes."""
    table = {lang: WIDGET[lang] | {"questions": list(EXAMPLES[lang])} for lang in LANGUAGES}
    # Served without its indentation and its comment lines (a sixth of its size); no line of it continues a string
    # onto the next, so a line that starts with // is all comment.
    lines = (line.strip() for line in static_file("widget.js").decode("utf-8").splitlines())
    script = "\n".join(line for line in lines if not line.startswith("//"))
    if _STRINGS_SLOT not in script or _LIMIT_SLOT not in script:
        raise RuntimeError("widget.js has no strings or limit slot")
    return (script.replace(_STRINGS_SLOT, json.dumps(table, ensure_ascii=False, separators=(",", ":")))
            .replace(_LIMIT_SLOT, str(max_question_chars)).encode("utf-8"))
