"""Bounded query parameters for every list and filter: a negative `limit`/`offset` sliced a queryset
(Django refuses negative indexing: 500) and a huge number overflowed the database's integer. Declared
bounds answer 422 before the handler runs, and the OpenAPI description says them (schemathesis reads it).

    def list_x(request, limit: int = limit_query(50, 200), offset: int = OFFSET): ...
"""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Query, Schema
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 10_000_000
MAX_PAGE = 500
MAX_ID = 2_147_483_647  # an object id in a filter; larger cannot exist


def limit_query(default: int, maximum: int):
    return Query(default, ge=1, le=maximum, description=f"返回条数（1–{maximum}）")


OFFSET = Query(0, ge=0, le=MAX_OFFSET, description="跳过条数")

# An optional object id in a query filter (agent_id, sku_id …).
FilterId = Annotated[int | None, Query(None, ge=1, le=MAX_ID)]


class BoundedPagination(LimitOffsetPagination):
    """Ninja's limit/offset pagination with both ends bounded (its offset had no upper bound, its limit
    none unless configured): out of range is 422, and the bounds are in the OpenAPI description."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_PAGE, description=f"返回条数（1–{MAX_PAGE}）")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="跳过条数")

    def __init__(self, **kwargs):
        super().__init__(max_limit=MAX_PAGE, **kwargs)
