"""The caller of a request: a `domain.visibility.Principal` (what scoping needs)
plus who it is and how it logged in."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from db.models import User
from db.scope import principal_of
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
    """The user's Principal (db.scope.principal_of, the one mapping of a user to
    what scoping needs) with who it is and how it logged in."""
    return Caller(
        **asdict(principal_of(user)),
        email=user.email,
        name=user.name,
        via=via,
        api_key_prefix=api_key_prefix,
        csrf_token=csrf_token,
    )
