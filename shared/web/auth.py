"""Bearer tokens that name an agency and a role; each service accepts only its own agency.

Tokens are JWTs signed with HS256 by the secret the service is configured
with (`SAMVIRKE_AUTH_SECRET`). Claims: `sub` (the staff member or system),
`agency`, `role` (one of `Role`), `exp`. Every route declares the roles it
admits (`require_role`).
"""

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from shared.contracts.agencies import Agency
from shared.web.problems import Problem

ALGORITHM = "HS256"


class Role(StrEnum):
    STAFF = "staff"  # an agency's operations staff: that agency's own API
    COORDINATOR = "coordinator"  # the refugee office's coordinator: the view across agencies


class Principal(BaseModel):
    subject: str
    agency: Agency
    role: Role


def issue_token(
    secret: str, *, agency: Agency, role: str, subject: str, lifetime: timedelta = timedelta(hours=12)
) -> str:
    """A signed token; `role` is a plain string, so tests can also issue tokens this service refuses."""
    claims = {
        "sub": subject,
        "agency": agency.value,
        "role": role,
        "iat": datetime.now(UTC),
        "exp": datetime.now(UTC) + lifetime,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


class Authenticator:
    """Verifies tokens for one agency's service."""

    def __init__(self, secret: str, agency: Agency) -> None:
        self._secret = secret
        self.agency = agency

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
            )
        except jwt.ExpiredSignatureError as error:
            raise _unauthorized("The token has expired.") from error
        except jwt.InvalidTokenError as error:
            raise _unauthorized("The token is not valid.") from error
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
        try:
            return Principal(subject=claims["sub"], agency=claims["agency"], role=claims["role"])
        except ValidationError as error:
            raise _unauthorized("The token is not valid.") from error


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


_bearer = HTTPBearer(auto_error=False, description="A token for this service's agency.")


async def current_principal(  # async, as every dependency: a plain def runs in a worker thread
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise _unauthorized("A bearer token is required.")
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role) -> Any:
    """A router's or route's dependency admitting only tokens with one of `roles`."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            needed = " or ".join(roles)
            raise Problem(
                403, "Wrong role", f"This needs the {needed} role; the token's role is {principal.role}."
            )
        return principal

    return Depends(check)
