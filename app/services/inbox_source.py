"""The inbox index's rows as the store holds them: what a row shows, read when shown.

`StoreSource` is the `RowSource` (app/services/inbox_index.py) of the window: the index
names each row by its rowid and asks for the display records and haystacks of the rows on
screen (a page at a time) or of a query's candidates; `admit` finds the rowids of rows
the bridge announces (they are stored by then). `load_slices` reads the whole inbox in
slices for `build_index` on a worker thread, on a read-only connection of its own.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

from pydantic_core import from_json

from app.domain.filter_rows import haystack_of
from app.services.inbox_index import Item
from app.services.inbox_rows import prepare_rows
from app.store.opportunities import OpportunityRepo, OpportunityRow

__all__ = ["StoreSource"]


class StoreSource:
    """Rows read from the store by rowid."""

    def __init__(self, repo: OpportunityRepo) -> None:
        self._repo = repo

    def fetch(self, refs: Sequence[int]) -> list[Item | None]:
        found = self._repo.rows_by_rowid(refs)
        rows = [found.get(ref) for ref in refs]
        items = iter(self.items([row for row in rows if row is not None]))
        return [None if row is None else next(items) for row in rows]

    @staticmethod
    def items(rows: Sequence[OpportunityRow]) -> list[Item]:
        """The items (key, display record, haystack) of rows in hand, as `fetch` makes
        them: the start's first rows are shown from the rows the load read, not read
        back from the store on the GUI thread."""
        prepared = prepare_rows(rows, {})
        return list(zip(prepared.keys, prepared.rows, prepared.haystacks, strict=True))

    def refs_of(self, keys: Sequence[str]) -> dict[str, int]:
        return self._repo.rowids_of(keys)

    def haystacks(self, refs: Sequence[int]) -> list[str]:
        """The haystacks of `refs` ("" for a missing one): only the five searched columns
        are read, for checking a query's candidates."""
        found = self._repo.search_texts(refs)
        out: list[str] = []
        for ref in refs:
            texts = found.get(ref)
            if texts is None:
                out.append("")
                continue
            title, description, skills, client, category = texts
            country = from_json(client).get("country") if client != "{}" else None
            out.append(haystack_of(title, description, from_json(skills), country, category))
        return out

    def admit(self, items: Sequence[Item]) -> list[int | None]:
        rowids = self._repo.rowids_of(item[0] for item in items)
        return [rowids.get(item[0]) for item in items]

    def load_slices(
        self, size: int = 5_000, first: int | None = None
    ) -> Generator[tuple[list[int], list[OpportunityRow]], None, None]:
        """Every stored row, newest first, as (rowids, rows) slices (the first of `first`)."""
        return self._repo.iter_row_slices(size, first)
