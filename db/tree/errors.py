"""Refusals of the tree: what is wrong and how to fix it, as a sentence."""

from __future__ import annotations

from domain.errors import Conflict, Invalid, NotAllowed, NotFound


class TreeError(Invalid):
    """Bad input to the tree: the message says what is wrong and how to fix it."""

    code = "tree.invalid"


class TreeNotFound(TreeError, NotFound):
    """A referenced row (customer, rate, organization, ...) does not exist."""

    code = "tree.not_found"


class TreeConflict(TreeError, Conflict):
    """The name, OCPP id, e-mail or card uid is already taken."""

    code = "tree.conflict"


class TreeOtherCustomer(TreeError, NotAllowed):
    """Something of one customer attached under another customer."""

    code = "tree.other_customer"
