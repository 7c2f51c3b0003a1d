"""Errors of /api/v1 as `{"error": {"code": "...", "message": "..."}}` (DESIGN.md, Integration API).

The older /api routes keep FastAPI's `{"detail": ...}`; pages render error.html (web/app.py).
"""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from web.api import V1_PREFIX as PREFIX

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
}


class ApiError(HTTPException):
    """An /api/v1 error with its machine-readable code."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(status_code=status_code, detail=message)
        self.code = code


def is_v1(request: Request) -> bool:
    return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")


def v1_error(exc: StarletteHTTPException) -> JSONResponse:
    code = getattr(exc, "code", None) or CODES.get(exc.status_code, "error")
    body = {"error": {"code": code, "message": str(exc.detail)}}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def v1_validation_error(exc: RequestValidationError) -> JSONResponse:
    """A malformed parameter is a 400 that names it (`limit: ...`), not FastAPI's 422 list."""
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
    return v1_error(ApiError(400, "bad_parameter", f"{where}: {first.get('msg', 'invalid')}"))
