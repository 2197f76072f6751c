"""Secrets never enter the team database: the database password lives in this machine's
keyring, platform keys in the keyring of the machine that uses them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from app.domain import Platform
from app.services.container import open_services
from app.store import TeamDatabaseUnavailableError
from tests.helpers.cli import run
from tests.helpers.postgres import PgCluster, pg_unavailable

PASSWORD = "team-pw-9f3c1d"
API_KEY = "gr_live_secret_7c2e5a"


@pytest.fixture(scope="module")
def guarded() -> Iterator[PgCluster]:
    """A cluster that checks passwords (SCRAM), unlike the session's."""
    reason = pg_unavailable()
    if reason is not None:
        pytest.skip(reason)
    own = PgCluster(password=PASSWORD).init()
    own.start()
    yield own
    own.destroy()


def test_the_password_comes_from_the_keyring_and_keys_stay_out_of_the_database(
    guarded: PgCluster,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = guarded.create_database()  # no password in the URL
    with pytest.raises(TeamDatabaseUnavailableError) as caught:
        open_services(tmp_path / "a", url=url)
    assert PASSWORD not in caught.value.user_message
    assert "password" in caught.value.user_message  # it says what is missing

    code, out, err = run(
        ["--database-url", url, "team", "password"],
        capsys,
        stdin=PASSWORD + "\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    assert PASSWORD not in out + err

    services = open_services(tmp_path / "a", url=url)
    try:
        services.accounts.add("gr", Platform.GIGRADAR, api_key=API_KEY)
        services.store.settings.set("webhooks", {"enabled": True})
        assert services.store.backend == "postgresql"
    finally:
        services.store.close()

    with psycopg.connect(url, password=PASSWORD) as conn:
        tables = [
            row[0]
            for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        dump = "\n".join(
            str(row) for table in tables for row in conn.execute(f"SELECT * FROM {table}".encode())
        )
    assert "gr" in dump  # the account is shared...
    assert API_KEY not in dump and PASSWORD not in dump  # ...its key and the password not
