"""A page asks its own service's API, in process, with the staff member's token.

So a page sees exactly what the staff member's token admits (role, scope),
every look is audited as an API call is, and a refusal comes back as the
API's problem, shown next to the field it concerns in the page's language.
"""

from typing import Any

import httpx
from fastapi import Request

from shared.web.staff.render import N_, gettext
from shared.web.staff.session import StaffSession

# Pydantic's error types, as a staff member would read them (the API's own text is English).
FIELD_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This is too short."),
    "string_too_long": N_("This is too long."),
    "string_pattern_mismatch": N_("This is not in the expected format."),
    "date_from_datetime_parsing": N_("Enter a date (YYYY-MM-DD)."),
    "date_parsing": N_("Enter a date (YYYY-MM-DD)."),
    "date_from_datetime_inexact": N_("Enter a date (YYYY-MM-DD)."),
    "int_parsing": N_("Enter a whole number."),
    "greater_than_equal": N_("This number is too small."),
    "less_than_equal": N_("This number is too large."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "uuid_parsing": N_("This is not a valid identifier."),
}


class ApiProblem(Exception):
    """The API refused: its problem document, with the status."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail", ""))
        self.status = status
        self.problem = problem

    def messages(self, request: Request) -> tuple[list[str], dict[str, str]]:
        """What to show: messages for the whole form, and one per field the problem names."""
        fields: dict[str, str] = {}
        general: list[str] = []
        for error in self.problem.get("errors") or []:
            location = str(error.get("location", "")).split(".")
            name = location[-1] if len(location) > 1 else ""
            known = FIELD_MESSAGES.get(str(error.get("type")))
            text = gettext(request, known) if known else str(error.get("message", ""))
            if name and name not in fields:
                fields[name] = text
            elif not name:
                general.append(text)
        if not fields and not general:
            general.append(str(self.problem.get("detail") or self.problem.get("title") or self.status))
        return general, fields


class Api:
    """The service's own API for one page request."""

    def __init__(self, request: Request, session: StaffSession) -> None:
        self._request = request
        self._session = session

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        transport = httpx.ASGITransport(app=self._request.app)
        headers = {"Authorization": f"Bearer {self._session.access_token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url=str(self._request.base_url), headers=headers, timeout=30
        ) as client:
            response = await client.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text}
            raise ApiProblem(response.status_code, problem if isinstance(problem, dict) else {})
        return response.json() if response.content else None

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params={k: v for k, v in params.items() if v not in (None, "")})

    async def post(self, path: str, body: Any = None) -> Any:
        return await self.call("POST", path, json=body)


def form_number(text: str, *, integer: bool = False) -> int | float | str:
    """A number as staff type it in either locale (7,5 or 7.5); anything else is passed on as typed,
    for the API to refuse beside its field."""
    try:
        value = float(text.replace(",", ".").strip())
    except ValueError:
        return text
    return int(value) if integer and value.is_integer() else value
