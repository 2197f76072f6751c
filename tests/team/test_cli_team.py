"""The team options of the command line that need no running database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import run
from tests.helpers.postgres import free_port


def _biddesk(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_a_closed_port_is_one_sentence_and_a_failing_exit(tmp_path: Path, how: str) -> None:
    url = f"postgresql://team@127.0.0.1:{free_port()}/agency"
    args = ["--profile", str(tmp_path / "p"), "list"]
    env = {"BIDDESK_DATABASE_URL": url} if how == "environment" else {}
    if how == "flag":
        args = ["--database-url", url, *args]
    done = _biddesk(args, env)
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert lines[0].startswith("biddesk: error: BidDesk cannot reach the team database at ")
    assert "nothing answers on that port" in lines[0]


def test_a_url_that_is_not_postgresql_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(
        ["--profile", str(tmp_path), "--database-url", "mysql://x@127.0.0.1/y", "list"], capsys
    )
    assert code != 0 and "must start with postgresql://" in err


def test_team_commands_say_they_need_a_team_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(["--profile", str(tmp_path), "claim", "gigradar:x"], capsys)
    assert code != 0 and "is for a team database" in err and "--database-url" in err


def test_maintenance_commands_leave_a_team_database_to_its_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://team@127.0.0.1:{free_port()}/agency"
    code, _out, err = run(["--profile", str(tmp_path), "--database-url", url, "backup"], capsys)
    assert code != 0 and "pg_dump" in err


def test_a_profile_joins_a_team_database_and_leaves_it(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], memory_keyring: object
) -> None:
    import json

    from app.services.secrets import SecretStore
    from app.services.team import password_entry

    profile = ["--profile", str(tmp_path / "p")]
    with_password = pg_url.replace("@", ":pw-8d1e@", 1)
    code, out, err = run([*profile, "--database-url", with_password, "team", "join"], capsys)
    assert code == 0, err
    assert "pw-8d1e" not in out + err
    kept = (tmp_path / "p" / "team-database").read_text(encoding="utf-8").strip()
    assert kept == pg_url  # without its password...
    assert SecretStore().get(password_entry(pg_url)) == "pw-8d1e"  # ...which is here
    # From now on the profile is on the team database without being told again.
    code, out, err = run([*profile, "team", "status"], capsys)
    assert code == 0, err
    assert json.loads(out)["server_alive"] is False
    code, out, err = run([*profile, "team", "leave"], capsys)
    assert code == 0 and "own database file" in out
    code, _out, err = run([*profile, "claim", "gigradar:x"], capsys)
    assert code != 0 and "is for a team database" in err
