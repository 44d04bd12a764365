"""Bearer tokens: each service accepts its own agency's tokens and nothing else."""

from datetime import timedelta

import pytest

from shared.contracts.agencies import Agency
from shared.web.auth import Authenticator, issue_token
from shared.web.problems import Problem

SECRET = "unit-test-secret-0123456789abcdefghij"


def test_a_token_of_the_services_own_agency_names_who_and_what_role() -> None:
    token = issue_token(SECRET, agency=Agency.EDUCATION, role="coordinator", subject="kari")
    principal = Authenticator(SECRET, Agency.EDUCATION).verify(token)
    assert (principal.subject, principal.agency, principal.role) == ("kari", Agency.EDUCATION, "coordinator")


def test_another_agencys_token_is_forbidden() -> None:
    token = issue_token(SECRET, agency=Agency.VOLUNTEERING, role="staff", subject="ola")
    with pytest.raises(Problem) as refused:
        Authenticator(SECRET, Agency.SETTLEMENT).verify(token)
    assert refused.value.status == 403


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        issue_token(
            "another-secret-0123456789abcdefghijk", agency=Agency.EDUCATION, role="staff", subject="x"
        ),
        issue_token(
            SECRET, agency=Agency.EDUCATION, role="staff", subject="x", lifetime=timedelta(seconds=-1)
        ),
    ],
    ids=["garbage", "wrong-signature", "expired"],
)
def test_invalid_tokens_are_unauthorized(token: str) -> None:
    with pytest.raises(Problem) as refused:
        Authenticator(SECRET, Agency.EDUCATION).verify(token)
    assert refused.value.status == 401
    assert refused.value.headers == {"WWW-Authenticate": "Bearer"}


@pytest.mark.parametrize("role", ["admin", "officer", "", None])
def test_a_role_outside_the_closed_set_is_refused(role: str | None) -> None:
    token = issue_token(SECRET, agency=Agency.EDUCATION, role=role, subject="x")  # type: ignore[arg-type]
    with pytest.raises(Problem) as refused:
        Authenticator(SECRET, Agency.EDUCATION).verify(token)
    assert (refused.value.status, refused.value.title) == (403, "Unknown role")
    assert "staff, coordinator" in refused.value.detail
