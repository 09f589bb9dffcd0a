"""Paging a fetched list ten rows at a time, for the lists shown with ◀ ▶ buttons.

/history, /deposits, /withdrawals and /activity fetch the whole list once and show
one page of it; the page asked for rides in the button payload (``state.page``), so
it is clamped here to the pages the list has now — a list that shrank since the
button was drawn shows its last page rather than an empty one.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

PAGE_SIZE = 10

Row = TypeVar("Row")


class PageAsked(Protocol):
    @property
    def page(self) -> int: ...


class Paged(Generic[Row]):
    """Mixin for a frozen dataclass holding ``state`` (with ``page``) and ``rows``."""

    __slots__ = ()

    state: PageAsked
    rows: tuple[Row, ...]

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.rows) // PAGE_SIZE))

    @property
    def page(self) -> int:
        return min(max(self.state.page, 0), self.pages - 1)

    @property
    def shown(self) -> tuple[Row, ...]:
        start = self.page * PAGE_SIZE
        return self.rows[start : start + PAGE_SIZE]

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page < self.pages - 1
