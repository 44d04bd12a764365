"""The domain refuses in its own words; the HTTP edge answers each refusal as a problem."""

import httpx
import pytest
from fastapi import FastAPI

from shared.errors import Conflict, DomainError, Invalid, NotFound
from shared.web.problems import PROBLEM_JSON, install_problem_handlers


def app_raising(error: DomainError) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/things/{key}")
    async def refuse(key: str) -> None:
        raise error

    return app


@pytest.mark.parametrize(
    ("error", "status", "title", "detail", "extensions"),
    [
        (
            NotFound("learner record for newcomer", "42"),
            404,
            "Not found",
            "No learner record for newcomer 42.",
            {},
        ),
        (
            Conflict("Newcomer 42 exists.", existing_id="42"),
            409,
            "Conflict",
            "Newcomer 42 exists.",
            {"existing_id": "42"},
        ),
        (
            Invalid("Norway asks for 0 or at least 10."),
            422,
            "Invalid request",
            "Norway asks for 0 or at least 10.",
            {},
        ),
    ],
)
async def test_each_domain_refusal_is_answered_as_the_problem_staff_saw_before(
    error: DomainError, status: int, title: str, detail: str, extensions: dict[str, str]
) -> None:
    transport = httpx.ASGITransport(app=app_raising(error))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/things/42")
    assert (response.status_code, response.headers["content-type"]) == (status, PROBLEM_JSON)
    assert response.json() == {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": "/things/42",
        **extensions,
    }


async def test_a_refusal_of_a_kind_the_edge_does_not_know_is_a_bad_request_not_a_server_error() -> None:
    class Refused(DomainError):
        pass

    transport = httpx.ASGITransport(app=app_raising(Refused("Not today.")))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/things/1")
    assert (response.status_code, response.json()["detail"]) == (400, "Not today.")
