"""The world of ../shared/SCENARIOS.md as plain settlement facts (October and
November 2026), for the settlement tests. Amounts are the scenario's, to the cent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.settlement_facts import (
    ChargingPointFacts,
    CustomerFacts,
    EmspFacts,
    OrganizationFacts,
    PartnerFacts,
    PeriodFacts,
    PlanFacts,
    PlatformFacts,
    SessionFacts,
)

AMS = ZoneInfo("Europe/Amsterdam")
PLATFORM = PlatformFacts(
    id=1, name="Energy Cloud", legal_name="Energy Cloud Operations B.V.", currency="EUR",
    vat_rate_percent=Decimal("21"), time_zone="Europe/Amsterdam", vat_id="NL000000000B01",
    iban="NL91ABNA0417164300", support_email="support@energycloud.example",
)
VOLT = PartnerFacts(
    id=1, name="VoltPartners", display_name="VoltPartners Laadoplossingen",
    roaming_fee_per_kwh=Decimal("0.05"), subscription_kickback_percent=Decimal("20"),
    vat_registered=True, vat_id="NL123456789B01", iban="NL02RABO0123456789",
    support_email="support@voltpartners.example", primary_color="#0b6e4f",
    secondary_color="#e8f5ee",
)
ACME_CUSTOMER = CustomerFacts(id=1, name="Acme Logistics", partner_id=1)
ACME = OrganizationFacts(
    id=1, customer_id=1, parent_id=None, name="Acme Logistics B.V.", vat_registered=True,
    vat_id="NL858585858B01", iban="NL44INGB0001234567", billing_email="finance@acme.example",
    address="Havenweg 1, 1011 AA Amsterdam",
)
JAN = OrganizationFacts(
    id=2, customer_id=1, parent_id=1, name="Jan de Vries", is_private_person=True,
    iban="NL20ASNB0707070707",
)
SHELL = EmspFacts(id=1, name="ShellRecharge", vat_id="NL812345678B01")
VATTENFALL = EmspFacts(id=2, name="Vattenfall InCharge")
BUSINESS = PlanFacts(id=1, name="Business", monthly_fee_cents=1250)
HOME = PlanFacts(id=2, name="Home", monthly_fee_cents=795)

DEPOT_01 = ChargingPointFacts(1, "ACME-DEPOT-01", 1, 1, 1, date(2026, 9, 1), None)
DEPOT_02 = ChargingPointFacts(2, "ACME-DEPOT-02", 1, 1, 1, date(2026, 9, 1), None)
DEPOT_03 = ChargingPointFacts(3, "ACME-DEPOT-03", 1, 1, 1, None, None)  # pre-approved
HOME_001 = ChargingPointFacts(4, "ACME-HOME-001", 1, 2, 2, date(2026, 10, 11), None)


def local(text: str) -> datetime:
    """An Amsterdam wall-clock time as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=AMS).astimezone(UTC)


def session(
    n: int, cp: ChargingPointFacts, category: str, wh: int, ended: str, *,
    emsp: int | None = None, tag: str = "NL-TNM-C00122045-K", cents: tuple[int, ...] = (),
) -> SessionFacts:
    """`cents`: roaming (emsp billed, compensation, fee, margin); reimbursed (amount,)."""
    org = 2 if cp is HOME_001 else 1
    roaming = dict(zip(("emsp_billed_cents", "owner_compensation_cents", "partner_fee_cents",
                        "platform_margin_cents"), cents, strict=False))
    reimbursed = (
        {"main_org_invoiced_cents": cents[0], "employee_payout_cents": cents[0]}
        if category == "reimbursed" else {}
    )
    stopped = local(ended)
    return SessionFacts(
        workflow_id=f"session:{cp.ocpp_id}:{n}", ocpp_id=cp.ocpp_id, charging_point_id=cp.id,
        customer_id=1, organization_id=org, main_organization_id=1, partner_id=1,
        emsp_id=emsp, id_tag=tag, category=category,
        started_at=stopped.replace(hour=max(stopped.hour - 2, 0)), stopped_at=stopped,
        energy_wh=wh, **(roaming if category == "roaming" else reimbursed),
    )


