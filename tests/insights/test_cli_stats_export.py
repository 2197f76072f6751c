"""`biddesk stats` and `biddesk export` on a hand-built history, in-process."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from app.domain.insights import Dimension
from app.store import Store
from tests.helpers.cli import run
from tests.insights.conftest import build_history
from tests.store.factories import opportunity

API_KEY = "gr-live-KEY-0123456789abcdef"
SIGNING_SECRET = "whsec-SIGNING-fedcba9876543210"
RAW_TOKEN = "raw-payload-TOKEN-5555"

RATE_KEYS = {"count", "of", "rate", "low", "high", "small"}


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    prof = tmp_path / "prof"
    with Store.open(prof) as store:
        build_history(store)
        # A platform payload may carry anything; the export never includes it.
        store.opportunities.upsert(
            opportunity(99, raw={"auth": RAW_TOKEN}, context={"token": RAW_TOKEN})
        )
    return prof


def test_stats_json_has_the_documented_shape(profile: Path, capsys) -> None:
    code, out, err = run(
        ["--profile", str(profile), "stats", "--json", "--since", "2026-01-01",
         "--until", "2026-02-01", "--by", "template"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    payload = json.loads(out)
    assert set(payload) == {
        "version", "period", "funnel", "funnel_by_platform", "rates", "cost",
        "time_to_send", "weekly", "breakdown",
    }  # fmt: skip
    assert payload["version"] == 1
    assert payload["period"] == {
        "since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z", "platforms": [],
    }  # fmt: skip
    assert payload["funnel"] == {
        "seen": 7, "drafted": 6, "sent": 4, "viewed": 3, "replied": 2, "accepted": 1,
    }  # fmt: skip
    assert set(payload["funnel_by_platform"]) == {"gigradar", "uphunt", "gigiac"}
    for rate in payload["rates"].values():
        assert set(rate) == RATE_KEYS
    assert payload["rates"]["replied"]["count"] == 2 and payload["rates"]["replied"]["of"] == 4
    assert set(payload["cost"]) == {"total", "per_sent", "per_reply", "per_win"}
    assert set(payload["time_to_send"]) == {
        "posted_to_sent", "detected_to_sent", "detected_to_opened", "notified_to_opened",
        "opened_to_draft", "draft_to_sent", "active_minutes",
    }  # fmt: skip
    assert set(payload["time_to_send"]["posted_to_sent"]) == {"n", "median", "p25", "p75"}
    assert [w["week"] for w in payload["weekly"]] == ["2026-01-05"]
    assert set(payload["weekly"][0]) == {"week", "sent", "replied", "accepted"}
    breakdown = payload["breakdown"]
    assert breakdown["by"] == "template"
    groups = {g["key"]: g for g in breakdown["groups"]}
    assert set(groups) == {"A", "B", "(typed by hand)"}
    assert set(groups["A"]) == {"key", "sent", "viewed", "replied", "accepted", "cost", "small"}
    assert groups["A"]["sent"] == 2 and groups["A"]["replied"]["count"] == 1
    assert groups["A"]["small"] is True


@pytest.mark.parametrize("by", [d.value for d in Dimension])
def test_stats_text_prints_every_breakdown(profile: Path, capsys, by: str) -> None:
    code, out, err = run(["--profile", str(profile), "stats", "--by", by], capsys)
    assert code == 0, err
    assert "replied" in out and f"By {by.replace('_', ' ')}:" in out


def test_stats_refuses_a_date_it_cannot_read(profile: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        run(["--profile", str(profile), "stats", "--since", "last tuesday"], capsys)
    assert "is not a date" in capsys.readouterr().err


def test_export_carries_the_data_and_no_secret(
    profile: Path, capsys, monkeypatch, memory_keyring, tmp_path: Path
) -> None:
    code, _, err = run(
        ["--profile", str(profile), "account", "add", "main", "--platform", "gigradar",
         "--base-url", "http://127.0.0.1:9/", "--api-key-stdin"],
        capsys, stdin=API_KEY + "\n", monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    code, _, err = run(
        ["--profile", str(profile), "account", "add", "uh", "--platform", "uphunt",
         "--base-url", "http://127.0.0.1:9/", "--api-key-stdin"],
        capsys, stdin=API_KEY + "-uh\n", monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    code, _, err = run(
        ["--profile", str(profile), "webhooks", "secret", "uh", "--set-stdin"],
        capsys, stdin=SIGNING_SECRET + "\n", monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0, err

    outputs = {}
    for fmt in ("--csv", "--json"):
        for what in ("opportunities", "submissions"):
            code, out, err = run(["--profile", str(profile), "export", fmt, "--what", what], capsys)
            assert code == 0, err
            outputs[fmt, what] = out
    code, both, err = run(["--profile", str(profile), "export", "--json"], capsys)
    assert code == 0, err
    target = tmp_path / "out.csv"
    code, _, err = run(["--profile", str(profile), "export", "--csv", "-o", str(target)], capsys)
    assert code == 0 and "6 submissions" in err

    # the data is there …
    rows = list(csv.DictReader(io.StringIO(outputs["--csv", "opportunities"])))
    assert len(rows) == 9 and {"key", "title", "client", "detected_at"} <= set(rows[0])
    subs = json.loads(outputs["--json", "submissions"])
    assert len(subs) == 6 and {s["outcome"] for s in subs} >= {"accepted", "rejected"}
    assert subs[0]["bid"]["kind"] == "fixed"  # JSON columns come out as JSON
    assert set(json.loads(both)) == {"opportunities", "submissions"}
    assert target.read_text(encoding="utf-8").count("\n") == 7
    # … and no secret, in any form
    everything = "\n".join([*outputs.values(), both, target.read_text(encoding="utf-8")])
    for secret in (API_KEY, SIGNING_SECRET, RAW_TOKEN):
        assert secret not in everything
    assert "raw" not in rows[0] and "context" not in rows[0]
