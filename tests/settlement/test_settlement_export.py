"""Exporting a period from the database (SQLite and PostgreSQL) to parquet and
computing it: the demo world with SCENARIOS.md's October sessions gives the
scenario's documents; a late session goes into the next period; a session
settled into a period is never exported for another."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
from sqlalchemy import insert, select, update

from db.base import transaction
from db.demo import load_demo_data
from db.ledger import post_entry
from db.models import ChargingPoint, ChargingSession, Emsp, Location, Organization
from db.models.documents import PeriodSession
from domain.documents import DocumentKind, IssuedDocument
from domain.enums import Category
from domain.ledger import session_entry
from domain.settlement import build_period_documents, correction_documents
from domain.split import SessionSplit
from settlement import schemas
from settlement.export import export_period
from settlement.facts import load_facts
from settlement.jobs import compute_period
from tests.settlement.data import NOVEMBER_SESSIONS, OCTOBER_SESSIONS


def _store_sessions(session_factory, facts_sessions) -> None:
    """Write scenario sessions as finished session rows plus their ledger entries,
    as the session workflow does (ids mapped onto the demo world)."""
    with transaction(session_factory) as s:
        emsps = {e.name: e.id for e in s.scalars(select(Emsp))}
        emsp_ids = {1: emsps["ShellRecharge"], 2: emsps["Vattenfall InCharge"]}
        for f in facts_sessions:
            cp = s.scalar(select(ChargingPoint).where(ChargingPoint.ocpp_id == f.ocpp_id))
            org_id = s.scalar(select(Location.organization_id).where(Location.id == cp.location_id))
            org = s.get(Organization, org_id)
            main_id = org.parent_id or org.id
            partner_id = 1 if f.partner_id else None
            emsp_id = emsp_ids.get(f.emsp_id)
            cents = {k: getattr(f, k) for k in (
                "emsp_billed_cents", "main_org_invoiced_cents", "owner_compensation_cents",
                "employee_payout_cents", "partner_fee_cents", "platform_margin_cents")}
            s.execute(insert(ChargingSession).values(
                workflow_id=f.workflow_id, ocpp_id=f.ocpp_id, transaction_id=f.workflow_id[-1],
                charging_point_id=cp.id, customer_id=cp.customer_id, organization_id=org_id,
                partner_id=partner_id, id_tag=f.id_tag, emsp_id=emsp_id, category=f.category,
                state="rejected" if f.category == "rejected" else "finished",
                started_at=f.started_at, stopped_at=f.stopped_at, energy_wh=f.energy_wh,
                snapshot={}, **cents,
            ))
            split = SessionSplit(category=Category(f.category), **cents)
            entry = session_entry(f.workflow_id, split, org_id, main_id, org_id, partner_id,
                                  emsp_id)
            if entry is not None:
                post_entry(s, entry, occurred_at=f.stopped_at, reference=f.workflow_id)


def _totals(documents):
    return [(d.kind.value, d.recipient.name, d.total_cents) for d in documents]


OCTOBER_TOTALS = [
    ("invoice", "Acme Logistics B.V.", 4188),
    ("roaming_invoice", "ShellRecharge", 1747),
    ("payout_statement", "Acme Logistics B.V.", 1252),
    ("payout_statement", "Jan de Vries", 511),
    ("profit_share_statement", "VoltPartners", 945),
]


def test_october_of_the_demo_world_exports_and_computes_to_the_scenarios(
    session_factory, tmp_path
):
    load_demo_data(session_factory)
    _store_sessions(session_factory, OCTOBER_SESSIONS)
    manifest = export_period(session_factory, period="2026-10", out_dir=tmp_path / "2026-10")
    assert manifest.rows["sessions"] == 4  # S5 was rejected, never finished
    assert manifest.rows["ledger"] == 2 * 3 + 4  # S1: 2 postings, S2/S4: 4 each
    for table, schema in schemas.TABLES.items():
        assert schemas.scan(tmp_path / "2026-10", table).collect_schema() == pl.Schema(schema)
    # The round trip keeps every value: instants (UTC), Wh and cents.
    columns = ("workflow_id", "category", "started_at", "stopped_at", "energy_wh",
               "emsp_billed_cents", "main_org_invoiced_cents", "owner_compensation_cents",
               "employee_payout_cents", "partner_fee_cents", "platform_margin_cents")
    exported = sorted(tuple(getattr(f, c) for c in columns)
                      for f in load_facts(tmp_path / "2026-10").sessions)
    assert exported == sorted(tuple(getattr(f, c) for c in columns)
                              for f in OCTOBER_SESSIONS if f.category != "rejected")
    documents = compute_period(tmp_path / "2026-10").documents
    # The demo world has more customers; SCENARIOS' five documents are among them.
    scenario = [t for t in _totals(documents) if t[1] in
                {"Acme Logistics B.V.", "ShellRecharge", "Jan de Vries", "VoltPartners"}]
    assert scenario == OCTOBER_TOTALS
    assert documents == build_period_documents(load_facts(tmp_path / "2026-10"))


def test_an_invoice_carries_the_mandate_only_of_a_customer_paying_by_direct_debit(
    session_factory, tmp_path
):
    load_demo_data(session_factory)  # Acme signed mandate ACME-2026-001
    _store_sessions(session_factory, OCTOBER_SESSIONS)

    def mandates(out):
        export_period(session_factory, period="2026-10", out_dir=out)
        return {(d.kind.value, d.recipient.name): d.recipient.sepa_mandate_id
                for d in compute_period(out).documents
                if d.recipient.name in ("Acme Logistics B.V.", "ShellRecharge")}

    assert mandates(tmp_path / "by-mandate") == {
        ("invoice", "Acme Logistics B.V."): "ACME-2026-001",  # collected by pain.008
        ("roaming_invoice", "ShellRecharge"): None,  # eMSPs transfer
        ("payout_statement", "Acme Logistics B.V."): None,  # paid to them, not collected
    }
    for method, mandate in (("sepa_mandate", "ACME-2026-001"), ("bank_transfer", None),
                            ("mollie", None)):
        with transaction(session_factory) as s:
            s.execute(update(Organization).where(Organization.name == "Acme Logistics B.V.")
                      .values(payment_method=method))
        found = mandates(tmp_path / method)
        assert found[("invoice", "Acme Logistics B.V.")] == mandate, method


def test_a_late_session_goes_into_the_next_period_with_its_own_date(session_factory, tmp_path):
    load_demo_data(session_factory)
    _store_sessions(session_factory, OCTOBER_SESSIONS)
    october = export_period(session_factory, period="2026-10", out_dir=tmp_path / "oct")
    # October is settled: its sessions are recorded as settled into it.
    with transaction(session_factory) as s:
        for wid in schemas.scan(october.out_dir, "sessions").collect()["workflow_id"]:
            s.add(PeriodSession(workflow_id=wid, period="2026-10"))
    _store_sessions(session_factory, NOVEMBER_SESSIONS)  # S6 ended 30 Oct, arrives now
    november = export_period(session_factory, period="2026-11", out_dir=tmp_path / "nov")
    exported = schemas.scan(november.out_dir, "sessions").collect()
    assert sorted(exported["workflow_id"]) == sorted(f.workflow_id for f in NOVEMBER_SESSIONS)
    assert november.rows["late_sessions"] == 1
    docs = compute_period(november.out_dir).documents
    [shell] = [d for d in docs if d.kind is DocumentKind.ROAMING_INVOICE
               and d.recipient.name == "ShellRecharge"]
    assert shell.total_cents == 1422
    [late] = [line for line in shell.lines if line.late]
    assert late.occurred_on.isoformat() == "2026-10-30"
    # Exporting October again (a re-run) keeps its own sessions and not S6.
    again = export_period(session_factory, period="2026-10", out_dir=tmp_path / "oct2")
    assert again.rows["sessions"] == 4
    # With a late_since after S6's end, S6 is not a late item of November.
    bounded = export_period(session_factory, period="2026-11", out_dir=tmp_path / "nov2",
                            late_since=datetime(2026, 10, 31, tzinfo=UTC))
    assert bounded.rows["sessions"] == 3


def test_correcting_a_first_connection_date_gives_credit_notes_from_a_re_export(
    session_factory, tmp_path
):
    """SCENARIOS.md November: October was issued with ACME-HOME-001 connected on
    11 October; the admin corrects it to 18 October; October is exported again
    and only the difference is credited."""
    load_demo_data(session_factory)
    _store_sessions(session_factory, OCTOBER_SESSIONS)
    first = compute_period(export_period(session_factory, period="2026-10",
                                         out_dir=tmp_path / "run1").out_dir).documents
    issued = [IssuedDocument(doc, f"EC-2026-{n:06d}", date(2026, 11, 2), None)
              for n, doc in enumerate(first, start=1)]
    with transaction(session_factory) as s:
        for wid in schemas.scan(tmp_path / "run1", "sessions").collect()["workflow_id"]:
            s.add(PeriodSession(workflow_id=wid, period="2026-10"))
        home = s.scalar(select(ChargingPoint).where(ChargingPoint.ocpp_id == "ACME-HOME-001"))
        home.first_connected_at = datetime(2026, 10, 18, 6, 0, tzinfo=UTC)
    _store_sessions(session_factory, NOVEMBER_SESSIONS[:1])  # S6 arrives: not October's
    again = export_period(session_factory, period="2026-10", out_dir=tmp_path / "run2")
    notes = correction_documents(issued, compute_period(again.out_dir).documents)
    assert [(n.kind, n.recipient.name, n.net_cents, n.vat_cents, n.total_cents)
            for n in notes] == [
        (DocumentKind.CREDIT_NOTE, "Acme Logistics B.V.", -180, -38, -218),
        (DocumentKind.CREDIT_NOTE, "VoltPartners", -36, -8, -44),
    ]
