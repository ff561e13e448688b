"""Every refusal is {"error": "<a plain sentence>"}, with the status that says what kind of refusal it is."""
from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from advisor.errors import AdvisorError

log = logging.getLogger("advisor.web")

CHANNEL = "web"  # what the journal and the audit log call this door


async def require_json(request: Request) -> None:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise HTTPException(415, "Send the request body as JSON with Content-Type: application/json.")


def install_error_handlers(app: FastAPI) -> None:
    def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
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

    @app.exception_handler(AdvisorError)
    async def refused(request: Request, exc: AdvisorError) -> JSONResponse:
        """Every error of the core, with the status its class carries (advisor/errors.py)."""
        if exc.http_status >= 500:  # the server's trouble, not the request's: the operator should see it
            log.log(logging.WARNING if exc.http_status == 503 else logging.ERROR, "%s %s: %s", request.method,
                    request.url.path, exc)
        retry = {"Retry-After": str(exc.retry_after_seconds)} if exc.retry_after_seconds else None
        return error(exc.http_status, str(exc), retry)

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