OCTOBER_SESSIONS = (
    session(1, HOME_001, "reimbursed", 18250, "2026-10-14T21:00", tag="ACME-JAN-01",
            cents=(511,)),
    session(2, DEPOT_01, "roaming", 24000, "2026-10-15T12:00", emsp=1,
            cents=(971, 720, 120, 131)),
    session(3, DEPOT_01, "free", 10000, "2026-10-16T12:00", tag="ACME-JAN-01"),
    session(4, DEPOT_02, "roaming", 10500, "2026-10-20T12:00", emsp=1,
            cents=(473, 315, 53, 105)),
    session(5, DEPOT_01, "rejected", 0, "2026-10-21T12:00", tag="DEADBEEF"),
)
NOVEMBER_SESSIONS = (
    # S6 ended 30 October 22:10 and reached the platform after October was settled.
    session(6, DEPOT_01, "roaming", 20000, "2026-10-30T22:10", emsp=1,
            cents=(815, 600, 100, 115)),
    session(7, HOME_001, "reimbursed", 30000, "2026-11-10T21:00", tag="ACME-JAN-01",
            cents=(840,)),
    session(8, DEPOT_03, "roaming", 15500, "2026-11-18T12:00", emsp=2,
            tag="NL-NUO-C12345678-X", cents=(640, 465, 78, 97)),
    session(9, DEPOT_02, "roaming", 8000, "2026-11-12T12:00", emsp=1,
            cents=(360, 240, 40, 80)),
)


def october(*, home_first_connected: date = date(2026, 10, 11)) -> PeriodFacts:
    return PeriodFacts(
        period="2026-10", platform=PLATFORM, partners=(VOLT,), customers=(ACME_CUSTOMER,),
        organizations=(ACME, JAN), emsps=(SHELL, VATTENFALL), plans=(BUSINESS, HOME),
        charging_points=(
            DEPOT_01, DEPOT_02, DEPOT_03,
            replace(HOME_001, first_connected_on=home_first_connected),
        ),
        sessions=OCTOBER_SESSIONS,
    )


def november() -> PeriodFacts:
    """After the correction (Jan's charger first connected 18 October), ACME-DEPOT-03
    connected 16 November, ACME-DEPOT-02 removed 21 November."""
    return replace(
        october(home_first_connected=date(2026, 10, 18)),
        period="2026-11",
        charging_points=(
            DEPOT_01,
            replace(DEPOT_02, billing_ended_on=date(2026, 11, 21)),
            replace(DEPOT_03, first_connected_on=date(2026, 11, 16)),
            replace(HOME_001, first_connected_on=date(2026, 10, 18)),
        ),
        sessions=NOVEMBER_SESSIONS,
    )


