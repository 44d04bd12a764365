"""Request bodies a settlement officer would send, shared by the tests that drive the APIs."""

from typing import Any

OSLO = {
    "code": "0301",
    "country": "NO",
    "name": "Oslo",
    "districts": ["Grorud", "Stovner", "Alna"],
    "max_district_share": 1.0,  # flows under test are not about spread
}

LILLEHAMMER = {
    "code": "3405",
    "country": "NO",
    "name": "Lillehammer",
    "districts": ["Lillehammer sentrum", "Søre Ål"],
}


def red_cross(municipality_code: str = "0301") -> dict[str, Any]:
    """A Red Cross chapter: its staff see the match requests of the municipality it works in."""
    return {
        "name": f"Røde Kors {municipality_code}",
        "kind": "red_cross",
        "municipality_code": municipality_code,
    }


def person(
    given_name: str = "Amira",
    family_name: str = "Haddad",
    *,
    birth_date: str = "1990-04-02",
    consent: bool = True,
    registered_in: str = "0301",
    **more: Any,
) -> dict[str, Any]:
    return {
        "registered_in": registered_in,
        "given_name": given_name,
        "family_name": family_name,
        "birth_date": birth_date,
        "sex": "female",
        "country_of_origin": "SY",
        "languages": ["ar"],
        "phone": "+47 400 00 000",
        "consents": ["volunteer_contact"] if consent else [],
        **more,
    }


def settlement(district: str = "Grorud", settled_on: str = "2026-11-02", **more: Any) -> dict[str, Any]:
    return {"municipality_code": "0301", "district": district, "settled_on": settled_on, **more}
