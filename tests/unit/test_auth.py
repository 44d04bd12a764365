"""Bearer tokens: only a trusted issuer's, signed with its published keys, for this service and agency."""

import base64
import json
from datetime import timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from shared.config import ServiceSettings
from shared.contracts.agencies import Agency
from shared.web.auth import Authenticator
from shared.web.problems import Problem
from tests.issuer import Issuer


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


async def refused(authenticator: Authenticator, token: str) -> Problem:
    with pytest.raises(Problem) as caught:
        await authenticator.verify(token)
    return caught.value


async def test_a_token_of_the_services_own_agency_names_who_what_role_and_scope(issuer: Issuer) -> None:
    token = issuer.token(Agency.EDUCATION, "coordinator", subject="kari", municipalities=["0301"])
    principal = await issuer.authenticator(Agency.EDUCATION).verify(token)
    assert (principal.subject, principal.agency, principal.role) == ("kari", Agency.EDUCATION, "coordinator")
    assert principal.municipalities == {"0301"}


async def test_a_volunteer_organisations_token_names_the_organisation(issuer: Issuer) -> None:
    token = issuer.token(Agency.VOLUNTEERING, organisation="red-cross")
    principal = await issuer.authenticator(Agency.VOLUNTEERING).verify(token)
    assert principal.organisation == "red-cross"
    assert principal.municipalities == frozenset()


async def test_keys_are_fetched_once_and_cached(issuer: Issuer) -> None:
    authenticator = issuer.authenticator(Agency.EDUCATION)
    for _ in range(5):
        await authenticator.verify(issuer.token(Agency.EDUCATION))
    assert issuer.requests == [f"{issuer.url}/.well-known/openid-configuration", f"{issuer.url}/certs"]


async def test_a_rotated_key_is_picked_up_without_a_restart(issuer: Issuer) -> None:
    authenticator = issuer.authenticator(Agency.EDUCATION, refetch_after_s=0)
    await authenticator.verify(issuer.token(Agency.EDUCATION))
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer.published = [issuer.key, new_key]  # the provider publishes its next key beside the old
    principal = await authenticator.verify(issuer.token(Agency.EDUCATION, key=new_key, kid=f"{issuer.kid}-1"))
    assert principal.agency == Agency.EDUCATION
    assert issuer.requests.count(f"{issuer.url}/certs") == 2


async def test_an_unknown_key_does_not_make_every_request_fetch_the_keys_again(issuer: Issuer) -> None:
    authenticator = issuer.authenticator(Agency.EDUCATION, refetch_after_s=60)
    await authenticator.verify(issuer.token(Agency.EDUCATION))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for _ in range(3):
        problem = await refused(authenticator, issuer.token(Agency.EDUCATION, key=stranger, kid="unknown"))
        assert problem.status == 401
    assert issuer.requests.count(f"{issuer.url}/certs") == 1


async def test_another_agencys_token_is_forbidden(issuer: Issuer) -> None:
    # The volunteering token is meant for volunteering's audience too: wrong audience first.
    token = issuer.token(Agency.VOLUNTEERING, audience="samvirke-settlement")
    problem = await refused(issuer.authenticator(Agency.SETTLEMENT), token)
    assert (problem.status, problem.title) == (403, "Wrong agency")


def _unsigned(issuer: Issuer) -> str:
    claims = jwt.decode(issuer.token(Agency.EDUCATION), options={"verify_signature": False})
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    return f"{header.decode()}.{body.decode()}."


def _hs256_with_the_public_key(issuer: Issuer) -> str:
    # The classic confusion attack: the public key used as an HMAC secret.
    claims = jwt.decode(issuer.token(Agency.EDUCATION), options={"verify_signature": False})
    return jwt.encode(claims, "a-secret-anyone-could-hold-0123456789", algorithm="HS256")


@pytest.mark.parametrize(
    "make",
    [
        lambda issuer: "not-a-jwt",
        lambda issuer: issuer.token(Agency.EDUCATION, lifetime=timedelta(minutes=-5)),
        lambda issuer: issuer.token(Agency.EDUCATION, nbf=9_999_999_999),
        lambda issuer: issuer.token(Agency.EDUCATION, issuer="https://elsewhere.test/realms/samvirke"),
        lambda issuer: issuer.token(Agency.EDUCATION, audience="samvirke-employment"),
        lambda issuer: issuer.token(
            Agency.EDUCATION, key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ),
        _unsigned,
        _hs256_with_the_public_key,
        lambda issuer: ".".join([*issuer.token(Agency.EDUCATION).split(".")[:2], "c2lnbmVkIGJ5IG5vYm9keQ"]),
    ],
    ids=[
        "garbage",
        "expired",
        "not-yet-valid",
        "untrusted-issuer",
        "wrong-audience",
        "untrusted-key",
        "alg-none",
        "hs256",
        "tampered",
    ],
)
async def test_invalid_tokens_are_unauthorized(issuer: Issuer, make: object) -> None:
    token = make(issuer)  # type: ignore[operator]
    problem = await refused(issuer.authenticator(Agency.EDUCATION, leeway_s=0), token)
    assert problem.status == 401, problem.detail
    assert problem.headers == {"WWW-Authenticate": "Bearer"}


@pytest.mark.parametrize("role", ["admin", "officer", "", None])
async def test_a_role_outside_the_closed_set_is_refused(issuer: Issuer, role: str | None) -> None:
    problem = await refused(issuer.authenticator(Agency.EDUCATION), issuer.token(Agency.EDUCATION, role))
    assert (problem.status, problem.title) == (403, "Unknown role")
    assert "staff, coordinator" in problem.detail


@pytest.mark.parametrize(
    ("agency", "scope"),
    [(Agency.SETTLEMENT, {"municipalities": []}), (Agency.VOLUNTEERING, {"organisation": None})],
)
async def test_a_token_without_a_scope_sees_nothing(issuer: Issuer, agency: Agency, scope: dict) -> None:
    problem = await refused(issuer.authenticator(agency), issuer.token(agency, **scope))
    assert (problem.status, problem.title) == (403, "No scope")


async def test_an_unreachable_provider_is_a_503_not_a_refusal(issuer: Issuer) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    authenticator = Authenticator(
        issuers=[issuer.url],
        agency=Agency.EDUCATION,
        http=httpx.AsyncClient(transport=httpx.MockTransport(down)),
    )
    problem = await refused(authenticator, issuer.token(Agency.EDUCATION))
    assert problem.status == 503


async def test_a_discovery_document_naming_another_issuer_is_not_trusted(issuer: Issuer) -> None:
    def lying(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"issuer": "https://evil.test", "jwks_uri": "https://evil.test/certs"}
        )

    authenticator = Authenticator(
        issuers=[issuer.url],
        agency=Agency.EDUCATION,
        http=httpx.AsyncClient(transport=httpx.MockTransport(lying)),
    )
    problem = await refused(authenticator, issuer.token(Agency.EDUCATION))
    assert problem.status == 503


def test_trusted_issuers_come_from_one_comma_separated_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAMVIRKE_OIDC_ISSUERS", "https://a.test/realms/x, https://b.test/realms/y")
    settings = ServiceSettings(service_name="education")
    assert settings.oidc_issuers == ["https://a.test/realms/x", "https://b.test/realms/y"]


def test_a_service_trusts_no_issuer_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAMVIRKE_OIDC_ISSUERS", raising=False)
    with pytest.raises(ValidationError):
        ServiceSettings(service_name="education")
