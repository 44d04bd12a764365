"""The four services' apps, built from settings as each service's `__main__` builds them."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from services.education.config import EducationSettings
from services.education.main import create_app as create_education
from services.employment.config import EmploymentSettings
from services.employment.main import create_app as create_employment
from services.settlement.config import SettlementSettings
from services.settlement.main import create_app as create_settlement
from services.volunteering.config import VolunteeringSettings
from services.volunteering.main import create_app as create_volunteering
from tests.issuer import ISSUER

SERVICES: dict[str, tuple[Callable[..., FastAPI], type[Any]]] = {
    "settlement": (create_settlement, SettlementSettings),
    "education": (create_education, EducationSettings),
    "employment": (create_employment, EmploymentSettings),
    "volunteering": (create_volunteering, VolunteeringSettings),
}


def app_of(service: str, **settings: Any) -> FastAPI:
    """`service`'s app with these settings; nothing connects until its lifespan starts.

    Without `oidc_issuers`, the app trusts the in-memory test issuer (`tests.issuer.ISSUER`).
    """
    create, settings_class = SERVICES[service]
    if "oidc_issuers" in settings:
        return create(settings_class(**settings))
    return ISSUER.install(create(settings_class(oidc_issuers=[ISSUER.url], **settings)))
