"""An OpenID Connect issuer in memory, for unit tests: its own RSA key, discovery and JWKS.

Integration and end-to-end tests use the real provider (`identity` fixture);
unit tests of the apps and of `Authenticator` use this one, answering the
service's discovery and JWKS requests through httpx's mock transport.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from shared.contracts.agencies import Agency
from shared.web.auth import Authenticator, audience_of

ALL_MUNICIPALITIES = ("0301", "3405", "530")


class Issuer:
    def __init__(self, url: str = "https://issuer.test/realms/samvirke") -> None:
        self.url = url
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid4().hex
        self.requests: list[str] = []
        self.published = [self.key]  # the keys its JWKS lists; a test may rotate them

    def token(
        self,
        agency: Agency | str,
        role: str | None = "staff",
        *,
        subject: str = "test-staff",
        municipalities: Iterable[str] | None = ALL_MUNICIPALITIES,
        organisation: str | None = "red-cross",
        audience: str | None = None,
        issuer: str | None = None,
        lifetime: timedelta = timedelta(minutes=10),
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        algorithm: str = "RS256",
        **extra: Any,
    ) -> str:
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": issuer or self.url,
            "aud": audience or audience_of(Agency(agency)),
            "sub": subject,
            "agency": str(agency),
            "iat": now,
            "exp": now + lifetime,
            **extra,
        }
        if role is not None:
            claims["role"] = role
        if municipalities is not None and agency != Agency.VOLUNTEERING:
            claims["municipalities"] = list(municipalities)
        if organisation is not None and agency == Agency.VOLUNTEERING:
            claims["organisation"] = organisation
        signing_key = key or self.key
        return jwt.encode(claims, signing_key, algorithm=algorithm, headers={"kid": kid or self.kid})

    def tokens(self) -> dict[str, str]:
        return {agency.value: self.token(agency) for agency in Agency}

    def coordinator_token(self) -> str:
        return self.token(Agency.SETTLEMENT, "coordinator", subject="test-coordinator")

    def jwks(self) -> dict[str, Any]:
        keys = []
        for index, key in enumerate(self.published):
            public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**public, "kid": self.kid if index == 0 else f"{self.kid}-{index}", "use": "sig"})
        return {"keys": keys}

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            self.requests.append(str(request.url))
            if str(request.url) == f"{self.url}/.well-known/openid-configuration":
                return httpx.Response(200, json={"issuer": self.url, "jwks_uri": f"{self.url}/certs"})
            if str(request.url) == f"{self.url}/certs":
                return httpx.Response(200, json=self.jwks())
            return httpx.Response(404)

        return httpx.MockTransport(answer)

    def authenticator(self, agency: Agency, **options: Any) -> Authenticator:
        return Authenticator(
            issuers=[self.url], agency=agency, http=httpx.AsyncClient(transport=self.transport()), **options
        )

    def install(self, app: FastAPI) -> FastAPI:
        """`app` verifying tokens against this issuer, over the mock transport."""
        built: Authenticator = app.state.authenticator
        app.state.authenticator = self.authenticator(built.agency, audience=built.audience)
        return app


ISSUER = Issuer()
