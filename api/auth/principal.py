"""The caller of a request: a `domain.visibility.Principal` (what scoping needs)
plus who it is and how it logged in."""

from __future__ import annotations

from dataclasses import dataclass

from db.models import User
from domain.enums import Role
from domain.visibility import Principal


@dataclass(frozen=True)
class Caller(Principal):
    email: str = ""
    name: str = ""
    via: str = "session"  # "session" | "token" | "api_key"
    api_key_prefix: str | None = None
    csrf_token: str | None = None  # the portal session's, for forms

    @property
    def actor(self) -> str:
        """How the audit log names the caller."""
        if self.api_key_prefix:
            return f"{self.email} (API key {self.api_key_prefix}…)"
        return self.email


def caller_of(user: User, *, via: str, api_key_prefix: str | None = None,
              csrf_token: str | None = None) -> Caller:
    return Caller(
        user_id=user.id,
        role=Role(user.role),
        partner_id=user.partner_id,
        customer_id=user.customer_id,
        organization_id=user.organization_id,
        email=user.email,
        name=user.name,
        via=via,
        api_key_prefix=api_key_prefix,
        csrf_token=csrf_token,
    )
