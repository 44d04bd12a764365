"""The domain refuses in its own words; the HTTP edge answers each refusal as a problem."""

import asyncio

import httpx
import pytest
import uvicorn
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


async def test_a_crash_is_a_problem_500_and_the_connection_stays_open() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("a bug")

    @app.get("/fine")
    async def fine() -> dict[str, str]:
        return {"status": "ok"}

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # uvicorn offers no event to wait on  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        crashed = await _exchange(reader, writer, "/crash")
        assert crashed.startswith(b"HTTP/1.1 500"), crashed
        assert b"application/problem+json" in crashed
        assert b'"status":500' in crashed
        again = await _exchange(reader, writer, "/fine")  # the same connection
        assert again.startswith(b"HTTP/1.1 200"), again
        assert again.endswith(b'{"status":"ok"}'), again
    finally:
        writer.close()
        server.should_exit = True
        await serving


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> bytes:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = int(
        next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[
            1
        ]
    )
    return head + await asyncio.wait_for(reader.readexactly(length), 5)
