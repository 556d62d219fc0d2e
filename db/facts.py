"""Reading the facts a session is decided on: the charging point with its
effective rate and access mode, the card, the whitelist, who gets paid.

This is the only place that turns ORM rows into the pure inputs of
`domain.authorization` and `domain.inheritance`."""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, joinedload

from db.models import (
    ChargingCard,
    ChargingPoint,
    Customer,
    Location,
    Organization,
    Partner,
    PlatformSettings,
    Rate,
    WhitelistEntry,
)
from domain.authorization import CardFacts, PointFacts, authorize
from domain.enums import AccessMode, CardKind, CardStatus, ChargingPointState, Source
from domain.inheritance import Effective, Level, RateSettings, effective_access_mode, effective_rate
from domain.session_snapshot import SessionSnapshot


def rate_of(cp: ChargingPoint) -> Effective[Rate]:
    location = cp.location
    org = location.organization
    parent = org.parent
    return effective_rate(
        RateSettings(
            charging_point=Level(Source.CHARGING_POINT, cp.id, cp.ocpp_id, cp.rate_inherited,
                                 cp.rate),
            location=Level(Source.LOCATION, location.id, location.name, location.rate_inherited,
                           location.rate),
            organization=Level(Source.ORGANIZATION, org.id, org.name, org.rate_inherited,
                               org.rate),
            parent_organization=(
                Level(Source.PARENT_ORGANIZATION, parent.id, parent.name, False, parent.rate)
                if parent is not None
                else None
            ),
        )
    )


def access_mode_of(cp: ChargingPoint) -> Effective[AccessMode]:
    location = cp.location
    return effective_access_mode(
        Level(Source.CHARGING_POINT, cp.id, cp.ocpp_id, cp.access_mode_inherited,
              cp.access_mode),
        Level(Source.LOCATION, location.id, location.name, False, location.access_mode),
    )


def card_facts(card: ChargingCard | None) -> CardFacts | None:
    if card is None:
        return None
    status = CardStatus(card.status)
    return CardFacts(
        uid=card.uid,
        kind=CardKind(card.kind),
        status=status,
        organization_id=card.organization_id,
        emsp_id=card.emsp_id,
        contract_id=card.contract_id,
        reimbursable_for=(
            frozenset({card.reimbursable_for_organization_id})
            if card.reimbursable_for_organization_id
            else frozenset()
        ),
    )


# The statements of every session start, built once: a statement object reused
# keeps its compiled form and cache key (building and keying the charging point's
# query each time cost more than running it, issue 14).
_ORG = joinedload(ChargingPoint.location).joinedload(Location.organization)
# The charging point and every layer above it in one query: this runs at the
# start of every session, while the charger waits for its answer.
_POINT_AND_LAYERS = (
    select(ChargingPoint)
    .where(ChargingPoint.ocpp_id == bindparam("ocpp_id"))
    .options(
        joinedload(ChargingPoint.rate),
        joinedload(ChargingPoint.location).joinedload(Location.rate),
        _ORG.joinedload(Organization.rate),
        _ORG.joinedload(Organization.parent).joinedload(Organization.rate),
        _ORG.joinedload(Organization.customer).joinedload(Customer.partner),
    )
)
_SETTINGS = select(PlatformSettings)
_CARD = select(ChargingCard).where(ChargingCard.uid == bindparam("uid"))
_WHITELIST = (
    select(ChargingCard.uid)
    .join(WhitelistEntry, WhitelistEntry.card_id == ChargingCard.id)
    .where(
        or_(
            WhitelistEntry.location_id == bindparam("location_id"),
            WhitelistEntry.charging_point_id == bindparam("cp_id"),
        )
    )
)


def whitelist_of(db: Session, cp: ChargingPoint) -> frozenset[str]:
    return frozenset(db.scalars(_WHITELIST, {"location_id": cp.location_id, "cp_id": cp.id}))


def _refused(workflow_id: str, ocpp_id: str, id_tag: str, reason: str) -> SessionSnapshot:
    return SessionSnapshot(
        workflow_id=workflow_id, accepted=False, status="Invalid", category="rejected",
        reason=reason, ocpp_id=ocpp_id, id_tag=id_tag,
    )


_OCPP_STATUS = {
    CardStatus.BLOCKED: "Blocked",
    CardStatus.EXPIRED: "Expired",
}


def session_snapshot(
    db: Session, *, workflow_id: str, ocpp_id: str, id_tag: str
) -> SessionSnapshot:
    """Decide a session at its start and freeze everything it will be settled on."""
    cp = db.scalar(_POINT_AND_LAYERS, {"ocpp_id": ocpp_id})
    if cp is None or cp.location_id is None:
        return _refused(workflow_id, ocpp_id, id_tag, f"charging point {ocpp_id} is not in service")
    if cp.state == ChargingPointState.REMOVED:
        return _refused(workflow_id, ocpp_id, id_tag, f"charging point {ocpp_id} was removed")
    settings = db.scalar(_SETTINGS) or PlatformSettings(name="Energy Cloud")
    org: Organization = cp.location.organization
    main_org = org.parent or org
    mode = access_mode_of(cp)
    rate = rate_of(cp)
    card = db.scalar(_CARD, {"uid": id_tag})
    point = PointFacts(
        charging_point_id=cp.id,
        organization_id=org.id,
        main_organization_id=main_org.id,
        organization_is_suborganization=org.parent_id is not None,
        access_mode=mode.value,
        whitelist=whitelist_of(db, cp),
    )
    decision = authorize(point, card_facts(card), id_tag)
    status = "Accepted"
    if not decision.accepted:
        status = _OCPP_STATUS.get(CardStatus(card.status), "Invalid") if card else "Invalid"
    partner: Partner | None = cp.location.organization.customer.partner
    roaming_fee = (
        partner.roaming_fee_per_kwh if partner is not None
        else settings.default_roaming_fee_per_kwh
    )
    return SessionSnapshot(
        workflow_id=workflow_id,
        accepted=decision.accepted,
        status=status,
        category=decision.category.value,
        reason=decision.reason,
        ocpp_id=ocpp_id,
        id_tag=id_tag,
        charging_point_id=cp.id,
        customer_id=cp.customer_id,
        organization_id=org.id,
        main_organization_id=main_org.id,
        partner_id=partner.id if partner else None,
        card_id=card.id if card else None,
        emsp_id=card.emsp_id if card else None,
        access_mode=mode.value.value,
        access_mode_source=mode.source.value,
        rate_id=rate.value.id,
        rate_source=rate.source.value,
        tariff=rate.value.tariff,
        compensation_per_kwh=str(rate.value.compensation_per_kwh),
        roaming_fee_per_kwh=str(roaming_fee),
        vat_rate_percent=str(settings.vat_rate_percent),
        currency=rate.value.currency,
        time_zone=cp.location.time_zone,
    )

