"""The editor's auto-bidder guard: a GigRadar scanner with its auto-bidder on is warned
about in one sentence, and sending through it asks for a confirmation first."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from app.services.submissions import SubmitRequest
from app.ui.panes.editor import EditorPane
from tests.ui.test_editor_pane import (  # noqa: F401  (pane is a fixture)
    ACCOUNTS,
    fill_ready,
    make_opp,
    pane,
    submit_button,
    visible_boxes,
)

WARNING = (
    "The auto-bidder of GigRadar scanner “Python APIs” is on, so GigRadar may apply to its "
    "jobs as well: duplicate applications and double charges (turn it off in the "
    "scanner's settings)."
)


def test_an_auto_bidder_warning_is_shown_and_confirmed(pane: EditorPane, qtbot) -> None:  # noqa: F811
    opp = make_opp()
    pane.show_opportunity(opp, None, (), ACCOUNTS)
    fill_ready(pane, qtbot)
    pane.set_auto_bidder_warning("gigradar:other", WARNING)  # another opportunity's: ignored
    assert pane.auto_bidder_text() == ""
    pane.set_auto_bidder_warning(opp.key, WARNING)
    assert "double charges" in pane.auto_bidder_text()
    sent: list[SubmitRequest] = []
    pane.submit_requested.connect(sent.append)
    submit_button(pane).click()
    assert sent == []
    [box] = visible_boxes(pane)
    assert box.objectName() == "confirm_auto_bidder"
    assert "double charges" in box.informativeText()
    box.button(QMessageBox.StandardButton.Yes).click()
    assert len(sent) == 1
    assert sent[0].confirm_auto_bidder is True


def test_declining_sends_nothing_and_no_warning_asks_nothing(pane: EditorPane, qtbot) -> None:  # noqa: F811
    opp = make_opp()
    pane.show_opportunity(opp, None, (), ACCOUNTS)
    fill_ready(pane, qtbot)
    pane.set_auto_bidder_warning(opp.key, WARNING)
    submit_button(pane).click()
    [box] = visible_boxes(pane)
    with qtbot.assertNotEmitted(pane.submit_requested):
        box.button(QMessageBox.StandardButton.No).click()
    pane.set_auto_bidder_warning(opp.key, None)  # turned off in GigRadar, re-read
    assert pane.auto_bidder_text() == ""
    with qtbot.waitSignal(pane.submit_requested) as sent:
        submit_button(pane).click()
    assert sent.args[0].confirm_auto_bidder is False


@pytest.mark.integration
async def test_the_window_warns_for_a_scanner_whose_auto_bidder_is_on(tmp_path) -> None:
    """The real window on the sandbox: GigRadar's scanner list says the auto-bidder is on,
    and the editor shows the sentence for that opportunity only."""
    from PySide6.QtWidgets import QLabel

    from app.domain import Platform
    from tests.ui.test_window import running, select_platform, until

    async with running(tmp_path) as desk:
        assert desk.sandbox is not None
        for scanner in desk.sandbox.gigradar.scanners.values():
            scanner.auto_bidder = True
        label = desk.window.editor.findChild(QLabel, "auto_bidder_warning")
        await select_platform(desk, Platform.GIGRADAR)
        await until(label.isVisible)
        assert "double charges" in label.text()
        await select_platform(desk, Platform.GIGIAC)
        await until(lambda: not label.isVisible())
