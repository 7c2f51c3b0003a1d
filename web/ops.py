"""Operator endpoints: Prometheus metrics and readiness. No session, no account: nothing private.

The serving process hands in plain callables, so the web knows neither SMTP nor the worker.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def ops_router(*, metrics: Callable[[], bytes], readiness: Callable[[], dict[str, bool]]) -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(metrics(), media_type=PROMETHEUS_TEXT)

    @router.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        checks = readiness()
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    return router
