"""Bearer tokens from the OpenID Connect providers a service trusts, naming agency, role and scope.

A token is accepted only if it is a JWT signed with an asymmetric key
(RS256, PS256, ES256, EdDSA …) published by one of the issuers the service
is configured with (`SAMVIRKE_OIDC_ISSUERS`): the issuer's discovery document
names its JWKS, whose keys are cached and fetched again when a token names a
key the cache does not hold (the provider rotated its keys), at most once per
`refetch_after_s`. `iss` must be that issuer, `aud` this service
(`SAMVIRKE_OIDC_AUDIENCE`, by default `samvirke-<agency>`), and `exp`/`nbf`
hold with a small leeway for clock skew. No secret is shared between
services or agencies: each verifies with public keys only.

Claims Samvirke reads (the provider maps them from the staff member's account):
`sub` (the staff member), `agency`, `role` (one of `Role`), and the scope:
`municipalities` (municipality numbers, for settlement, education and
employment staff) or `organisation` (for volunteering staff). A token without
a scope is refused: nobody sees every municipality's newcomers.
"""

import asyncio
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from shared.contracts.agencies import Agency
from shared.runtime.scope import Scope
from shared.web.problems import Problem

# Asymmetric only: a shared-secret (HS*) or unsigned (`none`) token is never accepted.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class Role(StrEnum):
    STAFF = "staff"  # an agency's operations staff: that agency's own API
    COORDINATOR = "coordinator"  # the refugee office's coordinator: the view across agencies
    AUDITOR = "auditor"  # internal control: reads what the agency's routes show, changes nothing


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # reads: they change nothing


class Principal(BaseModel, frozen=True):
    subject: str
    agency: Agency
    role: Role
    municipalities: frozenset[str] = frozenset()  # settlement, education, employment staff
    organisation: str | None = None  # volunteering staff

    @property
    def scope(self) -> Scope:
        """What the staff member's stores filter by."""
        return Scope(municipalities=self.municipalities, organisation=self.organisation)


def audience_of(agency: Agency) -> str:
    """The `aud` a service expects unless configured otherwise."""
    return f"samvirke-{agency}"


