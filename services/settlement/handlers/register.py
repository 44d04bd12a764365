"""Municipalities, quotas, the newcomer register and consent."""

import unicodedata
from datetime import UTC, date, datetime
from uuid import UUID

from shared.contracts.events.settlement import (
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    NewcomerRegistered,
    PersonalDetails,
    VolunteerContact,
)
from shared.domain.inputs import folded
from shared.domain.statutory import Country
from shared.errors import Conflict, Invalid

from ..models import (
    Consent,
    Municipality,
    MunicipalityCreate,
    Newcomer,
    NewcomerCreate,
    NewcomerStatus,
    NewcomerUpdate,
    Quota,
    QuotaSet,
)
from ..store import SettlementStore

NORWAY_MINIMUM_REQUEST = 10  # Norway asks no municipality to settle fewer than ten


async def create_municipality(store: SettlementStore, data: MunicipalityCreate) -> Municipality:
    store.check_acts_for(data.code, f"Municipality {data.code} is added by its own staff.")
    if await store.get_municipality(data.code) is not None:
        raise Conflict(f"Municipality {data.code} exists already.")
    municipality = Municipality.model_validate(data)
    store.add(municipality)
    return municipality


async def set_quota(store: SettlementStore, code: str, year: int, data: QuotaSet) -> Quota:
    municipality = await store.existing(Municipality, code)
    if municipality.country is Country.NO and 0 < data.requested < NORWAY_MINIMUM_REQUEST:
        raise Invalid(f"Norway asks no municipality to settle fewer than {NORWAY_MINIMUM_REQUEST}.")
    quota = await store.get_quota(code, year)
    if quota is None:
        quota = Quota(municipality_code=code, year=year, requested=data.requested)
        store.add(quota)
    else:
        quota.requested = data.requested
    return quota


async def register_newcomer(store: SettlementStore, data: NewcomerCreate) -> Newcomer:
    key = identity_key(data.given_name, data.family_name, data.birth_date, data.country_of_origin)
    await refuse_duplicate(store, key, data.external_reference)
    newcomer = Newcomer.model_validate(
        data,
        update={
            "identity_key": key,
            "search_name": search_name(data.given_name, data.family_name),
            "registered_in": store.registering_municipality(data.registered_in),
        },
    )
    store.add(newcomer)
    await store.flush()
    store.emit(
        NewcomerRegistered(
            newcomer_id=newcomer.id,
            registered_on=newcomer.registered_at.date(),
            arrival_route=data.arrival_route,
        )
    )
    for purpose in dict.fromkeys(data.consents):
        store.add(Consent(newcomer_id=newcomer.id, purpose=purpose, given_at=newcomer.registered_at))
        store.emit(ConsentGiven(newcomer_id=newcomer.id, purpose=purpose, given_at=newcomer.registered_at))
    return newcomer


async def update_newcomer(store: SettlementStore, newcomer_id: UUID, data: NewcomerUpdate) -> Newcomer:
    newcomer = await store.existing(Newcomer, newcomer_id)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        setattr(newcomer, field, value)
    if {"given_name", "family_name"} & changes.keys():
        key = identity_key(
            newcomer.given_name, newcomer.family_name, newcomer.birth_date, newcomer.country_of_origin
        )
        await refuse_duplicate(store, key, None, other_than=newcomer.id)
        newcomer.identity_key = key
        newcomer.search_name = search_name(newcomer.given_name, newcomer.family_name)
    await share_personal_data(store, newcomer)
    return newcomer


async def give_consent(store: SettlementStore, newcomer_id: UUID, purpose: ConsentPurpose) -> Consent:
    newcomer = await store.existing(Newcomer, newcomer_id)
    if await store.consent_in_force(newcomer_id, purpose) is not None:
        raise Conflict(f"Consent to {purpose} is already in force.")
    consent = Consent(newcomer_id=newcomer_id, purpose=purpose, given_at=datetime.now(UTC))
    store.add(consent)
    store.emit(ConsentGiven(newcomer_id=newcomer_id, purpose=purpose, given_at=consent.given_at))
    await share_personal_data(store, newcomer)
    return consent


async def withdraw_consent(store: SettlementStore, newcomer_id: UUID, purpose: ConsentPurpose) -> Consent:
    await store.existing(Newcomer, newcomer_id)
    consent = await store.consent_in_force(newcomer_id, purpose)
    if consent is None:
        raise Conflict(f"No consent to {purpose} is in force.")
    consent.withdrawn_at = datetime.now(UTC)
    store.emit(ConsentWithdrawn(newcomer_id=newcomer_id, purpose=purpose, withdrawn_at=consent.withdrawn_at))
    if purpose is ConsentPurpose.VOLUNTEER_CONTACT:
        store.forget(VolunteerContact, str(newcomer_id))
    return consent


async def share_personal_data(store: SettlementStore, newcomer: Newcomer) -> None:
    """Tells entitled agencies the newcomer's current details: staff, and volunteers if consented."""
    if newcomer.status is not NewcomerStatus.SETTLED:
        return
    store.emit(
        PersonalDetails(
            newcomer_id=newcomer.id,
            given_name=newcomer.given_name,
            family_name=newcomer.family_name,
            birth_date=newcomer.birth_date,
            sex=newcomer.sex,
            languages=newcomer.languages,
            phone=newcomer.phone,
            email=newcomer.email,
            address=newcomer.address,
            municipality_code=newcomer.municipality_code,
        )
    )
    if ConsentPurpose.VOLUNTEER_CONTACT in await store.consents_in_force(newcomer.id):
        store.emit(
            VolunteerContact(
                newcomer_id=newcomer.id,
                given_name=newcomer.given_name,
                phone=newcomer.phone,
                languages=newcomer.languages,
                municipality_code=newcomer.municipality_code,
                district=newcomer.district,
                age_group=newcomer.age_group_on(date.today()),
            )
        )


async def refuse_duplicate(
    store: SettlementStore, key: str, external_reference: str | None, *, other_than: UUID | None = None
) -> None:
    same = await store.find_same_person(
        identity_key=key, external_reference=external_reference, other_than=other_than
    )
    if same is not None and await store.find(Newcomer, same.id) is None:
        # One person registered twice is what registers must not do, so the check spans every
        # municipality; where the record is another's, who they are stays with that municipality.
        raise Conflict("This person is registered already, by a municipality the token does not act for.")
    if same is not None:
        raise Conflict(
            f"This person is registered already as newcomer {same.id}.",
            existing_id=str(same.id),
            existing=f"/newcomers/{same.id}",
        )


def search_name(given_name: str, family_name: str) -> str:
    """The name as search compares it: 'Øyvind Ærø' is found by 'øyvind' and by 'ÆRØ'."""
    return folded(f"{given_name} {family_name}")


def identity_key(given_name: str, family_name: str, birth_date: date, country: str) -> str:
    """The same for one person however the name was spelt or ordered: Ḥaddād Amira ~ amira haddad."""
    folded = unicodedata.normalize("NFKD", f"{given_name} {family_name}".lower())
    letters = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return f"{' '.join(sorted(letters.split()))}|{birth_date.isoformat()}|{country.upper()}"