def generated_month(seed: int, *, period: str = "2026-11", sessions: int = 400) -> PeriodFacts:
    """A random month from a seeded generator: several partners (with and without
    VAT, with and without kickback), a customer without partner, VAT-registered
    and unregistered owners, suborganizations' home chargers, chargers connected
    mid-month, removed mid-month or before, never connected, several eMSPs, every
    session category, late sessions, sessions at the month's edges in local time
    and a few of the next month (ignored)."""
    import random
    from datetime import timedelta

    rnd = random.Random(seed)
    year, month = map(int, period.split("-"))
    first = date(year, month, 1)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    days = (nxt - first).days
    partners = (
        replace(VOLT, id=1),
        replace(VOLT, id=2, name="ChargeRight", display_name="ChargeRight Installers",
                subscription_kickback_percent=Decimal("15"), vat_registered=False,
                vat_id=None, primary_color="#1d4ed8"),
        replace(VOLT, id=3, name="NoKick", display_name="NoKick", 
                subscription_kickback_percent=Decimal("0")),
        replace(VOLT, id=4, name="Odd", display_name="Odd Percent",
                subscription_kickback_percent=Decimal("12.5")),
    )
    partner_of = [1, 1, 2, 3, None, 4, 2, None]
    customers = tuple(CustomerFacts(id=c + 1, name=f"Customer {c + 1}", partner_id=p)
                      for c, p in enumerate(partner_of))
    plans = (BUSINESS, HOME, PlanFacts(3, "Public", 1995), PlanFacts(4, "Odd", 999))
    orgs, points = [], []

    def connection() -> tuple[date | None, date | None]:
        kind = rnd.choice(["old", "old", "old", "mid", "never", "removed", "gone", "later",
                           "mid_removed"])
        mid = first + timedelta(days=rnd.randrange(days))
        if kind == "mid":
            return mid, None
        if kind == "never":
            return None, None
        if kind == "removed":
            return first - timedelta(days=40), mid
        if kind == "gone":
            return first - timedelta(days=90), first - timedelta(days=rnd.randrange(1, 20))
        if kind == "later":
            return nxt + timedelta(days=3), None
        if kind == "mid_removed":
            return mid, mid + timedelta(days=rnd.randrange(0, days))
        return first - timedelta(days=rnd.randrange(1, 400)), None

    for customer in customers:
        main = OrganizationFacts(
            id=len(orgs) + 1, customer_id=customer.id, parent_id=None,
            name=f"Main {customer.id} B.V.", vat_registered=rnd.random() < 0.7,
            iban=f"NL00BANK{customer.id:010d}",
        )
        orgs.append(main)
        for _ in range(rnd.randrange(1, 4)):
            first_on, ended_on = connection()
            points.append(ChargingPointFacts(
                len(points) + 1, f"CP-{len(points) + 1:04d}", customer.id, main.id,
                rnd.choice([1, 3, 4, None]) if rnd.random() < 0.95 else None,
                first_on, ended_on))
        for _ in range(rnd.randrange(0, 3)):
            sub = OrganizationFacts(
                id=len(orgs) + 1, customer_id=customer.id, parent_id=main.id,
                name=f"Employee {len(orgs) + 1}", is_private_person=True,
            )
            orgs.append(sub)
            first_on, ended_on = connection()
            points.append(ChargingPointFacts(
                len(points) + 1, f"HOME-{len(points) + 1:04d}", customer.id, sub.id, 2,
                first_on, ended_on))
    org_by_id = {o.id: o for o in orgs}
    homes = [p for p in points if org_by_id[p.organization_id].parent_id is not None]
    emsps = tuple(EmspFacts(id=n, name=f"eMSP {n}", vat_id=f"NL{n}B01") for n in (1, 2, 3))

    def ended_at() -> datetime:
        roll = rnd.random()
        if roll < 0.06:  # late: last month
            day = first - timedelta(days=rnd.randrange(1, 25))
        elif roll < 0.08:  # next month: not this period's
            day = nxt + timedelta(days=rnd.randrange(0, 5))
        else:
            day = first + timedelta(days=rnd.randrange(days))
        edge = rnd.random()
        if edge < 0.05:
            clock = "23:59"
        elif edge < 0.1:
            clock = "00:01"
        else:
            clock = f"{rnd.randrange(24):02d}:{rnd.randrange(60):02d}"
        return local(f"{day.isoformat()}T{clock}")

    result = []
    for n in range(sessions):
        category = rnd.choice(["roaming"] * 5 + ["reimbursed"] * 3 + ["free", "rejected"])
        cp = rnd.choice(homes if category == "reimbursed" and homes else points)
        org = org_by_id[cp.organization_id]
        customer = customers[cp.customer_id - 1]
        wh = rnd.randrange(0, 60_000)
        stopped = ended_at()
        cents: dict[str, int] = {}
        if category == "roaming":
            billed = rnd.randrange(0, 3000)
            comp, fee = rnd.randrange(0, 2000), rnd.randrange(0, 200)
            cents = dict(emsp_billed_cents=billed, owner_compensation_cents=comp,
                         partner_fee_cents=fee, platform_margin_cents=billed - comp - fee)
        elif category == "reimbursed":
            amount = rnd.randrange(0, 2500)
            cents = dict(main_org_invoiced_cents=amount, employee_payout_cents=amount)
        result.append(SessionFacts(
            workflow_id=f"session:{cp.ocpp_id}:{n}", ocpp_id=cp.ocpp_id,
            charging_point_id=cp.id, customer_id=customer.id, organization_id=org.id,
            main_organization_id=org.main_organization_id, partner_id=customer.partner_id,
            emsp_id=rnd.choice(emsps).id if category == "roaming" else None,
            id_tag=f"TAG-{rnd.randrange(50)}", category=category,
            started_at=stopped - timedelta(minutes=rnd.randrange(5, 600)), stopped_at=stopped,
            energy_wh=wh, **cents,
        ))
    return PeriodFacts(
        period=period, platform=PLATFORM, partners=partners, customers=customers,
        organizations=tuple(orgs), emsps=emsps, plans=plans, charging_points=tuple(points),
        sessions=tuple(result),
    )
