"""Who may charge, and what the session settles as (DOMAIN.md §4–5).

`authorize` is a pure function of plain facts: the caller resolves the charging
point's effective access mode, whitelist and organization, and looks the
presented uid up among organization cards and the eMSP token registry. The
decision (accept/refuse plus exactly one `Category`) is taken once, at
authorization, and kept in the session's snapshot.

Decisions where DOMAIN.md is silent:

* Open mode performs no checks, so a blocked or expired card charges — but it
  never makes the employer pay: reimbursement needs an *active* card.
* In Whitelisting modes the whitelist is the authority: a whitelisted uid
  that matches no known card is accepted (free).
* A public card is *valid* when it is active and belongs to an eMSP that can be
  billed (`emsp_id` set).
* Reimbursement beats free in Open, Whitelisting and Roaming & Whitelisting;
  in Roaming mode every accepted session is roaming (DOMAIN.md §4 table).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.enums import AccessMode, CardKind, CardStatus, Category
from domain.errors import Invalid

__all__ = ["AuthorizationDecision", "CardFacts", "PointFacts", "authorize"]


@dataclass(frozen=True)
class PointFacts:
    """The charging point as authorization sees it (effective values)."""

    charging_point_id: int
    organization_id: int
    main_organization_id: int  # the organization itself if it has no parent, else its parent
    organization_is_suborganization: bool
    access_mode: AccessMode  # the effective one (DOMAIN.md §2)
    whitelist: frozenset[str] = frozenset()  # card uids whitelisted at the location or point

    def __post_init__(self) -> None:
        # Stored values arrive as plain strings and iterables: normalise (and validate).
        object.__setattr__(self, "access_mode", AccessMode(self.access_mode))
        if isinstance(self.whitelist, str):
            raise TypeError("whitelist must be a collection of uids, not one string")
        object.__setattr__(self, "whitelist", frozenset(self.whitelist))


@dataclass(frozen=True)
class CardFacts:
    """A known card: an organization card or a public (eMSP) token."""

    uid: str
    kind: CardKind
    status: CardStatus
    organization_id: int | None = None  # organization cards
    emsp_id: int | None = None  # public cards
    contract_id: str | None = None
    reimbursable_for: frozenset[int] = frozenset()  # suborganization ids flagged by the main org

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", CardKind(self.kind))
        object.__setattr__(self, "status", CardStatus(self.status))
        object.__setattr__(self, "reimbursable_for", frozenset(self.reimbursable_for))


@dataclass(frozen=True)
class AuthorizationDecision:
    accepted: bool
    category: Category
    reason: str
    uid: str
    whitelisted: bool = False
    emsp_id: int | None = None
    card_organization_id: int | None = None
    contract_id: str | None = None


def authorize(point: PointFacts, card: CardFacts | None, uid: str) -> AuthorizationDecision:
    """Accept or refuse the presented `uid` at `point`, and settle its category."""
    whitelisted = uid in point.whitelist or (card is not None and card.uid in point.whitelist)
    label = _label(card, uid)

    def decide(accepted: bool, category: Category, reason: str) -> AuthorizationDecision:
        return AuthorizationDecision(
            accepted=accepted,
            category=category if accepted else Category.REJECTED,
            reason=reason,
            uid=uid,
            whitelisted=whitelisted,
            emsp_id=card.emsp_id if card is not None else None,
            card_organization_id=card.organization_id if card is not None else None,
            contract_id=card.contract_id if card is not None else None,
        )

    mode = point.access_mode
    if mode is AccessMode.OPEN:
        # DOMAIN.md §4: any RFID, no checks; nothing passed to the cardholder.
        return _free_or_reimbursed(decide, point, card, f"{label} accepted: open access")

    if card is not None and card.status is not CardStatus.ACTIVE:
        return decide(False, Category.REJECTED, f"{label} {card.status.value}")

    if mode is AccessMode.WHITELISTING:
        if not whitelisted:
            return decide(False, Category.REJECTED, f"{label} not whitelisted")
        return _free_or_reimbursed(decide, point, card, f"{label} whitelisted")

    if mode is AccessMode.ROAMING:
        problem = _public_card_problem(card)
        if problem:
            return decide(False, Category.REJECTED, f"{label} refused: {problem} (roaming only)")
        return decide(True, Category.ROAMING, f"{label} accepted for roaming, eMSP {card.emsp_id}")

    if mode is AccessMode.ROAMING_WHITELISTING:
        if _reimbursable(point, card):
            return decide(True, Category.REIMBURSED, _reimbursed_reason(label, point))
        if whitelisted:
            return decide(True, Category.FREE, f"{label} whitelisted: free")
        problem = _public_card_problem(card)
        if problem:
            return decide(False, Category.REJECTED, f"{label} refused: {problem}, not whitelisted")
        return decide(True, Category.ROAMING, f"{label} accepted for roaming, eMSP {card.emsp_id}")

    raise Invalid(f"unknown access mode: {mode!r}")


def _free_or_reimbursed(decide, point: PointFacts, card: CardFacts | None, why: str):
    if _reimbursable(point, card):
        return decide(True, Category.REIMBURSED, _reimbursed_reason(why, point))
    return decide(True, Category.FREE, f"{why}: free")


def _reimbursable(point: PointFacts, card: CardFacts | None) -> bool:
    """DOMAIN.md §5.2: a company card of the main organization (or a card it flagged
    reimbursable for this employee) at a suborganization's charging point."""
    if card is None or card.status is not CardStatus.ACTIVE:
        return False
    if not point.organization_is_suborganization:
        return False
    company_card = (
        card.kind is CardKind.ORGANIZATION and card.organization_id == point.main_organization_id
    )
    return company_card or point.organization_id in card.reimbursable_for


def _reimbursed_reason(why: str, point: PointFacts) -> str:
    return (
        f"{why}: reimbursed by organization {point.main_organization_id}"
        f" to suborganization {point.organization_id}"
    )


def _public_card_problem(card: CardFacts | None) -> str | None:
    if card is None:
        return "unknown tag"
    if card.kind is not CardKind.PUBLIC:
        return "not a public card"
    if card.status is not CardStatus.ACTIVE:
        return card.status.value
    if card.emsp_id is None:
        return "no eMSP to bill"
    return None


def _label(card: CardFacts | None, uid: str) -> str:
    if card is None:
        return f"unknown tag {uid}"
    return f"card {card.contract_id or card.uid}"
