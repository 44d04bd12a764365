"""The person's access log on real Kafka: each agency's audited looks at a newcomer reach settlement
as access events (ids, agency, role, time, purpose; nothing seen), and settlement shows them all."""

from typing import Any

import pytest

from tests.conftest import eventually
from tests.integration.conftest import Platform
from tests.integration.test_first_flow import settle
from tests.kafka_tools import read_topic

pytestmark = pytest.mark.kafka


async def test_a_newcomers_access_log_shows_every_agency_that_looked(platform: Platform) -> None:
    office, school, centre, red_cross = (
        platform.clients[name] for name in ("settlement", "education", "employment", "volunteering")
    )
    newcomer = await settle(office, given_name="Amira", consent=True)

    async def seen(client: Any, url: str, **params: Any) -> Any:
        answer = await client.get(url, params=params)
        return answer.json() if answer.status_code == 200 and answer.text not in ("[]", "") else None

    await eventually(lambda: seen(school, f"/learners/{newcomer}"))
    await eventually(lambda: seen(centre, f"/cases/{newcomer}"))
    requests = await eventually(lambda: seen(red_cross, "/match-requests", newcomer_id=newcomer))
    assert requests["items"], requests

    async def agencies_in_log() -> Any:
        log = await seen(office, f"/newcomers/{newcomer}/access-log", limit=500)
        agencies = {line["agency"] for line in log["items"]} if log else set()
        return log if agencies == {"settlement", "education", "employment", "volunteering"} else None

    log = await eventually(agencies_in_log)
    lines = log["items"]
    assert all(set(line) == {"agency", "at", "role", "purpose", "changed"} for line in lines)
    assert [line["at"] for line in lines] == sorted((line["at"] for line in lines), reverse=True)
    by_agency = {(line["agency"], line["purpose"], line["changed"]) for line in lines}
    assert ("settlement", "Register a newcomer", True) in by_agency
    assert ("settlement", "Settle a newcomer in a municipality", True) in by_agency
    assert ("education", "A learner's overview", False) in by_agency
    assert ("employment", "One newcomer's case", False) in by_agency
    assert ("volunteering", "Match requests, filtered and paginated", False) in by_agency
    assert log["total"] == len(lines)

    # What the access events carry: never a name, never the staff member.
    for agency in ("education", "employment", "volunteering"):
        records = await read_topic(platform.bootstrap_servers, platform.topic(f"{agency}.access-log"))
        about = [r for r in records if r.key == newcomer.encode()]
        assert about, agency
        assert not any(b"Amira" in r.value or b"Haddad" in r.value or b"sub" in r.value for r in records)