@dataclass
class _Issuer:
    url: str
    jwks_uri: str | None = None
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Authenticator:
    """Verifies tokens for one agency's service against the issuers it trusts."""

    def __init__(
        self,
        *,
        issuers: list[str],
        agency: Agency,
        audience: str | None = None,
        leeway_s: float = 30,
        keys_max_age_s: float = 3600,
        refetch_after_s: float = 30,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        if not issuers:
            raise ValueError("at least one trusted OpenID Connect issuer is needed")
        self.agency = agency
        self.audience = audience or audience_of(agency)
        self._issuers = {url.rstrip("/"): _Issuer(url.rstrip("/")) for url in issuers}
        self._leeway_s = leeway_s
        self._keys_max_age_s = keys_max_age_s
        self._refetch_after_s = refetch_after_s
        self._http = http  # made on first use: nothing connects when the app is built

    @property
    def issuers(self) -> list[str]:
        return list(self._issuers)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def verify(self, token: str) -> Principal:
        return self._principal(await self.claims(token))

    async def claims(self, token: str, *, audience: str | None = None) -> dict[str, Any]:
        """The claims of a token signed by a trusted issuer, for `audience` (by default this service)."""
        audience = audience or self.audience
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError as error:
            raise _unauthorized("The token is not a JWT.") from error
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise _unauthorized(f"Tokens signed with {algorithm!r} are not accepted.")
        issuer = self._issuers.get(str(unverified.get("iss", "")).rstrip("/"))
        if issuer is None:
            raise _unauthorized("The token's issuer is not one this service trusts.")
        key = await self._key(issuer, header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=audience,
                issuer=unverified["iss"],
                leeway=self._leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise _unauthorized("The token has expired.") from error
        except jwt.ImmatureSignatureError as error:
            raise _unauthorized("The token is not valid yet.") from error
        except jwt.InvalidAudienceError as error:
            raise _unauthorized(f"The token is not meant for this service ({audience}).") from error
        except jwt.InvalidTokenError as error:
            raise _unauthorized("The token is not valid.") from error
        return claims

    async def _key(self, issuer: _Issuer, kid: Any) -> jwt.PyJWK:
        """The issuer's key `kid`: from the cache, else from its JWKS, fetched at most so often."""
        if not isinstance(kid, str):
            raise _unauthorized("The token names no signing key (kid).")
        stale = time.monotonic() - issuer.fetched_at > self._keys_max_age_s
        if kid in issuer.keys and not stale:
            return issuer.keys[kid]
        async with issuer.lock:
            since = time.monotonic() - issuer.fetched_at
            if (kid not in issuer.keys and since > self._refetch_after_s) or stale:
                await self._fetch_keys(issuer)
        if kid not in issuer.keys:
            raise _unauthorized("The token is signed by a key its issuer does not publish.")
        return issuer.keys[kid]

    async def _fetch_keys(self, issuer: _Issuer) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10)
        try:
            if issuer.jwks_uri is None:
                discovery = await self._get_json(f"{issuer.url}/.well-known/openid-configuration")
                if str(discovery.get("issuer", "")).rstrip("/") != issuer.url:
                    raise _unavailable(f"{issuer.url} names another issuer in its discovery document.")
                issuer.jwks_uri = str(discovery["jwks_uri"])
            jwks = await self._get_json(issuer.jwks_uri)
        except (httpx.HTTPError, KeyError, ValueError) as error:
            if issuer.keys:  # keep the keys we have: a provider outage must not log everyone out
                return
            raise _unavailable(f"The identity provider {issuer.url} cannot be reached.") from error
        keys: dict[str, jwt.PyJWK] = {}
        for entry in jwks.get("keys", []):
            if entry.get("use", "sig") != "sig" or "kid" not in entry:
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry)
            except jwt.PyJWKError:
                continue  # a key type this library cannot use (or an encryption key)
        issuer.keys = keys
        issuer.fetched_at = time.monotonic()

    async def _get_json(self, url: str) -> dict[str, Any]:
        assert self._http is not None
        response = await self._http.get(url)
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return body

    def _principal(self, claims: dict[str, Any]) -> Principal:
        if claims.get("agency") != self.agency:
            raise Problem(
                403,
                "Wrong agency",
                f"This is the {self.agency} service; the token is for {claims.get('agency')}.",
            )
        if claims.get("role") not in set(Role):
            known = ", ".join(Role)
            raise Problem(
                403, "Unknown role", f"The token's role {claims.get('role')!r} is not one of {known}."
            )
        municipalities = claims.get("municipalities") or []
        if isinstance(municipalities, str):
            municipalities = [municipalities]
        try:
            principal = Principal(
                subject=claims["sub"],
                agency=claims["agency"],
                role=claims["role"],
                municipalities=frozenset(str(code) for code in municipalities),
                organisation=claims.get("organisation") or None,
            )
        except (ValidationError, TypeError) as error:
            raise _unauthorized("The token's claims are not valid.") from error
        if self.agency == Agency.VOLUNTEERING and principal.organisation is None:
            raise Problem(403, "No scope", "The token names no volunteer organisation.")
        if self.agency != Agency.VOLUNTEERING and not principal.municipalities:
            raise Problem(403, "No scope", "The token names no municipality.")
        return principal


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def _unavailable(detail: str) -> Problem:
    return Problem(503, "Identity provider unavailable", detail, headers={"Retry-After": "5"})


_bearer = HTTPBearer(auto_error=False, description="A token from a trusted issuer, for this service.")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise _unauthorized("A bearer token is required.")
    authenticator: Authenticator = request.app.state.authenticator
    principal = await authenticator.verify(credentials.credentials)
    request.state.principal = principal  # whom the request's audit entry names
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role) -> Any:
    """A router's or route's dependency admitting only tokens with one of `roles`.

    The auditor is admitted too, to reads (GET) only: whatever a route shows, an auditor
    may check; nothing an auditor sends changes anything.
    """

    async def check(request: Request, principal: CurrentPrincipal) -> Principal:
        if principal.role == Role.AUDITOR and Role.AUDITOR not in roles:
            if request.method in SAFE_METHODS:
                return principal
            raise Problem(
                403, "Wrong role", f"The auditor role reads and changes nothing; this is a {request.method}."
            )
        if principal.role not in roles:
            needed = " or ".join(roles)
            raise Problem(
                403, "Wrong role", f"This needs the {needed} role; the token's role is {principal.role}."
            )
        return principal

    return Depends(check)
