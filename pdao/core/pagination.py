"""Limit/offset pagination for the JSON API with both numbers bounded, so a huge offset is a
422 and never a database integer overflow (found by Schemathesis)."""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 10**9


class BoundedLimitOffset(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=1000)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
