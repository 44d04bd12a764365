"""Replay rebuilds what a service derived from other agencies' events, safely and idempotently."""

from pathlib import Path
from uuid import uuid4

import pytest
from sqlmodel import func, select

from deploy.local.broker import KafkaEndpoint
from services.education.config import EducationSettings
from services.education.main import create_app
from services.education.models import Learner
from shared.service import service_of
from shared.service.replay import ServiceRunning, replay
from tests.conftest import eventually
from tests.factories import settled
from tests.integration.conftest import running
from tests.kafka_tools import committed, produce, read_topic, record_of

pytestmark = pytest.mark.kafka


async def test_replay_rebuilds_lost_state_without_doubling_anything(
    kafka: KafkaEndpoint, tmp_path: Path
) -> None:
    prefix = f"r{uuid4().hex[:8]}."
    settings = EducationSettings(
        oidc_issuers=["https://issuer.test/realms/samvirke"],  # no request asks it
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        kafka_topic_prefix=prefix,
        data_dir=str(tmp_path),
        **kafka.settings_for("education"),  # replay reads as the school's principal
    )
    kafka.grant(prefix)
    events = [settled(volunteer_contact_consent=False) for _ in range(30)]
    running_app = create_app(settings)
    async with running({"education": running_app}):  # creates the topics, then stops again
        pass
    await produce(kafka.bootstrap_servers, f"{prefix}settlement.events", [record_of(e) for e in events])

    first = await replay(service_of(create_app(settings)))
    assert (first.records, first.published) == (30, 30)  # one reaction (waitlisted) per newcomer
    assert await learners(settings) == 30

    again = await replay(service_of(create_app(settings)))
    assert (again.records, again.published) == (30, 0), "the inbox skips what was applied"

    await forget_learners(settings, 10)  # a restored backup that lost ten records
    rebuilt = await replay(service_of(create_app(settings)), from_scratch=True)
    assert await learners(settings) == 30
    assert rebuilt.published == 10, "only the rebuilt records react again"
    reactions = await read_topic(kafka.bootstrap_servers, f"{prefix}education.events")
    assert len(reactions) == 40

    offsets = await committed(kafka.bootstrap_servers, f"{prefix}education")
    assert sum(offsets.values()) == 30, "the service resumes where the replay ended"
    service = create_app(settings)
    async with running({"education": service}):
        with pytest.raises(ServiceRunning):
            await eventually(lambda: _refused(settings))


async def _refused(settings: EducationSettings) -> bool:
    try:
        await replay(service_of(create_app(settings)))
    except ServiceRunning:
        raise
    return False


async def learners(settings: EducationSettings) -> int:
    database = service_of(create_app(settings)).database
    try:
        async with database.session() as session:
            return (await session.exec(select(func.count()).select_from(Learner))).one()
    finally:
        await database.dispose()


async def forget_learners(settings: EducationSettings, how_many: int) -> None:
    database = service_of(create_app(settings)).database
    try:
        async with database.transaction() as session:
            for learner in (await session.exec(select(Learner).limit(how_many))).all():
                await session.delete(learner)
    finally:
        await database.dispose()
