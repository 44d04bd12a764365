"""Pages of a list: `limit` and `offset` in the query, the total beside the items."""

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class Pagination:
    limit: int
    offset: int

    def page(self, items: list[ItemT], total: int) -> Page[ItemT]:
        return Page[ItemT](items=items, total=total, limit=self.limit, offset=self.offset)


async def _pagination(  # async: FastAPI would build a class dependency in a worker thread
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip")] = 0,
) -> Pagination:
    return Pagination(limit, offset)


PaginationDep = Annotated[Pagination, Depends(_pagination)]
