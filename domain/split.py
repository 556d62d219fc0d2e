"""Who receives what from a settled session, and the monthly subscription money
(DOMAIN.md §5–§7).

Each component is rounded once to cents, half up; the platform margin is the
remainder, so that every session balances exactly:

    emsp_billed + main_org_invoiced
        == owner_compensation + employee_payout + partner_fee + platform_margin

A negative platform margin is kept as it is and flagged for finance review.
All amounts are excl. VAT: VAT is computed per document (DOMAIN.md §7).
"""

# No `from __future__ import annotations`: these dataclasses travel through
# Temporal's converter, which resolves their field types with get_type_hints()
# on every payload, compiling each string annotation anew (issue 14: three
# times the decoding cost; tests/workflows/test_session_messages.py).

from dataclasses import dataclass
from decimal import Decimal

from domain.enums import Category
from domain.errors import Invalid
from domain.money import round_half_up, to_cents

__all__ = [
    "SPLIT_AMOUNTS",
    "SessionSplit",
    "kickback_cents",
    "split_session",
    "subscription_fee_cents",
]

WH_PER_KWH = 1000


# The amounts of a split, in cents; the session row stores them in columns of
# the same names.
SPLIT_AMOUNTS = (
    "emsp_billed_cents",
    "main_org_invoiced_cents",
    "owner_compensation_cents",
    "employee_payout_cents",
    "partner_fee_cents",
    "platform_margin_cents",
)


@dataclass(frozen=True)
class SessionSplit:
    category: Category
    emsp_billed_cents: int = 0  # roaming: the consumer tariff, billed to the eMSP
    main_org_invoiced_cents: int = 0  # reimbursed: invoiced to the main organization
    owner_compensation_cents: int = 0  # roaming: paid to the charging point's organization
    employee_payout_cents: int = 0  # reimbursed: paid to the suborganization (employee)
    partner_fee_cents: int = 0  # roaming: the owner's partner's roaming fee
    platform_margin_cents: int = 0  # roaming: the remainder, may be negative
    negative_margin: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", Category(self.category))

    @property
    def total_owed_cents(self) -> int:
        return self.emsp_billed_cents + self.main_org_invoiced_cents

    @property
    def total_distributed_cents(self) -> int:
        return (
            self.owner_compensation_cents
            + self.employee_payout_cents
            + self.partner_fee_cents
            + self.platform_margin_cents
        )


def split_session(
    category: Category,
    energy_wh: int,
    consumer_price_cents: int,
    compensation_per_kwh: Decimal,
    roaming_fee_per_kwh: Decimal,
) -> SessionSplit:
    """Split a finished session (DOMAIN.md §5).

    `consumer_price_cents` is the consumer tariff's price of the session, already
    rounded to cents (only used for roaming). `roaming_fee_per_kwh` is the owner's
    partner's fee, or the platform default when the customer has no partner.
    """
    _require_int("energy_wh", energy_wh)
    _require_int("consumer_price_cents", consumer_price_cents)
    _require_decimal("compensation_per_kwh", compensation_per_kwh)
    _require_decimal("roaming_fee_per_kwh", roaming_fee_per_kwh)
    category = Category(category)
    kwh = Decimal(energy_wh) / WH_PER_KWH

    if category is Category.REIMBURSED:
        amount = to_cents(kwh * compensation_per_kwh)
        return SessionSplit(category, main_org_invoiced_cents=amount, employee_payout_cents=amount)

    if category is Category.ROAMING:
        compensation = to_cents(kwh * compensation_per_kwh)
        partner_fee = to_cents(kwh * roaming_fee_per_kwh)
        margin = consumer_price_cents - compensation - partner_fee
        return SessionSplit(
            category,
            emsp_billed_cents=consumer_price_cents,
            owner_compensation_cents=compensation,
            partner_fee_cents=partner_fee,
            platform_margin_cents=margin,
            negative_margin=margin < 0,
        )

    # free and rejected sessions move no money
    return SessionSplit(category)


def subscription_fee_cents(
    monthly_fee: Decimal | int, billable_days: int, days_in_month: int
) -> int:
    """A charging point's subscription for one month, pro rata by billable days
    (DOMAIN.md §6), rounded once, half up.

    `monthly_fee` is either a `Decimal` in major units (7.95) or `int` cents (795).
    """
    _require_int("billable_days", billable_days)
    _require_int("days_in_month", days_in_month)
    if not 28 <= days_in_month <= 31:
        raise Invalid(f"a month has 28 to 31 days, not {days_in_month}")
    if not 0 <= billable_days <= days_in_month:
        raise Invalid(f"billable days {billable_days} not within 0..{days_in_month}")
    if isinstance(monthly_fee, Decimal):
        fee_cents = monthly_fee * 100
    elif isinstance(monthly_fee, int) and not isinstance(monthly_fee, bool):
        fee_cents = Decimal(monthly_fee)
    else:
        raise TypeError(
            f"monthly fee must be Decimal or int cents, not {type(monthly_fee).__name__}"
        )
    return round_half_up(fee_cents * billable_days / days_in_month)


def kickback_cents(subscription_net_cents: int, percent: Decimal) -> int:
    """The partner's kickback on its customers' subscription fees (DOMAIN.md §6):
    `percent` % of the net subscription total, half up."""
    _require_int("subscription_net_cents", subscription_net_cents)
    _require_decimal("percent", percent)
    return round_half_up(Decimal(subscription_net_cents) * percent / 100)


def _require_int(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be int, not {type(value).__name__}")
    if value < 0:
        raise Invalid(f"{name} must not be negative: {value}")


def _require_decimal(name: str, value: object) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be Decimal, not {type(value).__name__}")
    if not value.is_finite() or value < 0:
        raise Invalid(f"{name} must be a finite, non-negative Decimal: {value}")
