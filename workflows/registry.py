"""Everything the platform worker registers: the workflows and the activities.

The worker (`energycloud worker`) asks this module, so adding a workflow is one
line here."""

from __future__ import annotations


def all_workflows() -> list[type]:
    from workflows.charging_session import ChargingSessionWorkflow
    from workflows.document_delivery import DocumentDeliveryWorkflow
    from workflows.invoice_collection import InvoiceCollectionWorkflow
    from workflows.monthly_settlement import MonthlySettlementLauncher, MonthlySettlementWorkflow

    return [ChargingSessionWorkflow, MonthlySettlementWorkflow, MonthlySettlementLauncher,
            InvoiceCollectionWorkflow, DocumentDeliveryWorkflow]


def all_activities(
    session_factory, providers: dict | None = None, *, mail=None, transport=None
) -> list:
    """Activity callables bound to a database session factory, the payment
    providers the entry point built from settings (none: SEPA files only), and
    how documents are mailed (`mail`, a mail.config.MailConfig from the entry
    point's settings; without one, to an outbox in the system's temporary folder)."""
    import tempfile
    from pathlib import Path

    from activities.delivery_activities import DeliveryActivities
    from activities.payment_activities import PaymentActivities
    from activities.session_activities import SessionActivities
    from activities.settlement_activities import SettlementActivities
    from mail.config import MailConfig
    from mail.transport import build_transport

    if mail is None:
        mail = MailConfig(outbox_dir=str(Path(tempfile.gettempdir()) / "energycloud-outbox"))
    delivery = DeliveryActivities(session_factory, config=mail,
                                  transport=transport or build_transport(mail))
    return (SessionActivities(session_factory).all() + SettlementActivities(session_factory).all()
            + PaymentActivities(session_factory, providers or {}).all() + delivery.all())
