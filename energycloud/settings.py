"""One settings object for every process, read from the environment (prefix-free
names such as DATABASE_URL) and an optional `.env` file. Secrets come from here,
never from the repository."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Unset: the SQLite file `energycloud.db` in `var_dir` (so VAR_DIR moves it too).
    database_url: str = ""
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
    # Mollie (payment method "mollie"): the key only from the environment or
    # .env, never the repository. Without a key, only the SEPA files are used.
    mollie_api_key: str | None = None
    mollie_api_base_url: str = "https://api.mollie.com"
    mollie_webhook_url: str | None = None  # e.g. https://<host>/api/v1/webhooks/mollie
    mollie_timeout_s: float = 10.0

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    ocpp_host: str = "127.0.0.1"
    ocpp_port: int = 9000
    # A node id names this ingest process's own Temporal task queue
    # (`ocpp-node-<id>`) so remote actions reach the socket's holder.
    ocpp_node_id: str = "node-1"
    # Unknown chargers may connect as *pending* so they can be claimed (DOMAIN.md §9):
    # off unless the operator turns it on (`energycloud up --demo` does).
    ocpp_allow_unknown_chargers: bool = False
    # Limits of the charger side (ocpp_ingest/options.py explains each); None keeps
    # the ingest's default.
    ocpp_max_pending_chargers: int | None = None
    ocpp_pending_admissions_per_minute: float | None = None
    ocpp_auth_failures_per_minute: float | None = None
    ocpp_max_messages_per_s: float | None = None
    ocpp_message_burst: float | None = None
    ocpp_max_bytes_per_s: float | None = None
    ocpp_byte_burst: float | None = None
    ocpp_node_max_messages_per_s: float | None = None
    ocpp_node_max_bytes_per_s: float | None = None
    ocpp_max_frame_bytes: int | None = None
    ocpp_heartbeat_interval_s: int = 60
    ocpp_offline_after_s: int = 180
    # How long a crashed ingest node is still taken for alive (ocpp_ingest/options.py).
    ocpp_node_lease_s: float = 15

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

    # Outgoing mail (documents after approval, account mail). The embedded default
    # writes .eml files to OUTBOX_DIR (default <var_dir>/outbox); MAIL_TRANSPORT=smtp
    # sends through SMTP_HOST:SMTP_PORT (SMTP_SECURITY starttls | tls | none).
    mail_transport: str = "outbox"
    outbox_dir: Path | None = None
    mail_from: str = "noreply@energycloud.example"
    public_url: str = "http://127.0.0.1:8000"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = 30.0

    secret_key: str = "change-me-in-production"
    demo_password: str = "demo"

    @model_validator(mode="after")
    def _database_in_var_dir(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{Path(self.var_dir) / 'energycloud.db'}"
        return self

    @property
    def settlement_path(self) -> Path:
        return Path(self.settlement_dir or Path(self.var_dir) / "settlement")

    @property
    def outbox_path(self) -> Path:
        return Path(self.outbox_dir or Path(self.var_dir) / "outbox")


def configure_libraries(settings: Settings) -> None:
    """Hand the libraries the parameters they take from the entry point (they read
    no settings themselves). Every process entry point calls this once."""
    from db import passwords

    passwords.configure(
        time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib
    )


def mail_config(settings: Settings):
    """The mail layer's view of the settings (mail.config.MailConfig)."""
    from mail.config import MailConfig

    return MailConfig(
        transport=settings.mail_transport, outbox_dir=str(settings.outbox_path),
        from_address=settings.mail_from, public_url=settings.public_url,
        smtp_host=settings.smtp_host, smtp_port=settings.smtp_port,
        smtp_security=settings.smtp_security, smtp_user=settings.smtp_user,
        smtp_password=(settings.smtp_password.get_secret_value()
                       if settings.smtp_password else None),
        smtp_timeout_s=settings.smtp_timeout_s,
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
