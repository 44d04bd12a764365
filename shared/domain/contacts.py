"""Names and phone numbers from settlement's personal-details channel, for staff who need them.

Each service that is entitled to them keeps its own copy, replaced by every
update and deleted by the channel's tombstone. Kept apart from case records:
the channel and the case events are separate topics, so a newcomer's details
may arrive before their case.
"""

from uuid import UUID

from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.events.settlement import PersonalDetails
from shared.runtime.store import Store


class Contact(SQLModel, table=True):
    newcomer_id: UUID = Field(primary_key=True)
    given_name: str = Field(max_length=200)
    family_name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=200)


async def keep_contact(session: AsyncSession, event: PersonalDetails) -> None:
    store = Store(session)
    contact = await store.find(Contact, event.newcomer_id) or Contact(
        newcomer_id=event.newcomer_id, given_name=event.given_name, family_name=event.family_name
    )
    contact.sqlmodel_update(event.model_dump(include={"given_name", "family_name", "phone", "email"}))
    store.add_row(contact)


async def forget_contact(session: AsyncSession, newcomer_id: UUID) -> None:
    if (contact := await session.get(Contact, newcomer_id)) is not None:
        await session.delete(contact)


async def contact_of(session: AsyncSession, newcomer_id: UUID) -> Contact | None:
    return await session.get(Contact, newcomer_id)
