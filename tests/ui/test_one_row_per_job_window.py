"""One inbox row per Upwork job, in the real window on the embedded sandbox (issue 16).

A second GigRadar scanner matches a job already in the table, then the job is looked up
through UpHunt: the table keeps one row for it, whose platform cell lists the sources and
whose score is the best one; the editor lists each source and offers both routes; a draft
saved under UpHunt's copy is the one the row opens.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QRadioButton

from app.domain import Draft, Opportunity, Platform
from app.ui.models.opportunities import Column
from tests.ui.test_window import running, until, visible_keys

pytestmark = pytest.mark.integration


async def test_a_job_found_by_two_scanners_and_uphunt_is_one_row(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        assert app.sandbox is not None
        window, services = app.window, app.services
        model = window.model

        def lone_gigradar_jobs() -> list[Opportunity]:
            found = []
            for key in visible_keys(app):
                job = services.inbox.job(key) if key.startswith("gigradar:") else None
                if job is not None and not job.sources and job.status.value == "open":
                    found.append(job)
            return found

        await until(lambda: len(lone_gigradar_jobs()) >= 2)
        job = lone_gigradar_jobs()[1]
        cipher = job.upwork_job_id
        assert cipher is not None

        def cell(column: Column) -> str:
            row = model.row_of(job.key)
            assert row is not None
            return str(model.data(model.index(row, column)))

        assert cell(Column.PLATFORM) == "GigRadar"
        other = next(s for s in app.sandbox.gigradar.scanners if s != job.context["scanner_id"])
        wire = app.sandbox.add_opportunity(jobId=cipher, scannerId=other, score=0.99)
        await until(lambda: cell(Column.PLATFORM) == "GigRadar ×2")
        assert cell(Column.SCORE) == "99"
        assert model.row_of(f"gigradar:{wire['id']}") is None  # not a row of its own

        uphunt = services.accounts.choose(Platform.UPHUNT, None)
        stub = Opportunity(
            platform=Platform.UPHUNT, external_id=cipher, upwork_job_id=cipher, title="."
        )
        copy = await services.accounts.adapter(uphunt).get_opportunity(stub)
        await services.inbox.ingest([copy.model_copy(update={"account": uphunt.name})])
        await until(lambda: cell(Column.PLATFORM) == "GigRadar ×2 · UpHunt")
        assert model.row_of(copy.key) is None
        services.store.drafts.save(Draft(opportunity_key=copy.key, cover_letter="Dear client"))

        window.inbox.select_key(job.key)
        await until(lambda: window.current_key == job.key)
        editor = window.editor
        sources = editor.findChild(QLabel, "job_sources")
        assert sources.isVisible()
        assert sources.text().startswith("Found by GigRadar")
        assert "(99%)" in sources.text() and sources.text().endswith("UpHunt")
        assert editor.findChild(QRadioButton, "route_gigradar").isVisible()
        assert editor.findChild(QRadioButton, "route_uphunt").isVisible()
        # The draft saved under UpHunt's copy is the job's draft.
        assert editor.findChild(QPlainTextEdit, "letter").toPlainText() == "Dear client"
        # Read once (after the dwell), for the job: every source's key says so.
        await until(lambda: services.store.opportunities.flags(copy.key).read)  # type: ignore[union-attr]

        # The Platform facet matches any source: the job's row is GigRadar's, yet UpHunt
        # found it too, so it shows under "UpHunt" (and a job GigRadar alone found hides).
        alone = next(j for j in lone_gigradar_jobs() if j.key != job.key)
        window.filter_bar.platform_buttons[Platform.UPHUNT].click()
        await until(lambda: alone.key not in visible_keys(app))
        assert job.key in visible_keys(app)
        assert all(
            "UpHunt" in str(model.data(model.index(row, Column.PLATFORM)))
            for row in range(model.rowCount())
        )
