"""Limits and headers as plain ASGI middleware (cheap on the hot path): body size, rate, CSP and friends."""
from __future__ import annotations

import logging
import math

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from ..ratelimit import RateLimiter
from .admin import UPLOAD_PATH
from .admin_page import PAGE_UPLOAD_PATH

# The pages served here load only their own script, style and API; the widget styles itself with
# constructed style sheets, so no 'unsafe-inline' is needed anywhere.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit} bytes.")


class RequestLimits:
    """Rate limits for /api and, in a bucket of its own, /admin; a body-size limit enforced before the body is read."""

    def __init__(self, app, max_body: int, max_upload: int, limiter: RateLimiter, admin_limiter: RateLimiter) -> None:
        self.app, self.max_body, self.max_upload = app, max_body, max_upload
        self.limiter, self.admin_limiter = limiter, admin_limiter

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path.startswith(("/api/", "/admin/")):
            client = (scope.get("client") or ("unknown",))[0]
            wait = (self.admin_limiter if path.startswith("/admin/") else self.limiter).wait_seconds(client)
            if wait:
                response = JSONResponse({"error": f"Too many requests; try again in {math.ceil(wait)} seconds."}, 429,
                                        headers={"Retry-After": str(math.ceil(wait))})
                return await response(scope, receive, send)
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        limit = self.max_upload if path in (UPLOAD_PATH, PAGE_UPLOAD_PATH) else self.max_body
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
    """Headers on every response, with a strict CSP (the API page at /docs included: it is plain HTML)."""

    COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin"),
              (b"x-frame-options", b"DENY"), (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = PAGE_CSP.encode()

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.COMMON, (b"content-security-policy", csp)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RefusedOrigins:
    """Says in the log, once per origin, which setting lets a page on another origin use the API.

    Without it the log shows only `OPTIONS /api/ask 400` and the widget a generic failure.
    """

    def __init__(self, app, allowed: list[str]) -> None:
        self.app, self.allowed = app, set(allowed)
        self.told: set[str] = set()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/") and "*" not in self.allowed:
            headers = dict(scope["headers"])
            origin = headers.get(b"origin", b"").decode("latin-1")
            host = headers.get(b"host", b"").decode("latin-1")
            if origin and origin not in self.allowed and origin.split("://", 1)[-1] != host and origin not in self.told:
                self.told.add(origin)
                logging.getLogger("advisor.web").warning(
                    "A page on %s called %s %s, but that origin is not in ADVISOR_CORS_ORIGINS, so the browser refuses the "
                    "answer. To let it embed the widget, set ADVISOR_CORS_ORIGINS=%s (several origins comma-separated) "
                    "and restart.", origin, scope["method"], scope["path"], ",".join([*sorted(self.allowed), origin]))
        await self.app(scope, receive, send)


# Helpers ------------------------------------------------------------------------------------------
