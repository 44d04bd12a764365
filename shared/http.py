"""HTTP conventions every service shares: problem+json errors, health, AsyncAPI."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class Pagination:
    limit: int
    offset: int

    def page(self, items: list[ItemT], total: int) -> Page[ItemT]:
        return Page[ItemT](items=items, total=total, limit=self.limit, offset=self.offset)


async def _pagination(  # async: FastAPI would build a class dependency in a worker thread
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, description="Items to skip")] = 0,
) -> Pagination:
    return Pagination(limit, offset)


PaginationDep = Annotated[Pagination, Depends(_pagination)]


class Problem(Exception):
    """An RFC 9457 problem: raised anywhere, answered as application/problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers
        self.extensions = extensions

    def response(self, instance: str) -> JSONResponse:
        body = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            **self.extensions,
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers, media_type=PROBLEM_JSON)


class NotFound(Problem):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(404, "Not found", f"No {what} {key}.")


class Invalid(Problem):
    """Well-formed input that breaks a rule of the domain."""

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(422, "Invalid request", detail, **extensions)


class Conflict(Problem):
    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(409, "Conflict", detail, **extensions)


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, error: Exception) -> Response:
        assert isinstance(error, Problem)
        return error.response(request.url.path)

    async def on_validation(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        errors = [
            {"location": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in error.errors()
        ]
        detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
        return Problem(422, "Invalid request", detail, errors=errors).response(request.url.path)

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        title = HTTPStatus(error.status_code).phrase
        problem = Problem(error.status_code, title, str(error.detail), headers=dict(error.headers or {}))
        return problem.response(request.url.path)

    async def on_unexpected(request: Request, error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = Problem(500, "Internal Server Error", "The request failed; it has been logged.")
        return problem.response(request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


Check = Callable[[], Awaitable[Any]]


def operations_router(checks: dict[str, Check], asyncapi: Callable[[], Any]) -> APIRouter:
    """Liveness, readiness (each named check must pass) and the AsyncAPI document."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process serves requests")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: the store and the broker answer")
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
        "/asyncapi.json", summary="AsyncAPI 3.0 document of the events this service publishes and consumes"
    )
    async def asyncapi_json() -> Response:
        return Response(asyncapi().to_json(), media_type="application/json")

    @router.get("/asyncapi.yaml", summary="The AsyncAPI document as YAML", response_class=PlainTextResponse)
    async def asyncapi_yaml() -> PlainTextResponse:
        return PlainTextResponse(asyncapi().to_yaml(), media_type="application/yaml")

    return router
