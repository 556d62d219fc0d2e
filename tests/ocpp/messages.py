"""Message builders shared by the charger-message tests (OCPP 1.6 sampled values,
2.0.1 transaction events) and the timestamps they use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ocpp.v16 import call as c16
from ocpp.v201 import call as c201

VERSIONS = ["1.6", "2.0.1"]
AHEAD = (datetime.now(UTC) + timedelta(minutes=10)).replace(microsecond=0)
# Chargers whose 2024 messages these tests send have been in service since then.
IN_SERVICE = datetime(2024, 1, 1, tzinfo=UTC)


def start16(ts: str, meter_start: int = 0, *, id_tag: str = "ACCEPTED-1",
            connector_id: int = 1) -> c16.StartTransaction:
    """An OCPP 1.6 StartTransaction: by default an accepted card on connector 1."""
    return c16.StartTransaction(
        connector_id=connector_id, id_tag=id_tag, meter_start=meter_start, timestamp=ts
    )


def sample16(ts: str, value: str, unit: str = "Wh", measurand=None, context=None) -> dict:
    sv = {"value": value, "unit": unit}
    if measurand:
        sv["measurand"] = measurand
    if context:
        sv["context"] = context
    return {"timestamp": ts, "sampled_value": [sv]}


def sample201(
    ts: str, value, unit: str = "Wh", measurand="Energy.Active.Import.Register", multiplier: int = 0
) -> dict:
    return {
        "timestamp": ts,
        "sampled_value": [
            {
                "value": value,
                "measurand": measurand,
                "unit_of_measure": {"unit": unit, "multiplier": multiplier},
            }
        ],
    }


def tx_event(event_type, tid, seq, ts, *, token=None, meter=None, evse=1, **info):
    return c201.TransactionEvent(
        event_type=event_type,
        timestamp=ts,
        trigger_reason="Authorized",
        seq_no=seq,
        transaction_info={"transaction_id": tid, **info},
        evse={"id": evse, "connector_id": 1} if evse else None,
        id_token={"id_token": token, "type": "ISO14443"} if token else None,
        meter_value=meter,
    )
