"""Self-service onboarding (DOMAIN.md §1, §9): a partner adds a customer (with
its main organization and rate), organizations, locations, charging points
(pre-approved by OCPP id, or an energized charger claimed with its password),
users and cards. Every parent is read through `Scoped` (another subtree's is not
found), the role must allow MANAGE (and MONEY_SETTINGS for a new rate), the tree
use cases in `db.tree_service` do the checks, and each addition is audited."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.auth.csrf import check_csrf
from api.deps import PortalScopedQuery
from api.portal import onboarding_forms as forms
from api.portal.render import page
from api.portal.routing import portal_router
from api.scoped import Scoped
from db import audit
from db import tree_service as tree
from db.demo import ocpi_tariff
from db.models import (
    ChargingCard,
    ChargingPoint,
    Customer,
    Location,
    Organization,
    Partner,
    Rate,
    SubscriptionPlan,
    User,
)
from domain.enums import AccessMode, Role
from domain.errors import DomainError, Invalid, NotAllowed
from domain.visibility import Action

router = portal_router()
KINDS = ("customer", "organization", "location", "charging-point", "user", "card")
MODELS = {"customer": Customer, "organization": Organization, "location": Location,
          "charging-point": ChargingPoint, "user": User, "card": ChargingCard}
NEXT_STEP = {"customer": ("location", "organization_id"),
             "organization": ("location", "organization_id"),
             "location": ("charging-point", "location_id")}


def _int(form: FormData, name: str) -> int | None:
    value = (form.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise Invalid(f"{name.replace('_', ' ')} must be chosen from the list.")
    return int(value)


def _text(form: FormData, name: str, *, required: str | None = None) -> str:
    value = (form.get(name) or "").strip()
    if required and not value:
        raise Invalid(required)
    return value


def _new_rate(scoped: Scoped, form: FormData, *, customer_id: int, name: str) -> Rate:
    """A rate from the form's price per kWh, start fee and compensation."""
    scoped.require(Action.MONEY_SETTINGS)
    energy = _text(form, "energy_price", required="Give the price per kWh (excl. VAT).")
    flat = _text(form, "start_fee") or None
    tariff_id = "".join(ch for ch in name.upper() if ch.isalnum())[:30] or "RATE"
    return tree.create_rate(
        scoped.db, name=name, customer_id=customer_id,
        tariff=ocpi_tariff(tariff_id, energy=energy, flat=flat),
        compensation_per_kwh=_text(form, "compensation", required="Give the compensation per kWh."),
    )


def _organization_rate(scoped: Scoped, form: FormData, customer_id: int, name: str):
    choice = form.get("rate_choice") or "new"
    if choice == "inherit":
        return None, True
    if choice == "existing":
        rate = scoped.get(Rate, _int(form, "rate_id"), "rate")
        return rate.id, False
    return _new_rate(scoped, form, customer_id=customer_id, name=f"{name} rate").id, False


def may_add_customers(scoped: Scoped) -> bool:
    return scoped.caller.partner_id is not None or scoped.is_platform


def require_kind(scoped: Scoped, kind: str) -> None:
    if kind not in KINDS:
        raise Invalid(f"There is no onboarding form for {kind}.")
    scoped.require(Action.MANAGE)
    if kind == "customer" and not may_add_customers(scoped):
        raise NotAllowed("Customers are added by their partner.", code="forbidden.customer")


