"""Inputs and outputs of the document delivery activities; they live with the
settlement messages (the workflow imports one messages module)."""

from activities.settlement_messages import (
    DeliverInput,
    DeliveryOutcome,
    DeliveryPlan,
    DeliveryPlanInput,
)

__all__ = ["DeliverInput", "DeliveryOutcome", "DeliveryPlan", "DeliveryPlanInput"]
