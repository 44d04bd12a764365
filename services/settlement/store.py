"""The settlement register's SQL."""

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, or_, text, union_all
from sqlalchemy import select as core_select
from sqlmodel import SQLModel, col, select

from shared.contracts.events.settlement import ConsentPurpose, DepartureReason
from shared.domain.inputs import folded
from shared.domain.statutory import Country
from shared.errors import Invalid
from shared.runtime.audit import AuditEntry, AuditSubject
from shared.runtime.store import Memo, Scope, Store
from shared.runtime.worklist import WorkTask

from .models import (
    AccessLogLine,
    AccessRecord,
    Consent,
    CoordinationNotice,
    ErasureProof,
    ErasureRequest,
    Handover,
    HandoverStatus,
    Household,
    IntegrationPlan,
    JourneyEntry,
    Municipality,
    Newcomer,
    NewcomerStatus,
    Quota,
    Settlement,
    SettlementTally,
    Sex,
    YearTally,
)

_TALLIES: Memo[dict[tuple[str, int, str], SettlementTally]] = Memo("tally rows read", dict)
_CONSENTS: Memo[dict[UUID, list[Consent]]] = Memo("each newcomer's consents, as read", dict)
SWEEP_LOCK = 0x53574545505F4F4E  # "SWEEP_ON": held by the instance publishing breaches and gaps

TABLES = [
    model.__table__  # type: ignore[union-attr]
    for model in (
        Municipality,
        Quota,
        Household,
        Newcomer,
        Settlement,
        SettlementTally,
        Consent,
        Handover,
        IntegrationPlan,
        JourneyEntry,
        AccessRecord,
        ErasureRequest,
        ErasureProof,
        CoordinationNotice,
    )
]


