"""What every service's store shares: a session, and events staged in its transaction."""

from typing import ClassVar

from sqlmodel.ext.asyncio.session import AsyncSession

from .envelope import Envelope
from .events import Event
from .outbox import stage


class Store:
    """Base of each service's store, the only place that service talks SQL."""

    source: ClassVar[str]  # the CloudEvents source of what this service publishes

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def emit(self, event: Event) -> Envelope:
        """Stages `event` to be published once the current transaction commits."""
        return stage(self.session, event, source=self.source)
