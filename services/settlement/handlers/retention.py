"""Retention as data: when a rule's period has run, the register erases the newcomer across every agency of
its own accord, as an officer's erasure request would.

The rules are read from a TOML file (`handlers/retention.toml` unless `SAMVIRKE_RETENTION_RULES` names the
controller's own); a file that cannot be used stops the service at start with the file and the problem.
"""

import asyncio
import logging
import tomllib
from collections.abc import Callable, Coroutine, Sequence
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.contracts.events.settlement import DepartureReason, LegalGround
from shared.domain.dates import add_months
from shared.runtime.db import Database

from ..models import ErasureCreate
from ..store import SettlementStore
from .erasure import request_erasure

log = logging.getLogger(__name__)

BUILT_IN = Path(__file__).with_name("retention.toml")


class InvalidRetentionRules(ValueError):
    """A retention file that cannot be used; the message names the file and the problem."""


class Trigger(StrEnum):
    DEPARTED = "departed"  # counted from the register's departure date


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class After(_Data):
    years: int = Field(default=0, ge=0, le=100)
    months: int = Field(default=0, ge=0, le=1200)
    days: int = Field(default=0, ge=0, le=36500)

    def from_(self, day: date) -> date:
        return add_months(day, 12 * self.years + self.months) + timedelta(days=self.days)


class RetentionRule(_Data):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{0,63}$")
    title: str = Field(min_length=1, max_length=200)
    trigger: Trigger
    reasons: tuple[DepartureReason, ...] = tuple(DepartureReason)  # all, unless the rule names some
    after: After
    legal_ground: LegalGround
    cites: str = Field(min_length=1, max_length=300)


class RetentionRules(_Data):
    rule: tuple[RetentionRule, ...] = ()

    @model_validator(mode="after")
    def _one_rule_per_case(self) -> "RetentionRules":
        ids = [rule.id for rule in self.rule]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids must be distinct")
        covered = [(rule.trigger, reason) for rule in self.rule for reason in rule.reasons]
        if len(set(covered)) != len(covered):
            raise ValueError("two rules cover the same trigger and departure reason: which period holds?")
        return self


def load_retention_rules(path: Path = BUILT_IN) -> tuple[RetentionRule, ...]:
    try:
        return RetentionRules.model_validate(tomllib.loads(path.read_text())).rule
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as error:
        raise InvalidRetentionRules(f"{path}: {error}") from error


async def erase_due(store: SettlementStore, rules: Sequence[RetentionRule], today: date) -> dict[str, int]:
    """Requests the erasure of every newcomer whose retention period has run by `today`, once each;
    returns how many per rule."""
    erased: dict[str, int] = {}
    for rule in rules:
        due: list[UUID] = [
            newcomer_id
            for newcomer_id, departed_on in await store.departed_without_erasure(rule.reasons)
            if rule.after.from_(departed_on) <= today
        ]
        for newcomer_id in due:
            await request_erasure(
                store, newcomer_id, ErasureCreate(legal_ground=rule.legal_ground), retention_rule=rule.id
            )
        erased[rule.id] = len(due)
    return erased


def retaining(
    rules: Sequence[RetentionRule], interval_s: float
) -> Callable[[Database], Coroutine[Any, Any, None]]:
    """Erases what is due now and then: a minute after start (or `interval_s`, if shorter), then every
    `interval_s`. Not at once: a process stopped moments after it started is not caught mid-round."""

    async def run(database: Database) -> None:
        await asyncio.sleep(min(interval_s, 60.0))
        while True:
            try:
                async with database.transaction() as session:
                    erased = await erase_due(SettlementStore(session), rules, date.today())
                if any(erased.values()):
                    log.info("retention: erasure requested per rule %s", erased)
            except Exception:  # the store may be down for a while; the next round tries again
                log.exception("retention sweep failed")
            await asyncio.sleep(interval_s)

    return run