class SettlementStore(Store):
    source: ClassVar[str] = "/samvirke/settlement"
    newcomer_keys: ClassVar = {Newcomer: "id"}
    municipality_columns: ClassVar = {
        Municipality: "code",
        Quota: "municipality_code",
        Settlement: "municipality_code",
        SettlementTally: "municipality_code",
        WorkTask: "municipality_code",
    }

    def scope_condition(self, model: type[SQLModel], scope: Scope) -> ColumnElement[bool] | None:
        if model is Newcomer:
            return newcomers_within(scope)
        if model is Handover:  # both ends see it
            ends = (Handover.from_municipality_code, Handover.to_municipality_code)
            return or_(*(col(end).in_(scope.municipalities) for end in ends))
        if model is Household:  # where a member is seen, or while it has none
            members = select(Newcomer.household_id).where(col(Newcomer.household_id).is_not(None))
            return or_(
                col(Household.id).in_(members.where(newcomers_within(scope))),
                col(Household.id).not_in(members),
            )
        if model in (Consent, IntegrationPlan, JourneyEntry, CoordinationNotice):  # where the newcomer is
            seen = select(Newcomer.id).where(newcomers_within(scope))
            return col(model.newcomer_id).in_(seen)
        return super().scope_condition(model, scope)

    def check_writable(self, row: SQLModel) -> None:
        if isinstance(row, Newcomer):
            code = row.registered_in
            self.check_acts_for(code, f"A newcomer is registered in municipality {code} by its own staff.")
        elif isinstance(row, Handover):
            code = row.from_municipality_code
            self.check_acts_for(code, f"Only the sending municipality, {code}, requests the handover.")
        super().check_writable(row)

    def registering_municipality(self, given: str | None) -> str | None:
        """The municipality registering a newcomer: `given`, or the only one the staff member acts for."""
        if given is not None or self.scope is None:
            return given
        if len(self.scope.municipalities) != 1:
            raise Invalid(
                "Name the municipality registering the newcomer (registered_in): the token acts for "
                f"{self.scope.names()}."
            )
        return next(iter(self.scope.municipalities))

    def add(self, row: Municipality | Quota | Household | Newcomer | Consent | Handover) -> None:
        self.add_row(row)
        if isinstance(row, Consent) and row.newcomer_id in (consents := self.memo(_CONSENTS)):
            consents[row.newcomer_id].append(row)

    # municipalities and quotas

    async def get_municipality(self, code: str) -> Municipality | None:
        return await self.find(Municipality, code)

    async def is_municipality(self, code: str) -> bool:
        """Whether the register knows municipality `code`, whoever's it is (a handover's receiver)."""
        return await self.session.get(Municipality, code) is not None

    async def list_municipalities(self) -> list[Municipality]:
        query = self.scoped(select(Municipality), Municipality)
        return list((await self.session.exec(query.order_by(col(Municipality.code)))).all())

    async def get_quota(self, code: str, year: int) -> Quota | None:
        return await self.find(Quota, (code, year))

    async def year_tally(self, code: str, year: int) -> YearTally:
        query = select(SettlementTally).where(
            SettlementTally.municipality_code == code, SettlementTally.year == year
        )
        tallies = (await self.session.exec(query)).all()
        # Held for add_settlement, which increments one of them (the session holds rows weakly).
        read = self.memo(_TALLIES)
        read.update({(t.municipality_code, t.year, t.district): t for t in tallies})
        return YearTally(
            by_quota=sum(t.by_quota for t in tallies),
            family_reunification=sum(t.family_reunification for t in tallies),
            family_reunification_children=sum(t.family_reunification_children for t in tallies),
            by_district={t.district: t.by_quota + t.family_reunification for t in tallies},
        )

    async def add_settlement(self, settlement: Settlement, *, child: bool) -> None:
        """Adds `settlement` and counts it in its municipality's tally for the year (a `child` is under 18
        on the day settled)."""
        self.add_row(settlement)
        key = (settlement.municipality_code, settlement.year, settlement.district)
        tally = self.memo(_TALLIES).get(key) or await self.session.get(SettlementTally, key)
        if tally is None:
            tally = SettlementTally(municipality_code=key[0], year=key[1], district=key[2])
            self.add_row(tally)
            self.memo(_TALLIES)[key] = tally
        if settlement.family_reunification:
            tally.family_reunification += 1
            tally.family_reunification_children += child
        else:
            tally.by_quota += 1

    async def quota_years(self, year: int) -> list[tuple[Municipality, Quota | None]]:
        query = (
            select(Municipality, Quota)
            .join(
                Quota,
                (col(Quota.municipality_code) == Municipality.code) & (col(Quota.year) == year),
                isouter=True,
            )
            .order_by(col(Municipality.code))
        )
        query = self.scoped(query, Municipality)
        return [(municipality, quota) for municipality, quota in (await self.session.exec(query)).all()]

    # the register

    async def get_newcomer(self, newcomer_id: UUID) -> Newcomer | None:
        return await self.find(Newcomer, newcomer_id)

    async def find_same_person(
        self, *, identity_key: str, external_reference: str | None, other_than: UUID | None = None
    ) -> Newcomer | None:
        same = col(Newcomer.identity_key) == identity_key
        if external_reference:
            same = or_(same, col(Newcomer.external_reference) == external_reference)
        query = select(Newcomer).where(same)
        if other_than is not None:
            query = query.where(col(Newcomer.id) != other_than)
        return (await self.session.exec(query.order_by(col(Newcomer.registered_at)))).first()

    async def list_newcomers(
        self,
        *,
        status: NewcomerStatus | None,
        municipality_code: str | None,
        district: str | None,
        name: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Newcomer], int]:
        query = self.scoped(select(Newcomer), Newcomer)
        if status is not None:
            query = query.where(Newcomer.status == status)
        if municipality_code is not None:
            query = query.where(Newcomer.municipality_code == municipality_code)
        if district is not None:
            query = query.where(Newcomer.district == district)
        if name:  # both folded in Python: SQLite's lower() knows only ASCII; % and _ match themselves
            query = query.where(col(Newcomer.search_name).contains(folded(name), autoescape=True))
        return await self.page(
            query, col(Newcomer.registered_at), col(Newcomer.id), limit=limit, offset=offset
        )

    # consents

    async def consents_in_force(self, newcomer_id: UUID) -> list[ConsentPurpose]:
        return sorted(
            ConsentPurpose(c.purpose) for c in await self._consents(newcomer_id) if c.withdrawn_at is None
        )

    async def consent_in_force(self, newcomer_id: UUID, purpose: ConsentPurpose) -> Consent | None:
        in_force = (
            c for c in await self._consents(newcomer_id) if c.purpose == purpose and c.withdrawn_at is None
        )
        return next(in_force, None)

    async def _consents(self, newcomer_id: UUID) -> list[Consent]:
        """The newcomer's consents, read once per transaction (settling one asks three times).

        The rows stay in the session, so a withdrawal made through them shows;
        a consent given through `add` joins them.
        """
        read = self.memo(_CONSENTS)
        if newcomer_id not in read:
            query = select(Consent).where(Consent.newcomer_id == newcomer_id)
            read[newcomer_id] = list((await self.session.exec(query)).all())
        return read[newcomer_id]

    async def consent_history(self, newcomer_id: UUID) -> list[Consent]:
        query = select(Consent).where(Consent.newcomer_id == newcomer_id).order_by(col(Consent.given_at))
        return list((await self.session.exec(query)).all())

    # households

    async def get_household(self, household_id: UUID) -> Household | None:
        return await self.find(Household, household_id)

    async def household_members(self, household_id: UUID) -> list[Newcomer]:
        query = self.scoped(select(Newcomer).where(Newcomer.household_id == household_id), Newcomer)
        query = query.order_by(col(Newcomer.birth_date))
        return list((await self.session.exec(query)).all())

    async def household_consents(self, household_id: UUID, purpose: ConsentPurpose) -> bool:
        query = (
            select(func.count())
            .select_from(Consent)
            .join(Newcomer, col(Newcomer.id) == Consent.newcomer_id)
            .where(Newcomer.household_id == household_id, Consent.purpose == purpose)
            .where(col(Consent.withdrawn_at).is_(None))
        )
        return (await self.session.exec(query)).one() > 0

    # handovers and plans

    async def get_handover(self, handover_id: UUID) -> Handover | None:
        return await self.find(Handover, handover_id)

    async def handovers_of(self, newcomer_id: UUID) -> list[Handover]:
        query = (
            select(Handover).where(Handover.newcomer_id == newcomer_id).order_by(col(Handover.requested_at))
        )
        return list((await self.session.exec(query)).all())

    async def get_plan(self, newcomer_id: UUID) -> IntegrationPlan | None:
        return await self.find(IntegrationPlan, newcomer_id)

    def put_plan(self, plan: IntegrationPlan) -> None:
        self.session.add(plan)

    # coordination: the journeys agencies' events describe

    async def record_journey_entry(self, entry: JourneyEntry) -> None:
        """Keeps `entry` once, however often its event is applied (replay)."""
        if await self.find(JourneyEntry, (entry.source, entry.event_id)) is None:
            self.add_row(entry)

    async def journey(self, newcomer_id: UUID) -> list[JourneyEntry]:
        query = self.scoped(select(JourneyEntry).where(JourneyEntry.newcomer_id == newcomer_id), JourneyEntry)
        return list((await self.session.exec(query.order_by(*_JOURNEY_ORDER))).all())

    async def journeys(self) -> dict[UUID, list[JourneyEntry]]:
        """Every newcomer's journey within the scope, each in order."""
        journeys: dict[UUID, list[JourneyEntry]] = {}
        query = self.scoped(select(JourneyEntry), JourneyEntry).order_by(*_JOURNEY_ORDER)
        for entry in (await self.session.exec(query)).all():
            journeys.setdefault(entry.newcomer_id, []).append(entry)
        return journeys

    async def countries(self) -> dict[str, Country]:
        rows = await self.session.exec(select(Municipality.code, Municipality.country))
        return {code: Country(country) for code, country in rows.all()}

    async def sexes(self) -> dict[UUID, Sex]:
        rows = await self.session.exec(self.scoped(select(Newcomer.id, Newcomer.sex), Newcomer))
        return {newcomer_id: Sex(sex) for newcomer_id, sex in rows.all()}

    async def one_sweep_at_a_time(self) -> None:
        """Waits for any other instance's sweep to commit, so each notice is published once.

        On PostgreSQL a transaction-scoped advisory lock; a SQLite write
        transaction holds the whole store already.
        """
        connection = await self.session.connection()
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK})

    async def notices(self) -> set[tuple[UUID, str, str]]:
        rows = await self.session.exec(
            select(CoordinationNotice.newcomer_id, CoordinationNotice.kind, CoordinationNotice.reference)
        )
        return {(newcomer_id, kind, reference) for newcomer_id, kind, reference in rows.all()}

    def add_notice(self, notice: CoordinationNotice) -> None:
        self.session.add(notice)

    # erasure

    async def erasure_of(self, newcomer_id: UUID) -> ErasureRequest | None:
        return (
            await self.session.exec(select(ErasureRequest).where(ErasureRequest.newcomer_id == newcomer_id))
        ).first()

    async def departed_without_erasure(
        self, reasons: Sequence[DepartureReason], limit: int = 500
    ) -> list[tuple[UUID, date]]:
        """Newcomers who departed for one of `reasons` and whose erasure no one has asked for yet, with
        their departure date, earliest first. The retention sweep's: every municipality of this register."""
        query = (
            core_select(col(Newcomer.id), col(Newcomer.departed_on))
            .where(col(Newcomer.departed_on).is_not(None), col(Newcomer.departure_reason).in_(reasons))
            .where(~exists().where(col(ErasureRequest.newcomer_id) == col(Newcomer.id)))
            .order_by(col(Newcomer.departed_on))
            .limit(limit)
        )
        return [(row[0], row[1]) for row in await self.session.execute(query)]

    async def erasure_proofs(self, erasure_id: UUID) -> list[ErasureProof]:
        query = select(ErasureProof).where(ErasureProof.erasure_id == erasure_id)
        return list((await self.session.exec(query.order_by(col(ErasureProof.agency)))).all())

    async def erasure_proof(self, erasure_id: UUID, agency: str) -> ErasureProof | None:
        return await self.session.get(ErasureProof, (erasure_id, agency))

    # the person's access log

    async def keep_access(self, record: AccessRecord) -> None:
        if await self.session.get(AccessRecord, (record.agency, record.entry_id, record.newcomer_id)) is None:
            self.session.add(record)

    async def access_log(
        self, newcomer_id: UUID, *, limit: int, offset: int
    ) -> tuple[list[AccessLogLine], int]:
        """Settlement's own audit entries that saw the newcomer (refusals aside) and the other agencies'
        access records, newest first."""
        own: Select[*tuple[Any, ...]] = (
            core_select(
                literal("settlement").label("agency"),
                col(AuditEntry.at).label("at"),
                col(AuditEntry.role).label("role"),
                col(AuditEntry.purpose).label("purpose"),
                (col(AuditEntry.method) != "GET").label("changed"),
            )
            .join(AuditSubject, col(AuditSubject.entry_id) == col(AuditEntry.id))
            .where(col(AuditSubject.newcomer_id) == newcomer_id, col(AuditEntry.outcome) < 400)
        )
        others: Select[*tuple[Any, ...]] = core_select(
            col(AccessRecord.agency).label("agency"),
            col(AccessRecord.at).label("at"),
            col(AccessRecord.role).label("role"),
            col(AccessRecord.purpose).label("purpose"),
            col(AccessRecord.changed).label("changed"),
        ).where(col(AccessRecord.newcomer_id) == newcomer_id)
        lines = union_all(own, others).subquery()
        total = (await self.session.execute(core_select(func.count()).select_from(lines))).scalar_one()
        page = core_select(lines).order_by(lines.c.at.desc(), lines.c.agency).limit(limit).offset(offset)
        rows = (await self.session.execute(page)).all()
        return [AccessLogLine.model_validate(row._mapping) for row in rows], total


def newcomers_within(scope: Scope) -> ColumnElement[bool]:
    """The newcomers a scope's staff see: settled in one of its municipalities, registered in one and
    not settled yet, or handed over to one while the handover is open."""
    within = scope.municipalities
    open_handovers = select(Handover.newcomer_id).where(
        col(Handover.to_municipality_code).in_(within),
        col(Handover.status).in_([HandoverStatus.REQUESTED, HandoverStatus.ACCEPTED]),
    )
    return or_(
        col(Newcomer.municipality_code).in_(within),
        and_(col(Newcomer.municipality_code).is_(None), col(Newcomer.registered_in).in_(within)),
        col(Newcomer.id).in_(open_handovers),
    )


_JOURNEY_ORDER = (
    col(JourneyEntry.newcomer_id),
    col(JourneyEntry.occurred_on),
    col(JourneyEntry.recorded_at),
    col(JourneyEntry.event_id),
)
