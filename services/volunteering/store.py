"""The volunteer organisations' SQL."""

from typing import ClassVar
from uuid import UUID

from sqlmodel import col, select

from shared.events.volunteering import MatchKind
from shared.store import Store

from .models import MatchRequest, MatchRequestStatus

TABLES = [MatchRequest.__table__]  # type: ignore[attr-defined]


class VolunteeringStore(Store):
    source: ClassVar[str] = "/samvirke/volunteering"

    def add_request(self, request: MatchRequest) -> None:
        self.session.add(request)

    async def get_request(self, request_id: UUID) -> MatchRequest | None:
        return await self.session.get(MatchRequest, request_id)

    async def find_request(self, newcomer_id: UUID, kind: MatchKind) -> MatchRequest | None:
        query = select(MatchRequest).where(MatchRequest.newcomer_id == newcomer_id, MatchRequest.kind == kind)
        return (await self.session.exec(query)).first()

    async def list_requests(
        self,
        *,
        newcomer_id: UUID | None,
        status: MatchRequestStatus | None,
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
