"""One way to paginate: a page of a ``select()``, counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from portal import db

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
#: No list has this many pages; a larger number from the query string would
#: make an offset the database cannot hold (``?page=99999999999999999999``).
MAX_PAGE = 2**31 - 1


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(statement: Select, number: int | None = 1, per_page: int | None = None) -> Page:
    """Run ``statement`` for one page; ``number`` past the end gives an empty page."""
    per_page = min(max(per_page or DEFAULT_PER_PAGE, 1), MAX_PER_PAGE)
    number = min(max(number or 1, 1), MAX_PAGE)
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = list(db.session.scalars(statement.limit(per_page).offset((number - 1) * per_page)))
    return Page(items=items, number=number, per_page=per_page, total=total or 0)
