"""Staff log in to a service's pages with the OpenID Connect provider the API trusts.

The authorization code flow with PKCE (RFC 7636, S256), as a public client:
the service's own client (`samvirke-<agency>`, the token's audience), so the
access token the provider issues is the one the API verifies, scope and role
included. `state` is bound to the browser by a short-lived cookie (no login
CSRF), the ID token's `nonce` is checked against the one sent, and the
`next` a login returns to is a path of this service only.

The session is kept by the service in memory, named by a random id in a
cookie that is HttpOnly, SameSite=Lax and Secure when the page is served
over TLS; the cookie's name carries the agency, as services on one host
share cookies across ports. It ends at logout (at the provider too), after
`SAMVIRKE_WEB_SESSION_IDLE_MINUTES` without a request, or when the provider
refuses to refresh the token. A restart of the service logs its staff out.

Every form and state-changing call carries the session's CSRF token, which
is compared in constant time (`checked_form`).
"""

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from shared.web.audit import NOT_PERSONAL
from shared.web.auth import Authenticator, Principal
from shared.web.problems import Problem
from shared.web.staff.i18n import COOKIE as LANGUAGE_COOKIE
from shared.web.staff.i18n import LANGUAGES
from shared.web.staff.render import language_of, render

LOGIN_TTL_S = 600  # how long a login may take at the provider
REFRESH_BEFORE_S = 30  # refresh a token that expires within this


@dataclass
class StaffSession:
    id: str
    principal: Principal
    access_token: str
    expires_at: float
    refresh_token: str | None
    id_token: str | None
    display_name: str  # the ID token's name for the person, shown on every page
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    seen_at: float = field(default_factory=time.time)

    @property
    def name(self) -> str:
        return self.principal.subject


@dataclass
class _Pending:
    verifier: str
    nonce: str
    next: str
    started_at: float = field(default_factory=time.time)


class LoginRequired(Exception):
    """The page needs a logged-in staff member: answered by a redirect to the login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next = next_path


class StaffSessions:
    """The service's staff sessions and logins under way, in memory."""

    def __init__(
        self,
        *,
        authenticator: Callable[[], Authenticator],
        client_id: str,
        idle_minutes: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._authenticator = authenticator  # the app's, looked up when used
        self.client_id = client_id
        self.idle_s = idle_minutes * 60
        self.transport = transport  # how the provider is reached (a test's mock; else the network)
        self._sessions: dict[str, StaffSession] = {}
        self._pending: dict[str, _Pending] = {}
        self._discovery: dict[str, Any] | None = None

    @property
    def authenticator(self) -> Authenticator:
        return self._authenticator()

    @property
    def issuer(self) -> str:
        return self.authenticator.issuers[0]

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=15, transport=self.transport)

    def cookie(self) -> str:
        return f"samvirke_{self.authenticator.agency}_session"

    def login_cookie(self) -> str:
        return f"samvirke_{self.authenticator.agency}_login"

    async def endpoint(self, name: str) -> str:
        if self._discovery is None:
            async with self._http() as http:
                response = await http.get(f"{self.issuer}/.well-known/openid-configuration")
                response.raise_for_status()
                self._discovery = response.json()
        return str(self._discovery[name])

    def begin(self, next_path: str) -> tuple[str, _Pending]:
        self._forget_old()
        state = secrets.token_urlsafe(24)
        pending = _Pending(
            verifier=secrets.token_urlsafe(48), nonce=secrets.token_urlsafe(24), next=next_path
        )
        self._pending[state] = pending
        return state, pending

    def take_pending(self, state: str) -> _Pending | None:
        pending = self._pending.pop(state, None)
        if pending is None or time.time() - pending.started_at > LOGIN_TTL_S:
            return None
        return pending

    def open(self, principal: Principal, tokens: dict[str, Any], identity: dict[str, Any]) -> StaffSession:
        session = StaffSession(
            id=secrets.token_urlsafe(32),
            principal=principal,
            access_token=tokens["access_token"],
            expires_at=time.time() + float(tokens.get("expires_in", 300)),
            refresh_token=tokens.get("refresh_token"),
            id_token=tokens.get("id_token"),
            display_name=str(identity.get("name") or identity.get("preferred_username") or principal.subject),
        )
        self._sessions[session.id] = session
        return session

    def close(self, session_id: str | None) -> StaffSession | None:
        return self._sessions.pop(session_id, None) if session_id else None

    async def find(self, session_id: str | None) -> StaffSession | None:
        """The live session `session_id` names, its token refreshed if it is about to expire."""
        session = self._sessions.get(session_id) if session_id else None
        if session is None:
            return None
        now = time.time()
        if now - session.seen_at > self.idle_s:
            self.close(session.id)
            return None
        if session.expires_at - now < REFRESH_BEFORE_S and not await self._refresh(session):
            self.close(session.id)
            return None
        session.seen_at = now
        return session

    async def _refresh(self, session: StaffSession) -> bool:
        if session.refresh_token is None:
            return False
        try:
            tokens = await self.token({"grant_type": "refresh_token", "refresh_token": session.refresh_token})
            session.principal = await self.authenticator.verify(tokens["access_token"])
        except (httpx.HTTPError, KeyError, Problem):
            return False
        session.access_token = tokens["access_token"]
        session.expires_at = time.time() + float(tokens.get("expires_in", 300))
        session.refresh_token = tokens.get("refresh_token", session.refresh_token)
        session.id_token = tokens.get("id_token", session.id_token)
        return True

    async def token(self, form: dict[str, str]) -> dict[str, Any]:
        async with self._http() as http:
            response = await http.post(
                await self.endpoint("token_endpoint"), data={"client_id": self.client_id, **form}
            )
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict) or "access_token" not in body:
            raise KeyError("access_token")
        return body

    def _forget_old(self) -> None:
        now = time.time()
        for state in [s for s, p in self._pending.items() if now - p.started_at > LOGIN_TTL_S]:
            del self._pending[state]
        for sid in [s for s, one in self._sessions.items() if now - one.seen_at > self.idle_s]:
            del self._sessions[sid]


