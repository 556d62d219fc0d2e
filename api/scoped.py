"""`Scoped`: the caller's view of the database. Routes read rows only through it,
so every select carries `db.scope.visible(model, caller)`: a row outside the
caller's subtree does not exist for the route (404, never 403). What the role may
*do* to a visible row is `require(action)` (403 with a sentence)."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.scope import visible
from domain.enums import Role
from domain.errors import NotAllowed, NotFound
from domain.visibility import PLATFORM_ROLES, Action, Principal, allowed_actions

_REFUSALS = {
    Action.MANAGE: "Your role may not change this; ask an administrator.",
    Action.MONEY_SETTINGS: "Your role may not change money settings (rates, fees, plans,"
    " kickback, bank accounts).",
    Action.REMOTE_ACTION: "Your role may not send commands to charging points.",
    Action.FINANCE: "Only platform finance may review settlements.",
}


class Scoped:
    def __init__(self, db: Session, caller: Principal) -> None:
        self.db = db
        self.caller = caller

    def select(self, model) -> Select:
        """`SELECT model WHERE <visible to the caller>`; add filters and order."""
        return select(model).where(visible(model, self.caller))

    def where_visible(self, query: Select, *models) -> Select:
        for model in models:
            query = query.where(visible(model, self.caller))
        return query

    def get(self, model, id_, what: str):
        """The visible row with this id, else NotFound (also when it exists
        elsewhere in the tree: the caller must not learn that)."""
        row = self.db.scalar(self.select(model).where(model.id == id_))
        if row is None:
            raise NotFound(f"{what} {id_} was not found", code=f"{model.__tablename__}.not_found")
        return row

    def get_given(self, model, id_, what: str):
        """`get` for an optional reference: None when no id is given, else the
        visible row (NotFound when the caller does not see it)."""
        return None if id_ is None else self.get(model, id_, what)

    def require(self, action: Action) -> None:
        if action not in allowed_actions(self.caller.role):
            raise NotAllowed(_REFUSALS.get(action, "Your role may not do this."),
                             code=f"forbidden.{action.value}")

    def require_platform(self, what: str, *, admin: bool = True) -> None:
        roles = {Role.PLATFORM_ADMIN} if admin else PLATFORM_ROLES
        if self.caller.role not in roles:
            raise NotAllowed(f"Only the platform may {what}.", code="forbidden.platform")

    @property
    def is_platform(self) -> bool:
        return self.caller.role in PLATFORM_ROLES
