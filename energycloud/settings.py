"""One settings object for every process, read from the environment (prefix-free
names such as DATABASE_URL) and an optional `.env` file. Secrets come from here,
never from the repository."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{VAR / 'energycloud.db'}"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_ui_port: int = 8233
    # Where the embedded platform keeps its SQLite file, Temporal's file and logs.
    var_dir: Path = VAR
    # Embedded mode starts `temporal server start-dev` itself; production points
    # TEMPORAL_ADDRESS at a cluster and sets this to false.
    temporal_embedded: bool = True
    task_queue: str = "energycloud"
    # Settlement files: exports, settlement files, SEPA files and the PDFs
    # (default: <var_dir>/settlement).
    settlement_dir: Path | None = None

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    ocpp_host: str = "127.0.0.1"
    ocpp_port: int = 9000
    # A node id names this ingest process's own Temporal task queue
    # (`ocpp-node-<id>`) so remote actions reach the socket's holder.
    ocpp_node_id: str = "node-1"
    # Unknown chargers may connect as *pending* so they can be claimed (DOMAIN.md §9).
    ocpp_allow_unknown_chargers: bool = True
    ocpp_heartbeat_interval_s: int = 60
    ocpp_offline_after_s: int = 180

    # Session workflow limits (DOMAIN.md §3–5; ARCHITECTURE.md).
    session_max_duration_s: int = 72 * 3600
    session_charger_lost_s: int = 24 * 3600
    session_stop_grace_s: int = 300

    # argon2 cost of new password hashes (db.passwords.configure). The test suite
    # lowers it through EC_ARGON2_TIME_COST / EC_ARGON2_MEMORY_KIB.
    argon2_time_cost: int = Field(
        3, validation_alias=AliasChoices("argon2_time_cost", "ec_argon2_time_cost")
    )
    argon2_memory_kib: int = Field(
        65536, validation_alias=AliasChoices("argon2_memory_kib", "ec_argon2_memory_kib")
    )

    secret_key: str = "change-me-in-production"
    demo_password: str = "demo"

    @property
    def settlement_path(self) -> Path:
        return Path(self.settlement_dir or Path(self.var_dir) / "settlement")


def configure_libraries(settings: Settings) -> None:
    """Hand the libraries the parameters they take from the entry point (they read
    no settings themselves). Every process entry point calls this once."""
    from db import passwords

    passwords.configure(
        time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
