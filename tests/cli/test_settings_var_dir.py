"""VAR_DIR moves everything the embedded platform keeps: Temporal's file, the
logs and, unless DATABASE_URL says otherwise, the SQLite database (issue 7)."""

from __future__ import annotations

from energycloud.settings import Settings


def test_var_dir_moves_the_sqlite_file_too(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    settings = Settings(_env_file=None)
    assert settings.database_url == f"sqlite:///{tmp_path / 'energycloud.db'}"


def test_an_explicit_database_url_wins_over_var_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db.example/ec")
    assert Settings(_env_file=None).database_url == "postgresql+psycopg://db.example/ec"


def test_unknown_chargers_are_not_admitted_unless_configured(monkeypatch):
    monkeypatch.delenv("OCPP_ALLOW_UNKNOWN_CHARGERS", raising=False)
    assert Settings(_env_file=None).ocpp_allow_unknown_chargers is False
    monkeypatch.setenv("OCPP_ALLOW_UNKNOWN_CHARGERS", "true")
    assert Settings(_env_file=None).ocpp_allow_unknown_chargers is True
