"""Errors as RFC 9457 problems (application/problem+json), the domain's refusals among them."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import Conflict, DomainError, Invalid, NotFound

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

# How the HTTP edge answers each refusal of the domain: status and title.
DOMAIN_STATUS: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "Not found"),
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
        problem = Problem(error.status_code, title, str(error.detail), headers=dict(error.headers or {}))
        return problem.response(request.url.path)

    async def on_unexpected(request: Request, error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = Problem(500, "Internal Server Error", "The request failed; it has been logged.")
        return problem.response(request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
