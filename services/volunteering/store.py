"""The volunteer organisations' SQL."""

from collections.abc import Iterable
from typing import ClassVar
from uuid import UUID

from sqlalchemy import ColumnElement, func, inspect
from sqlalchemy import delete as sa_delete
from sqlmodel import SQLModel, col, select

from shared.contracts.events.volunteering import MatchKind
from shared.runtime.outbox import OutboxMessage
from shared.runtime.store import Memo, Scope, Store
from shared.runtime.worklist import TaskChange, WorkTask

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

_REQUESTS: Memo[dict[UUID, list[MatchRequest]]] = Memo("requests of the newcomers load_requests loaded", dict)


class VolunteeringStore(Store):
    """A volunteer organisation's staff see their organisation's volunteers, matches and activities,
    the requests of the municipalities it works in, and a newcomer's contact data only while one of
    its volunteers is matched to them."""

    source: ClassVar[str] = "/samvirke/volunteering"
    newcomer_keys: ClassVar = {Newcomer: "id"}

    def scope_condition(self, model: type[SQLModel], scope: Scope) -> ColumnElement[bool] | None:
        ours = select(Organisation.id).where(Organisation.code == scope.organisation)
        volunteers = select(Volunteer.id).where(col(Volunteer.organisation_id).in_(ours))
        matches = select(Match.id).where(col(Match.volunteer_id).in_(volunteers))
        if model is Organisation:
            return col(Organisation.code) == scope.organisation
        if model in (Volunteer, Activity):
            return col(model.organisation_id).in_(ours)
        if model is Match:
            return col(Match.volunteer_id).in_(volunteers)
        if model is HoursLog:
            return col(HoursLog.match_id).in_(matches)
        if model in (MatchRequest, WorkTask):  # open to the organisations working where the newcomer lives
            where = select(Organisation.municipality_code).where(Organisation.code == scope.organisation)
            return col(model.municipality_code).in_(where)
        if model is Newcomer:  # contact data: only to the organisation of a volunteer matched to them
            matched = select(Match.newcomer_id).where(
                col(Match.volunteer_id).in_(volunteers), Match.status != MatchStatus.ENDED
            )
            return col(Newcomer.id).in_(matched)
        return super().scope_condition(model, scope)

    def acting_organisation(self) -> str:
        """The organisation the staff member acts for ("" for the service itself)."""
        return "" if self.scope is None or self.scope.organisation is None else self.scope.organisation

    def add(self, row: Row) -> None:
        self.add_row(row)
        if isinstance(row, MatchRequest) and (held := self._held_requests(row.newcomer_id)) is not None:
            held.append(row)

    async def delete(self, row: Row) -> None:
        await self.session.delete(row)

    # organisations and volunteers

    async def get_organisation(self, organisation_id: UUID) -> Organisation | None:
        return await self.find(Organisation, organisation_id)

    async def list_organisations(self, municipality_code: str | None) -> list[Organisation]:
        query = self.scoped(select(Organisation), Organisation)
        if municipality_code is not None:
            query = query.where(Organisation.municipality_code == municipality_code)
        return list((await self.session.exec(query.order_by(col(Organisation.name)))).all())

    async def get_volunteer(self, volunteer_id: UUID) -> Volunteer | None:
        return await self.find(Volunteer, volunteer_id)

    async def volunteers_in(self, municipality_code: str) -> list[tuple[Volunteer, Organisation]]:
        query = (
            select(Volunteer, Organisation)
            .join(Organisation, col(Organisation.id) == Volunteer.organisation_id)
            .where(Organisation.municipality_code == municipality_code, col(Volunteer.active).is_(True))
            .order_by(col(Volunteer.name))
        )
        query = self.scoped(query, Volunteer)
        return [
            (volunteer, organisation) for volunteer, organisation in (await self.session.exec(query)).all()
        ]

    async def list_volunteers(
        self, *, organisation_id: UUID | None, limit: int, offset: int
    ) -> tuple[list[Volunteer], int]:
        query = self.scoped(select(Volunteer), Volunteer)
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
        return await self.find(MatchRequest, request_id)

    async def requests_of(self, newcomer_id: UUID) -> list[MatchRequest]:
        query = select(MatchRequest).where(MatchRequest.newcomer_id == newcomer_id)
        return list((await self.session.exec(query.order_by(col(MatchRequest.opened_at)))).all())

    async def load_requests(self, newcomer_ids: Iterable[UUID]) -> None:
        """Loads these newcomers' requests at once, so `open_request` then queries nothing for them.

        As with `load`, nothing else writes a batch's newcomers' requests meanwhile.
        """
        held = self.memo(_REQUESTS)
        wanted = set(newcomer_ids) - held.keys()
        if not wanted:
            return
        query = select(MatchRequest).where(col(MatchRequest.newcomer_id).in_(wanted))
        rows = (await self.session.exec(query)).all()
        for newcomer_id in wanted:
            held[newcomer_id] = []
        for row in rows:
            held[row.newcomer_id].append(row)

    def _held_requests(self, newcomer_id: UUID) -> list[MatchRequest] | None:
        held = self.memo_if_made(_REQUESTS)
        return None if held is None else held.get(newcomer_id)

    async def open_request(self, newcomer_id: UUID, kind: MatchKind) -> MatchRequest | None:
        """The newcomer's request of this kind not yet closed, from those held if they were loaded.

        Held rows no longer count once deleted or once a savepoint that added
        them was rolled back; should a rollback have expired one, SQL answers.
        """
        held = self._held_requests(newcomer_id)
        if held is not None and not any(inspect(request).expired for request in held):
            deleted = self.session.deleted
            current = (r for r in held if r in self.session and r not in deleted)
            return next((r for r in current if r.kind == kind and r.status != RequestStatus.CLOSED), None)
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
        query = self.scoped(select(MatchRequest), MatchRequest)
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
        return await self.find(Match, match_id)

    async def matches_of(self, newcomer_id: UUID) -> list[Match]:
        return list((await self.session.exec(select(Match).where(Match.newcomer_id == newcomer_id))).all())

    async def matches_for_placement(self, placement_id: UUID) -> list[Match]:
        query = select(Match).where(Match.placement_id == placement_id, Match.status != MatchStatus.ENDED)
        return list((await self.session.exec(query)).all())

    async def list_matches(
        self,
        *,
        status: MatchStatus | None,
        volunteer_id: UUID | None,
        request_id: UUID | None = None,
        limit: int,
        offset: int,
    ) -> tuple[list[Match], int]:
        query = self.scoped(select(Match), Match)
        if request_id is not None:
            query = query.where(Match.request_id == request_id)
        if status is not None:
            query = query.where(Match.status == status)
        if volunteer_id is not None:
            query = query.where(Match.volunteer_id == volunteer_id)
        return await self.page(query, col(Match.proposed_at), col(Match.id), limit=limit, offset=offset)

    async def hours_of(self, match_id: UUID) -> float:
        query = select(func.coalesce(func.sum(HoursLog.hours), 0.0)).where(HoursLog.match_id == match_id)
        return float((await self.session.exec(query)).one())

    async def list_activities(self, organisation_id: UUID | None) -> list[Activity]:
        query = self.scoped(select(Activity), Activity)
        if organisation_id is not None:
            query = query.where(Activity.organisation_id == organisation_id)
        return list((await self.session.exec(query.order_by(col(Activity.held_on)))).all())

    # proof of erasure

    async def forget_tasks(self, newcomer_id: UUID) -> int:
        """Deletes the newcomer's worklist tasks and their history; how many tasks there were."""
        tasks = select(WorkTask.id).where(WorkTask.newcomer_id == newcomer_id)
        count = (await self.session.exec(select(func.count()).select_from(tasks.subquery()))).one()
        await self.session.exec(sa_delete(TaskChange).where(col(TaskChange.task_id).in_(tasks)))
        await self.session.exec(sa_delete(WorkTask).where(col(WorkTask.newcomer_id) == newcomer_id))
        return count

    async def rows_about(self, newcomer_id: UUID) -> dict[str, int]:
        """Every row in this store that names the newcomer, of those the staff member's scope holds."""
        checks = {
            "consented_newcomer": col(Newcomer.id) == newcomer_id,
            "match_request": col(MatchRequest.newcomer_id) == newcomer_id,
            "match": col(Match.newcomer_id) == newcomer_id,
            "worklist_task": col(WorkTask.newcomer_id) == newcomer_id,
            "outbox": col(OutboxMessage.key) == str(newcomer_id),  # events not yet published
        }
        tables: dict[str, type[SQLModel]] = {
            "consented_newcomer": Newcomer,
            "match_request": MatchRequest,
            "match": Match,
            "worklist_task": WorkTask,
            "outbox": OutboxMessage,
        }
        counts: dict[str, int] = {}
        for name, condition in checks.items():
            table = tables[name]
            query = select(func.count()).select_from(table).where(condition)
            if table is Newcomer and self.scope is not None:  # held where the organisation works, or matched
                query = query.where(self._known_to_organisation(self.scope))
            elif table is not OutboxMessage:  # the service's own: events not yet published carry no content
                query = self.scoped(query, table)
            counts[name] = (await self.session.exec(query)).one()
        return counts

    def _known_to_organisation(self, scope: Scope) -> ColumnElement[bool]:
        """Consented newcomers living where the organisation works or ever matched to its volunteers:
        what its privacy report counts (the contact data itself stays behind `scope_condition`)."""
        ours = select(Organisation.id).where(Organisation.code == scope.organisation)
        where = select(Organisation.municipality_code).where(Organisation.code == scope.organisation)
        volunteers = select(Volunteer.id).where(col(Volunteer.organisation_id).in_(ours))
        matched = select(Match.newcomer_id).where(col(Match.volunteer_id).in_(volunteers))
        return col(Newcomer.municipality_code).in_(where) | col(Newcomer.id).in_(matched)

    async def erasures(self, newcomer_hash: str) -> list[Erasure]:
        query = select(Erasure).where(Erasure.newcomer_hash == newcomer_hash).order_by(col(Erasure.erased_at))
        return list((await self.session.exec(query)).all())
