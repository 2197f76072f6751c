"""The Platform facet matches any source of a job (issue 16): the inbox shows one row per
Upwork job, so a job whose row is GigRadar's but that UpHunt also found is an UpHunt job
too. Both ways rows reach the columnar index: loaded from the store at start-up (light
rows carrying the "GigRadar ×2 · UpHunt" line) and merged one by one as jobs arrive."""

from __future__ import annotations

from datetime import UTC, datetime

from app.domain import Platform
from app.domain.filters import FilterSpec
from app.domain.opportunity import label_platforms, platform_bits, sources_label
from app.services.inbox_index import InboxIndex, build_index
from app.services.inbox_source import StoreSource
from app.store import Store
from tests.store.factories import opportunity

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CIPHER = "~01shared0000000001"


def shown(index: InboxIndex, *platforms: Platform) -> set[str]:
    index.set_filter(FilterSpec(platforms=frozenset(platforms)))
    return {str(index.key_at(p)) for p in range(index.visible_count())}


def fill(store: Store) -> tuple[str, str]:
    """A job found by two GigRadar scanners and by UpHunt; a job GigRadar alone found."""
    store.opportunities.upsert_many(
        [
            opportunity(1, external_id="gr-a", upwork_job_id=CIPHER),
            opportunity(1, external_id="gr-b", upwork_job_id=CIPHER),
            opportunity(1, platform=Platform.UPHUNT, external_id=CIPHER, upwork_job_id=CIPHER),
            opportunity(2, external_id="gr-lone"),
        ]
    )
    return "gigradar:gr-a", "gigradar:gr-lone"


def test_a_job_uphunt_also_found_shows_under_uphunt_after_a_start(store: Store) -> None:
    shared, lone = fill(store)
    source = StoreSource(store.opportunities)
    index = InboxIndex(clock=NOW.timestamp)
    index.adopt(build_index(source, source.load_slices(), {}))
    assert shown(index) == {shared, lone}  # one row per job
    assert shown(index, Platform.UPHUNT) == {shared}
    assert shown(index, Platform.GIGRADAR) == {shared, lone}
    assert shown(index, Platform.GIGIAC) == set()
    assert shown(index, Platform.GIGIAC, Platform.UPHUNT) == {shared}


def test_a_job_uphunt_finds_later_joins_the_uphunt_facet(store: Store) -> None:
    store.opportunities.upsert_many([opportunity(1, external_id="gr-a", upwork_job_id=CIPHER)])
    source = StoreSource(store.opportunities)
    index = InboxIndex(clock=NOW.timestamp)
    index.adopt(build_index(source, source.load_slices(), {}))
    assert shown(index, Platform.UPHUNT) == set()
    store.opportunities.upsert_many(
        [opportunity(1, platform=Platform.UPHUNT, external_id=CIPHER, upwork_job_id=CIPHER)]
    )
    job = store.opportunities.job("gigradar:gr-a")
    assert job is not None and job.sources
    index.add_or_update([job])  # as the inbox service merges the job's new source
    assert shown(index, Platform.UPHUNT) == {"gigradar:gr-a"}


def test_the_sources_line_gives_back_its_platforms() -> None:
    for platforms in (
        [Platform.GIGRADAR],
        [Platform.GIGRADAR, Platform.GIGRADAR, Platform.UPHUNT],
        [Platform.UPHUNT, Platform.GIGIAC],
    ):
        assert label_platforms(sources_label(platforms)) == frozenset(platforms)
    assert platform_bits([Platform.GIGRADAR, Platform.UPHUNT]) == 0b011