def sessions_of(request: Request) -> StaffSessions:
    sessions: StaffSessions = request.app.state.staff_sessions
    return sessions


def local_path(candidate: str | None, default: str = "/app/") -> str:
    """`candidate` if it is a path on this service (no open redirect to another site), else `default`."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    return candidate


async def staff_session(request: Request) -> StaffSession:
    """The logged-in staff member of a page; a page without one sends the browser to log in."""
    sessions = sessions_of(request)
    session = await sessions.find(request.cookies.get(sessions.cookie()))
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method == "GET" else "/app/")
    request.state.staff = session
    request.state.principal = session.principal  # whom the page's audit entry names
    return session


Staff = Annotated[StaffSession, Depends(staff_session)]


async def checked_form(request: Request, session: Staff, csrf: Annotated[str, Form()] = "") -> StaffSession:
    """A form posted from one of this session's pages: its CSRF token must be the session's."""
    if not hmac.compare_digest(csrf.encode(), session.csrf.encode()):
        raise Problem(403, "Form expired", "The form's CSRF token is not this session's; reload the page.")
    return session


CheckedForm = Annotated[StaffSession, Depends(checked_form)]


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/app",
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="lax",
    )


def session_router() -> APIRouter:
    """Login, the provider's callback, logout."""
    router = APIRouter(prefix="/app", include_in_schema=False)

    @router.get("/login", openapi_extra=NOT_PERSONAL)
    async def login(request: Request, next: str | None = None) -> Response:
        sessions = sessions_of(request)
        state, pending = sessions.begin(local_path(next))
        query = {
            "client_id": sessions.client_id,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": str(request.url_for("staff_callback")),
            "state": state,
            "nonce": pending.nonce,
            "code_challenge": _challenge(pending.verifier),
            "code_challenge_method": "S256",
            "ui_locales": language_of(request),
        }
        try:
            authorize = await sessions.endpoint("authorization_endpoint")
        except (httpx.HTTPError, KeyError, ValueError):
            return render(request, "error.html", status_code=503, problem="identity-provider")
        response = RedirectResponse(f"{authorize}?{urlencode(query)}", status_code=303)
        _set_cookie(request, response, sessions.login_cookie(), state, LOGIN_TTL_S)
        return response

    @router.get("/callback", name="staff_callback", openapi_extra=NOT_PERSONAL)
    async def callback(
        request: Request, state: str = "", code: str = "", error: str | None = None
    ) -> Response:
        sessions = sessions_of(request)
        bound = request.cookies.get(sessions.login_cookie(), "")
        pending = sessions.take_pending(state) if state and hmac.compare_digest(bound, state) else None
        if error or pending is None or not code:
            return render(request, "error.html", status_code=400, problem="login-failed")
        try:
            tokens = await sessions.token(
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": str(request.url_for("staff_callback")),
                    "code_verifier": pending.verifier,
                }
            )
            principal = await sessions.authenticator.verify(tokens["access_token"])
            identity = await sessions.authenticator.claims(tokens["id_token"], audience=sessions.client_id)
        except (httpx.HTTPError, KeyError):
            return render(request, "error.html", status_code=400, problem="login-failed")
        except Problem as refused:  # a token for another agency, without scope, …
            return render(
                request, "error.html", status_code=403, problem="not-admitted", detail=refused.detail
            )
        if not hmac.compare_digest(str(identity.get("nonce", "")), pending.nonce):
            return render(request, "error.html", status_code=400, problem="login-failed")
        session = sessions.open(principal, tokens, identity)
        response = RedirectResponse(pending.next, status_code=303)
        _set_cookie(request, response, sessions.cookie(), session.id, int(sessions.idle_s))
        response.delete_cookie(sessions.login_cookie(), path="/app")
        return response

    @router.post("/logout", openapi_extra=NOT_PERSONAL)
    async def logout(request: Request, session: CheckedForm) -> Response:
        sessions = sessions_of(request)
        sessions.close(session.id)
        target = str(request.url_for("staff_logged_out"))
        try:
            end = await sessions.endpoint("end_session_endpoint")
            query = {"client_id": sessions.client_id, "post_logout_redirect_uri": target}
            if session.id_token:
                query["id_token_hint"] = session.id_token
            target = f"{end}?{urlencode(query)}"
        except (httpx.HTTPError, KeyError, ValueError):
            pass  # the provider is away: the service's own session has ended all the same
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(sessions.cookie(), path="/app")
        return response

    @router.get("/logged-out", name="staff_logged_out", openapi_extra=NOT_PERSONAL)
    async def logged_out(request: Request) -> Response:
        return render(request, "logged_out.html")

    @router.get("/language", openapi_extra=NOT_PERSONAL)
    async def language(request: Request, lang: str, next: str | None = None) -> Response:
        response = RedirectResponse(local_path(next), status_code=303)
        if lang not in LANGUAGES:
            return response
        response.set_cookie(
            LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, path="/", samesite="lax",
            secure=request.url.scheme == "https", httponly=True,
        )  # fmt: skip
        return response

    return router
