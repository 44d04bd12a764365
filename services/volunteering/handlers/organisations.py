"""Organisations, their volunteers, and activities counted without personal data."""

from shared.errors import Invalid

from ..models import Activity, ActivityCreate, Organisation, OrganisationCreate, Volunteer, VolunteerCreate
from ..store import VolunteeringStore


async def create_organisation(store: VolunteeringStore, data: OrganisationCreate) -> Organisation:
    organisation = Organisation.model_validate(data, update={"code": store.acting_organisation()})
    store.add(organisation)
    return organisation


async def register_volunteer(store: VolunteeringStore, data: VolunteerCreate) -> Volunteer:
    await store.existing(Organisation, data.organisation_id)
    volunteer = Volunteer.model_validate(data)
    store.add(volunteer)
    return volunteer


async def record_activity(store: VolunteeringStore, data: ActivityCreate) -> Activity:
    await store.existing(Organisation, data.organisation_id)
    if data.newcomer_participants > data.participants:
        raise Invalid("newcomer_participants cannot exceed participants.")
    activity = Activity.model_validate(data)
    store.add(activity)
    return activity
