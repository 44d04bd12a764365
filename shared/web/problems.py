"""Errors as RFC 9457 problems (application/problem+json), the domain's refusals among them."""

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

# How the HTTP edge answers each refusal of the domain: status and title.
DOMAIN_STATUS: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "Not found"),
    Forbidden: (403, "Not yours to decide"),
    Conflict: (409, "Conflict"),
    Invalid: (422, "Invalid request"),
}


class Problem(Exception):
    """An RFC 9457 problem, answered as application/problem+json: raised by the HTTP edge itself."""

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


def problem_of(error: DomainError) -> Problem:
    """The problem a refusal of the domain is answered with."""
    status, title = next(
        (answer for kind, answer in DOMAIN_STATUS.items() if isinstance(error, kind)), (400, "Bad request")
    )
    return Problem(status, title, error.detail, **error.extensions)


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, error: Exception) -> Response:
        assert isinstance(error, Problem)
        return error.response(request.url.path)

    async def on_domain_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, DomainError)
        return problem_of(error).response(request.url.path)

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
        headers = dict(error.headers or {})
        if error.status_code == 405:  # Starlette names the methods of one route; a path may have several
            headers["Allow"] = ", ".join(allowed(request.url.path))
        problem = Problem(error.status_code, title, str(error.detail), headers=headers)
        return problem.response(request.url.path)

    paths: list[tuple[re.Pattern[str], list[str]]] = []

    def allowed(path: str) -> list[str]:
        if not paths:
            for template, operations in app.openapi().get("paths", {}).items():
                pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
                paths.append((re.compile(f"^{pattern}$"), sorted(method.upper() for method in operations)))
        return next((methods for pattern, methods in paths if pattern.match(path)), [])

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_middleware(AnswerCrashes)


class AnswerCrashes:
    """Answers an unhandled exception with a problem+json 500, and keeps the client's connection.

    Starlette re-raises an exception after its 500 handler has answered, and
    uvicorn then drops the connection; this catches it first. Should the
    response have begun, only closing the connection can tell the client, so
    the exception goes on.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            problem = Problem(500, "Internal Server Error", "The request failed; it has been logged.")
            await problem.response(scope.get("path", ""))(scope, receive, send)


class ProblemBody(BaseModel):
    """An RFC 9457 problem as the services answer it; a 422 also names each invalid field."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str


_WHEN = {
    400: "The body is not JSON",
    401: "No valid bearer token",
    403: "The token is for another agency, or lacks the role, or the decision is another scope's",
    404: "Nothing with that id (or key) within the token's municipalities or organisation",
    409: "The request contradicts the state the thing is in",
    422: "An invalid field (each is named in `errors`), or a rule of the domain broken",
}


def document_problems(app: FastAPI) -> None:
    """Lists in each API operation of `app`'s OpenAPI the problems it can answer with (problem+json)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _add_problems(generate())  # generate() keeps what it made in app.openapi_schema
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def _add_problems(document: dict[str, Any]) -> None:
    schema = ProblemBody.model_json_schema()
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if "operations" in operation.get("tags", ()):
                continue
            statuses = {401, 403, 422}
            if "requestBody" in operation:
                statuses.add(400)
            if "{" in path or method in ("post", "put", "patch", "delete"):
                statuses.add(404)
            if method in ("post", "put", "patch", "delete"):
                statuses.add(409)
            for status in sorted(statuses):
                example = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
                example |= {"detail": _WHEN[status], "instance": path}
                # FastAPI's own 422 says application/json and its validation schema; ours is a problem.
                operation["responses"][str(status)] = {
                    "description": _WHEN[status],
                    "content": {PROBLEM_JSON: {"schema": schema, "example": example}},
                }
    for unused in ("HTTPValidationError", "ValidationError"):
        document.get("components", {}).get("schemas", {}).pop(unused, None)
