"""Liveness, readiness and the AsyncAPI document every service serves."""

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from shared.web.audit import NOT_PERSONAL
from shared.web.staff.render import render

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

    @router.get("/asyncapi", include_in_schema=False)
    async def asyncapi_html(request: Request) -> Response:
        """The AsyncAPI document as a page: topics, what this service does with each, payloads."""
        document = json.loads(asyncapi().to_json())
        channels = document.get("channels", {})
        operations = []
        for operation in document.get("operations", {}).values():
            name = unquote(str(operation.get("channel", {}).get("$ref", "")).removeprefix("#/channels/"))
            channel = channels.get(name, {})
            operations.append(
                {
                    "action": operation.get("action"),
                    "address": channel.get("address", name),
                    "description": channel.get("description", ""),
                }
            )
        schemas = [
            (name, schema)
            for name, schema in sorted(document.get("components", {}).get("schemas", {}).items())
            if schema.get("properties") or schema.get("enum")
        ]
        return render(
            request,
            "asyncapi.html",
            info=document.get("info", {}),
            version=document.get("asyncapi"),
            operations=sorted(operations, key=lambda o: (o["action"] != "send", o["address"])),
            schemas=schemas,
            type_of=_type_of,
        )

    return router


def _type_of(spec: dict[str, Any]) -> str:
    """A JSON schema's type, as a reader would say it."""
    if "$ref" in spec:
        return unquote(str(spec["$ref"]).rsplit("/", 1)[-1])
    if "anyOf" in spec or "oneOf" in spec:
        return " | ".join(_type_of(part) for part in spec.get("anyOf", spec.get("oneOf", [])))
    if spec.get("type") == "array":
        return f"[{_type_of(spec.get('items', {}))}]"
    kind = str(spec.get("type", "any"))
    return f"{kind} ({spec['format']})" if "format" in spec else kind
