"""Rules of the tree (DOMAIN.md §1): partner → customer → organization →
location → charging point, and the cards and users that hang in it."""

from __future__ import annotations


def belongs_to_customer(
    owner_customer_id: int | None, customer_id: int | None, *, unowned_is_shared: bool = False
) -> bool:
    """May a row owned by `owner_customer_id` be used under `customer_id`?

    Everything below a customer is that customer's: a rate, organization,
    location, user or card of one customer is never attached to another's (nor
    to a place without a customer, such as a pending charger). A row without an
    owner (a platform rate) is shared only where `unowned_is_shared` says so."""
    if owner_customer_id is None:
        return unowned_is_shared
    return owner_customer_id == customer_id
