"""One error vocabulary: every service refusal is a DomainError of one kind with a
machine-readable code, and an activity turns it into a non-retryable failure."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from activities.errors import application_error, domain_errors_fail_the_activity
from db.ledger import IdempotencyConflict
from db.tree_service import TreeConflict, TreeError, TreeNotFound
from domain.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound, http_status
from domain.inheritance import NoEffectiveValue
from domain.ledger import LedgerError
from domain.tariff import Tariff, TariffError
from workflows.session_gateway import UnknownSession


def test_old_error_names_join_the_right_kind_and_stay_value_errors():
    assert issubclass(TreeError, Invalid) and issubclass(TreeError, ValueError)
    assert issubclass(TreeNotFound, NotFound) and issubclass(TreeNotFound, TreeError)
    assert issubclass(TreeConflict, Conflict) and issubclass(TreeConflict, TreeError)
    assert issubclass(LedgerError, Invalid)
    assert issubclass(IdempotencyConflict, Conflict)
    assert issubclass(IdempotencyConflict, LedgerError)
    assert issubclass(UnknownSession, NotFound) and issubclass(UnknownSession, LookupError)
    assert issubclass(NoEffectiveValue, Invalid)
    assert issubclass(TariffError, Invalid)


def test_each_error_carries_a_code_and_a_sentence():
    error = TreeNotFound("customer 7 does not exist")
    assert error.code == "tree.not_found"
    assert str(error) == error.message == "customer 7 does not exist"
    assert Invalid("bad", code="rate.negative").code == "rate.negative"
    assert IdempotencyConflict("x").code == "ledger.idempotency_conflict"
    assert [http_status(e("x")) for e in (NotFound, Invalid, Conflict, NotAllowed)] == [
        404, 422, 409, 403,
    ]
    assert http_status(TreeConflict("taken")) == 409


def test_a_bad_tariff_is_refused_as_invalid_with_the_field_named():
    with pytest.raises(TariffError, match="currency") as caught:
        Tariff.from_ocpi({"currency": "EURO", "elements": []})
    assert caught.value.code == "tariff.invalid"


def test_an_activity_fails_non_retryable_with_the_error_code_as_type():
    mapped = application_error(Conflict("already posted", code="ledger.idempotency_conflict"))
    assert isinstance(mapped, ApplicationError)
    assert mapped.type == "ledger.idempotency_conflict" and mapped.non_retryable
    with pytest.raises(ApplicationError) as caught:
        with domain_errors_fail_the_activity():
            raise TreeError("monthly_fee_cents must be a non-negative whole number of cents")
    assert caught.value.type == "tree.invalid" and caught.value.non_retryable
    assert isinstance(caught.value.__cause__, DomainError)
    # Anything else (a lost database connection) stays retryable: not translated.
    with pytest.raises(OSError):
        with domain_errors_fail_the_activity():
            raise OSError("connection reset")