def add_customer(scoped: Scoped, form: FormData):
    partner_id = scoped.caller.partner_id
    if partner_id is None:
        scoped.require_platform("add customers directly")
        partner_id = _int(form, "partner_id")
        scoped.get_given(Partner, partner_id, "partner")
    name = _text(form, "name", required="Give the customer's name.")
    customer = tree.create_customer(scoped.db, name=name, partner_id=partner_id)
    org_name = _text(form, "organization_name") or name
    rate = _new_rate(scoped, form, customer_id=customer.id, name=f"{name} standard")
    org = tree.create_organization(
        scoped.db, customer_id=customer.id, name=org_name, rate_id=rate.id,
        billing_email=_text(form, "billing_email") or None, vat_id=_text(form, "vat_id") or None,
        vat_registered=bool(_text(form, "vat_id")), iban=_text(form, "iban") or None,
        address=_text(form, "address") or None,
    )
    # The customer itself is audited by the caller; what came with it here.
    for kind, row in (("rate", rate), ("organization", org)):
        audit.record(scoped.db, principal=scoped.caller, action="create", object_type=kind,
                     object_id=row.id, before=None, after=audit.snapshot(row))
    return customer, org


def add_organization(scoped: Scoped, form: FormData):
    customer = scoped.get(Customer, _int(form, "customer_id"), "customer")
    parent_id = _int(form, "parent_id")
    scoped.get_given(Organization, parent_id, "organization")
    name = _text(form, "name", required="Give the organization's name.")
    rate_id, inherited = _organization_rate(scoped, form, customer.id, name)
    org = tree.create_organization(
        scoped.db, customer_id=customer.id, name=name, parent_id=parent_id, rate_id=rate_id,
        rate_inherited=inherited, billing_email=_text(form, "billing_email") or None,
        iban=_text(form, "iban") or None, is_private_person=bool(form.get("private_person")),
    )
    return org, org


def add_location(scoped: Scoped, form: FormData):
    org = scoped.get(Organization, _int(form, "organization_id"), "organization")
    rate_id = _int(form, "rate_id")
    if rate_id is not None:
        scoped.require(Action.MONEY_SETTINGS)
        scoped.get(Rate, rate_id, "rate")
    location = tree.create_location(
        scoped.db, organization_id=org.id, customer_id=org.customer_id,
        name=_text(form, "name", required="Give the location's name."),
        access_mode=AccessMode(form.get("access_mode") or AccessMode.WHITELISTING),
        rate_id=rate_id, rate_inherited=rate_id is None,
        address=_text(form, "address") or None, postal_code=_text(form, "postal_code") or None,
        city=_text(form, "city") or None,
    )
    return location, location


def add_user(scoped: Scoped, form: FormData):
    role = Role(form.get("role") or Role.CUSTOMER_USER)
    if role not in (Role.CUSTOMER_ADMIN, Role.CUSTOMER_USER):
        raise Invalid("Here you add users of a customer: a customer admin or an employee.")
    org_id = _int(form, "organization_id")
    org = scoped.get(Organization, org_id, "organization")
    if role == Role.CUSTOMER_ADMIN and scoped.caller.role == Role.CUSTOMER_USER:
        raise Invalid("An employee cannot add administrators.")
    user = tree.create_user(
        scoped.db, email=_text(form, "email", required="Give the user's e-mail address."),
        name=_text(form, "name", required="Give the user's name."), role=role,
        password=_text(form, "password", required="Give a first password (they change it)."),
        customer_id=org.customer_id,
        organization_id=org.id if role == Role.CUSTOMER_USER else None,
    )
    return user, user


def add_card(scoped: Scoped, form: FormData):
    org = scoped.get(Organization, _int(form, "organization_id"), "organization")
    holder = _int(form, "user_id")
    scoped.get_given(User, holder, "user")
    card = tree.issue_organization_card(
        scoped.db, uid=_text(form, "uid", required="Give the card's uid (printed on it)."),
        organization_id=org.id, user_id=holder, label=_text(form, "label"),
    )
    return card, card


