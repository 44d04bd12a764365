"""Who gets in: every route of every service, tried with every kind of token that must be refused.

Tokens come from the real identity provider (Keycloak with the Samvirke
realm), and from a second realm on it that the services do not trust; the
forged ones are made from real tokens. A route refuses with 401 or 403
before it looks at anything; its own agency's staff member (or, for the
coordinator's routes, the coordinator) is admitted.
"""

import asyncio
import base64
import copy
import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from deploy.local.identity import REALM, REALM_FILE, IdentityProvider
from deploy.local.stack import COORDINATOR_ACCOUNT, STAFF_ACCOUNTS
from shared.service import service_of
from tests.apps import SERVICES, app_of

OPEN_PATHS = {"/healthz", "/readyz", "/asyncapi.json", "/asyncapi.yaml"}
UNTRUSTED_REALM = "elsewhere"
SHORT_LIVED = "-short-lived"  # a copy of a service's client whose tokens live a second


@pytest.fixture(scope="module")
def provider(identity: IdentityProvider) -> Iterator[IdentityProvider]:
    """The provider, with an untrusted realm beside Samvirke's and short-lived clients in it."""
    realm = json.loads(REALM_FILE.read_text())
    with identity.admin() as admin:
        untrusted = {**copy.deepcopy(realm), "realm": UNTRUSTED_REALM, "displayName": "not trusted"}
        admin.post("", json=untrusted).raise_for_status()
        for client in realm["clients"]:
            short = {
                **copy.deepcopy(client),
                "clientId": client["clientId"] + SHORT_LIVED,
                "attributes": {**client["attributes"], "access.token.lifespan": "1"},
            }
            admin.post(f"/{REALM}/clients", json=short).raise_for_status()
    yield identity
    with identity.admin() as admin:
        admin.delete(f"/{UNTRUSTED_REALM}")
        for client in admin.get(f"/{REALM}/clients").json():
            if client["clientId"].endswith(SHORT_LIVED):
                admin.delete(f"/{REALM}/clients/{client['id']}")


def _untrusted_token(provider: IdentityProvider, username: str, client: str) -> str:
    response = httpx.post(
        f"{provider.base_url}/realms/{UNTRUSTED_REALM}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": client,
            "username": username,
            "password": "samvirke-dev",
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forged(token: str) -> dict[str, str]:
    """A real token's claims, made trustworthy-looking three ways a forger would try."""
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "alg-none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "untrusted-key, same kid": jwt.encode(
            claims, stranger, algorithm="RS256", headers={"kid": header["kid"]}
        ),
        "hs256": jwt.encode(claims, "guessed-" * 4, algorithm="HS256", headers={"kid": header["kid"]}),
        "tampered claims": ".".join(
            [token.split(".")[0], _b64({**claims, "role": "coordinator"}), token.split(".")[2]]
        ),
    }


def refused_tokens(provider: IdentityProvider, service: str) -> dict[str, str | None]:
    """Every kind of token `service` must refuse, by name (None: no token at all)."""
    own_client = f"samvirke-{service}"
    own_user = STAFF_ACCOUNTS[service]
    tokens: dict[str, str | None] = {"no token": None, "not a JWT": "x.y.z"}
    for other, user in STAFF_ACCOUNTS.items():
        if other == service:
            continue
        tokens[f"{other} staff, for {other}"] = provider.token(user)  # wrong audience
        tokens[f"{other} staff, for {service}"] = provider.token(user, client=own_client)  # wrong agency
        tokens[f"own staff, for {other}"] = provider.token(own_user, client=f"samvirke-{other}")
    tokens["own staff, untrusted issuer"] = _untrusted_token(provider, own_user, own_client)
    expired = provider.token(own_user, client=own_client + SHORT_LIVED)
    tokens["own staff, expired"] = expired
    for name, token in _forged(provider.token(own_user)).items():
        tokens[f"own staff, {name}"] = token
    return tokens


AUDITOR_ACCOUNTS = {
    "settlement": "oslo-auditor",
    "education": "oslo-school-auditor",
    "employment": "oslo-jobcentre-auditor",
    "volunteering": "redcross-auditor",
}


def admitted_tokens(provider: IdentityProvider, service: str) -> dict[str, str]:
    tokens = {"staff": provider.token(STAFF_ACCOUNTS[service])}
    if service == "settlement":
        tokens["coordinator"] = provider.token(COORDINATOR_ACCOUNT)
    tokens["auditor"] = provider.token(AUDITOR_ACCOUNTS[service])
    return tokens


def admitting(method: str, url: str) -> list[str]:
    """The roles a route admits: its own (the auditor's for the trail), and the auditor to every read."""
    if url == "/audit":
        return ["auditor"]
    own = "coordinator" if url.startswith("/coordination/") else "staff"
    return [own, "auditor"] if method == "GET" else [own]


@pytest.fixture
async def apps(provider: IdentityProvider, tmp_path: Path) -> AsyncIterator[dict[str, FastAPI]]:
    built = {}
    for service in SERVICES:
        app = app_of(
            service,
            oidc_issuers=[provider.issuer],
            oidc_leeway_s=0,  # the short-lived token is expired a second after it was issued
            kafka_bootstrap_servers="127.0.0.1:1",  # no route here needs the broker
            data_dir=str(tmp_path),
        )
        await service_of(app).database.create_schema()
        built[service] = app
    yield built
    for app in built.values():
        await service_of(app).database.dispose()


def _requests(app: FastAPI) -> list[tuple[str, str]]:
    calls = []
    for path, operations in app.openapi()["paths"].items():
        if path in OPEN_PATHS:
            continue
        url = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
        calls += [(method.upper(), url) for method in operations]
    return calls


async def test_every_route_refuses_every_token_but_its_own_agencys(
    provider: IdentityProvider, apps: dict[str, FastAPI]
) -> None:
    tried = refused = wrongly_admitted = 0
    kinds: Counter[str] = Counter()
    admitted: Counter[str] = Counter()
    failures: list[str] = []
    for service, app in apps.items():
        bad = refused_tokens(provider, service)
        good = admitted_tokens(provider, service)
        await asyncio.sleep(1.5)  # the short-lived token expires
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            for method, url in _requests(app):
                for kind, token in bad.items():
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    answer = await client.request(method, url, headers=headers, json={})
                    tried += 1
                    kinds[kind.split(",")[-1].strip()] += 1
                    if answer.status_code in (401, 403):
                        refused += 1
                    else:
                        wrongly_admitted += 1
                        failures.append(f"{service} {method} {url} with {kind}: {answer.status_code}")
                by = [
                    role
                    for role, token in good.items()
                    if (
                        await client.request(
                            method, url, headers={"Authorization": f"Bearer {token}"}, json={}
                        )
                    ).status_code
                    not in (401, 403)
                ]
                if by != admitting(method, url):
                    failures.append(f"{service} {method} {url} admitted {by or 'nobody'}")
                admitted[service] += 1
    print(f"\naccess matrix: {tried} refused-kind requests, {refused} refused, {wrongly_admitted} admitted")
    print(f"  by kind: {dict(kinds)}\n  routes admitting their own role: {dict(admitted)}")
    assert failures == []
    assert wrongly_admitted == 0
    assert refused == tried
    # Every route of every service was tried with 17 kinds of refused token: none, garbage, three
    # per other agency, an untrusted issuer's, an expired one and four forgeries.
    assert set(admitted) == set(SERVICES)
    assert tried == sum(len(_requests(app)) for app in apps.values()) * 17
