"""What `energycloud up` prints once the platform is up: its URLs, the database,
the demo logins and what to try next."""

from __future__ import annotations

import logging

from api.version import platform_version
from energycloud.probes import display_host

log = logging.getLogger(__name__)


class Banner:
    """Mixed into `energycloud.up.Platform` (uses its settings, console and flags)."""

    def _demo_logins(self) -> list[tuple[str, str]]:
        from sqlalchemy import select

        from db.base import make_engine
        from db.models import User

        engine = make_engine(self.settings.database_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    select(User.email, User.role).where(User.active).order_by(User.id)
                ).all()
        except Exception:  # noqa: BLE001  (the banner must not fail on this)
            log.exception("Could not read the users for the banner")
            return []
        finally:
            engine.dispose()
        return [(email, str(getattr(role, "value", role))) for email, role in rows]

    def _api_base(self) -> str:
        return f"http://{display_host(self.settings.api_host)}:{self.settings.api_port}"

    def _ocpp_rows(self) -> list[tuple[str, str]]:
        """Where chargers connect (one row a node where there are several)."""
        s = self.settings
        return [("OCPP endpoint", f"ws://{display_host(s.ocpp_host)}:{s.ocpp_port}/ocpp/<id>")]

    def _print_banner(self, took_s: float) -> None:
        s = self.settings
        out = self.console
        out.print(f"\n[bold green]Energy Cloud {platform_version()} is up[/] ({took_s:.1f} s)\n")
        rows = [
            ("Portal", f"{self._api_base()}/  (log in with a demo login below)"),
            ("API", f"{self._api_base()}/api/v1"),
            ("API docs", f"{self._api_base()}/docs"),
        ]
        if self.start_ingest:
            rows.extend(self._ocpp_rows())
        if s.temporal_embedded:
            rows.append(("Temporal UI", f"http://127.0.0.1:{s.temporal_ui_port}"))
        rows.append(("Temporal", s.temporal_address))
        from db.migrate import display_url

        rows.append(("Database", display_url(s.database_url)))
        for label, value in rows:
            out.print(f"  {label:<14} {value}", markup=False)
        logins = self._demo_logins()
        if logins:
            out.print(f"\n[bold]Demo logins[/] (password: {s.demo_password})")
            for email, role in logins:
                out.print(f"  {email:<40} {role}", markup=False)
        else:
            out.print("\nNo users in the database yet (no demo data loaded).")
        if self.load_demo and self.start_worker:
            out.print("\n[bold]Demo month[/]: energycloud settle --period 2026-10, then "
                      "energycloud approve --period 2026-10 --by finance@energycloud.example")
        out.print("\nPress Ctrl-C to stop.\n")
