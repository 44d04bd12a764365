"""Liveness, readiness and the AsyncAPI document every service serves."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from shared.web.audit import NOT_PERSONAL

Check = Callable[[], Awaitable[Any]]


def operations_router(checks: dict[str, Check], asyncapi: Callable[[], Any]) -> APIRouter:
    """Liveness, readiness (each named check must pass) and the AsyncAPI document."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process serves requests", openapi_extra=NOT_PERSONAL)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: the store and the broker answer",
        responses={503: {"description": "Not ready: the body names the check that failed"}},
        openapi_extra=NOT_PERSONAL,
    )
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as error:  # a readiness probe reports, it does not raise
                results[name] = f"failed: {error}"
        ready = all(result == "ok" for result in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @router.get(
        "/asyncapi.json",
        summary="AsyncAPI 3.0 document of the events this service publishes and consumes",
        openapi_extra=NOT_PERSONAL,
    )
    async def asyncapi_json() -> Response:
        return Response(asyncapi().to_json(), media_type="application/json")

    @router.get(
        "/asyncapi.yaml",
        summary="The AsyncAPI document as YAML",
        response_class=Response,
        responses={
            200: {
                "description": "The document",
                "content": {"application/yaml": {}},
            }
        },
        openapi_extra=NOT_PERSONAL,
    )
    async def asyncapi_yaml() -> Response:
        return Response(asyncapi().to_yaml(), media_type="application/yaml")

    return router
