"""Tree navigation with search: partners → customers → organizations (and
suborganizations) → locations → charging points, with each organization's users
and cards. Every level is read through `Scoped`, so a partner sees its own
customers' subtrees and an employee its own suborganization only."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from api.deps import PortalScopedQuery
from api.portal.queries import status_tone
from api.portal.render import page
from api.portal.routing import portal_router
from api.scoped import Scoped
from db.models import ChargingCard, ChargingPoint, Customer, Location, Organization, Partner, User
from domain.enums import CardKind
from domain.visibility import Action, allowed_actions

router = portal_router()
MAX_NODES = 2000


@dataclass
class Node:
    kind: str
    label: str
    href: str | None = None
    detail: str = ""
    badge: tuple[str, str] | None = None  # (text, tone)
    add: tuple[str, str] | None = None  # (label, href) of "add under this"
    children: list[Node] = field(default_factory=list)
    match: bool = False

    def keep(self, q: str, *, under_match: bool = False) -> bool:
        """Prune to the nodes that match `q`, their ancestors and everything
        under a match (a matching location shows its charging points)."""
        self.match = bool(q) and (q in self.label.lower() or q in self.detail.lower())
        kept = [c for c in self.children if c.keep(q, under_match=under_match or self.match)]
        if not (self.match or under_match):
            self.children = kept
        return self.match or under_match or bool(self.children)


def _point_badge(cp: ChargingPoint) -> tuple[str, str]:
    if cp.state.value == "pre_approved":
        return ("not connected yet", "")
    return ("online", "ok") if cp.online else ("offline", "warn")


def build_tree(scoped: Scoped, *, can_manage: bool) -> list[Node]:
    db = scoped.db
    partners = list(db.scalars(scoped.select(Partner).order_by(Partner.name)))
    customers = list(db.scalars(scoped.select(Customer).order_by(Customer.name)))
    orgs = list(db.scalars(scoped.select(Organization).order_by(Organization.name)))
    locations = list(db.scalars(scoped.select(Location).order_by(Location.name)))
    points = list(db.scalars(
        scoped.select(ChargingPoint).order_by(ChargingPoint.ocpp_id).limit(MAX_NODES)
    ))
    users = list(db.scalars(scoped.select(User).order_by(User.name)))
    cards = list(db.scalars(
        scoped.select(ChargingCard).where(ChargingCard.kind == CardKind.ORGANIZATION)
        .order_by(ChargingCard.uid)
    ))

    def add(label: str, kind: str, **params) -> tuple[str, str] | None:
        if not can_manage:
            return None
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return (label, f"/onboard/{kind}?{query}")

    cp_nodes: dict[int, list[Node]] = {}
    for cp in points:
        cp_nodes.setdefault(cp.location_id, []).append(Node(
            "charging point", cp.name if cp.name and cp.name != cp.ocpp_id else cp.ocpp_id,
            href=f"/charging-points/{cp.id}", detail=cp.ocpp_id, badge=_point_badge(cp),
        ))
    loc_nodes: dict[int, list[Node]] = {}
    for loc in locations:
        loc_nodes.setdefault(loc.organization_id, []).append(Node(
            "location", loc.name, href=f"/audit?object_type=location&object_id={loc.id}",
            detail=" ".join(filter(None, [loc.address, loc.city])),
            badge=(loc.access_mode.value.replace("_", " & "), ""),
            add=add("charging point", "charging-point", location_id=loc.id),
            children=cp_nodes.get(loc.id, []),
        ))
    people: dict[int, list[Node]] = {}
    for user in users:
        if user.customer_id is None:  # platform and partner staff hang nowhere in the tree
            continue
        # Keyed by organization; a customer admin (no organization) by minus its customer.
        people.setdefault(user.organization_id or -user.customer_id, []).append(Node(
            "user", user.name, href=f"/audit?object_type=user&object_id={user.id}",
            detail=user.email, badge=(user.role.value.replace("_", " "), ""),
        ))
    holders = {u.id: u.organization_id for u in users}
    shown_orgs = {o.id for o in orgs}
    for card in cards:
        # An employee holds a card of its main organization, which it does not see:
        # the card hangs under the employee's own organization then.
        place = card.organization_id
        if place not in shown_orgs:
            place = holders.get(card.user_id, place)
        people.setdefault(place, []).append(Node(
            "card", card.label or card.uid, detail=card.uid,
            href=f"/transactions?card={card.uid}",
            badge=(card.status.value, status_tone(card.status.value)),
        ))
    org_by_id = {o.id: o for o in orgs}
    org_nodes: dict[int, Node] = {}
    for org in orgs:
        org_nodes[org.id] = Node(
            "suborganization" if org.parent_id else "organization", org.name,
            href=f"/audit?object_type=organization&object_id={org.id}",
            detail=org.billing_email or "",
            add=add("location", "location", organization_id=org.id),
            children=loc_nodes.get(org.id, []) + people.get(org.id, []),
        )
    roots_by_customer: dict[int, list[Node]] = {}
    for org in orgs:
        node = org_nodes[org.id]
        if org.parent_id in org_by_id:
            org_nodes[org.parent_id].children.append(node)
        else:
            roots_by_customer.setdefault(org.customer_id, []).append(node)
    customer_nodes: dict[int, Node] = {}
    for customer in customers:
        customer_nodes[customer.id] = Node(
            "customer", customer.name,
            href=f"/audit?object_type=customer&object_id={customer.id}",
            add=add("organization", "organization", customer_id=customer.id),
            children=roots_by_customer.get(customer.id, []) + people.get(-customer.id, []),
        )
    # An employee sees its organization but not the customer above it.
    loose = [org_nodes[o.id] for o in orgs
             if o.parent_id not in org_by_id and o.customer_id not in customer_nodes]
    roots: list[Node] = []
    partner_ids = {p.id for p in partners}
    for partner in partners:
        roots.append(Node(
            "partner", partner.display_name or partner.name,
            href=f"/audit?object_type=partner&object_id={partner.id}",
            detail=partner.domain or "",
            add=add("customer", "customer", partner_id=partner.id),
            children=[customer_nodes[c.id] for c in customers if c.partner_id == partner.id],
        ))
    roots += [customer_nodes[c.id] for c in customers if c.partner_id not in partner_ids]
    return roots + loose


@router.get("/tree")
def tree(request: Request, scoped: PortalScopedQuery, q: str = "") -> Response:
    roots = build_tree(
        scoped, can_manage=Action.MANAGE in allowed_actions(scoped.caller.role)
    )
    needle = q.strip().lower()
    if needle:
        roots = [r for r in roots if r.keep(needle)]
    return page(request, scoped.db, "tree.html", caller=scoped.caller, active="tree",
                title="Sites & chargers", roots=roots, q=q, searching=bool(needle))