def add_charging_point(scoped: Scoped, form: FormData, request: Request):
    location = scoped.get(Location, _int(form, "location_id"), "location")
    ocpp_id = _text(form, "ocpp_id", required="Give the charger's OCPP id (its serial number).")
    password = _text(form, "password", required="Give the charger's password.")
    plan_id = _int(form, "subscription_plan_id")
    scoped.get_given(SubscriptionPlan, plan_id, "subscription plan")
    if form.get("mode") == "claim":
        services = getattr(request.app.state, "services", None)
        claim = services.claim_charger if services is not None else None
        if claim is None:
            raise Invalid("Claiming a connected charger is not available on this server.")
        proof = {"password": password}
        if _text(form, "claim_code"):
            proof["claim_code"] = _text(form, "claim_code")
        cp = claim(scoped.db, ocpp_id=ocpp_id, customer_id=location.customer_id,
                   location_id=location.id, name=_text(form, "name"),
                   subscription_plan_id=plan_id, **proof)
    else:
        connectors = _int(form, "connectors") or 1
        cp = tree.add_charging_point(
            scoped.db, location_id=location.id, customer_id=location.customer_id,
            ocpp_id=ocpp_id, password=password, name=_text(form, "name"),
            connectors=connectors, subscription_plan_id=plan_id,
        )
    return cp, cp


ADDERS: dict[str, Callable] = {
    "customer": add_customer, "organization": add_organization, "location": add_location,
    "user": add_user, "card": add_card,
}


@router.get("/onboard")
def onboard_index(request: Request, scoped: PortalScopedQuery) -> Response:
    scoped.require(Action.MANAGE)
    return page(request, scoped.db, "onboard_index.html", caller=scoped.caller,
                active="onboard", title="Onboarding",
                can_add_customer=may_add_customers(scoped))


def _form_page(request, scoped: Scoped, kind: str, values: dict, *, notices=(), status=200):
    return page(request, scoped.db, "onboard_form.html", caller=scoped.caller,
                active="onboard", title=forms.TITLES[kind], kind=kind, values=values,
                options=forms.options(scoped, kind), notices=list(notices),
                status_code=status)


@router.get("/onboard/{kind}")
def onboard_form(request: Request, scoped: PortalScopedQuery, kind: str,
                 created: str = "") -> Response:
    require_kind(scoped, kind)
    notices = []
    if created and ":" in created:
        made_kind, _, made_id = created.partition(":")
        if made_kind in MODELS and made_id.isdigit():
            row = scoped.get(MODELS[made_kind], int(made_id), made_kind)
            label = getattr(row, "name", None) or getattr(row, "uid", "")
            notices.append(("ok", f"{forms.NOUNS[made_kind]} “{label}” is added."))
    return _form_page(request, scoped, kind, dict(request.query_params), notices=notices)


@router.post("/onboard/{kind}")
async def onboard_submit(request: Request, scoped: PortalScopedQuery, kind: str) -> Response:
    await check_csrf(request, scoped.caller.csrf_token)
    require_kind(scoped, kind)
    form = await request.form()
    try:
        if kind == "charging-point":
            created, parent = add_charging_point(scoped, form, request)
        else:
            created, parent = ADDERS[kind](scoped, form)
        audit.record(scoped.db, principal=scoped.caller, action="create",
                     object_type=kind.replace("-", "_"), object_id=created.id, before=None,
                     after=audit.snapshot(created))
        scoped.db.commit()
    except (DomainError, ValueError) as refused:
        scoped.db.rollback()
        message = getattr(refused, "message", None) or str(refused)
        values = {k: v for k, v in form.items() if k not in ("password", "csrf_token")}
        # After the rollback the page begins a new transaction: off the event loop.
        return await run_in_threadpool(_form_page, request, scoped, kind, values,
                                       notices=[("bad", message)], status=400)
    if kind in NEXT_STEP:
        step, key = NEXT_STEP[kind]
        target = f"/onboard/{step}?{key}={parent.id}&created={kind}:{created.id}"
    elif kind == "charging-point":
        target = f"/charging-points/{created.id}"
    else:
        target = f"/onboard/{kind}?created={kind}:{created.id}"
    return RedirectResponse(target, status_code=303)
