"""The staff pages: login by the code flow with PKCE, the session cookie, CSRF, the API's problems
next to their fields in the staff member's language, complete catalogues, docs that load nothing from
elsewhere. The settlement service on SQLite, the provider in memory (`tests.issuer`).

The browser tests (tests/e2e/test_browser.py) log in at the real provider in a real Chromium.
"""

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi import FastAPI

from shared.service import service_of
from shared.web.staff.i18n import LANGUAGES, LOCALES_DIR, choose
from tests import scenario
from tests.apps import SERVICES, app_of
from tests.issuer import ISSUER

ROOT = Path(__file__).resolve().parents[2]


class Provider:
    """The in-memory issuer as a provider the pages log in at: authorize, token, end session."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self.codes: dict[str, dict[str, Any]] = {}
        self.exchanged: list[dict[str, str]] = []

    def authorize(self, query: dict[str, str], **claims: Any) -> str:
        """What the provider does when the staff member logs in: a code for the redirect URI."""
        code = f"code-{len(self.codes)}"
        self.codes[code] = {"query": query, "claims": claims}
        return code

    def transport(self) -> httpx.MockTransport:
        issuer = ISSUER.url

        def answer(request: httpx.Request) -> httpx.Response:
            url = str(request.url)
            if url == f"{issuer}/.well-known/openid-configuration":
                return httpx.Response(
                    200,
                    json={
                        "issuer": issuer,
                        "jwks_uri": f"{issuer}/certs",
                        "authorization_endpoint": f"{issuer}/auth",
                        "token_endpoint": f"{issuer}/token",
                        "end_session_endpoint": f"{issuer}/logout",
                    },
                )
            if url == f"{issuer}/token":
                form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
                self.exchanged.append(form)
                login = self.codes.pop(form.get("code", ""), None)
                if login is None or form.get("redirect_uri") != login["query"]["redirect_uri"]:
                    return httpx.Response(400, json={"error": "invalid_grant"})
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != login["query"]["code_challenge"]:
                    return httpx.Response(400, json={"error": "invalid_grant", "error_description": "PKCE"})
                claims = login["claims"]
                agency = claims.pop("agency", "settlement")
                role = claims.pop("role", "staff")
                access = ISSUER.token(agency, role, **claims)
                nonce = claims.pop("nonce", login["query"]["nonce"])
                identity = ISSUER.token(agency, role, nonce=nonce, **claims)
                return httpx.Response(
                    200,
                    json={
                        "access_token": access,
                        "id_token": identity,
                        "expires_in": 600,
                        "token_type": "Bearer",
                    },
                )
            return httpx.Response(404)

        return httpx.MockTransport(answer)


@pytest.fixture
async def settlement(tmp_path: Path) -> AsyncIterator[tuple[FastAPI, Provider]]:
    app = app_of(
        "settlement",
        kafka_bootstrap_servers="127.0.0.1:1",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db",
    )
    await service_of(app).database.create_schema()
    provider = Provider("samvirke-settlement")
    app.state.staff_sessions.transport = provider.transport()
    yield app, provider
    await service_of(app).database.dispose()


def browser(app: FastAPI, language: str = "en") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://127.0.0.1:8001",
        headers={"Accept-Language": language},
    )


async def log_in(client: httpx.AsyncClient, provider: Provider, page: str = "/app/", **claims: Any) -> str:
    """Follows the code flow as a browser would; the page it lands on."""
    to_login = await client.get(page)
    assert to_login.status_code == 303, to_login.text
    to_provider = await client.get(to_login.headers["location"])
    assert to_provider.status_code == 303
    query = {k: v[0] for k, v in parse_qs(urlsplit(to_provider.headers["location"]).query).items()}
    code = provider.authorize(query, **claims)
    back = await client.get(f"/app/callback?{httpx.QueryParams(code=code, state=query['state'])}")
    assert back.status_code == 303, back.text
    return str(back.headers["location"])


async def test_a_page_without_a_session_sends_the_browser_to_log_in_with_pkce(
    settlement: tuple[FastAPI, Provider],
) -> None:
    app, _ = settlement
    async with browser(app) as client:
        first = await client.get("/app/newcomers?name=Am")
        assert first.status_code == 303
        assert first.headers["location"] == "/app/login?next=/app/newcomers%3Fname%3DAm"
        login = await client.get(first.headers["location"])
    assert login.status_code == 303
    target = urlsplit(login.headers["location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{ISSUER.url}/auth"
    assert query["client_id"] == "samvirke-settlement"
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256, unpadded
    assert query["redirect_uri"] == "http://127.0.0.1:8001/app/callback"
    assert query["state"]
    assert query["nonce"]
    cookie = login.headers["set-cookie"]
    assert cookie.startswith(f"samvirke_settlement_login={query['state']};")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/app" in cookie
    assert "Secure" not in cookie  # served over plain HTTP here; Secure where the page is on TLS


async def test_the_callback_exchanges_the_code_with_its_verifier_and_returns_to_the_page(
    settlement: tuple[FastAPI, Provider],
) -> None:
    app, provider = settlement
    async with browser(app) as client:
        landed = await log_in(client, provider, "/app/newcomers?name=Am", subject="officer-1")
        assert landed == "/app/newcomers?name=Am"
        [exchange] = provider.exchanged
        assert exchange["grant_type"] == "authorization_code"
        assert len(exchange["code_verifier"]) >= 43
        session_cookie = client.cookies.get("samvirke_settlement_session")
        assert session_cookie
        assert len(session_cookie) >= 40
        page = await client.get(landed)
        assert page.status_code == 200
        assert "officer-1" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "default-src 'self'" in page.headers["content-security-policy"]


async def test_a_callback_with_another_browsers_state_or_a_wrong_nonce_opens_no_session(
    settlement: tuple[FastAPI, Provider],
) -> None:
    app, provider = settlement
    async with browser(app) as victim, browser(app) as attacker:
        started = await attacker.get("/app/login")
        query = {k: v[0] for k, v in parse_qs(urlsplit(started.headers["location"]).query).items()}
        code = provider.authorize(query)
        # The attacker's code and state, followed in the victim's browser (login CSRF): refused.
        forged = await victim.get(f"/app/callback?{httpx.QueryParams(code=code, state=query['state'])}")
        assert forged.status_code == 400
        assert victim.cookies.get("samvirke_settlement_session") is None
        # An ID token whose nonce is not the one sent: refused.
        started = await attacker.get("/app/login")
        query = {k: v[0] for k, v in parse_qs(urlsplit(started.headers["location"]).query).items()}
        code = provider.authorize(query, nonce="another")
        replayed = await attacker.get(f"/app/callback?{httpx.QueryParams(code=code, state=query['state'])}")
        assert replayed.status_code == 400
        assert attacker.cookies.get("samvirke_settlement_session") is None


async def test_another_agencys_account_is_not_admitted(settlement: tuple[FastAPI, Provider]) -> None:
    app, provider = settlement
    async with browser(app) as client:
        started = await client.get("/app/login")
        query = {k: v[0] for k, v in parse_qs(urlsplit(started.headers["location"]).query).items()}
        code = provider.authorize(query, agency="settlement", municipalities=[])
        refused = await client.get(f"/app/callback?{httpx.QueryParams(code=code, state=query['state'])}")
    assert refused.status_code == 403
    assert "This account cannot use this service" in refused.text


async def test_a_form_without_the_sessions_csrf_token_changes_nothing(
    settlement: tuple[FastAPI, Provider],
) -> None:
    app, provider = settlement
    async with browser(app) as client:
        await log_in(client, provider)
        refused = await client.post("/app/newcomers", data={"given_name": "Amira", "csrf": "guessed"})
        assert refused.status_code == 403
        listed = await client.get("/app/newcomers")
        assert "0 newcomers" in listed.text


async def test_the_apis_problems_are_shown_next_to_their_fields_in_the_staff_members_language(
    settlement: tuple[FastAPI, Provider],
) -> None:
    app, provider = settlement
    async with browser(app, "nb-NO,nb;q=0.9,en;q=0.5") as client:
        await log_in(client, provider)
        page = await client.get("/app/newcomers")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        form = {
            "csrf": csrf.group(1),
            "registered_in": "0301",
            "given_name": "Amira",
            "family_name": "Haddad",
        }
        form["sex"] = "female"
        refused = await client.post("/app/newcomers", data={**form, "country_of_origin": "Syria"})
        assert refused.status_code == 422
        assert '<html lang="nb">' in refused.text
        assert re.search(r'id="f-birth_date-error">Dette feltet må fylles ut\.<', refused.text)
        assert 'id="f-country_of_origin"' in refused.text
        assert re.search(r'id="f-country_of_origin-error">[^<]+<', refused.text)
        assert 'value="Amira"' in refused.text  # what was typed is kept
        created = await client.post(
            "/app/newcomers", data={**form, "birth_date": "1990-04-01", "country_of_origin": "SY"}
        )
        assert created.status_code == 303
        person = await client.get(created.headers["location"])
        assert "Amira Haddad" in person.text
        assert "1. apr. 1990" in person.text  # the locale's date format


async def test_the_coordinators_dashboard_shows_the_key_figures_the_api_gives(
    settlement: tuple[FastAPI, Provider],
) -> None:
    app, provider = settlement
    async with browser(app, "da") as office:
        token = ISSUER.token("settlement", "staff", subject="officer-1")
        headers = {"Authorization": f"Bearer {token}"}
        assert (await office.post("/municipalities", json=scenario.OSLO, headers=headers)).status_code == 201
        await office.put("/municipalities/0301/quotas/2026", json={"requested": 20}, headers=headers)
        amira = (await office.post("/newcomers", json=scenario.person(), headers=headers)).json()["id"]
        settled = await office.post(
            f"/newcomers/{amira}/settlement", json=scenario.settlement(), headers=headers
        )
        assert settled.status_code == 200, settled.text
        landed = await log_in(
            office, provider, role="coordinator", subject="coordinator-1", municipalities=["0301"]
        )
        assert landed == "/app/"
        home = await office.get(landed)
        assert home.headers["location"] == "/app/dashboard"
        page = await office.get("/app/dashboard?year=2026")
        assert page.status_code == 200
        assert '<html lang="da">' in page.text
        assert "Overblik" in page.text
        kpis = (
            await office.get(
                "/coordination/kpis/0301/2026",
                headers={"Authorization": f"Bearer {ISSUER.coordinator_token()}"},
            )
        ).json()
        figure = re.search(r'id="settled-by-quota">([^<]+)<', page.text)
        # The journey (and so the figures) comes from the events on the broker, which this test has
        # not: the browser test checks the figures against a running platform.
        assert figure is not None
        assert figure.group(1) == str(kpis["settled_by_quota"])
        assert kpis["quota_requested"] == 20
        assert "af en kvote på 20" in page.text
        journey = await office.get(f"/app/newcomers/{amira}")
        assert journey.status_code == 200
        assert "Intet endnu." in journey.text
        assert "Amira" not in journey.text  # the coordinator's journey carries no name


def test_the_norwegian_and_danish_catalogues_translate_every_message() -> None:
    with (ROOT / "babel.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    extracted = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            ROOT, method_map, options_map, keywords={**DEFAULT_KEYWORDS, "N_": None}
        )
    }
    assert len(extracted) > 150
    for language in set(LANGUAGES) - {"en"}:
        with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
            catalog = read_po(file, locale=language)
        translated = {
            m.id if isinstance(m.id, str) else m.id[0]
            for m in catalog
            if m.id and m.string and all(m.string) and not m.fuzzy
        }
        untranslated = extracted - translated
        assert untranslated == set(), f"{language}: run pybabel extract and update (babel.cfg)"


def test_the_language_is_the_chosen_one_else_the_browsers_else_english() -> None:
    assert choose("da", "nb-NO,nb;q=0.9") == "da"
    assert choose(None, "nb-NO,nb;q=0.9,en;q=0.5") == "nb"
    assert choose(None, "no") == "nb"
    assert choose(None, "nn-NO") == "nb"
    assert choose(None, "da-DK, en;q=0.8") == "da"
    assert choose(None, "de-DE,fr;q=0.8,en;q=0.1") == "en"
    assert choose("xx", None) == "en"


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_docs_redoc_and_the_asyncapi_page_load_nothing_from_elsewhere(service: str) -> None:
    app = app_of(service, kafka_bootstrap_servers="127.0.0.1:1")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        for page in ("/docs", "/redoc", "/asyncapi"):
            answer = await client.get(page)
            assert answer.status_code == 200, page
            assets = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', answer.text)
            assert assets, page
            elsewhere = [a for a in assets if a.startswith(("http:", "https:", "//"))]
            assert elsewhere == [], f"{page} loads {elsewhere}"
            for asset in {a for a in assets if a.startswith("/") and not a.startswith("/app/")}:
                fetched = await client.get(asset)
                assert fetched.status_code == 200, f"{page} names {asset}: {fetched.status_code}"
        asyncapi = (await client.get("/asyncapi")).text
        assert f"{service}.events" in asyncapi
        assert "publishes" in asyncapi
        assert "consumes" in asyncapi
