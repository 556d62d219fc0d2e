"""The period's direct-debit file (pain.008) collects exactly the organizations
that pay by direct debit: a payment method of `sepa_mandate`, or none set and a
mandate on file. One that pays by Mollie or by transfer is never in it, mandate
or not (it would be collected twice, or without being told)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from db.base import transaction
from db.demo import load_demo_data
from db.documents import period_documents
from db.models import Organization
from settlement.payment_runs import write_payment_files
from tests.db.helpers import issue_october

ACME = "Acme Logistics B.V."  # signed mandate ACME-2026-001 in the demo world


@pytest.mark.parametrize(("method", "collected"), [
    (None, True), ("sepa_mandate", True), ("mollie", False), ("bank_transfer", False),
])
def test_the_direct_debit_file_collects_who_pays_by_direct_debit(
    session_factory, tmp_path, method, collected
):
    load_demo_data(session_factory, password="pw")
    with transaction(session_factory) as s:
        s.execute(update(Organization).where(Organization.name == ACME)
                  .values(payment_method=method))
    issue_october(session_factory)
    with session_factory() as s:
        files = write_payment_files(
            s, period="2026-10", run=1, documents=period_documents(s, "2026-10"),
            out_dir=tmp_path, execution_date=date(2026, 11, 7))
    pain008 = tmp_path / "collections-2026-10-pain.008.xml"
    assert pain008.exists() is collected
    if collected:
        assert ">41.88<" in pain008.read_text() and "ACME-2026-001" in pain008.read_text()
        assert files.collected  # the invoice's receivable moves when finance releases
    else:
        assert files.collected == ()
    assert (tmp_path / "payouts-2026-10-pain.001.xml").exists()  # payouts as ever
