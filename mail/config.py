"""What the mail layer needs of the process settings, as one frozen value.

The entry points (`energycloud worker`, `energycloud api`, the CLI) build it from
their settings; this package reads no environment itself. `from_settings`
accepts any object with the setting names (duck-typed), so the API can build
it from the settings object it was handed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["MailConfig"]

SECURITY = ("starttls", "tls", "none")


@dataclass(frozen=True)
class MailConfig:
    transport: str = "outbox"  # "outbox" (embedded default) or "smtp"
    outbox_dir: str = "var/outbox"
    from_address: str = "noreply@energycloud.example"
    # Links in account mail point here (the portal's reset and invitation pages).
    public_url: str = "http://127.0.0.1:8000"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | tls (implicit, port 465) | none
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.transport not in ("outbox", "smtp"):
            raise ValueError(f"MAIL_TRANSPORT must be outbox or smtp, not {self.transport!r}")
        if self.smtp_security not in SECURITY:
            raise ValueError(f"SMTP_SECURITY must be one of {', '.join(SECURITY)}, "
                             f"not {self.smtp_security!r}")

    @classmethod
    def from_settings(cls, settings: object) -> MailConfig:
        """From an object carrying the platform's mail settings (missing ones: defaults)."""
        values = {}
        for name in ("transport", "outbox_dir", "from_address", "public_url", "smtp_host",
                     "smtp_port", "smtp_security", "smtp_user", "smtp_password",
                     "smtp_timeout_s"):
            attr = {"transport": "mail_transport", "from_address": "mail_from"}.get(name, name)
            value = getattr(settings, attr, None)
            if value is None:
                continue
            if hasattr(value, "get_secret_value"):
                value = value.get_secret_value()
            values[name] = str(value) if isinstance(value, Path) else value
        return cls(**values)
