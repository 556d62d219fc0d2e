"""Offset pagination and sorting for every list: `?limit=&offset=&sort=` with
`sort` one of the list's sortable fields, `-field` for descending. Answers are a
`Page[T]`: items, total, limit, offset, next_offset."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from domain.errors import Invalid

T = TypeVar("T")
MAX_LIMIT = 200


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0
    sort: str | None = None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")] = 0,
    sort: Annotated[
        str | None,
        Query(max_length=64, description="A sortable field; `-field` sorts descending.",
              examples=["-id"]),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, offset=offset, sort=sort)


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
    next_offset: int | None


def sorted_by(query: Select, params: PageParams, sortable: dict, default) -> Select:
    """Order by the requested field (refused when not sortable), then by `default`
    so pages are stable."""
    if params.sort:
        name = params.sort.lstrip("-")
        column = sortable.get(name)
        if column is None:
            raise Invalid(
                f"sort must be one of {', '.join(sorted(sortable))} (with '-' for descending),"
                f" not {params.sort!r}",
                code="invalid.sort",
            )
        query = query.order_by(column.desc() if params.sort.startswith("-") else column.asc())
    return query.order_by(default)


def paginate(db: Session, query: Select, params: PageParams, convert, *, rows: bool = False
             ) -> Page:
    """Run `query` for one page; `convert` turns each row into the answer's item
    (ORM objects, or plain rows when `rows` is true)."""
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = query.limit(params.limit).offset(params.offset)
    rows = db.execute(page).all() if rows else db.scalars(page).all()
    following = params.offset + len(rows)
    return Page(
        items=[convert(r) for r in rows],
        total=int(total or 0),
        limit=params.limit,
        offset=params.offset,
        next_offset=following if following < (total or 0) else None,
    )
