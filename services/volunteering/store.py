"""The volunteer organisations' SQL."""

from typing import ClassVar
from uuid import UUID

from sqlalchemy import func
from sqlmodel import col, select

from shared.events.volunteering import MatchKind
from shared.outbox import OutboxMessage
from shared.store import Store

from .models import (
    Activity,
    Erasure,
    HoursLog,
    Match,
    MatchRequest,
    MatchStatus,
    Newcomer,
    Organisation,
    RequestStatus,
    Volunteer,
)

TABLES = [
    model.__table__  # type: ignore[union-attr]
    for model in (Organisation, Volunteer, Newcomer, MatchRequest, Match, HoursLog, Activity, Erasure)
]

Row = Organisation | Volunteer | Newcomer | MatchRequest | Match | HoursLog | Activity | Erasure


class VolunteeringStore(Store):
    source: ClassVar[str] = "/samvirke/volunteering"

    def add(self, row: Row) -> None:
        self.add_row(row)

    async def delete(self, row: Row) -> None:
        await self.session.delete(row)

    # organisations and volunteers

    async def get_organisation(self, organisation_id: UUID) -> Organisation | None:
        return await self.session.get(Organisation, organisation_id)

    async def list_organisations(self, municipality_code: str | None) -> list[Organisation]:
        query = select(Organisation)
        if municipality_code is not None:
            query = query.where(Organisation.municipality_code == municipality_code)
        return list((await self.session.exec(query.order_by(col(Organisation.name)))).all())

    async def get_volunteer(self, volunteer_id: UUID) -> Volunteer | None:
        return await self.session.get(Volunteer, volunteer_id)

    async def volunteers_in(self, municipality_code: str) -> list[tuple[Volunteer, Organisation]]:
        query = (
            select(Volunteer, Organisation)
            .join(Organisation, col(Organisation.id) == Volunteer.organisation_id)
            .where(Organisation.municipality_code == municipality_code, col(Volunteer.active).is_(True))
            .order_by(col(Volunteer.name))
        )
        return [
            (volunteer, organisation) for volunteer, organisation in (await self.session.exec(query)).all()
        ]

    async def list_volunteers(
        self, *, organisation_id: UUID | None, limit: int, offset: int
    ) -> tuple[list[Volunteer], int]:
        query = select(Volunteer)
        if organisation_id is not None:
            query = query.where(Volunteer.organisation_id == organisation_id)
        return await self.page(query, col(Volunteer.name), col(Volunteer.id), limit=limit, offset=offset)

    async def loads(self, volunteer_ids: list[UUID]) -> dict[UUID, int]:
        """Matches each volunteer has that are not ended."""
        query = (
            select(Match.volunteer_id, func.count())
            .where(col(Match.volunteer_id).in_(volunteer_ids), Match.status != MatchStatus.ENDED)
            .group_by(col(Match.volunteer_id))
        )
        return dict((await self.session.exec(query)).all())

    # newcomers and requests

    async def get_newcomer(self, newcomer_id: UUID) -> Newcomer | None:
        return await self.find(Newcomer, newcomer_id)

    async def household(self, household_id: UUID) -> list[Newcomer]:
        return list(
            (await self.session.exec(select(Newcomer).where(Newcomer.household_id == household_id))).all()
        )

    async def get_request(self, request_id: UUID) -> MatchRequest | None:
        return await self.session.get(MatchRequest, request_id)

    async def requests_of(self, newcomer_id: UUID) -> list[MatchRequest]:
        query = select(MatchRequest).where(MatchRequest.newcomer_id == newcomer_id)
        return list((await self.session.exec(query.order_by(col(MatchRequest.opened_at)))).all())

    async def open_request(self, newcomer_id: UUID, kind: MatchKind) -> MatchRequest | None:
        query = select(MatchRequest).where(
            MatchRequest.newcomer_id == newcomer_id,
            MatchRequest.kind == kind,
            MatchRequest.status != RequestStatus.CLOSED,
        )
        return (await self.session.exec(query)).first()

    async def list_requests(
        self,
        *,
        newcomer_id: UUID | None,
        status: RequestStatus | None,
        kind: MatchKind | None,
        limit: int,
        offset: int,
    ) -> tuple[list[MatchRequest], int]:
        query = select(MatchRequest)
        if newcomer_id is not None:
            query = query.where(MatchRequest.newcomer_id == newcomer_id)
        if status is not None:
            query = query.where(MatchRequest.status == status)
        if kind is not None:
            query = query.where(MatchRequest.kind == kind)
        return await self.page(
            query, col(MatchRequest.opened_at), col(MatchRequest.id), limit=limit, offset=offset
        )

    # matches, hours, activities

    async def get_match(self, match_id: UUID) -> Match | None:
        return await self.session.get(Match, match_id)

    async def matches_of(self, newcomer_id: UUID) -> list[Match]:
        return list((await self.session.exec(select(Match).where(Match.newcomer_id == newcomer_id))).all())

    async def matches_for_placement(self, placement_id: UUID) -> list[Match]:
        query = select(Match).where(Match.placement_id == placement_id, Match.status != MatchStatus.ENDED)
        return list((await self.session.exec(query)).all())

    async def list_matches(
        self, *, status: MatchStatus | None, volunteer_id: UUID | None, limit: int, offset: int
    ) -> tuple[list[Match], int]:
        query = select(Match)
        if status is not None:
            query = query.where(Match.status == status)
        if volunteer_id is not None:
            query = query.where(Match.volunteer_id == volunteer_id)
        return await self.page(query, col(Match.proposed_at), col(Match.id), limit=limit, offset=offset)

    async def hours_of(self, match_id: UUID) -> float:
        query = select(func.coalesce(func.sum(HoursLog.hours), 0.0)).where(HoursLog.match_id == match_id)
        return float((await self.session.exec(query)).one())

    async def list_activities(self, organisation_id: UUID | None) -> list[Activity]:
        query = select(Activity)
        if organisation_id is not None:
            query = query.where(Activity.organisation_id == organisation_id)
        return list((await self.session.exec(query.order_by(col(Activity.held_on)))).all())

    # proof of erasure

    async def rows_about(self, newcomer_id: UUID) -> dict[str, int]:
        """Every row in this store that names the newcomer."""
        checks = {
            "consented_newcomer": col(Newcomer.id) == newcomer_id,
            "match_request": col(MatchRequest.newcomer_id) == newcomer_id,
            "match": col(Match.newcomer_id) == newcomer_id,
            "outbox": col(OutboxMessage.key) == str(newcomer_id),  # events not yet published
        }
        tables = {
            "consented_newcomer": Newcomer,
            "match_request": MatchRequest,
            "match": Match,
            "outbox": OutboxMessage,
        }
        counts: dict[str, int] = {}
        for name, condition in checks.items():
            query = select(func.count()).select_from(tables[name]).where(condition)
            counts[name] = (await self.session.exec(query)).one()
        return counts

    async def erasures(self, newcomer_hash: str) -> list[Erasure]:
        query = select(Erasure).where(Erasure.newcomer_hash == newcomer_hash).order_by(col(Erasure.erased_at))
        return list((await self.session.exec(query)).all())
